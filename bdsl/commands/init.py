"""`bdsc init [DIR] [--category NAME]`: start a spec project from a template.

Writes spec.bds (a spec for one of the seven dataset categories that checks clean and is
already `bdsc fmt` canonical), .gitignore (runs/, build/), a CI workflow running
`bdsc check` and `bdsc fmt --check`, and a short README. Refuses a directory that is not
empty, so it never overwrites anyone's work.
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE

# category -> (template file, what the category is about)
CATEGORIES = {
    "emotional": ("emotional.bds", "emotional state transformation"),
    "compliance": ("compliance.bds", "regulatory compliance"),
    "methodology": ("methodology.bds", "methodology extrapolation"),
    "perspectives": ("perspectives.bds", "multi-perspective deliberation"),
    "adaptive": ("adaptive.bds", "adaptive difficulty"),
    "cross-cultural": ("cross-cultural.bds", "cross-cultural"),
    "voice": ("voice.bds", "voice and personality cloning"),
}

# template -> where it goes in the new project
FILES = {"gitignore": ".gitignore", "ci.yml": ".github/workflows/bdsl.yml",
         "README.md": "README.md"}


def _template(name: str) -> str:
    return resources.files("bdsl").joinpath("init_templates", name).read_text(encoding="utf-8")


def spec_name(directory: Path) -> str:
    """A name for the spec (and its default run directory) from the project folder."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")
    return name or "my-dataset"


def render(category: str, name: str) -> dict[str, str]:
    """Relative path -> text of every file of a new project."""
    template, about = CATEGORIES[category]
    out = {"spec.bds": _template(f"specs/{template}")}
    out.update({dest: _template(src) for src, dest in FILES.items()})
    return {path: text.replace("__NAME__", name).replace("__CATEGORY__", about)
            for path, text in out.items()}


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=True, dir_okay=True))
@click.option("--category", type=click.Choice(list(CATEGORIES)), default="emotional",
              show_default=True, help="Which kind of dataset the starter spec builds.")
def init_cmd(directory: str, category: str) -> None:
    """Create a spec project in DIRECTORY (default: here), which must be empty or new."""
    target = Path(directory)
    try:
        if target.exists() and not target.is_dir():
            click.echo(f"error: {directory} is a file, not a directory", err=True)
            sys.exit(EXIT_USAGE)
        if target.is_dir() and any(target.iterdir()):
            click.echo(f"error: {directory} is not empty; `bdsc init` only writes into an empty "
                       "or new directory (hint: `bdsc init NEW_DIR`)", err=True)
            sys.exit(EXIT_USAGE)
        name = spec_name(target)
        for rel, text in render(category, name).items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename and str(exc.filename) != directory else ""
        click.echo(f"error: cannot write into {directory}: {where}"
                   f"{(exc.strerror or str(exc)).lower()} (hint: `bdsc init NEW_DIR` somewhere "
                   "you can write)", err=True)
        sys.exit(EXIT_USAGE)
    shown = "." if target.resolve() == Path.cwd().resolve() else directory
    click.echo(f"created {category} spec project `{name}` in {shown}: spec.bds, .gitignore, "
               f"README.md, .github/workflows/bdsl.yml", err=True)
    prefix = "" if shown == "." else f"cd {shown} && "
    click.echo(f"next: {prefix}bdsc check spec.bds && bdsc plan spec.bds", err=True)
