"""Lark parse tree -> AST (bdsl.ast), attaching a Span to every node."""

from __future__ import annotations

from lark import Token, Transformer, v_args

from bdsl import ast
from bdsl.source import SourceFile, Span


def _unescape(body: str) -> str:
    out, i = [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@v_args(meta=True, inline=True)
class TreeToAst(Transformer):
    def __init__(self, src: SourceFile):
        super().__init__()
        self.src = src

    # -- helpers ------------------------------------------------------------------
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return self.src.span(0, 0)
        return self.src.span(meta.start_pos, meta.end_pos)

    def _tok_span(self, tok: Token) -> Span:
        return self.src.span(tok.start_pos, tok.end_pos)

    def _name(self, tok: Token) -> ast.Name:
        return ast.Name(str(tok), self._tok_span(tok))

    def _fields(self, items) -> tuple:
        return tuple(i for i in items if isinstance(i, ast.Field))

    # -- module -------------------------------------------------------------------
    def start(self, meta, *items):
        span = self.src.span(0, len(self.src.text))
        return ast.Module(self.src.path, tuple(i for i in items if i is not None), span)

    def header(self, meta, kw, title, *pairs):
        return ast.Header(str(kw), ast.Str(_unescape(title[1:-1]), self._tok_span(title)),
                          tuple(pairs), self._span(meta))

    def pair(self, meta, key, value):
        return ast.Field(self._name(key), value, (), self._span(meta))

    def import_stmt(self, meta, path, names, alias):
        target, is_file, target_span = path
        return ast.Import(target, is_file, tuple(names or ()), alias, target_span, self._span(meta))

    def module_path(self, meta, item):
        if isinstance(item, Token):
            return _unescape(item[1:-1]), True, self._tok_span(item)
        return item.dotted, False, item.span

    def import_names(self, meta, *names):
        return names

    def name_item(self, meta, tok):
        return self._name(tok)

    def import_alias(self, meta, tok):
        return self._name(tok)

    def decl(self, meta, kind, name, *rest):
        qualifier = extends = body = None
        positional = []
        for item in rest:
            if item is None:
                continue
            if isinstance(item, tuple) and item and item[0] == "qualifier":
                qualifier = item[1]
            elif isinstance(item, tuple) and item and item[0] == "extends":
                extends = item[1]
            else:
                positional.append(item)
        if positional and isinstance(positional[-1], ast.Block):
            body = positional.pop()
        return ast.Decl(self._name(kind), self._name(name), qualifier, extends, tuple(positional),
                        body, self._span(meta))

    def qualifier(self, meta, tok):
        return ("qualifier", self._name(tok))

    def extends(self, meta, dotted):
        return ("extends", dotted)

    # -- gates --------------------------------------------------------------------
    def gate_decl(self, meta, name, rule):
        return ast.GateDecl(self._name(name), rule, self._span(meta))

    def judge_rule(self, meta, metric, op, threshold, *options):
        text = metric[1:-1] if metric.type == "STRING" else str(metric)
        num = ast.Num(float(threshold), str(threshold), self._tok_span(threshold))
        return ast.JudgeRule(ast.Name(text, self._tok_span(metric)), str(op), num, tuple(options),
                             self._span(meta))

    def turn_rule(self, meta, quant, role, _turn, *rest):
        mentioning = None
        if len(rest) == 2:
            mentioning, pred = rest
        else:
            (pred,) = rest
        kind, operand, op, unit = pred
        return ast.TurnRule(str(quant), self._name(role), mentioning, kind, operand, op, unit,
                            self._span(meta))

    def mentioning(self, meta, value):
        return value

    def contains_pred(self, meta, tok):
        return ("contains", self._literal(tok), None, None)

    def matches_pred(self, meta, tok):
        return ("matches", self._literal(tok), None, None)

    def length_pred(self, meta, op, num, unit):
        value = ast.Num(float(num), str(num), self._tok_span(num))
        return ("length", value, str(op), self._name(unit) if unit is not None else None)

    def _literal(self, tok: Token):
        if tok.type == "REGEX":
            return self.regex(None, tok, span=self._tok_span(tok))
        return ast.Str(_unescape(tok[1:-1]), self._tok_span(tok))

    def check_rule(self, meta, name, *options):
        return ast.CheckRule(self._name(name), tuple(options), self._span(meta))

    # -- blocks -------------------------------------------------------------------
    def block(self, meta, *entries):
        return ast.Block(tuple(entries), self._span(meta))

    def field(self, meta, key, colon, value, *modifiers):
        return ast.Field(self._name(key), value, tuple(modifiers), self._span(meta),
                         colon=colon is not None)

    def modifier(self, meta, kw, value):
        return ast.Modifier(str(kw), value, self._span(meta))

    def stages(self, meta, *items):
        span = self._span(meta)
        key = ast.Name("stages", self.src.span(meta.start_pos, meta.start_pos))
        return ast.Field(key, ast.Chain(tuple(items), span), (), span)

    # -- values -------------------------------------------------------------------
    def chain(self, meta, *items):
        return ast.Chain(tuple(items), self._span(meta))

    def comparison(self, meta, left, op, right):
        return ast.Comparison(left, str(op), right, self._span(meta))

    def string(self, meta, tok):
        if tok.type == "LONG_STRING":
            return ast.Str(tok[3:-3], self._tok_span(tok), long=True)
        return ast.Str(_unescape(tok[1:-1]), self._tok_span(tok))

    def number(self, meta, tok):
        return ast.Num(float(tok), str(tok), self._tok_span(tok))

    def percent(self, meta, tok):
        return ast.Percent(float(tok[:-1]) / 100.0, str(tok), self._tok_span(tok))

    def date(self, meta, tok):
        return ast.Date(str(tok), self._tok_span(tok))

    def regex(self, meta, tok, span=None):
        body = str(tok)
        close = body.rfind("/")
        return ast.Regex(body[1:close], body[close + 1:], span or self._tok_span(tok))

    def range(self, meta, lo, hi):
        return ast.Range(ast.Num(float(lo), str(lo), self._tok_span(lo)),
                         ast.Num(float(hi), str(hi), self._tok_span(hi)), self._span(meta))

    def boolean(self, meta, tok):
        return ast.Bool(tok.type == "TRUE", self._tok_span(tok))

    def ref(self, meta, dotted):
        return dotted

    def dotted(self, meta, *parts):
        return ast.Ref(tuple(self._name(p) for p in parts), self._span(meta))

    def call(self, meta, callee, *args):
        pos = tuple(a for a in args if a is not None and not isinstance(a, ast.KwArg))
        kws = tuple(a for a in args if isinstance(a, ast.KwArg))
        return ast.Call(callee, pos, kws, self._span(meta))

    def kwarg(self, meta, name, value):
        return ast.KwArg(self._name(name), value, self._span(meta))

    def list(self, meta, *items):
        return ast.ListV(tuple(i for i in items if i is not None), self._span(meta))
