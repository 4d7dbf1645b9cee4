"""Terraform expressions evaluated offline, over tree-sitter-hcl nodes.

Values are plain Python (str, int, float, bool, None, lists, dicts); what only apply knows is
``UNKNOWN``, which every operation carries along and a string template writes as ``*`` (the
plan reader's placeholder). Object and tuple literals remember their line (``LDict``/``LList``)
and a JSON text made here (``jsonencode``, a heredoc) remembers where its statements were
written (``Text.places``), so a policy statement keeps its line. Evaluation is bounded: a
budget of steps per module reading, string and collection sizes, and ``range``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

from .loader import LDict, LList, line_of

MAX_STEPS = 2_000_000
MAX_ITEMS = 10_000  # elements of one collection made by a for expression, range or a function
MAX_TEXT = 1_000_000  # characters of one string


class _Unknown:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        return True  # a condition on an unknown value is taken as true (the caller records it)


UNKNOWN = _Unknown()


class EvalLimit(Exception):
    """The evaluation budget is spent (a fan-out or a cycle that escaped the guards)."""


class Text(str):
    """A string with where it was written: ``line`` of its first character, ``file``; ``places``
    [(file, line)] of each policy statement when known (jsonencode of an object literal)."""

    file: str | None = None
    line: int | None = None
    places: list | None = None

    def statement_places(self) -> list:
        if self.places is not None:
            return self.places
        if not self.line or "Statement" not in self:
            return []
        from .loader import loads

        try:
            doc = loads(str(self))
        except Exception:  # noqa: BLE001 - not JSON: no statement lines, the mapper notes it
            return []
        stmts = doc.get("Statement") if isinstance(doc, dict) else None
        if isinstance(stmts, dict):
            stmts = [stmts]
        return [(self.file, self.line + (line_of(s) or 1) - 1) for s in stmts] if isinstance(stmts, list) else []


def text(value: str, file: str | None = None, line: int | None = None, places: list | None = None) -> Text:
    t = Text(value)
    t.file, t.line, t.places = file, line, places
    return t


def has_unknown(v: Any, depth: int = 0) -> bool:
    if v is UNKNOWN:
        return True
    if depth > 64:
        return False
    if isinstance(v, dict):
        return any(has_unknown(x, depth + 1) for x in v.values())
    if isinstance(v, list):
        return any(has_unknown(x, depth + 1) for x in v)
    return False


def to_string(v: Any) -> str:
    """A value inside a string template; unknown and non-strings Terraform would reject read as ``*``."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if v is None:
        return ""
    return "*"


class Scope:
    """Names an expression can see: for-expression and template variables over the module's."""

    def __init__(self, resolve: Callable, file: str, names: dict | None = None, parent: "Scope | None" = None,
                 functions: dict | None = None):
        self.resolve = resolve  # (root name, steps [(kind, key)], line) -> (value, steps consumed)
        self.file = file
        self.names = names or {}
        self.parent = parent
        self.functions = functions if functions is not None else (parent.functions if parent else {})

    def child(self, names: dict) -> "Scope":
        return Scope(self.resolve, self.file, names, self, self.functions)

    def lookup(self, name: str) -> tuple[bool, Any]:
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return True, s.names[name]
            s = s.parent
        return False, None


_POSTFIX = ("get_attr", "index", "splat", "legacy_index")
_OPS = {"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class Evaluator:
    def __init__(self, note: Callable[[str, int | None, str], None], max_steps: int = MAX_STEPS):
        self.note = note  # (file, line, what)
        self.steps = 0
        self.max_steps = max_steps

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise EvalLimit(f"evaluation stopped after {self.max_steps} steps")

    # -- expressions -------------------------------------------------------------------------

    def eval(self, node: Any, scope: Scope) -> Any:
        self._tick()
        t = node.type
        if t == "expression":
            return self._seq(list(node.children), scope)
        h = getattr(self, "_n_" + t, None)
        if h is not None:
            return h(node, scope)
        if t in ("operation",):
            return self.eval(node.children[0], scope)
        return self._seq([node], scope)

    def _seq(self, nodes: list, scope: Scope) -> Any:
        """An expression term followed by traversals (``a.b[0].c``, ``(x)[1]``, ``f(y).z``)."""
        if not nodes:
            return None
        if nodes[0].type == "(":
            close = max(i for i, n in enumerate(nodes) if n.type == ")")
            value, rest = self._seq(nodes[1:close], scope), nodes[close + 1:]
        elif nodes[0].type == "variable_expr":
            name = nodes[0].children[0].text.decode()
            steps, i = [], 1
            while i < len(nodes) and nodes[i].type in ("get_attr", "index", "legacy_index"):
                steps.append(self._step(nodes[i], scope))
                i += 1
            found, value = scope.lookup(name)
            if found:
                used = 0
            else:
                value, used = scope.resolve(name, steps, nodes[0].start_point.row + 1)
            value = self._apply(value, steps[used:])
            rest = nodes[i:]
        else:
            value, rest = self.eval(nodes[0], scope), nodes[1:]
        for n in rest:
            if n.type == "splat":
                value = self._splat(value, n.children[0], scope)
            elif n.type in ("get_attr", "index", "legacy_index"):
                value = self._apply(value, [self._step(n, scope)])
        return value

    def _step(self, node: Any, scope: Scope) -> tuple[str, Any]:
        if node.type == "get_attr":
            return ("attr", node.children[-1].text.decode())
        if node.type == "legacy_index":
            return ("index", int(node.text.decode().lstrip(".")))
        inner = node.children[0] if node.type == "index" else node
        expr = next((c for c in inner.children if c.type == "expression"), None)
        if expr is None:  # legacy_index inside index
            return ("index", int(inner.text.decode().lstrip(".")))
        return ("index", self.eval(expr, scope))

    def _apply(self, value: Any, steps: list) -> Any:
        for kind, key in steps:
            self._tick()
            value = get(value, key)
        return value

    def _splat(self, value: Any, node: Any, scope: Scope) -> Any:
        steps = [self._step(c, scope) for c in node.children if c.type in ("get_attr", "index", "legacy_index")]
        if value is UNKNOWN:
            return UNKNOWN
        items = value if isinstance(value, list) else ([] if value is None else [value])
        if isinstance(value, dict) and not hasattr(value, "attr"):
            items = [value]
        return LList(self._apply(v, steps) for v in items)

    # -- terms -------------------------------------------------------------------------------

    def _n_literal_value(self, node: Any, scope: Scope) -> Any:
        c = node.children[0]
        if c.type == "numeric_lit":
            s = c.text.decode()
            try:
                return int(s)
            except ValueError:
                f = float(s)
                return f if math.isfinite(f) else UNKNOWN
        if c.type == "bool_lit":
            return c.text.decode() == "true"
        if c.type == "null_lit":
            return None
        return self._n_string_lit(c, scope)

    def _n_string_lit(self, node: Any, scope: Scope) -> Any:
        return self._template(node, scope, quoted=True)

    def _n_template_expr(self, node: Any, scope: Scope) -> Any:
        c = node.children[0]
        if c.type == "heredoc_template":
            return self._heredoc(c, scope)
        return self._template(c, scope, quoted=True)

    def _n_variable_expr(self, node: Any, scope: Scope) -> Any:
        return self._seq([node], scope)

    def _n_collection_value(self, node: Any, scope: Scope) -> Any:
        return self.eval(node.children[0], scope)

    def _n_tuple(self, node: Any, scope: Scope) -> Any:
        out = LList(self.eval(c, scope) for c in node.children if c.type == "expression")
        out.line = node.start_point.row + 1
        return out

    def _n_object(self, node: Any, scope: Scope) -> Any:
        out = LDict()
        out.line = node.start_point.row + 1
        for el in node.children:
            if el.type != "object_elem":
                continue
            exprs = [c for c in el.children if c.type == "expression"]
            if len(exprs) != 2:
                continue
            k = exprs[0]
            kc = [c for c in k.children]
            if len(kc) == 1 and kc[0].type == "variable_expr":
                key: Any = kc[0].text.decode()
            else:
                key = self.eval(k, scope)
            if key is UNKNOWN:
                self.note(scope.file, el.start_point.row + 1, "an object key known only after apply: read as *")
                key = "*"
            key = to_string(key)
            out[key] = self.eval(exprs[1], scope)
            out.key_lines[key] = el.start_point.row + 1
        return out

    def _n_conditional(self, node: Any, scope: Scope) -> Any:
        cond, a, b = [c for c in node.children if c.type == "expression"]
        c = self.eval(cond, scope)
        if c is UNKNOWN:
            self.note(scope.file, node.start_point.row + 1, "a condition on a value known only after apply: "
                      "read as true")
        return self.eval(a if c else b, scope)

    def _n_operation(self, node: Any, scope: Scope) -> Any:
        return self.eval(node.children[0], scope)

    def _n_unary_operation(self, node: Any, scope: Scope) -> Any:
        op = node.children[0].type
        v = self._seq(list(node.children[1:]), scope)
        if v is UNKNOWN:
            return UNKNOWN
        if op == "!":
            return not v
        return -v if isinstance(v, (int, float)) and not isinstance(v, bool) else UNKNOWN

    def _n_binary_operation(self, node: Any, scope: Scope) -> Any:
        kids = list(node.children)
        depth, at = 0, None
        for i, k in enumerate(kids):
            if k.type == "(":
                depth += 1
            elif k.type == ")":
                depth -= 1
            elif depth == 0 and not k.is_named and k.type in _OPS and i > 0:
                at = i
                break
        if at is None:
            return UNKNOWN
        op = kids[at].type
        a = self._seq(kids[:at], scope)
        if op == "&&" and a is False:
            return False
        if op == "||" and a is True:
            return True
        b = self._seq(kids[at + 1:], scope)
        return binary(op, a, b)

    def _n_function_call(self, node: Any, scope: Scope) -> Any:
        name = node.children[0].text.decode()
        args_node = next((c for c in node.children if c.type == "function_arguments"), None)
        arg_nodes = [c for c in args_node.children if c.type == "expression"] if args_node is not None else []
        expand = args_node is not None and any(c.type == "ellipsis" for c in args_node.children)
        line = node.start_point.row + 1
        if name in ("try", "can"):
            return self._try(name, arg_nodes, scope)
        args = [self.eval(a, scope) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if last is UNKNOWN:
                return UNKNOWN
            args.extend(last if isinstance(last, list) else [last])
        fn = scope.functions.get(name)
        if fn is None:
            from .tf_functions import FUNCTIONS
            fn = FUNCTIONS.get(name)
        if fn is None:
            self.note(scope.file, line, f"function {name}() is not evaluated offline: read as *")
            return UNKNOWN
        try:
            return fn(self, scope, line, *args)
        except EvalLimit:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError, OverflowError):
            if any(has_unknown(a) for a in args):
                return UNKNOWN
            self.note(scope.file, line, f"{name}() could not be evaluated with these arguments: read as *")
            return UNKNOWN

    def _try(self, name: str, arg_nodes: list, scope: Scope) -> Any:
        for a in arg_nodes:
            v = self.eval(a, scope)
            if v is not UNKNOWN:
                return True if name == "can" else v
        return UNKNOWN

    def _n_for_expr(self, node: Any, scope: Scope) -> Any:
        inner = node.children[0]
        intro = next(c for c in inner.children if c.type == "for_intro")
        names = [c.text.decode() for c in intro.children if c.type == "identifier"]
        coll = self.eval(next(c for c in intro.children if c.type == "expression"), scope)
        cond = next((c for c in inner.children if c.type == "for_cond"), None)
        bodies = [c for c in inner.children if c.type == "expression"]
        group = any(c.type == "ellipsis" for c in inner.children)
        is_object = inner.type == "for_object_expr"
        if coll is UNKNOWN or coll is None:
            return UNKNOWN if coll is UNKNOWN else (LDict() if is_object else LList())
        pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll)) if isinstance(coll, list) else []
        if len(pairs) > MAX_ITEMS:
            raise EvalLimit(f"a for expression over {len(pairs)} items")
        out_l, out_d = LList(), LDict()
        out_l.line = out_d.line = node.start_point.row + 1
        for k, v in pairs:
            bound = {names[0]: v} if len(names) == 1 else {names[0]: k, names[1]: v}
            s = scope.child(bound)
            if cond is not None:
                c = self.eval(next(x for x in cond.children if x.type == "expression"), s)
                if c is False or c is None:
                    continue
            if is_object:
                key = to_string(self.eval(bodies[0], s))
                val = self.eval(bodies[1], s)
                if group:
                    out_d.setdefault(key, LList()).append(val)
                else:
                    out_d[key] = val
            else:
                out_l.append(self.eval(bodies[0], s))
        return out_d if is_object else out_l

    # -- templates ---------------------------------------------------------------------------

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


def get(value: Any, key: Any) -> Any:
    """``value.key`` / ``value[key]``; what is not there is unknown (never an error)."""
    if value is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    attr = getattr(value, "attr", None)
    if attr is not None and callable(attr):
        return attr(key)
    if isinstance(value, dict):
        k = to_string(key)
        return value[k] if k in value else UNKNOWN
    if isinstance(value, list):
        if isinstance(key, bool) or not isinstance(key, (int, float, str)):
            return UNKNOWN
        try:
            i = int(key)
        except ValueError:
            return UNKNOWN
        return value[i] if 0 <= i < len(value) else UNKNOWN
    return UNKNOWN


def _num(v: Any) -> Any:
    if isinstance(v, bool):
        raise TypeError("bool")
    if isinstance(v, str):
        f = float(v)
        return int(f) if f.is_integer() else f
    return v


def binary(op: str, a: Any, b: Any) -> Any:
    if op in ("==", "!="):
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        eq = a == b
        return eq if op == "==" else not eq
    if op in ("&&", "||"):
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        return (bool(a) and bool(b)) if op == "&&" else (bool(a) or bool(b))
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    try:
        x, y = _num(a), _num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            r = x / y
            return int(r) if float(r).is_integer() else r
        if op == "%":
            return x % y
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return UNKNOWN


def plain(v: Any, depth: int = 0) -> Any:
    """A value for a resource's attributes: ``UNKNOWN`` written as ``*`` (the plan reader's placeholder)."""
    if v is UNKNOWN:
        return "*"
    if depth > 64:
        return "*"
    if isinstance(v, dict) and not hasattr(v, "attr"):
        out = LDict((str(k), plain(x, depth + 1)) for k, x in v.items())
        out.line, out.key_lines = getattr(v, "line", None), getattr(v, "key_lines", {})
        return out
    if isinstance(v, list):
        out_l = LList(plain(x, depth + 1) for x in v)
        out_l.line = getattr(v, "line", None)
        return out_l
    if hasattr(v, "attr"):
        return "*"
    return v


__all__ = ["UNKNOWN", "Evaluator", "EvalLimit", "Scope", "Text", "text", "get", "plain", "has_unknown", "to_string"]
