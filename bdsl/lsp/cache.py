"""Parse once per text: the server re-checks the buffer on every edit, and every check
loads the same stdlib modules and imported files again.

`compiler.loader` parses through its module-level `parse_module`; the server replaces that
one name with a memoized version (keyed by path and text, so any edit parses afresh).
ASTs are frozen attrs trees, so sharing one between checks is safe. Diagnostics are
unchanged: a cached parse returns the same tree and diagnostics a fresh one would
(tests/lsp/test_cache.py compares them).
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from bdsl.parser import parse_module as _parse_module
from bdsl.source import SourceFile

MAX_ENTRIES = 256

_cache: OrderedDict[tuple[str, str], tuple] = OrderedDict()
_lock = Lock()


def cached_parse_module(src: SourceFile):
    key = (src.path, src.text)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit[0], list(hit[1])
    tree, diags = _parse_module(src)
    with _lock:
        _cache[key] = (tree, tuple(diags))
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return tree, list(diags)


def install() -> None:
    """Route the loader's parsing through the cache (idempotent)."""
    from bdsl.compiler import loader

    loader.parse_module = cached_parse_module
