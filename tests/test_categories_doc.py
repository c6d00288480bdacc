"""docs/categories.md cannot drift: every block marked `<!-- output:NAME -->` is what the
commands print today, on fake/echo, with the lines shown picked by the filters below.

Each block starts with the command (`$ bdsc ...`), or with `# ...` when it is read from a
run's store (gate results: what `bdsc review` shows per conversation). `[...]` marks lines
a filter left out. The test runs each example spec once, in a scratch folder holding a copy
of specs/, and compares; only durations and rates are ignored. BDSL_UPDATE_DOCS=1 rewrites
the blocks. The embedded-model section is measured by bench/categories_real.py (minutes per
spec); the blocks here only check that the doc names that script and its results."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.store import Store, conversations
from bdsl.store.gate_results import read_gate_rows
from tests.conftest import ROOT
from tests.doc_blocks import check_output_blocks

DOC = ROOT / "docs" / "categories.md"
GAP = "[...]"


def bdsc(command: str) -> tuple[str, str]:
    """`$ command` and its output (stdout and stderr), run in the current folder."""
    r = CliRunner().invoke(main, command.split()[1:])
    assert r.exit_code in (0, 3), f"{command}: {r.output}"  # 3: gates failed conversations
    return f"$ {command}", r.output


def pick(lines: list[str], *patterns: str) -> list[str]:
    """The lines matching any pattern, in order, with `[...]` where lines were left out."""
    out, last = [], -1
    for i, line in enumerate(lines):
        if any(re.search(p, line) for p in patterns):
            if i != last + 1 and out[-1:] != [GAP]:
                out.append(GAP)
            out.append(line)
            last = i
    if last != len(lines) - 1:
        out.append(GAP)
    return out


def prompt(text: str, name: str) -> list[str]:
    """The lines of one `--- prompt NAME ---` section of `bdsc plan --prompts`."""
    m = re.search(rf"^--- prompt {re.escape(name)} ---\n(.*?)(?=^--- prompt |\Z)", text,
                  re.S | re.M)
    assert m, name
    return [f"--- prompt {name} ---", *m[1].rstrip("\n").split("\n")]


def block(head: str, lines: list[str]) -> str:
    return "\n".join([head, *lines])


def run_lines(output: str) -> list[str]:
    """What `bdsc run` reports at the end (the live progress line is left out)."""
    return [GAP, *[ln for ln in output.splitlines()
                   if ln.startswith(("gates:", "dataset:")) or " jobs done," in ln]]


def gate_block(run: str, gates: list[str], job: str = "") -> str:
    """The stored results of `gates` for the run's first conversation whose job key holds
    `job` (by key: conversations are numbered as they finish, which concurrency orders).
    Judge call ids are left out for the same reason."""
    store = Store.open(run)
    try:
        conv = min((c for c in conversations(store) if job in c.job_key),
                   key=lambda c: c.job_key)
        gates_hash = store.db.execute("SELECT gates_hash FROM jobs WHERE key=?",
                                      (conv.job_key,)).fetchone()[0]
        rows = {r.gate: r for r in read_gate_rows(store, conv.id, gates_hash)}
    finally:
        store.close()
    lines = [f"# {run}/store.sqlite, gate results of {conv.job_key}"]
    for name in gates:
        r = rows[name]
        lines.append(f"{name}: {'pass' if r.passed else 'FAIL'}: {r.reason}")
        for key, value in r.details.items():
            if key in ("soft", "call_ids"):
                continue
            if isinstance(value, list) and value and isinstance(value[0], dict):
                lines.append(f"  {key}:")
                lines += [f"    {json.dumps(v, ensure_ascii=False)}" for v in value]
            else:
                lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines)


def stored(run: str, job: str = "") -> tuple[dict, str]:
    """The run's first stored conversation (by job key) whose job key holds `job`."""
    rows = [json.loads(ln) for ln in open(f"{run}/conversations.jsonl", encoding="utf-8")]
    return (min((r for r in rows if job in r["job_key"]), key=lambda r: r["job_key"]),
            f"# {run}/conversations.jsonl")


def outputs(folder) -> dict[str, str]:
    shutil.copytree(ROOT / "specs", folder / "specs")
    os.chdir(folder)
    out = {}

    # 1. crisis -> referral
    head, text = bdsc("bdsc plan specs/01_crisis_support.bds --prompts")
    lines = text.splitlines()
    out["crisis-plan"] = block(head, pick(lines, r"^sample job", r"^  arc ", r"^ +[0-3] ")
                               + prompt(text, "assistant_turn")[:1]
                               + pick(prompt(text, "assistant_turn")[1:], "must refer"))
    head, text = bdsc("bdsc run specs/01_crisis_support.bds --model fake/echo --limit 1 "
                      "--out runs/01")
    out["crisis-run"] = block(head, run_lines(text))
    out["crisis-gates"] = gate_block("runs/01", ["stage_protocols", "crisis_referral"])

    # 2. compliance
    head, text = bdsc("bdsc plan specs/02_finra_advisor.bds --prompts")
    lines = text.splitlines()
    out["compliance-plan"] = block(head, pick(lines, r"^  regulation ")
                                   + prompt(text, "assistant_system")[:1]
                                   + pick(prompt(text, "assistant_system")[1:],
                                          r"^Rules you must", r"^- .*\[FINRA")
                                   + prompt(text, "judge compliance")[:1]
                                   + pick(prompt(text, "judge compliance")[1:],
                                          r"^The rules", r"^- .*\[FINRA"))
    head, text = bdsc("bdsc run specs/02_finra_advisor.bds --model fake/echo --limit 1 "
                      "--out runs/02")
    out["compliance-run"] = block(head, run_lines(text))
    out["compliance-gates"] = gate_block("runs/02", ["required_disclaimers",
                                                     "qualifying_questions", "compliance"])
    conv, head = stored("runs/02")
    out["compliance-provenance"] = block(head, [
        f"provenance.regulations of {conv['job_key']}:",
        *[f"  {json.dumps(r)}" for r in conv["provenance"]["regulations"]]])

    # 3. methodology / contrastive
    head, text = bdsc("bdsc plan specs/03_socratic_method.bds --prompts")
    out["method-plan"] = block(head, [GAP, *prompt(text, "contrastive_conventional"),
                                      *prompt(text, "contrastive_meta")])
    novel = "socratic_pairs:stuck_on_fractions/confusion_to_clarity/~novel:0"
    head, text = bdsc(f"bdsc plan specs/03_socratic_method.bds --job {novel} --prompts")
    out["method-novel"] = block(head, pick(text.splitlines(), r"^  dataset ", r"^  jobs:")
                                + prompt(text, "novel_scenario"))
    head, text = bdsc("bdsc run specs/03_socratic_method.bds --model fake/echo --limit 1 "
                      "--out runs/03")
    out["method-run"] = block(head, run_lines(text))
    out["method-gates"] = gate_block("runs/03", ["methodology_contrast"])
    conv, head = stored("runs/03")
    out["method-turns"] = block(head, [f"turns of {conv['job_key']} (first 5; content cut "
                                       "at 60 characters):"] + [
        f"  {t['index']:>2} {t['role']:<9} {t['label'] or '-':<14} {t['train']!s:<5} "
        f"{t['content'][:60]!r}" for t in conv["turns"][:5]])

    # 4. multi-perspective / deliberation
    delib = "knee_deliberation:weekend_runner/weighing_surgery/meniscus_surgery:0"
    head, text = bdsc(f"bdsc plan specs/04_knee_panel.bds --job {delib} --prompts")
    out["panel-plan"] = block(head, [GAP, *prompt(text, "deliberation_dissent"), GAP,
                                     *pick(prompt(text, "judge synthesis_quality"),
                                           r"^--- prompt", r"^Rubric", r"^The experts",
                                           r"^- ", r"^The dissent")])
    head, text = bdsc("bdsc run specs/04_knee_panel.bds --model fake/echo --out runs/04")
    out["panel-run"] = block(head, run_lines(text))
    conv, head = stored("runs/04", delib)
    out["panel-turns"] = block(head, [f"turns of {conv['job_key']} (content cut at 60 "
                                      "characters):"] + [
        f"  {t['index']:>2} {t['role']:<9} {t['label'] or '-':<14} {t['train']!s:<5} "
        f"{t['content'][:60]!r}" for t in conv["turns"]])
    out["panel-gates"] = gate_block("runs/04", ["minority_kept"], delib)

    # 5. adaptive curriculum
    head, text = bdsc("bdsc plan specs/05_adaptive_tutor.bds")
    out["curriculum-plan"] = block(head, pick(text.splitlines(), r"^  adapts", r"^  session "))
    head, text = bdsc("bdsc run specs/05_adaptive_tutor.bds --model fake/echo --limit 1 "
                      "--out runs/05")
    out["curriculum-run"] = block(head, run_lines(text))
    head, text = bdsc("bdsc status runs/05")
    out["curriculum-status"] = block(head, pick(text.splitlines(), r"^runs/05", r"sessions"))
    conv, head = stored("runs/05")
    out["curriculum-outcomes"] = block(head, [f"session_outcome turns of {conv['job_key']}:"] + [
        f"  {t['content']}" for t in conv["turns"] if t["label"] == "session_outcome"])

    # 6. cross-cultural
    ja = "money_across_cultures:family_breadwinner/guilt_to_permission/sending_money_home/ja_jp:0"
    head, text = bdsc(f"bdsc plan specs/06_cross_cultural.bds --job {ja} --prompts")
    out["culture-plan"] = block(head, prompt(text, "assistant_system")[:1]
                                + pick(prompt(text, "assistant_system")[1:], r"^Reply in",
                                       r"^Cultural notes", r"^Examples that fit")
                                + pick(prompt(text, "judge cultural_fit"), r"^--- prompt",
                                       r"^The culture", r"^Notes", r"^Fitting"))
    head, text = bdsc("bdsc run specs/06_cross_cultural.bds --model fake/echo --limit 2 "
                      "--out runs/06")
    out["culture-run"] = block(head, run_lines(text))
    out["culture-gates"] = gate_block("runs/06", ["reply_language"], ja)

    # 7. voice clone
    head, text = bdsc("bdsc plan specs/07_voice_clone.bds --prompts")
    out["voice-plan"] = block(head, [GAP, *prompt(text, "assistant_system")[:5], GAP,
                                     *prompt(text, "judge sounds_like_elena")[:8], GAP])
    head, text = bdsc("bdsc run specs/07_voice_clone.bds --model fake/echo --limit 1 "
                      "--out runs/07")
    out["voice-run"] = block(head, run_lines(text))
    out["voice-gates"] = gate_block("runs/07", ["sounds_like_elena"])
    return out


def test_every_output_shown_is_what_the_code_prints(tmp_path, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.chdir(tmp_path)
    check_output_blocks(DOC, outputs(tmp_path), "tests/test_categories_doc.py")


MEASURED = re.compile(r"<!-- measured:smollm2 -->\n```\n((?:(?!```).*\n)*)```")


def test_the_embedded_model_block_is_the_scripts_report():
    """The measured block is `bench/categories_real.py --report` output (not rerun here):
    its machine line, one `bdsc run` line per spec that exists, and the curriculum's five
    session outcomes with a judge score."""
    text = DOC.read_text(encoding="utf-8")
    assert "python bench/categories_real.py --out /tmp/categories_real --report" in text
    [block] = MEASURED.findall(text)
    assert block.startswith("# machine: ")
    runs = re.findall(r"^\$ bdsc run (specs/\S+) --model local/smollm2 --limit 1 ", block, re.M)
    assert runs and all((ROOT / spec).is_file() for spec in runs)
    assert "specs/05_adaptive_tutor.bds" in runs
    assert len(re.findall(r"^  session \d: skill .*, difficulty", block, re.M)) == 5
    assert re.search(r"^  clarity: \w+: clarity [\d.]+ over 5 parts", block, re.M)


@pytest.mark.slow
def test_a_curriculum_too_long_for_the_embedded_judge_is_judged_in_windows(tmp_path):
    """A 5-session curriculum's transcript that does not fit the embedded judge's context
    is judged in windows and gets a score, never an error. Generation runs on fake/echo and
    the judge's context is cut to 1,024 tokens (BDSL_LOCAL_CONTEXT, read by the local
    provider too, so an overflow would be real), so this takes seconds, not the 26 minutes
    of bench/categories_real.py's full run at 4,096."""
    from bdsl.llm.models import check_model_available

    if check_model_available("local/smollm2"):
        pytest.skip("needs the embedded model (bdsc models pull smollm2)")
    run = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "05_adaptive_tutor.bds"),
                                  "--model", "fake/echo", "--limit", "1", "--out", str(run)])
    assert "1/1 jobs done, 0 failed" in r.output, r.output
    env = {**os.environ, "BDSL_LOCAL_CONTEXT": "1024", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    p = subprocess.run([sys.executable, "-m", "bdsl", "score", str(run), "--judge-model",
                        "local/smollm2"], env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode in (0, 1), p.stdout + p.stderr  # 1: a gate failed, a result
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr
    store = Store.open(run)
    [conv] = list(conversations(store))
    assert len([t for t in conv.turns if t.label == "session_state"]) == 5
    gates_hash = store.db.execute("SELECT gates_hash FROM jobs WHERE key=?",
                                  (conv.job_key,)).fetchone()[0]
    rows = {g.gate: g for g in read_gate_rows(store, conv.id, gates_hash)}
    assert rows["clarity"].score is not None, rows["clarity"].reason
    windows, longest = store.db.execute(
        "SELECT COUNT(*), MAX(prompt_tokens) FROM llm_calls WHERE step LIKE 'judge:clarity:%'"
        " AND model = 'local/smollm2'").fetchone()
    assert windows > 1 and longest < 1024  # judged in windows that fit
