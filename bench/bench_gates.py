"""Labelled gate benchmark: precision, recall and clean false-positive rate per gate.

    .venv/bin/python bench/bench_gates.py            # the markdown tables (docs/gates.md)
    .venv/bin/python bench/bench_gates.py --json     # every count, machine-readable

Conversations are assembled with a seeded Random from hand-written ESConv-style pools
(bench/data/gates/corpus.yaml). Clean controls are left as built or carry hard cases that
must pass (crisis turns answered well, idioms, negated claims, reworded disclaimers);
defects are injected one kind at a time from hand-written cases (gate_cases.yaml,
crisis_phrases.yaml). Everything is scored as ONE input file through the product path,
bdsl.gates.external.score_records (what `bdsc gate` runs), with the spec
bench/data/gates/bench.bds. For gate G, positives are the conversations with a G defect
and negatives are all clean controls; conversations with another gate's defect do not
count for G. "flagged" = the gate did not pass (hard or soft); "hard" = it failed outright.

The crisis phrasings come in a `dev` set (the lexicon was tuned on it) and a `heldout` set
written before the lexicon and never used to tune it; they are reported apart.
The baseline for the ratios is the gates as they were before issue 8 (--baseline measures
it again when given the path of that checkout's bdsl package; see docs/gates.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "gates"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GATES = ("crisis_referral", "not_truncated", "alternating_roles", "no_near_duplicates",
         "forbidden_claims", "required_disclaimers")
FINANCE = "This is general information, not financial advice."
MEDICAL = "I'm not a doctor, and this isn't medical advice."
GREETING = "Hi, I'm here to listen. What's on your mind today?"
DUP_THRESHOLD = 0.85  # bench.bds: no_near_duplicates threshold 0.85
OUT_OF_REACH = "(lexical: out of reach)"  # subsets a lexical gate cannot catch by design


def jaccard(a: list[dict], b: list[dict]) -> float:
    """Exact Jaccard of the assistant text's shingles, as no_near_duplicates defines it."""
    from bdsl.gates.dataset_checks import shingles

    x, y = (shingles(" ".join(m["content"] for m in c if m["role"] == "assistant"))
            for c in (a, b))
    return len(x & y) / len(x | y)


def load(name: str) -> dict:
    import yaml

    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


class Corpus:
    """Builds the labelled conversations."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.pools = load("corpus.yaml")
        self.cases = load("gate_cases.yaml")
        self.phrases = load("crisis_phrases.yaml")
        self.items: list[dict] = []  # {key, messages, finish_reason, kind, gate, subset}

    # -- clean conversations ------------------------------------------------------------
    def conversation(self) -> list[dict]:
        rng, pools = self.rng, self.pools
        topic_name = rng.choice(sorted(pools["topics"]))
        topic, sup = pools["topics"][topic_name], pools["supporter"]
        name = rng.choice(pools["names"])

        def fill(s: str) -> str:
            return s.replace("{friend}", name).replace("{phrase}", topic["phrase"])

        stages = ["open"] + sorted(rng.sample(["detail", "feeling", "reply"], rng.randint(1, 3)),
                                   key=["detail", "feeling", "reply"].index)
        if rng.random() < 0.6:
            stages.append("close")
        replies = {
            "open": lambda: [rng.choice(sup["reflection"]), rng.choice(sup["question"])],
            "detail": lambda: [rng.choice(sup["restatement"] + sup["reflection"]),
                               rng.choice(sup["question"])],
            "feeling": lambda: [rng.choice(sup["affirmation"] + sup["self_disclosure"]),
                                rng.choice(topic["suggest"] + sup["information"])],
            "reply": lambda: [rng.choice(topic["suggest"]), rng.choice(sup["affirmation"])],
            "close": lambda: [rng.choice(sup["closing"])],
        }
        msgs = []
        for stage in stages:
            msgs.append({"role": "user", "content": fill(rng.choice(topic[stage]))})
            msgs.append({"role": "assistant", "content": fill(" ".join(replies[stage]()))})
        return msgs

    def add(self, messages, kind: str, gate: str | None, subset: str, finish_reason=None):
        item = {"key": f"c{len(self.items):04d}", "messages": messages, "kind": kind,
                "gate": gate, "subset": subset}
        if finish_reason:
            item["finish_reason"] = finish_reason
        self.items.append(item)
        return item

    def user_turns(self, msgs):
        return [i for i, m in enumerate(msgs) if m["role"] == "user"]

    # -- the labelled set ---------------------------------------------------------------
    def build(self, clean: int = 300) -> list[dict]:
        base = [self.add(self.conversation(), "clean", None, "clean: as built")
                for _ in range(clean)]
        self.crisis()
        self.truncation()
        self.roles()
        self.duplicates(base)
        self.claims()
        self.disclaimers()
        return self.items

    def _crisis_turn(self, phrase: str, reply: str) -> list[dict]:
        msgs = self.conversation()
        u = self.rng.choice(self.user_turns(msgs)[:2])
        msgs[u] = {"role": "user", "content": f"{msgs[u]['content']} {phrase}"}
        msgs[u + 1] = {"role": "assistant", "content": reply}
        return msgs

    def crisis(self):
        c, rng = self.cases["crisis_replies"], self.rng
        for split in ("dev", "heldout"):
            for phrase in self.phrases[split]["positive"]:
                self.add(self._crisis_turn(phrase, rng.choice(c["ordinary"])), "crisis",
                         "crisis_referral", f"crisis turn ({split} phrasing), no referral")
            for i, phrase in enumerate(self.phrases[split]["positive"]):
                self.add(self._crisis_turn(phrase, c["good"][i % len(c["good"])]),
                         "crisis_good", None, f"clean: crisis turn ({split}) answered with "
                         "a referral")
            for phrase in self.phrases[split]["negative"]:
                self.add(self._crisis_turn(phrase, rng.choice(c["ordinary"])), "idiom", None,
                         f"clean: idiom / hard negative ({split})")
        dev = self.phrases["dev"]["positive"]
        for i, reply in enumerate(c["advice"] * 3):
            self.add(self._crisis_turn(dev[(7 * i) % len(dev)], reply), "crisis_advice",
                     "crisis_referral", "crisis reply with a referral and advice")

    def truncation(self, with_reason: int = 40, text_only: int = 80, casual: int = 40):
        rng = self.rng
        for n, subset in ((with_reason, "cut, finish_reason \"length\" on the message"),
                          (text_only, "cut, no finish_reason (text heuristic)")):
            for _ in range(n):
                msgs = self.conversation()
                a = rng.choice([i for i, m in enumerate(msgs) if m["role"] == "assistant"])
                msgs[a] = dict(msgs[a], content=self._cut(msgs[a]["content"]))
                if "length" in subset:
                    msgs[a]["finish_reason"] = "length"
                self.add(msgs, "truncated", "not_truncated", subset)
        for _ in range(20):
            self.add(self.conversation(), "clean", None, "clean: record finish_reason \"stop\"",
                     finish_reason="stop")
        for _ in range(casual):
            msgs = self.conversation()
            for m in msgs:
                if m["role"] == "assistant":
                    m["content"] = rng.choice(self.pools["casual_supporter"])
            self.add(msgs, "casual", None, "casual style: replies without final full stops")

    def _cut(self, text: str) -> str:
        """Cut where a token limit might: at a word boundary or inside a word."""
        words = text.split(" ")
        k = self.rng.randint(2, len(words) - 1)
        out = " ".join(words[:k])
        if self.rng.random() < 0.4 and len(words[k]) > 3:
            out += " " + words[k][:self.rng.randint(1, len(words[k]) - 2)]
        return out

    def roles(self):
        kinds = (("ends on a user turn", 40, lambda m: m[:-1]),
                 ("two user turns in a row", 20, lambda m: m[:1] + m[2:]),
                 ("two assistant turns in a row", 20, lambda m: m[:2] + m[3:]),
                 ("opens with the assistant", 20,
                  lambda m: [{"role": "assistant", "content": GREETING}] + m))
        for subset, n, change in kinds:
            for _ in range(n):
                self.add(change(self.conversation()), "roles", "alternating_roles", subset)

    def duplicates(self, base: list[dict], exact: int = 30, near: int = 30):
        rng = self.rng
        for item in rng.sample(base, exact):
            self.add(json.loads(json.dumps(item["messages"])), "copy", "no_near_duplicates",
                     "exact copy of an earlier conversation")
        for item in rng.sample(base, near):
            copy = self._lightly_edited(item["messages"])
            j = jaccard(item["messages"], copy)
            if j >= DUP_THRESHOLD:
                self.add(copy, "copy", "no_near_duplicates", "near copy (case, quotes, "
                         "punctuation, a name and a word changed), Jaccard >= 0.85")
            else:  # below the gate's own definition of "near": not a defect, reported apart
                self.add(copy, "copy_below", "not a defect", "near copy below the threshold "
                         "(Jaccard < 0.85: not a defect by the gate's definition)")

    def _lightly_edited(self, msgs: list[dict]) -> list[dict]:
        rng, names = self.rng, self.pools["names"]
        out = []
        for m in msgs:
            text = m["content"]
            for name in names:
                text = re.sub(rf"\b{name}\b", "Alex", text)
            text = text.replace("'", "\u2019").replace(",", "")
            if m["role"] == "assistant" and rng.random() < 0.5:
                text = text.upper() if rng.random() < 0.2 else text.lower()
            out.append(dict(m, content=text))
        a = [i for i, m in enumerate(out) if m["role"] == "assistant"]
        i = rng.choice(a)
        out[i] = dict(out[i], content=re.sub(r"\b(really|so|very|a lot)\b", "truly",
                                             out[i]["content"], count=1))
        return out

    def _with_assistant(self, text: str, user: str | None = None) -> list[dict]:
        msgs = self.conversation()
        a = self.rng.choice([i for i, m in enumerate(msgs) if m["role"] == "assistant"])
        msgs[a] = {"role": "assistant", "content": text}
        if user is not None:
            msgs[a - 1] = {"role": "user", "content": user}
        return msgs

    def claims(self, copies: int = 3):
        c, sup = self.cases["claims"], self.pools["supporter"]
        rng = self.rng

        def reply(claim: str) -> str:
            text = f"{rng.choice(sup['reflection'])} {claim}"
            return f"{text} {FINANCE}" if re.search(r"invest|fund|crypto|stock", claim, re.I) \
                else text

        groups = (("literal", "forbidden_claims", "claim as written (normalized)"),
                  ("paraphrase", "forbidden_claims", "claim in other words " + OUT_OF_REACH),
                  ("negated", None, "clean: claim denied"),
                  ("warned", None, "clean: claim warned about"),
                  ("reported", None, "clean: claim quoted or reported (review expected)"))
        for key, gate, subset in groups:
            for _ in range(copies):
                for claim in c[key]:
                    self.add(self._with_assistant(reply(claim)), f"claim_{key}", gate, subset)

    def disclaimers(self, copies: int = 4):
        d, c = self.cases["disclaimers"], self.cases["crisis_replies"]
        for _ in range(copies):
            for text in d["spec_trigger"]:
                self.add(self._with_assistant(text), "disclaimer", "required_disclaimers",
                         "missing; the turn has a trigger word")
            for user in d["user_trigger"]:
                self.add(self._with_assistant(self.rng.choice(c["ordinary"]), user=user),
                         "disclaimer", "required_disclaimers",
                         "missing; the user's turn has a trigger word")
            for i, variant in enumerate(d["present_variants"]):
                medical = "doctor" in variant
                text = d["spec_trigger"][4 if medical else i % 4]
                self.add(self._with_assistant(f"{text} {variant}"), "disclaimer_ok", None,
                         "clean: disclaimer present, written differently")
        for _ in range(3):
            for text in d["domain_only"]:
                self.add(self._with_assistant(text), "disclaimer_domain",
                         "required_disclaimers", "missing; only domain words, no trigger word")


def score(items: list[dict]) -> dict:
    """gate -> key -> (flagged, hard) through the bdsc gate library."""
    from bdsl.compiler.pipeline import compile_path
    from bdsl.gates import external

    plan = compile_path(str(DATA / "bench.bds")).plan
    s = external.setup(plan)
    records = {it["key"]: {k: it[k] for k in ("messages", "finish_reason") if k in it}
               for it in items}
    scored = asyncio.run(external.score_records(s, records))
    out: dict = defaultdict(dict)
    for sc in scored:
        for row in sc.rows:
            out[row.gate][sc.key] = (not row.passed, not row.passed and not row.soft)
    return out


def score_baseline(items: list[dict]) -> dict:
    """The same items through the gates as they were before issue 8 (bench/baseline_gates.py)
    the way the old `bdsc gate` applied them: messages without finish_reason, no arc, and
    no dataset gates (no_near_duplicates never ran, so it never flagged)."""
    import importlib.util

    from bdsl.compiler.pipeline import compile_path
    from bdsl.gates import external
    from bdsl.gates.view import GateContext, Turn

    spec = importlib.util.spec_from_file_location("baseline_gates",
                                                  ROOT / "bench" / "baseline_gates.py")
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    s = external.setup(compile_path(str(DATA / "bench.bds")).plan)
    ctx = GateContext(None, s.ctx.compliance)
    out: dict = defaultdict(dict)
    for it in items:
        visible = [m for m in it["messages"] if m.get("role") != "system"]
        turns = [Turn(i, m["role"], str(m.get("content", ""))) for i, m in enumerate(visible)]
        for g in s.gates:
            if g.metric == "no_near_duplicates":
                out[g.name][it["key"]] = (False, False)
                continue
            row = getattr(old, g.metric)(g, turns, ctx)
            out[g.name][it["key"]] = (not row.passed, not row.passed and not row.soft)
    return out


def measure(items: list[dict], results: dict) -> dict:
    """Per gate: recall by defect subset, false positives by clean subset, precision."""
    clean = [it for it in items if it["gate"] is None and it["kind"] != "casual"]
    casual = [it for it in items if it["kind"] == "casual"]
    report = {}
    for gate in GATES:
        res = results[gate]
        pos = [it for it in items if it["gate"] == gate and OUT_OF_REACH not in it["subset"]]
        beyond = [it for it in items if it["gate"] == gate and OUT_OF_REACH in it["subset"]]
        tp = sum(res[it["key"]][0] for it in pos)
        fp = sum(res[it["key"]][0] for it in clean)
        subsets = defaultdict(lambda: [0, 0, 0])  # n, flagged, hard
        for it in pos + beyond + clean + casual + [i for i in items if i["kind"] == "copy_below"]:
            s = subsets[it["subset"]]
            s[0] += 1
            s[1] += res[it["key"]][0]
            s[2] += res[it["key"]][1]
        report[gate] = {
            "positives": len(pos), "flagged": tp,
            "recall": round(tp / len(pos), 3) if pos else None,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "clean": len(clean), "clean_flagged": fp,
            "clean_fpr": round(fp / len(clean), 4),
            "clean_hard": sum(res[it["key"]][1] for it in clean),
            "subsets": {k: {"n": v[0], "flagged": v[1], "hard": v[2]}
                        for k, v in sorted(subsets.items())},
        }
    return report


def lexicon(split: str) -> dict:
    """Phrase-level figures of the crisis lexicon alone."""
    from bdsl.gates import crisis

    phrases = load("crisis_phrases.yaml")[split]
    found = [bool(crisis.signals(p)) for p in phrases["positive"]]
    false = [bool(crisis.signals(p)) for p in phrases["negative"]]
    return {"positives": len(found), "detected": sum(found),
            "negatives": len(false), "false_alarms": sum(false),
            "missed": [p for p, f in zip(phrases["positive"], found, strict=True) if not f]}


def run(seed: int = 7, clean: int = 300) -> dict:
    t0 = time.perf_counter()
    items = Corpus(seed).build(clean)
    report = measure(items, score(items))
    before = measure(items, score_baseline(items))
    return {"seed": seed, "conversations": len(items), "gates": report, "baseline": before,
            "lexicon": {s: lexicon(s) for s in ("dev", "heldout")},
            "seconds": round(time.perf_counter() - t0, 1)}


def markdown(r: dict) -> str:
    """The tables docs/gates.md shows (a test compares them with a fresh run)."""
    lines = [f"{r['conversations']} conversations (seed {r['seed']}), one input file.", "",
             "Headline: defects a lexical gate can reach; subsets marked "
             f"{OUT_OF_REACH} are listed below and need the judged layer.", "",
             "| gate | defects | recall | precision | clean FPR (any flag) | clean FPR (hard) "
             "| recall before | ratio | clean FPR before |",
             "|---|---|---|---|---|---|---|---|---|"]
    for gate, g in r["gates"].items():
        b = r["baseline"][gate]
        ratio = f"{g['recall'] / b['recall']:.1f}x" if b["recall"] else "n/a (was 0)"
        lines.append(f"| `{gate}` | {g['positives']} | {g['recall']:.3f} | "
                     f"{g['precision']:.3f} | {g['clean_flagged']}/{g['clean']} = "
                     f"{g['clean_fpr']:.2%} | {g['clean_hard']}/{g['clean']} | "
                     f"{b['recall']:.3f} | {ratio} | {b['clean_flagged']}/{b['clean']} |")
    lines += ["", "| gate | subset | n | flagged | hard | flagged before |",
              "|---|---|---|---|---|---|"]
    for gate, g in r["gates"].items():
        for name, s in g["subsets"].items():
            own = not name.startswith(("clean", "casual", "near copy below"))
            shown = (own or s["flagged"] or r["baseline"][gate]["subsets"][name]["flagged"]
                     or (name.startswith("casual") and gate == "not_truncated")
                     or (name.startswith("near copy below") and gate == "no_near_duplicates"))
            if shown and not (name.startswith("casual") and gate != "not_truncated"):
                was = r["baseline"][gate]["subsets"][name]["flagged"]
                lines.append(f"| `{gate}` | {name} | {s['n']} | {s['flagged']} | {s['hard']} "
                             f"| {was} |")
    lines += ["", "| crisis phrasings (lexicon alone) | detected | hard negatives flagged |",
              "|---|---|---|"]
    for split, x in r["lexicon"].items():
        lines.append(f"| {split} | {x['detected']}/{x['positives']} | "
                     f"{x['false_alarms']}/{x['negatives']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--clean", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = run(args.seed, args.clean)
    print(json.dumps(r, indent=2) if args.json else markdown(r))
    if not args.json:
        print(f"\n({r['seconds']} s)")


if __name__ == "__main__":
    main()
