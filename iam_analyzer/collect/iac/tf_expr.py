"""Terraform expressions evaluated offline, over tree-sitter-hcl nodes.

Values are plain Python (str, int, float, bool, None, lists, dicts); what only apply knows is
``UNKNOWN``, which every operation carries along and a string template writes as ``*`` (the
plan reader's placeholder). Object and tuple literals remember their line (``LDict``/``LList``)
and a JSON text made here (``jsonencode``, a heredoc) remembers where its statements were
written (``Text.places``), so a policy statement keeps its line. Evaluation is bounded: a
budget of steps per module reading, string and collection sizes, and ``range``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .loader import LDict, LList
from .tf_functions import FUNCTIONS
from .tf_template import Templates
from .tf_values import (  # noqa: F401 - the evaluator's values, re-exported
    MAX_CHARS, MAX_ITEMS, MAX_STEPS, UNKNOWN, BudgetSpent, EvalLimit, Scope, Text, has_unknown, plain, text, to_string,
)


_POSTFIX = ("get_attr", "index", "splat", "legacy_index")
_OPS = {"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"}


class Evaluator(Templates):
    def __init__(self, note: Callable[[str, int | None, str], None], max_steps: int = MAX_STEPS):
        self.note = note  # (file, line, what)
        self.steps = 0
        self.chars = 0
        self.max_steps = max_steps

    def made(self, chars: int) -> None:
        """Count the characters strings were made of: the budget bounds memory as steps bound time."""
        self.chars += chars
        if self.chars > MAX_CHARS:
            raise BudgetSpent(f"evaluation stopped after making {MAX_CHARS} characters of strings")

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise BudgetSpent(f"evaluation stopped after {self.max_steps} steps")

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


__all__ = ["UNKNOWN", "Evaluator", "EvalLimit", "Scope", "Text", "text", "get", "plain", "has_unknown", "to_string"]
