"""Completion from the text before the cursor, so it works while the buffer does not parse.

A scan of brackets (skipping strings, comments and regexes) says where the cursor is:
at the start of a top-level item (declaration kinds, `spec`/`import`/`gate`), after a
kind's `:` (its qualifiers) or `extends` (names of that kind), at the start of an entry
in a body or nested block (the fields that kind or block takes, minus those already
written), or in a field's value (choice values, true/false, names of the kind the field
refers to, emotions in arcs and baselines). Names come from the scopes of the last
analysis that parsed; stdlib names that are not imported are offered qualified
(`std.personas.anxious_planner`), and `std.` completes module names.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

import attrs

from bdsl.compiler.schema import BLOCKS, KINDS, FieldSpec
from bdsl.compiler.values import describe_type
from bdsl.gates.catalog import CHECKS
from bdsl.lsp.analysis import Analysis
from bdsl.lsp.hover import TOP_LEVEL_WORDS

_SCAN = re.compile(r'"""[\s\S]*?(?:"""|\Z)|"(?:[^"\\\n]|\\.)*(?:"|$)|#[^\n]*'
                   r'|/(?:[^/\\\n]|\\.)+/[imsx]*|[\[\]{}(),\n]', re.M)
_WORD = re.compile(r"[A-Za-z_][\w.-]*$|$")
_IDENT = re.compile(r"[A-Za-z_][\w-]*")


class ItemKind(StrEnum):
    KIND = "kind"
    KEYWORD = "keyword"
    FIELD = "field"
    VALUE = "value"
    NAME = "name"
    MODULE = "module"


@attrs.frozen
class Completion:
    label: str
    kind: ItemKind
    detail: str = ""
    doc: str = ""
    sort: str = "1"


@attrs.frozen
class Completions:
    start: int  # offset where the word being completed starts (it is replaced)
    items: tuple[Completion, ...]


@attrs.define
class _Level:
    char: str | None  # the open bracket, None for the top level
    pos: int
    boundary: int  # where the current entry at this level starts


def complete(text: str, offset: int, an: Analysis | None) -> Completions:
    levels = _scan(text, offset)
    word = _WORD.search(text[:offset]).group() if levels is not None else ""
    start = offset - len(word)
    if levels is None:  # inside a string or comment
        return Completions(start, ())
    names = _Names(an, word)
    before = text[levels[-1].boundary:start]
    items = _complete(text, offset, levels, before, word, names)
    if not items and "." in word:
        items = names.dotted(word, None)
    return Completions(start, tuple(items))


def _scan(text: str, offset: int) -> list[_Level] | None:
    line_start = text.rfind("\n", 0, offset) + 1
    levels = [_Level(None, 0, 0)]
    for m in _SCAN.finditer(text, 0, offset):
        tok = m.group()
        if tok[0] in "\"#/" and m.end() == offset and _open_token(tok):
            return None
        if tok in "[{(":
            levels.append(_Level(tok, m.start(), m.end()))
        elif tok in "]})":
            if len(levels) > 1:
                levels.pop()
        elif tok in ",\n":
            levels[-1].boundary = m.end()
    if len(levels) == 1:
        levels[0].boundary = line_start
    return levels


def _open_token(tok: str) -> bool:
    """A string, comment or regex that the cursor is still inside."""
    if tok[0] == "#":
        return True
    if tok.startswith('"""'):
        return len(tok) < 6 or not tok.endswith('"""')
    if tok[0] == '"':
        return len(tok) < 2 or not tok.endswith('"') or tok.endswith('\\"')
    return False


def _complete(text, offset, levels, before, word, names) -> list[Completion]:
    if len(levels) == 1:
        return _top_level(before, word, names)
    header = text[text.rfind("\n", 0, levels[1].pos) + 1:levels[1].pos]
    head_words = header.split()
    if head_words[:1] == ["import"]:
        module = head_words[1] if len(head_words) > 1 else ""
        return names.module_names(module) if levels[1].char == "{" else []
    state = _state(text, levels, head_words)
    if state is None:
        return []
    mode, arg, owner = state
    stripped = before.strip()
    if mode == "fields":
        if not stripped:
            used = _entry_keys(text, levels[-1], offset)
            items = [_field_item(f, owner) for f in arg if f.repeat or f.name not in used]
            if owner == "arc":  # an arc's stages line starts with an emotion
                items += names.of_kind("emotion", sort="2")
            return items
        if "->" in stripped:
            return names.of_kind("emotion")
        key = _IDENT.match(stripped)
        fs = next((f for f in arg if key and f.name == key.group()), None)
        if fs is None or fs.type.startswith(("list:", "block:", "map:")):
            return []
        return _values(fs.type, names)
    if mode == "value":
        if "->" in stripped:
            return names.of_kind("emotion")
        return _values(arg, names)
    return []


def _top_level(before: str, word: str, names) -> list[Completion]:
    words = before.split()
    if not words:
        items = [Completion(k, ItemKind.KEYWORD, "statement", doc) for k, doc in
                 TOP_LEVEL_WORDS.items()]
        items += [Completion(k, ItemKind.KIND, "declaration", spec.doc)
                  for k, spec in KINDS.items()]
        return items
    first = words[0]
    if first == "import":
        return names.std_modules() if len(words) == 1 else []
    if first == "gate":
        if re.fullmatch(r"gate\s+\S+\s*:", before.strip()):
            return [Completion(c.name, ItemKind.VALUE, "gate check", c.doc)
                    for c in CHECKS.values()] + [
                Completion("judge", ItemKind.KEYWORD, "judged metric",
                           'judge "empathy" >= 0.7')]
        return []
    spec = KINDS.get(first)
    if spec is None:
        return []
    if before.rstrip().endswith(":") and len(words) >= 2:
        return [Completion(q, ItemKind.VALUE, f"{first} qualifier") for q in spec.qualifier]
    if words[-1] == "extends":
        return names.of_kind(first)
    return []


def _state(text: str, levels: list[_Level], head_words: list[str]):
    """What the innermost bracket holds: ("fields", fields, owner) | ("value", type, "")."""
    kind = head_words[0] if head_words else ""
    spec = KINDS.get(kind)
    if spec is None:
        return None
    if levels[1].char == "{":
        state = ("fields", spec.fields, kind)
    elif levels[1].char == "[":  # a header list, e.g. a panel's members
        state = ("value", "ref:perspective" if kind == "panel" else "", "")
    else:
        return None
    for i in range(2, len(levels)):
        lead = text[levels[i - 1].boundary:levels[i].pos]
        char = levels[i].char
        mode, arg, _ = state
        if mode == "fields":
            key = _IDENT.match(lead.strip())
            fs = next((f for f in arg if key and f.name == key.group()), None)
            ftype = fs.type if fs else ""
        else:
            ftype = arg
        if char == "(":
            return None
        if char == "[":
            state = ("value", ftype[5:] if ftype.startswith("list:") else "", "")
        elif ftype.startswith("block:") and ftype[6:] in BLOCKS:
            state = ("fields", BLOCKS[ftype[6:]], ftype[6:])
        else:  # a map block: keys are free names
            return None
    return state


def _entry_keys(text: str, level: _Level, offset: int) -> set[str]:
    """Field keys already written in the block `level` opens (the entry at the cursor
    excluded)."""
    keys, depth, entry = set(), 0, level.pos + 1
    for m in _SCAN.finditer(text, level.pos + 1):
        tok = m.group()
        if tok in "[{(":
            depth += 1
        elif tok in "]})":
            if depth == 0:
                _add_key(text, entry, m.start(), offset, keys)
                break
            depth -= 1
        elif tok in ",\n" and depth == 0:
            _add_key(text, entry, m.start(), offset, keys)
            entry = m.end()
    return keys


def _add_key(text: str, start: int, end: int, offset: int, keys: set[str]) -> None:
    if start <= offset <= end:
        return
    m = _IDENT.match(text[start:end].lstrip())
    if m:
        keys.add(m.group())


def _field_item(f: FieldSpec, owner: str) -> Completion:
    detail = f"{f.type}{' (required)' if f.required else ''}"
    doc = f"{describe_type(f.type)}" + (f": {f.doc}" if f.doc else "")
    return Completion(f.name, ItemKind.FIELD, detail, doc, "0" if f.required else "1")


def _values(ftype: str, names) -> list[Completion]:
    while ftype.startswith("list:"):
        ftype = ftype[5:]
    if ftype.startswith("choice:"):
        return [Completion(c, ItemKind.VALUE, "choice") for c in ftype[7:].split("|")]
    if ftype == "bool":
        return [Completion(b, ItemKind.VALUE, "bool") for b in ("true", "false")]
    if ftype.startswith("ref:"):
        return names.of_kind(ftype[4:])
    if ftype == "gate_use":
        return names.of_kind("gate")
    if ftype in ("emotion_point", "stages"):
        return names.of_kind("emotion")
    return []


# -- names ------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def stdlib_index() -> tuple[tuple[str, str, str, str], ...]:
    """(module, kind, name, summary) of every stdlib declaration, parsed once."""
    from bdsl import ast
    from bdsl.compiler.loader import std_module_names
    from bdsl.lsp.cache import cached_parse_module
    from bdsl.lsp.paths import STD_PREFIX, std_dir
    from bdsl.source import read_source

    out = []
    for short in std_module_names():
        src = read_source(std_dir() / f"{short}.bds", f"{STD_PREFIX}{short}.bds")
        tree, _ = cached_parse_module(src)
        for item in tree.items if tree else ():
            if isinstance(item, ast.Decl):
                out.append((f"std.{short}", item.kind.text, item.name.text, _summary(item)))
            elif isinstance(item, ast.GateDecl):
                out.append((f"std.{short}", "gate", item.name.text, ""))
    return tuple(out)


def _summary(decl) -> str:
    from bdsl import ast

    body = decl.body
    for key in ("summary", "description", "title"):
        f = body.get(key) if body else None
        if f is not None and isinstance(f.value, ast.Str):
            return f.value.value
    if decl.positional and isinstance(decl.positional[0], ast.Str):
        return decl.positional[0].value
    return ""


class _Names:
    """Declaration names for completion: the buffer's scope, then the whole stdlib."""

    def __init__(self, an: Analysis | None, word: str = ""):
        self.an = an if an is not None and an.symbols is not None else None
        self.word = word  # a dotted word completes within its module

    def _visible(self):
        if self.an is None:
            return []
        return list(self.an.symbols.visible(self.an.graph.root))

    def of_kind(self, kind: str, sort: str = "1") -> list[Completion]:
        if "." in self.word:
            return self.dotted(self.word, kind)
        seen, items = set(), []
        for s in self._visible():
            if s.kind == kind and s.name not in seen:
                seen.add(s.name)
                where = s.module if s.module.startswith("std.") else "this spec"
                items.append(Completion(s.name, ItemKind.NAME, f"{kind} · {where}", sort=sort))
        for module, k, name, summary in stdlib_index():
            if k == kind and name not in seen:
                items.append(Completion(f"{module}.{name}", ItemKind.NAME, f"{kind} · {module}",
                                        summary, sort=chr(ord(sort) + 1)))
        return items

    def std_modules(self) -> list[Completion]:
        modules = sorted({m for m, *_ in stdlib_index()})
        return [Completion(m, ItemKind.MODULE, "stdlib module") for m in modules]

    def module_names(self, module: str) -> list[Completion]:
        """Names an `import <module> { ... }` can list."""
        if module.startswith("std."):
            return [Completion(name, ItemKind.NAME, f"{kind} · {m}", summary)
                    for m, kind, name, summary in stdlib_index() if m == module]
        if self.an is None:
            return []
        for imp, key in self.an.root.imports if self.an.root else ():
            if imp.is_file and key and module.strip('"') == imp.target:
                return [Completion(name, ItemKind.NAME, kind)
                        for (kind, name) in self.an.symbols.scopes[key].own]
        return []

    def dotted(self, word: str, kind: str | None) -> list[Completion]:
        head = word.rsplit(".", 1)[0]
        if head == "std":
            return self.std_modules()
        if head.startswith("std.") and head.count(".") == 1:
            return [Completion(f"{m}.{name}", ItemKind.NAME, f"{k} · {m}", summary)
                    for m, k, name, summary in stdlib_index()
                    if m == head and (kind is None or k == kind)]
        if self.an is not None and "." not in head:
            key = self.an.symbols.scopes[self.an.graph.root].aliases.get(head)
            if key in self.an.symbols.scopes:
                return [Completion(f"{head}.{name}", ItemKind.NAME, k)
                        for (k, name) in self.an.symbols.scopes[key].own
                        if kind is None or k == kind]
        return []
