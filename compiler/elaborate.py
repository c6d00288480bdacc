"""Check every declaration against the schema and build its IR entity.

Elaboration is on demand and memoized, so an arc can ask for its emotions'
valence and a persona for its parent; `extends` chains are merged here
(child fields win, `map` fields merge key by key) and cycles are reported.
"""

from __future__ import annotations

from collections import defaultdict

import attrs

from bdsl import ast, ir
from bdsl.compiler import rule_words
from bdsl.compiler.gates import gate_entity
from bdsl.compiler.resolve import GATE, Symbol, Symbols
from bdsl.compiler.schema import KINDS, FieldSpec
from bdsl.compiler.values import INVALID, ValueReader, compile_pattern
from bdsl.diagnostics import Diagnostic, Related, did_you_mean, error, warning
from bdsl.kinds import MASTERED, SESSION_OUTCOMES, RuleKind

Fields = dict[str, list[ast.Field]]


@attrs.define
class DatasetDecl:
    """A dataset with its references resolved to symbols; lower.py expands the matrix."""

    symbol: Symbol
    values: dict  # field name -> read value (INVALID-free when the dataset checked clean)
    fields: Fields


class Elaborator:
    def __init__(self, symbols: Symbols, diags: list[Diagnostic]):
        self.symbols = symbols
        self.diags = diags
        self.read = ValueReader(symbols, diags)
        self.done: dict[Symbol, object] = {}
        self.named: dict[tuple[str, str], object] = {}  # (kind, plan name) -> entity
        self.in_progress: set[Symbol] = set()
        self.names = self._plan_names()
        self.module_by_path = {m.source.path: key for key, m in symbols.graph.modules.items()}

    # -- naming ---------------------------------------------------------------------
    def _plan_names(self) -> dict[Symbol, str]:
        """Short names in the plan; qualified only where two modules share one."""
        by_short: dict[tuple[str, str], list[Symbol]] = defaultdict(list)
        for s in self.symbols.all_symbols():
            by_short[(s.kind, s.name)].append(s)
        names = {}
        for group in by_short.values():
            # A spec's own declaration keeps the short name over a stdlib one it shadows.
            own = [s for s in group if not s.module.startswith("std.")]
            for s in group:
                short = len(group) == 1 or (len(own) == 1 and s is own[0])
                names[s] = s.name if short else f"{_module_short(s.module)}.{s.name}"
        return names

    def name(self, sym: Symbol) -> str:
        return self.names[sym]

    # -- entry points -----------------------------------------------------------------
    def elaborate_all(self) -> None:
        for sym in self.symbols.all_symbols():
            self.get(sym)

    def get(self, sym: Symbol):
        if sym in self.done:
            return self.done[sym]
        if sym in self.in_progress:
            return INVALID  # a cycle; reported where the `extends` chain closes
        self.in_progress.add(sym)
        try:
            result = self._build(sym)
        finally:
            self.in_progress.discard(sym)
        self.done[sym] = result
        if result is not INVALID:
            self.named[(sym.kind, self.name(sym))] = result
        return result

    def _build(self, sym: Symbol):
        if sym.kind == GATE:
            return gate_entity(self.name(sym), sym.node, self.diags)
        spec = KINDS.get(sym.kind)
        decl = sym.node
        if spec is None:
            near = did_you_mean(sym.kind, list(KINDS) + ["gate"])
            self.diags.append(error("E200", f"unknown declaration kind `{sym.kind}`", decl.kind.span,
                                    hint=f"did you mean `{near}`?" if near else
                                    "kinds: " + ", ".join(sorted(KINDS)) + ", gate"))
            return INVALID
        fields = self.fields_of(sym, spec)
        values = self._read_fields(sym, spec, fields)
        builder = getattr(self, "_" + sym.kind, None)
        if values is INVALID:
            return INVALID
        return builder(sym, values, fields) if builder else values

    # -- fields -----------------------------------------------------------------------
    def fields_of(self, sym: Symbol, spec) -> Fields:
        decl: ast.Decl = sym.node
        own: Fields = defaultdict(list)
        for value, fname in zip(decl.positional, spec.positional, strict=False):
            own[fname].append(ast.Field(ast.Name(fname, value.span), value, (), value.span))
        if len(decl.positional) > len(spec.positional):
            extra = decl.positional[len(spec.positional)]
            self.diags.append(error(
                "E215", f"`{sym.kind}` takes {len(spec.positional) or 'no'} value(s) after its name",
                extra.span, hint="put settings in the { } body" if spec.positional == () else
                f"header values are: {', '.join(spec.positional)}"))
        if decl.body is not None:
            for f in decl.body.fields:
                own[f.key.text].append(f)
        if decl.extends is None:
            return dict(own)
        if not spec.extendable:
            self.diags.append(error("E207", f"`{sym.kind}` declarations cannot use `extends`",
                                    decl.extends.span))
            return dict(own)
        parent = self.symbols.lookup(sym.module, decl.extends, sym.kind)
        if isinstance(parent, Diagnostic):
            self.diags.append(parent)
            return dict(own)
        chain = self._extends_chain(sym)
        if chain is None:
            return dict(own)
        merged = dict(self.fields_of(parent, spec))
        for key, items in own.items():
            fs = spec.field(key)
            if fs and fs.type.startswith("map:") and key in merged:
                merged[key] = [_merge_maps(merged[key][-1], items[-1])]
            else:
                merged[key] = items
        return merged

    def _extends_chain(self, sym: Symbol) -> list[Symbol] | None:
        seen = [sym]
        cur = sym
        while cur.node.extends is not None:
            nxt = self.symbols.lookup(cur.module, cur.node.extends, cur.kind)
            if isinstance(nxt, Diagnostic):
                return seen
            if nxt in seen:
                path = " -> ".join(s.name for s in seen + [nxt])
                if cur is sym or nxt is sym:
                    self.diags.append(error("E206", f"`extends` cycle: {path}",
                                            sym.node.extends.span,
                                            related=[Related(nxt.node.name.span, "cycle closes here")]))
                return None
            seen.append(nxt)
            cur = nxt
        return seen

    def _read_fields(self, sym: Symbol, spec, fields: Fields):
        values: dict = {}
        ok = True
        decl = sym.node
        if spec.qualifier:
            q = decl.qualifier
            inherited = self._inherited_qualifier(sym) if q is None else None
            if q is None and inherited is None and spec.qualifier_required:
                ok = False
                self.diags.append(error("E214", f"{sym.kind} `{sym.name}` needs a side: "
                                        + " or ".join(f"`: {x}`" for x in spec.qualifier),
                                        decl.name.span,
                                        hint=f"e.g. `{sym.kind} {sym.name} : {spec.qualifier[0]} {{`"))
            elif q is not None and q.text not in spec.qualifier:
                ok = False
                near = did_you_mean(q.text, spec.qualifier)
                self.diags.append(error("E214", f"`{q.text}` is not a valid side for a {sym.kind}",
                                        q.span, hint=f"did you mean `{near}`?" if near else
                                        "use " + " or ".join(spec.qualifier)))
            values["_qualifier"] = q.text if q else inherited
        elif decl.qualifier is not None:
            self.diags.append(error("E214", f"`{sym.kind}` takes no `: {decl.qualifier.text}`",
                                    decl.qualifier.span))
        for key, items in fields.items():
            fs: FieldSpec | None = spec.field(key)
            if fs is None:
                near = did_you_mean(key, [f.name for f in spec.fields])
                for f in items:
                    self.diags.append(error(
                        "E210", f"unknown field `{key}` in {sym.kind} `{sym.name}`", f.key.span,
                        hint=f"did you mean `{near}`?" if near else
                        f"{sym.kind} fields: " + ", ".join(x.name for x in spec.fields)))
                ok = False
                continue
            if len(items) > 1 and not fs.repeat:
                self.diags.append(error("E211", f"`{key}` is set twice in {sym.kind} `{sym.name}`",
                                        items[1].key.span,
                                        related=[Related(items[0].key.span, "first set here")]))
                ok = False
            read = []
            for f in items if fs.repeat else items[-1:]:
                v = self.read.read(f.value, fs.type, self._scope_of(f, sym), key)
                mods = {}
                for m in f.modifiers:
                    if m.keyword not in fs.modifiers:
                        self.diags.append(error(
                            "E213", f"`{key}` takes no `{m.keyword}` clause", m.span,
                            hint=("it takes " + ", ".join(f"`{x}`" for x in fs.modifiers))
                            if fs.modifiers else "put the next field on its own line"))
                        ok = False
                        continue
                    mods[m.keyword] = self._modifier(m)
                if v is INVALID or INVALID in mods.values():
                    ok = False
                read.append((v, mods, f))
            values[key] = read if fs.repeat else read[0][0] if read else None
        for fs in spec.fields:
            if fs.required and fs.name not in fields:
                ok = False
                self.diags.append(error("E212", f"{sym.kind} `{sym.name}` is missing `{fs.name}`",
                                        decl.name.span, hint=f"add `{fs.name}`: {fs.doc}"
                                        if fs.doc else None))
        return values if ok else INVALID

    def _scope_of(self, f: ast.Field, sym: Symbol) -> str:
        # Fields inherited through `extends` resolve names in the module that wrote them.
        return self.module_by_path.get(f.span.path, sym.module)

    def _inherited_qualifier(self, sym: Symbol) -> str | None:
        chain = self._extends_chain(sym) or [sym]
        for s in chain:
            if s.node.qualifier is not None:
                return s.node.qualifier.text
        return None

    def _modifier(self, m: ast.Modifier):
        if isinstance(m.value, ast.Regex):
            return compile_pattern(m.value, self.diags)
        if isinstance(m.value, ast.Str):
            return m.value.value
        self.diags.append(error("E220", f"`{m.keyword}` expects a string or a /regex/", m.value.span))
        return INVALID

    # -- kinds ------------------------------------------------------------------------
    def _family(self, sym, v, fields):
        return v

    def _emotion(self, sym, v, fields):
        family = v.get("family")
        if family is not None and v.get("band") is None:
            self.diags.append(error("E212", f"emotion `{sym.name}` names a family but no `band`",
                                    sym.node.name.span, hint="add `band low|mid|high`"))
        return ir.Emotion(self.name(sym), self.name(family) if family else "complex",
                          v.get("band") or "", v["valence"], v["arousal"],
                          v.get("description") or "",
                          tuple(self.name(b) for b in v.get("blend") or ()))

    def _persona(self, sym, v, fields):
        base = v.get("baseline")
        return ir.Persona(
            name=self.name(sym), side=v["_qualifier"] or "user", summary=v["summary"],
            display_name=v.get("name") or "",
            baseline=ir.EmotionPoint(self.name(base[0]), base[1]) if base else None,
            traits=tuple(ir.Trait(k, x) for k, x in (v.get("traits") or {}).items()),
            voice=v.get("voice") or "", background=v.get("background") or "",
            goals=tuple(v.get("goals") or ()), triggers=tuple(v.get("triggers") or ()),
            signature_phrases=tuple(v.get("signature_phrases") or ()),
            storytelling=v.get("storytelling") or "", humor=v.get("humor") or "",
            boundaries=tuple(v.get("boundaries") or ()), principles=tuple(v.get("principles") or ()))

    def _arc(self, sym, v, fields):
        lo, hi = v["turns"]
        span = fields["turns"][-1].value.span
        if not (float(lo).is_integer() and float(hi).is_integer()) or lo < 2:
            self.diags.append(error("E221", "arc `turns` is a range of whole message counts, "
                                    "at least 2", span))
            return INVALID
        opens = v.get("opens") or "user"
        closes = v.get("closes") or "assistant"
        if not any((n % 2 == 1) == (opens == closes) for n in range(int(lo), int(hi) + 1)):
            self.diags.append(error("E226", f"no conversation of {int(lo)}..{int(hi)} messages "
                                    f"opens with {opens} and closes with {closes}", span,
                                    hint="widen the range by one message"))
            return INVALID
        user_turns_min = (int(lo) + (1 if opens == "user" else 0)) // 2
        stages = []
        for emo_sym, intensity, turns, strategy in v["stages"]:
            emo = self.get(emo_sym)
            if strategy is not None and self.get(strategy) is INVALID:
                return INVALID
            stages.append(ir.ArcStage(self.name(emo_sym), intensity,
                                      emo.valence if isinstance(emo, ir.Emotion) else 0.0, turns,
                                      self.name(strategy) if strategy is not None else ""))
        stage_span = fields["stages"][-1].value.span
        if len(stages) > user_turns_min:
            self.diags.append(error(
                "E245", f"arc `{sym.name}` has {len(stages)} stages but its shortest conversation "
                f"({int(lo)} messages) has only {user_turns_min} user turns", stage_span,
                hint=f"raise `turns` to at least {2 * len(stages)}..{max(int(hi), 2 * len(stages))} "
                     "or merge stages"))
            return INVALID
        last = 0
        for st in stages:
            if st.turns is None:
                continue
            if st.turns[0] <= last:
                self.diags.append(error("E225", "stage turn ranges must increase and not overlap",
                                        stage_span))
                return INVALID
            last = st.turns[1]
        return ir.Arc(self.name(sym), tuple(stages), int(lo), int(hi), v.get("description") or "",
                      opens, v.get("closes") or "assistant")

    def _topic(self, sym, v, fields):
        return ir.Topic(self.name(sym), v["title"], v.get("description") or "",
                        v.get("domain") or "", tuple(v.get("tags") or ()))

    def _strategy(self, sym, v, fields):
        lo, hi = v.get("intensity") or (None, None)
        if lo is not None and not (0 <= lo <= hi <= 1):
            self.diags.append(error("E221", "strategy intensity must be a range within 0..1",
                                    fields["intensity"][-1].value.span))
            return INVALID
        return ir.Strategy(self.name(sym), v["description"], lo, hi,
                           tuple(v.get("techniques") or ()), tuple(v.get("avoid") or ()),
                           v.get("protocol"), v.get("escalation") or "")

    def _perspective(self, sym, v, fields):
        return ir.Perspective(self.name(sym), v["title"], v.get("role") or "",
                              v.get("focus") or "", tuple(v.get("blind_spots") or ()),
                              tuple(v.get("values") or ()))

    def _panel(self, sym, v, fields):
        members = v["members"]
        if len(members) < 2:
            self.diags.append(error("E221", "a panel needs at least two perspectives",
                                    fields["members"][-1].value.span))
            return INVALID
        show = v.get("show")
        if show is not None and not 1 <= show <= len(members):
            self.diags.append(error("E221", f"`show` must be between 1 and {len(members)}",
                                    fields["show"][-1].value.span))
            return INVALID
        minority = v.get("minority")
        if minority is not None and minority not in members:
            self.diags.append(error("E221", "`minority` must be one of the panel's members",
                                    fields["minority"][-1].value.span,
                                    hint="members: " + ", ".join(self.name(m) for m in members)))
            return INVALID
        return ir.Panel(self.name(sym), v["mode"], tuple(self.name(m) for m in members),
                        bool(v.get("protect_minority")) or minority is not None,
                        v.get("synthesis") or "decisive", show or min(3, len(members)),
                        True if v.get("bad_synthesis") is None else v["bad_synthesis"],
                        self.name(minority) if minority is not None else "")

    def _culture(self, sym, v, fields):
        return ir.Culture(self.name(sym), v["locale"], v["language"], v.get("politeness") or "medium",
                          v.get("directness") or "medium", v.get("formality") or "medium",
                          tuple(v.get("honorifics") or ()), tuple(v.get("taboo_topics") or ()),
                          tuple(v.get("references") or ()), v.get("notes") or "")

    def _compliance(self, sym, v, fields):
        regs = tuple(v.get("regulation") or ())
        rules = []
        for kind in RuleKind:
            for value, mods, f in v.get(kind) or ():
                rule = self._rule(kind, value, mods, f, regs)
                if rule is INVALID:
                    return INVALID
                rules.append(rule)
        return ir.Compliance(self.name(sym), tuple(rules), regs)

    def _rule(self, kind: RuleKind, value, mods: dict, f: ast.Field, regs: tuple[str, ...]):
        """One compliance rule with its words (`about`, `meaning`, or read off its regexes),
        the sentence prompts use, and the regulation(s) it implements."""
        regex = kind in (RuleKind.FORBID, RuleKind.REQUIRE)
        pattern = value if regex else None
        text = "" if regex else value
        when = mods.get("when")
        if isinstance(when, str):
            self.diags.append(error("E220", "`when` expects a /regex/", f.span))
            return INVALID
        if kind == RuleKind.ESCALATE and "to" not in mods:
            self.diags.append(error("E212", "`escalate` needs `to \"who\"`", f.span,
                                    hint='e.g. escalate "crisis" to "988 Suicide & Crisis '
                                         'Lifeline" when /suicid/i'))
            return INVALID
        words = {k: mods.get(k, "") for k in ("to", "because", "about", "meaning", "under")}
        bad = [k for k, x in words.items() if not isinstance(x, str)]
        if bad:
            self.diags.append(error("E220", f"`{bad[0]}` expects a string", _mod_span(f, bad[0])))
            return INVALID
        under = words["under"]
        if under and regs and under not in regs:
            near = did_you_mean(under, regs)
            self.diags.append(error(
                "E271", f"`under \"{under}\"`: this block cites {', '.join(regs)}",
                _mod_span(f, "under"), hint=f"did you mean `{near}`?" if near else
                f"add \"{under}\" to the block's `regulation [...]`"))
            return INVALID
        if under and not regs:
            self.diags.append(error("E271", f"`under \"{under}\"` but the block cites no "
                                    "regulation", _mod_span(f, "under"),
                                    hint=f'add `regulation ["{under}"]` to the block'))
            return INVALID
        if not under and len(regs) > 1:
            self.diags.append(warning(
                "W273", f"this {kind} rule does not say which of {', '.join(regs)} it "
                "implements; the audit trail will name all of them", f.key.span,
                hint=f'add `under "{regs[0]}"` (or the one it implements)'))
        rule_regs = (under,) if under else regs
        about = rule_words.trigger_words(words["about"], when)
        if about is None:
            self.diags.append(warning(
                "W272", f"the {kind} rule's trigger is too complex to describe in words; "
                "prompts will not say what it is about", _mod_span(f, "when"),
                hint='add `about "..."`, e.g. about "investing or stocks"'))
            about = ""
        sentence = rule_words.instruction(kind, text, about, words["meaning"], pattern,
                                          words["to"], words["because"], rule_regs)
        return ir.ComplianceRule(kind, text, when, pattern, words["to"], words["because"],
                                 rule_regs, about, words["meaning"], sentence)

    def _methodology(self, sym, v, fields):
        return ir.Methodology(self.name(sym), v["summary"], tuple(v.get("principles") or ()),
                              v.get("conventional") or "", bool(v.get("contrastive")),
                              bool(v.get("meta_commentary")), bool(v.get("socratic")),
                              bool(v.get("novel_scenarios")))

    def _curriculum(self, sym, v, fields):
        if v["sessions"] < 1 or v["sessions"] > 50:
            self.diags.append(error("E221", "`sessions` must be between 1 and 50",
                                    fields["sessions"][-1].value.span))
            return INVALID
        turns = v.get("turns") or (4, 6)
        start, end = v["difficulty"]
        adapt = v.get("adapt") or default_adapt(start, end, v["sessions"])
        for key in adapt:
            if key not in SESSION_OUTCOMES:
                near = did_you_mean(key, SESSION_OUTCOMES)
                field = next(f for f in fields["adapt"][-1].value.fields if f.key.text == key)
                self.diags.append(error("E210", f"`adapt` has no outcome `{key}`", field.key.span,
                                        hint=f"did you mean `{near}`?" if near else
                                        "outcomes: " + ", ".join(SESSION_OUTCOMES)))
                return INVALID
        mastered_at = v.get("mastered_at")
        return ir.Curriculum(self.name(sym), v["sessions"], start, end,
                             v["mastery"], tuple(v.get("skills") or ()),
                             tuple(v.get("learner_states") or ()), (int(turns[0]), int(turns[1])),
                             tuple((k, round(float(x), 4)) for k, x in sorted(adapt.items())),
                             0.7 if mastered_at is None else mastered_at)

    def _seeds(self, sym, v, fields):
        """A seed set -> its examples, named "<set>#<n>" in the order written."""
        examples = []
        for n, (block, _mods, f) in enumerate(v["example"], 1):
            messages = parse_conversation(block["conversation"])
            if isinstance(messages, str):
                self.diags.append(error("E221", f"example {n} of `{sym.name}`: {messages}",
                                        f.value.span, hint="write one message per line as "
                                        "`user: ...` or `assistant: ...`"))
                return INVALID
            examples.append(ir.SeedExample(
                f"{self.name(sym)}#{n}", messages, block.get("arc") or "",
                block.get("user") or "", block.get("topic") or "", block.get("culture") or "",
                block.get("source") or ""))
        return tuple(examples)

    def _dataset(self, sym, v, fields):
        return DatasetDecl(sym, v, fields)

def parse_conversation(text: str) -> tuple[tuple[str, str], ...] | str:
    """`user: ...` / `assistant: ...` lines (a line without a role continues the message
    before it) -> messages, or a problem description."""
    messages: list[list[str]] = []
    for line in text.splitlines():
        role, sep, rest = line.partition(":")
        if sep and role.strip() in ("user", "assistant"):
            messages.append([role.strip(), rest.strip()])
        elif line.strip():
            if not messages:
                return f"the conversation must start with `user:` or `assistant:`, not {line!r}"
            messages[-1][1] = (messages[-1][1] + " " + line.strip()).strip()
    if not messages or any(not m[1] for m in messages):
        return "the conversation has no messages, or an empty one"
    return tuple((r, c) for r, c in messages)


def default_adapt(start: float, end: float, sessions: int) -> dict[str, float]:
    """Without `adapt`: one ramp step up after mastery, flow or boredom, none after
    productive struggle, one step down after overload."""
    step = abs(end - start) / (sessions - 1) if sessions > 1 else 0.1
    step = step or 0.1
    return {MASTERED: step, "flow": step, "boredom": step, "productive_struggle": 0.0,
            "overload": -step}


def _mod_span(f: ast.Field, keyword: str):
    return next((m.span for m in f.modifiers if m.keyword == keyword), f.span)


def _merge_maps(parent: ast.Field, child: ast.Field) -> ast.Field:
    if not (isinstance(parent.value, ast.Block) and isinstance(child.value, ast.Block)):
        return child
    keys = {f.key.text for f in child.value.fields}
    merged = tuple(f for f in parent.value.fields if f.key.text not in keys) + child.value.fields
    return attrs.evolve(child, value=attrs.evolve(child.value, fields=merged))


def _module_short(key: str) -> str:
    if key.startswith("std."):
        return key
    import os

    return os.path.splitext(os.path.basename(key))[0]
