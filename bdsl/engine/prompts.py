"""Render prompts from the plan's jinja2 templates (sandboxed, StrictUndefined, bounded).

Template sources come only from `plan.templates` (the compiler loads
stdlib/templates/*.j2 and applies spec overrides), so a plan is self-contained.
A spec's template override runs in bdsl.bounded_jinja's box: a template that would build
a huge string, loop for ever or recurse without end fails with a TemplateError naming it.
The stdlib's own templates (byte for byte the installed ones) run in jinja2's plain
immutable sandbox: the box's checks cost about a millisecond per render, which was a
sixth of bdsl's CPU per call, and they guard against code no spec author wrote.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bdsl import ir
from bdsl.bounded_jinja import BoundedEnvironment, TemplateLimit


class TemplateError(Exception):
    """A template is missing, does not parse, uses a variable it was not given, or hits a
    limit; `name` is the template's."""

    def __init__(self, message: str, name: str = "", limit: bool = False):
        super().__init__(message)
        self.name, self.limit = name, limit


class PromptRenderer:
    def __init__(self, templates: tuple[ir.Template, ...]):
        options = {"undefined": jinja2.StrictUndefined, "autoescape": False,
                   "keep_trailing_newline": False, "trim_blocks": True, "lstrip_blocks": True}
        self.env = BoundedEnvironment(**options)
        self.trusted_env = ImmutableSandboxedEnvironment(**options)
        self.sources = {t.name: t for t in templates}
        stock = _stock_sources()
        self.trusted = {t.name for t in templates if stock.get(t.name) == t.source}
        self.compiled: dict[str, jinja2.Template] = {}

    def has(self, name: str) -> bool:
        return name in self.sources

    def render(self, name: str, **variables) -> str:
        template = self.compiled.get(name)
        if template is None:
            t = self.sources.get(name)
            if t is None:
                raise TemplateError(f"template `{name}` is not in the plan")
            try:
                env = self.trusted_env if name in self.trusted else self.env
                template = env.from_string(t.source)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateError(f"template `{name}` ({t.origin}) line {e.lineno}: "
                                    f"{e.message}", name) from None
            except RecursionError:
                raise TemplateError(f"template `{name}` ({t.origin}): nested too deeply "
                                    "to compile", name, limit=True) from None
            self.compiled[name] = template
        try:
            if name in self.trusted:
                return template.render(**variables).strip()
            return self.env.render(template, variables).strip()
        except jinja2.UndefinedError as e:
            raise TemplateError(f"template `{name}` ({self.sources[name].origin}): "
                                f"{e.message}", name) from None
        except TemplateLimit as e:
            raise TemplateError(f"template `{name}` ({self.sources[name].origin}) stopped: "
                                f"{e} (templates are limited in size and time)", name,
                                limit=True) from None
        except Exception as e:  # the template's own code failed: its error, not bdsc's
            raise TemplateError(f"template `{name}` ({self.sources[name].origin}): "
                                f"{type(e).__name__}: {e}", name) from None

    def check(self, names) -> list[str]:
        """Problems with the named templates that can be found without rendering."""
        problems = []
        for name in names:
            if name not in self.sources:
                problems.append(f"template `{name}` is not in the plan")
                continue
            try:
                self.env.parse(self.sources[name].source)
            except jinja2.TemplateSyntaxError as e:
                problems.append(f"template `{name}` line {e.lineno}: {e.message}")
        return problems


@functools.cache
def _stock_sources() -> dict[str, str]:
    return {t.name: t.source for t in std_templates()}


def std_templates() -> tuple[ir.Template, ...]:
    """stdlib/templates/*.j2 as IR templates (what the compiler puts in every plan)."""
    base = resources.files("bdsl.stdlib").joinpath("templates")
    out = []
    for path in sorted(base.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".j2"):
            source = path.read_text(encoding="utf-8")
            out.append(ir.Template(path.name[:-3], source, "std",
                                   hashlib.sha256(source.encode("utf-8")).hexdigest()))
    return tuple(out)
