"""String templates of Terraform expressions: quoted strings with escapes, heredocs (``<<`` and
the indented ``<<-``), interpolations and the ``%{if}``/``%{for}`` directives. The text between
nodes is taken from the source bytes (tree-sitter keeps no node for it)."""

from __future__ import annotations

from typing import Any

from .tf_values import MAX_ITEMS, MAX_TEXT, UNKNOWN, EvalLimit, Scope, text, to_string

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class Templates:
    """Mixed into ``tf_expr.Evaluator`` (which provides ``eval`` and the budget)."""

    def _template(self, node: Any, scope: Scope, quoted: bool) -> Any:
        kids = [c for c in node.children if c.type not in ("quoted_template_start", "quoted_template_end")]
        start = node.children[0].end_byte if node.children else node.start_byte
        end = node.children[-1].start_byte if len(node.children) > 1 else node.end_byte
        parts = [c for c in kids if c.type in ("template_interpolation", "template_directive")]
        if len(parts) == 1 and parts[0].type == "template_interpolation" and parts[0].start_byte == start \
                and parts[0].end_byte == end:
            return self._interp(parts[0], scope)  # "${x}" is x itself, not its text
        src = node.text
        base = node.start_byte
        out = self._render(src, base, start, end, kids, scope, quoted)
        return text(out, scope.file, node.start_point.row + 1)

    def _heredoc(self, node: Any, scope: Scope) -> Any:
        ids = [c for c in node.children if c.type == "heredoc_identifier"]
        strip = any(c.type == "heredoc_start" and c.text.startswith(b"<<-") for c in node.children)
        src, base = node.text, node.start_byte
        first_nl = src.find(b"\n", ids[0].end_byte - base)
        start = base + (first_nl + 1 if first_nl >= 0 else len(src))
        if len(ids) > 1:
            close = ids[-1].start_byte - base
            line_start = src.rfind(b"\n", 0, close) + 1
            end = base + line_start
        else:
            end = node.end_byte
        kids = [c for c in node.children if c.type not in ("heredoc_start", "heredoc_identifier")]
        out = self._render(src, base, start, max(start, end), kids, scope, quoted=False)
        if strip:
            lines = out.split("\n")
            indents = [len(x) - len(x.lstrip(" \t")) for x in lines if x.strip()]
            cut = min(indents) if indents else 0
            out = "\n".join(x[cut:] for x in lines)
        return text(out, scope.file, ids[0].start_point.row + 2)

    def _render(self, src: bytes, base: int, start: int, end: int, kids: list, scope: Scope, quoted: bool) -> str:
        out: list[str] = []
        pos = start
        size = 0
        for c in kids:
            if c.type not in ("template_interpolation", "template_directive") or c.start_byte < start or c.end_byte > end:
                continue
            out.append(_literal(src[pos - base:c.start_byte - base], quoted))
            if c.type == "template_interpolation":
                out.append(to_string(self._interp(c, scope)))
            else:
                out.append(self._directive(c.children[0], scope, quoted))
            pos = c.end_byte
            size += len(out[-1])
            if size > MAX_TEXT:
                raise EvalLimit("a string template over the size limit")
        out.append(_literal(src[pos - base:end - base], quoted))
        self.made(size + len(out[-1]))
        return "".join(out)

    def _interp(self, node: Any, scope: Scope) -> Any:
        expr = next((c for c in node.children if c.type == "expression"), None)
        return self.eval(expr, scope) if expr is not None else ""

    def _directive(self, node: Any, scope: Scope, quoted: bool) -> str:
        src, base = node.text, node.start_byte
        kids = list(node.children)
        if node.type == "template_if":
            intro = kids[0]
            cond = self.eval(next(c for c in intro.children if c.type == "expression"), scope)
            else_at = next((i for i, c in enumerate(kids) if c.type == "template_else_intro"), None)
            end_i = len(kids) - 1
            if cond is UNKNOWN:
                cond = True
            lo, hi = (0, else_at if else_at is not None else end_i) if cond else (else_at, end_i) if else_at else (0, 0)
            if lo == hi:
                return ""
            return self._render(src, base, kids[lo].end_byte, kids[hi].start_byte, kids[lo + 1:hi], scope, quoted)
        if node.type == "template_for":
            intro = kids[0]
            names = [c.text.decode() for c in intro.children if c.type == "identifier"]
            coll = self.eval(next(c for c in intro.children if c.type == "expression"), scope)
            if coll is UNKNOWN:
                return "*"
            pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll)) if isinstance(coll, list) else []
            if len(pairs) > MAX_ITEMS:
                raise EvalLimit("a template for directive over too many items")
            pieces = []
            for k, v in pairs:
                bound = {names[0]: v} if len(names) == 1 else {names[0]: k, names[1]: v}
                pieces.append(self._render(src, base, kids[0].end_byte, kids[-1].start_byte, kids[1:-1],
                                           scope.child(bound), quoted))
            return "".join(pieces)
        return ""



def _literal(raw: bytes, quoted: bool) -> str:
    s = raw.decode("utf-8", "replace")
    s = s.replace("$${", "${").replace("%%{", "%{")
    if not quoted or "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "uU":
                n = 4 if nxt == "u" else 8
                try:
                    out.append(chr(int(s[i + 2:i + 2 + n], 16)))
                    i += 2 + n
                    continue
                except ValueError:
                    pass
        out.append(ch)
        i += 1
    return "".join(out)
