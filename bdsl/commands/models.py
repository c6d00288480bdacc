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
    """Install a local model, e.g. `bdsc models pull smollm2`."""
    from bdsl.llm import models

    try:
        result = models.pull(name)
    except (ValueError, KeyError, RuntimeError, OSError) as e:
        click.echo(f"error: cannot pull `{name}`: {e}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(result if isinstance(result, str) else f"installed {name}")


@models_group.command("list")
def list_cmd() -> None:
    """Local models and whether they are installed."""
    from bdsl.llm import models

    for entry in models.installed_models():
        click.echo(str(entry))
