"""Load a spec and every module it needs: relative .bds/.yaml files and stdlib modules.

Modules are keyed by "std.<name>" or by absolute path. Import cycles, missing
files and unknown stdlib modules are diagnostics at the import that caused them.
Stdlib modules are loaded on demand (imported, or named as `std.x.y` anywhere),
plus the prelude that every spec sees.

File imports stay inside the project root: the git work tree holding the root spec, or
the root spec's folder when it is in no repository. An import that leaves it (absolute,
`..`, or through a symlink) is an error unless the caller allows it (`--allow-outside`);
a file read from outside is marked private, so diagnostics never quote its lines.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import attrs

from bdsl import ast
from bdsl.compiler.yaml_tables import yaml_to_module
from bdsl.diagnostics import Diagnostic, did_you_mean, error
from bdsl.parser import parse_module
from bdsl.source import SourceError, SourceFile, decode_source, read_source

PRELUDE = ("std.emotions", "std.strategies")


@attrs.define
class LoadedModule:
    key: str
    source: SourceFile
    tree: ast.Module | None
    is_std: bool
    # import statement -> key of the module it names (None if it failed to load)
    imports: list[tuple[ast.Import, str | None]] = attrs.field(factory=list)


@attrs.define
class ModuleGraph:
    root: str
    modules: dict[str, LoadedModule]
    diagnostics: list[Diagnostic]
    project: Path | None = None  # imports must resolve inside this folder
    allow_outside: bool = False
    root_unreadable: bool = False  # the root spec itself could not be read

    @property
    def sources(self) -> dict[str, SourceFile]:
        return {m.source.path: m.source for m in self.modules.values()}


def std_module_names() -> list[str]:
    base = resources.files("bdsl.stdlib")
    return sorted(p.name[:-4] for p in base.iterdir() if p.name.endswith(".bds"))


def _read_std(name: str) -> SourceFile | None:
    f = resources.files("bdsl.stdlib").joinpath(f"{name}.bds")
    if not f.is_file():
        return None
    return decode_source(f.read_bytes(), f"<std>/{name}.bds")


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def project_root(spec: Path) -> Path:
    """The git work tree holding `spec` (nearest folder above it with a `.git`), else the
    spec's own folder. Found by looking, not by running git, so `check` stays fast."""
    folder = spec.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def load_graph(root_path: str | Path, root_text: str | None = None, *,
               allow_outside: bool = False, project: str | Path | None = None) -> ModuleGraph:
    """Load the root spec and everything reachable from it. `project` overrides the
    project root (e.g. a tree exported from git); `allow_outside` lifts the confinement."""
    graph = ModuleGraph(root="", modules={}, diagnostics=[], allow_outside=allow_outside)
    root = Path(root_path).resolve()
    graph.root = str(root)
    graph.project = Path(project).resolve() if project is not None else project_root(root)
    try:
        src = (decode_source(root_text.encode(), display_path(root)) if root_text is not None
               else read_source(root, display_path(root)))
    except SourceError as exc:
        graph.diagnostics.append(error(exc.code, exc.message, None, exc.hint))
        graph.root_unreadable = exc.code == "E001"
        return graph
    _load_file(graph, str(root), src, stack=[])
    for name in PRELUDE:
        _load_std(graph, name, None, stack=[])
    return graph


def _load_file(graph: ModuleGraph, key: str, src: SourceFile, stack: list[str]) -> None:
    if key.endswith((".yaml", ".yml")):
        tree, diags = yaml_to_module(src)
    else:
        tree, diags = parse_module(src)
    module = LoadedModule(key, src, tree, is_std=key.startswith("std."))
    graph.modules[key] = module
    graph.diagnostics.extend(diags)
    if tree is None:
        return
    stack = stack + [key]
    for item in tree.items:
        if isinstance(item, ast.Import):
            module.imports.append((item, _load_import(graph, module, item, stack)))
    for name in sorted(_std_mentions(tree)):
        if name not in graph.modules:
            _load_std(graph, name, None, stack)


def _load_import(graph: ModuleGraph, importer: LoadedModule, imp: ast.Import,
                 stack: list[str]) -> str | None:
    if not imp.is_file:
        return _load_std(graph, imp.target, imp, stack)
    if importer.is_std:
        graph.diagnostics.append(error("E304", "stdlib modules cannot import files", imp.span))
        return None
    base = Path(importer.key).parent
    target = (base / imp.target).resolve()
    key = str(target)
    outside = _outside(graph, base, imp.target, target)
    if outside and not graph.allow_outside:
        graph.diagnostics.append(error("E306", f"cannot import `{imp.target}`: {outside}",
                                       imp.target_span, hint=_OUTSIDE_HINT))
        return None
    if key in stack:
        cycle = " -> ".join(display_path(Path(k)) for k in stack[stack.index(key):] + [key])
        graph.diagnostics.append(error("E302", f"import cycle: {cycle}", imp.target_span,
                                       hint="move the shared declarations into a third file "
                                            "that both import"))
        return None
    if key in graph.modules:
        return key
    if target.suffix not in (".bds", ".yaml", ".yml"):
        graph.diagnostics.append(error("E305", f"cannot import `{imp.target}`: only .bds and "
                                       ".yaml files can be imported", imp.target_span))
        return None
    try:
        src = read_source(target, display_path(target))
        if outside:
            src = attrs.evolve(src, private=True)
    except SourceError as exc:
        hint = exc.hint
        if exc.code == "E001":
            near = did_you_mean(target.name, _names_in(target.parent))
            hint = f"did you mean `{near}`?" if near else hint
        graph.diagnostics.append(error("E301" if exc.code == "E001" else exc.code,
                                       f"cannot import `{imp.target}`: {exc.message}",
                                       imp.target_span, hint))
        return None
    _load_file(graph, key, src, stack)
    return key


def _names_in(folder: Path) -> list[str]:
    try:
        return [p.name for p in folder.iterdir()]
    except OSError:  # missing or unreadable folder: no suggestion
        return []


_OUTSIDE_HINT = ("imports stay inside the project root (the git repository holding the spec, "
                 "or the spec's folder); copy the file into the project, or pass "
                 "--allow-outside if you trust it")


def _outside(graph: ModuleGraph, base: Path, written: str, target: Path) -> str:
    """Why `target` is outside the project root ("" when it is inside). Decided on paths
    alone: nothing outside is opened or even tested for existence."""
    project = graph.project
    if project is None or target.is_relative_to(project):
        return ""
    where = f"the project root is {display_path(project)}"
    if Path(os.path.normpath(base / written)).is_relative_to(project):
        return f"it is a symlink to a file outside the project ({where})"
    if Path(written).is_absolute():
        return f"an absolute path outside the project ({where})"
    return f"it leaves the project ({where})"


def _load_std(graph: ModuleGraph, name: str, imp: ast.Import | None,
              stack: list[str]) -> str | None:
    if name in graph.modules:
        return name
    if name in stack:
        graph.diagnostics.append(error("E302", f"import cycle through {name}",
                                       imp.target_span if imp else None))
        return None
    parts = name.split(".")
    src = _read_std(parts[1]) if len(parts) == 2 and parts[0] == "std" else None
    if src is None:
        if imp is not None:
            known = [f"std.{n}" for n in std_module_names()]
            near = did_you_mean(name, known)
            graph.diagnostics.append(error(
                "E303", f"unknown module `{name}`", imp.target_span,
                hint=f"did you mean `{near}`?" if near else
                "stdlib modules: " + ", ".join(known) + "; files are imported as \"./path.bds\""))
        return None
    _load_file(graph, name, src, stack)
    return name


def _std_mentions(tree: ast.Module) -> set[str]:
    """std modules named by `std.<module>.<name>` references anywhere in the module."""
    found: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, ast.Ref):
            parts = [p.text for p in node.parts]
            if len(parts) >= 3 and parts[0] == "std":
                found.add(f"std.{parts[1]}")
            return
        if isinstance(node, (list, tuple)):
            for x in node:
                visit(x)
            return
        if attrs.has(type(node)):
            for a in attrs.fields(type(node)):
                if a.name != "span":
                    visit(getattr(node, a.name))

    visit(tree.items)
    return found
