"""Where a span or module lives on disk, as a path and as a `file://` URI.

Spans name files by display path: relative to the working directory for the user's
files, `<std>/name.bds` for stdlib modules, which live in the installed package.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

STD_PREFIX = "<std>/"


@lru_cache(maxsize=1)
def std_dir() -> Path:
    return Path(str(resources.files("bdsl.stdlib")))


def file_of_span_path(span_path: str) -> Path:
    if span_path.startswith(STD_PREFIX):
        return std_dir() / span_path[len(STD_PREFIX):]
    return Path(span_path).resolve()


def file_of_module(key: str) -> Path:
    """A module key ("std.arcs" or an absolute path) -> its file."""
    if key.startswith("std."):
        return std_dir() / f"{key[4:]}.bds"
    return Path(key)


def uri_of(path: Path) -> str:
    return path.resolve().as_uri()


def path_of_uri(uri: str) -> Path:
    """The file a `file://` URI names; other schemes (untitled:) get a name in the cwd."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        name = Path(unquote(parsed.path)).name or "untitled.bds"
        return Path.cwd() / name
    return Path(unquote(parsed.path))
