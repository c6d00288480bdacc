"""Render prompts from the plan's jinja2 templates (sandboxed, StrictUndefined).

Template sources come only from `plan.templates` (the compiler loads
stdlib/templates/*.j2 and applies spec overrides), so a plan is self-contained.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from bdsl import ir


class TemplateError(Exception):
    """A template is missing, does not parse, or uses a variable it was not given."""


class PromptRenderer:
    def __init__(self, templates: tuple[ir.Template, ...]):
        self.env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                        keep_trailing_newline=False, trim_blocks=True,
                                        lstrip_blocks=True)
        self.sources = {t.name: t for t in templates}
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
                template = self.env.from_string(t.source)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateError(f"template `{name}` ({t.origin}) line {e.lineno}: "
                                    f"{e.message}") from None
            self.compiled[name] = template
        try:
            return template.render(**variables).strip()
        except jinja2.UndefinedError as e:
            raise TemplateError(f"template `{name}` ({self.sources[name].origin}): "
                                f"{e.message}") from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as e:
            raise TemplateError(f"template `{name}` ({self.sources[name].origin}): "
                                f"{type(e).__name__}: {e}") from None

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
