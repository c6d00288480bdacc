"""Issue 11, finding 5: template overrides run in a box with size and time limits.

Each hostile template below used gigabytes or hung before; now it ends within the time
limit with a TemplateError naming the template, and `bdsc compile` reports it on the
override (E263) before any model is called."""

import threading
import time
import tracemalloc

import attrs
import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from bdsl import ir
from bdsl.bounded_jinja import MAX_SECONDS
from bdsl.compiler.pipeline import check_path, compile_path
from bdsl.engine import prompts
from bdsl.engine.preview import preview_prompts
from bdsl.engine.prompts import PromptRenderer, TemplateError
from tests.conftest import ROOT

HOSTILE = {
    "string times a huge number": "{{ 'A' * 10**10 }}",
    "a huge power": "{{ 10**10**10 }}",
    "ljust to a billion": "{{ 'x'.ljust(10**9) }}",
    "center filter to a billion": "{{ 'x'|center(10**9) }}",
    "zfill to a billion": "{{ '1'.zfill(999999999) }}",
    "a huge range": "{% for i in range(10**9) %}x{% endfor %}",
    "nested loops with no output":
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "nested loops over one list": "{% set L = range(100000)|list %}"
                                  "{% for a in L %}{% for b in L %}{% endfor %}{% endfor %}",
    "doubling in a namespace": "{% set ns = namespace(s='ab') %}{% for i in range(100) %}"
                               "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "replace with an empty needle": "{% set s = 'a' * 100000 %}{{ s.replace('', s) }}",
    "join with a huge separator": "{% set s = 'a' * 100000 %}{{ range(1000)|join(s) }}",
    "indent a thousand lines": "{% set s = '\\n' * 100000 %}{{ s|indent(1000) }}",
    "printf width": "{{ '%999999999s' % 'x' }}",
    "format width": "{{ '{:>999999999}'.format('x') }}",
    "a list of one huge string": "{% set s = 'a' * 900000 %}{% set L = [s] * 1000 %}{{ L }}",
    "endless recursion": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "expandtabs": "{% set s = '\\t' * 100000 %}{{ s.expandtabs(1000) }}",
    "a buffered block": "{% filter upper %}{% for i in range(100000) %}"
                        "{% for j in range(100000) %}x{% endfor %}{% endfor %}{% endfilter %}",
    "a loop printing forever": "{% for i in range(100000) %}{% for j in range(100000) %}"
                               "{{ 'x' * 1000 }}{% endfor %}{% endfor %}",
}


def renderer(source: str) -> PromptRenderer:
    return PromptRenderer((ir.Template("user_turn", source, "spec.bds", "h"),))


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_templates_end_quickly_and_small(source):
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(TemplateError) as e:
        renderer(source).render("user_turn", who="ana")
    elapsed, peak = time.perf_counter() - t0, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert str(e.value).startswith("template `user_turn` (spec.bds)")
    assert e.value.name == "user_turn"
    assert elapsed < MAX_SECONDS + 3
    assert peak < 64e6, f"{peak / 1e6:.0f} MB"


def test_ordinary_template_code_still_works():
    source = ("{{ who|upper }} {{ 3 * 4 }} {{ 'ab' * 2 }} {{ '%05.1f' % 2.5 }} "
              "{{ '{:>4}'.format(7) }} {{ items|map('upper')|join(', ') }} "
              "{% for x in items %}{{ loop.index }}{{ x }}{% endfor %} {{ seed }} "
              "{{ (items|list + ['c'])|length }} {{ 'a\tb'.expandtabs(2) }}")
    out = renderer(source).render("user_turn", who="ana", items=["a", "b"], seed=3000000000)
    assert out == "ANA 12 abab 002.5    7 A, B 1a2b 3000000000 3 a b"


def test_the_renderer_stays_usable_after_a_limit_and_across_threads():
    r = PromptRenderer((ir.Template("user_turn", "{{ 'A' * n }}", "spec.bds", "h"),))
    with pytest.raises(TemplateError):
        r.render("user_turn", n=10**9)
    assert r.render("user_turn", n=3) == "AAA"
    out = []
    worker = threading.Thread(target=lambda: out.append(r.render("user_turn", n=2)))
    worker.start()
    worker.join()
    assert out == ["AA"]


SPECS = sorted((ROOT / "specs").glob("*.bds"))


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_stdlib_prompts_render_as_plain_jinja_renders_them(path, monkeypatch):
    """The box changes no prompt: every example spec's first job renders the same text
    as jinja2's own sandbox renders it."""
    plan = compile_path(path).plan
    job = plan.jobs[0]
    with monkeypatch.context() as m:  # stdlib templates through the box too
        m.setattr(prompts, "_stock_sources", lambda: {})
        bounded = preview_prompts(plan, job)

    plain_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                     keep_trailing_newline=False, trim_blocks=True,
                                     lstrip_blocks=True)

    def plain_render(self, name, **variables):
        return plain_env.from_string(self.sources[name].source).render(**variables).strip()

    monkeypatch.setattr(PromptRenderer, "render", plain_render)
    assert preview_prompts(plan, job) == bounded


def test_only_the_stdlib_text_itself_skips_the_box():
    stock = prompts.std_templates()
    r = PromptRenderer(stock)
    assert r.trusted == {t.name for t in stock}
    user_turn = next(t for t in stock if t.name == "user_turn")
    edited = attrs.evolve(user_turn, source="{{ 'A' * 10**10 }}" + user_turn.source,
                          origin="spec.bds")
    r = PromptRenderer((*[t for t in stock if t.name != "user_turn"], edited))
    assert "user_turn" not in r.trusted
    with pytest.raises(TemplateError, match="stopped"):
        r.render("user_turn")


OVERRIDES = '''
template user_turn """{{ 'A' * 10**10 }}"""
template assistant_turn """{{ no_such_variable }}"""
'''


def test_compile_reports_failing_overrides_on_the_override(tmp_path):
    spec = tmp_path / "spec.bds"
    base = (ROOT / "specs" / "tutorial" / "first_spec.bds").read_text()
    spec.write_text(base + OVERRIDES)
    assert check_path(spec).ok  # parsing finds nothing wrong; the trial render does
    result = compile_path(spec)
    assert result.plan is None
    found = {(d.code, d.span.line): d.message for d in result.diagnostics}
    line = base.count("\n") + 2
    job = "first_coach:new_grad/discouraged_to_motivated/stalled_search:0"
    assert found == {
        ("E263", line): f"template `user_turn` fails a trial render with the variables of job "
                        f"{job}: stopped: `*` would build more than 1,000,000 characters "
                        "(templates are limited in size and time)",
        ("E263", line + 1): f"template `assistant_turn` fails a trial render with the variables "
                            f"of job {job}: 'no_such_variable' is undefined"}


def test_a_good_override_compiles(tmp_path):
    spec = tmp_path / "spec.bds"
    spec.write_text((ROOT / "specs" / "tutorial" / "first_spec.bds").read_text()
                    + 'template user_turn """Say something about {{ topic.title }}."""\n')
    result = compile_path(spec)
    assert result.ok and result.plan is not None


def test_a_deeply_nested_override_is_a_syntax_diagnostic(tmp_path):
    spec = tmp_path / "spec.bds"
    spec.write_text((ROOT / "specs" / "tutorial" / "first_spec.bds").read_text()
                    + 'template user_turn """{{ ' + "(" * 3000 + "1" + ")" * 3000 + ' }}"""\n')
    result = check_path(spec)
    assert [d.code for d in result.diagnostics] == ["E261"]


def test_large_numbers_are_data_unless_they_are_widths():
    source = ("{{ '{:,}'.format(amount) }} {{ '%d' % amount }} {{ '%d'|format(amount) }} "
              "{{ amount|round }} {{ [amount, 1]|max }} {{ amount|filesizeformat }} "
              "{{ 'Call {} on 18005550199'.format(who) }} {{ 'Call %s on 18005550199' % who }} "
              "{{ '{:>6}|%-5s|'.format('ab') }}")
    out = renderer(source).render("user_turn", amount=2_500_000, who="Ana")
    assert out == "2,500,000 2500000 2500000 2500000 2500000 2.5 MB Call Ana on 18005550199 " \
                  "Call Ana on 18005550199     ab|%-5s|"
    with pytest.raises(TemplateError):
        renderer("{{ '%*d' % (amount, 1) }}").render("user_turn", amount=2_500_000)
    with pytest.raises(TemplateError):
        renderer("{{ '{:{w}}'.format(1, w=amount) }}").render("user_turn", amount=2_500_000)
