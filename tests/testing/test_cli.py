"""`python -m bdsl.testing.mock_openai` as a user runs it."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys

from tests.testing.conftest import litellm_quiet

MODULE = [sys.executable, "-m", "bdsl.testing.mock_openai"]


def start(*args):
    proc = subprocess.Popen([*MODULE, "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    match = re.search(r"on (http://127\.0\.0\.1:\d+/v1)", first)
    assert match, (first, proc.stderr.read() if proc.poll() is not None else "")
    exports = [proc.stdout.readline() for _ in range(3)]  # read here: communicate() would
    return proc, match.group(1), "".join(exports)  # miss lines already in this buffer


def test_serves_until_sigterm_then_prints_counts(monkeypatch):
    litellm = litellm_quiet()
    proc, url, exports = start("--latency", "0.05", "--api-key", "sk-cli-test-key", "--model", "m1",
                      "--fault", "500=0.0")
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-cli-test-key")
        r = asyncio.run(litellm.acompletion(model="openai/m1", max_retries=0,
                                            messages=[{"role": "user", "content": "hi"}]))
        assert r.choices[0].message.content
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "1 chat requests, 1 billed, outcomes {'ok': 1}" in out
    assert f"export OPENAI_BASE_URL={url}" in exports and "Traceback" not in err


def test_bad_settings_are_one_line_errors_with_exit_2():
    for args, message in [(["--fault", "418=0.1"], "unknown fault `418`; choose from 429"),
                          (["--fault", "429=0.7", "--fault", "500=0.7"], "add up to 1.4"),
                          (["--latency", "-1"], "latency must be >= 0")]:
        r = subprocess.run([*MODULE, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr


def test_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([*MODULE, "--port", str(port)], capture_output=True, text=True,
                           timeout=60, env={**os.environ})
    assert r.returncode == 2
    assert r.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert len(r.stderr.strip().splitlines()) == 1
