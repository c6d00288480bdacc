"""A local OpenAI-compatible server for tests, benches and users: deterministic replies,
configurable latency, a shared rate limit, seeded fault injection, API key, model list,
context length, the Files and Batch API, Anthropic's Messages and Message Batches
(mock_anthropic), and a log of every request.

In a test (own thread and event loop, a free port):

    with MockServer(latency=0.05, faults={"429": 0.1}, seed=7) as server:
        os.environ.update(server.env())   # OPENAI_BASE_URL / OPENAI_API_BASE / OPENAI_API_KEY
        ... litellm.acompletion(model="openai/mock-chat", ...) ...
        server.configure(latency=0.0)      # change behaviour while it runs
        assert max(server.log.billed_counts().values()) == 1

From a shell (Ctrl-C prints the request counts):

    python -m bdsl.testing.mock_openai --port 8080 --latency 0.5 --fault 429=0.1 --seed 1

Reached from bdsl with model `openai/<name>` and the environment `server.env()` returns
(litellm reads OPENAI_BASE_URL, then OPENAI_API_BASE, and OPENAI_API_KEY), or with
`anthropic/<name>` (ANTHROPIC_API_BASE, ANTHROPIC_API_KEY).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys
import threading
import time

import attrs
from aiohttp import web

from bdsl.testing.mock_app import MockProvider
from bdsl.testing.mock_config import Fault, Latency, MockConfig, parse_fault
from bdsl.testing.mock_log import RequestLog


class MockServer:
    """The mock on its own thread and event loop; a context manager for tests.

    `url` is the API base (http://127.0.0.1:PORT/v1). `configure(**fields)` changes the
    MockConfig while it runs; `log` is the RequestLog; `stats()` its summary.
    """

    def __init__(self, config: MockConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, **fields):
        config = config or MockConfig()
        self.provider = MockProvider(attrs.evolve(config, **fields) if fields else config)
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def config(self) -> MockConfig:
        return self.provider.config

    @property
    def log(self) -> RequestLog:
        return self.provider.log

    def stats(self):
        return self.provider.log.stats()

    def env(self, api_key: str | None = None) -> dict[str, str]:
        """Environment that points litellm's `openai/<model>` and `anthropic/<model>` (and
        bdsl's Anthropic batches) at this server."""
        key = api_key or self.config.api_key or "sk-mock-local"
        root = f"http://{self.host}:{self.port}"  # litellm adds /v1/messages itself
        return {"OPENAI_BASE_URL": self.url, "OPENAI_API_BASE": self.url, "OPENAI_API_KEY": key,
                "ANTHROPIC_API_BASE": root, "ANTHROPIC_API_KEY": key}

    def configure(self, **changes) -> MockConfig:
        return self._on_loop(self._configure(changes))

    async def _configure(self, changes: dict) -> MockConfig:
        return self.provider.configure(**changes)

    def reset_log(self) -> None:
        self._on_loop(self._reset())

    async def _reset(self) -> None:
        self.provider.reset_log()

    def start(self) -> MockServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._runner = loop.run_until_complete(_serve(self.provider, sock))
            except BaseException as e:  # surfaced to start()'s caller
                failure.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"mock-openai:{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _on_loop(self, coro):
        if self._loop is None or self._thread is None:
            coro.close()
            raise RuntimeError("the mock server is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)


async def _serve(provider: MockProvider, sock: socket.socket) -> web.AppRunner:
    runner = web.AppRunner(provider.app(), handler_cancellation=True, access_log=None,
                           shutdown_timeout=5)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner


# --- command line -------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m bdsl.testing.mock_openai",
        description="A local OpenAI-compatible mock server (chat completions, models, "
                    "files, batches; Anthropic messages and message batches) with latency, "
                    "rate limits and fault injection.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    ap.add_argument("--distribution", choices=[d.value for d in Latency], default="fixed")
    ap.add_argument("--spread", type=float, default=0.0,
                    help="uniform: +- seconds; lognormal: sigma")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rps", type=float, default=None, help="shared limit, requests/second")
    ap.add_argument("--tpm", type=int, default=None, help="shared limit, tokens/minute")
    ap.add_argument("--fault", action="append", default=[], metavar="KIND=RATE",
                    help="inject a fault at a rate, e.g. 429=0.1 (kinds: "
                         + ", ".join(f.value for f in Fault) + "); repeatable")
    ap.add_argument("--timeout-delay", type=float, default=60.0,
                    help="seconds before a `timeout` fault answers")
    ap.add_argument("--api-key", default=None, help="require this bearer key")
    ap.add_argument("--model", action="append", default=[],
                    help="a served model name (repeatable; default: "
                         + ", ".join(MockConfig().models) + "); `*` accepts any")
    ap.add_argument("--context-length", type=int, default=16384)
    ap.add_argument("--batch-validating", type=float, default=0.1)
    ap.add_argument("--batch-in-progress", type=float, default=0.5)
    ap.add_argument("--batch-error-rate", type=float, default=0.0)
    return ap


def config_from_args(args: argparse.Namespace) -> MockConfig:
    models = () if "*" in args.model else tuple(args.model) or MockConfig().models
    return MockConfig(
        latency=args.latency, distribution=args.distribution, spread=args.spread,
        seed=args.seed, requests_per_second=args.rps, tokens_per_minute=args.tpm,
        faults=dict(parse_fault(f) for f in args.fault), timeout_delay=args.timeout_delay,
        api_key=args.api_key, models=models, context_length=args.context_length,
        batch_validating=args.batch_validating, batch_in_progress=args.batch_in_progress,
        batch_error_rate=args.batch_error_rate)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as e:
        ap.error(str(e))
    try:
        server = MockServer(config, host=args.host, port=args.port).start()
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror or e}",
              file=sys.stderr)
        return 2
    print(f"mock OpenAI server on {server.url}  (models: "
          f"{', '.join(config.models) or 'any'}; Ctrl-C stops)", flush=True)
    for name, value in server.env().items():
        print(f"  export {name}={value}", flush=True)
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a shell may start us ignoring it
        signal.signal(sig, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stats = server.stats()
        server.stop()
        print(f"\n{stats.requests} chat requests, {stats.billed} billed, outcomes "
              f"{stats.outcomes}, max {stats.max_in_flight} in flight", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
