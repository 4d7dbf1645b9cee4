"""Terraform's built-in functions that a configuration's IAM depends on, evaluated offline.

Each takes (evaluator, scope, line, *arguments). An argument that is unknown makes the result
unknown, except where the function can still say something (``coalesce`` skips it, ``concat``
keeps the known lists, ``join`` writes ``*`` for it). ``file``/``templatefile`` are the module
reader's (they need its folder). Regular-expression forms (``replace`` with ``/re/``,
``regex``) are not run on untrusted text: unknown.
"""

from __future__ import annotations

import json
from typing import Any

from .loader import LDict, LList
from .tf_values import MAX_ITEMS, MAX_TEXT, UNKNOWN, EvalLimit, has_unknown, plain, text, to_string


def _unknown_in(*args: Any) -> bool:
    return any(a is UNKNOWN for a in args)


def _list(v: Any) -> list:
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return list(v.values())
    raise TypeError("not a list")


def _cap(v: Any, ev: Any = None) -> Any:
    if isinstance(v, (list, dict)) and len(v) > MAX_ITEMS:
        raise EvalLimit(f"a collection of {len(v)} items")
    if isinstance(v, str):
        if len(v) > MAX_TEXT:
            raise EvalLimit("a string over the size limit")
        if ev is not None:
            ev.made(len(v))
    return v


def _format(ev, scope, line, fmt, *args):
    if fmt is UNKNOWN:
        return UNKNOWN
    out, i, n = [], 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "-+ #0123456789.":
            j += 1
        if j >= len(fmt):
            raise ValueError("bad verb")
        verb = fmt[j]
        if verb == "%":
            out.append("%")
        else:
            v = args[n]
            n += 1
            if v is UNKNOWN:
                out.append("*")
            elif verb == "q":
                out.append(json.dumps(to_string(v)))
            elif verb in "dfegx" and isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(("%" + fmt[i + 1:j + 1]) % v if verb != "x" else format(int(v), "x"))
            elif verb == "v" and isinstance(v, (list, dict)):
                out.append(json.dumps(plain(v)))
            else:
                out.append(to_string(v))
        i = j + 1
    return _cap(text("".join(out), scope.file, line), ev)


def _join(ev, scope, line, sep, *lists):
    if sep is UNKNOWN:
        return UNKNOWN
    items = []
    for lst in lists:
        if lst is UNKNOWN:
            items.append("*")
            continue
        items.extend("*" if x is UNKNOWN else to_string(x) for x in _list(lst))
    return _cap(text(sep.join(items), scope.file, line), ev)


def _concat(ev, scope, line, *lists):
    out = LList()
    for lst in lists:
        if lst is UNKNOWN:
            return UNKNOWN
        out.extend(_list(lst))
    return _cap(out)


def _merge(ev, scope, line, *maps):
    out = LDict()
    for m in maps:
        if m is UNKNOWN:
            return UNKNOWN
        if m is None:
            continue
        if not isinstance(m, dict):
            raise TypeError("not a map")
        out.update(m)
    return _cap(out)


def _lookup(ev, scope, line, m, key, *default):
    if _unknown_in(m, key):
        return UNKNOWN
    k = to_string(key)
    if isinstance(m, dict) and k in m:
        return m[k]
    if default:
        return default[0]
    raise KeyError(k)


def _jsonencode(ev, scope, line, v):
    if v is UNKNOWN:
        return UNKNOWN
    places = None
    stmts = v.get("Statement") if isinstance(v, dict) else None
    if isinstance(stmts, dict):
        stmts = [stmts]
    if isinstance(stmts, list):
        places = [(scope.file, getattr(s, "line", None) or line) for s in stmts]
    return text(json.dumps(plain(v), separators=(",", ":")), scope.file, line, places)


def _jsondecode(ev, scope, line, s):
    if s is UNKNOWN:
        return UNKNOWN
    if len(s) > MAX_TEXT:
        raise EvalLimit("jsondecode of a string over the size limit")
    return json.loads(s)


def _yamldecode(ev, scope, line, s):
    """YAML through the templates' bounded loader (size, depth, alias expansion)."""
    if s is UNKNOWN:
        return UNKNOWN
    if len(s) > MAX_TEXT:
        raise EvalLimit("yamldecode of a string over the size limit")
    from .loader import LoadError, loads

    try:
        return loads(str(s))
    except LoadError as e:
        ev.note(scope.file, line, f"yamldecode(): {e}: read as *")
        return UNKNOWN


def _coalesce(ev, scope, line, *args):
    for a in args:
        if a is UNKNOWN:
            return UNKNOWN
        if a not in (None, ""):
            return a
    raise ValueError("no value")


def _coalescelist(ev, scope, line, *args):
    for a in args:
        if a is UNKNOWN:
            return UNKNOWN
        if a:
            return a
    raise ValueError("no value")


def _element(ev, scope, line, lst, i):
    if _unknown_in(lst, i):
        return UNKNOWN
    lst = _list(lst)
    return lst[int(i) % len(lst)]


def _keys(ev, scope, line, m):
    return UNKNOWN if m is UNKNOWN else LList(sorted(m))


def _values(ev, scope, line, m):
    return UNKNOWN if m is UNKNOWN else LList(m[k] for k in sorted(m))


def _flatten(ev, scope, line, lst):
    if lst is UNKNOWN:
        return UNKNOWN
    out, stack = LList(), [iter(_list(lst))]
    while stack:
        for x in stack[-1]:
            if isinstance(x, list):
                stack.append(iter(x))
                break
            out.append(x)
            _cap(out)
        else:
            stack.pop()
    return out


def _distinct(ev, scope, line, lst):
    if lst is UNKNOWN:
        return UNKNOWN
    out = LList()
    for x in _list(lst):
        if x not in out:
            out.append(x)
    return out


def _toset(ev, scope, line, lst):
    if lst is UNKNOWN:
        return UNKNOWN
    items = _distinct(ev, scope, line, lst)
    try:
        return LList(sorted(items, key=lambda x: (not isinstance(x, str), to_string(x))))
    except TypeError:
        return items


def _split(ev, scope, line, sep, s):
    if _unknown_in(sep, s):
        return UNKNOWN
    return _cap(LList(s.split(sep)))


def _replace(ev, scope, line, s, old, new):
    if _unknown_in(s, old, new):
        return UNKNOWN
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        ev.note(scope.file, line, "replace() with a regular expression is not run offline: read as *")
        return UNKNOWN
    return _cap(text(s.replace(old, new), scope.file, line), ev) if old else s


def _range(ev, scope, line, *args):
    if _unknown_in(*args):
        return UNKNOWN
    nums = [int(a) for a in args]
    r = range(*nums)
    if len(r) > MAX_ITEMS:
        raise EvalLimit(f"range() of {len(r)} numbers")
    return LList(r)


def _zipmap(ev, scope, line, ks, vs):
    if _unknown_in(ks, vs):
        return UNKNOWN
    return LDict(zip((to_string(k) for k in ks), vs))


def _str_fn(f):
    def run(ev, scope, line, *args):
        if any(has_unknown(a) for a in args):
            return UNKNOWN
        return f(*args)
    return run


def _slice(lst, a, b):
    return LList(_list(lst)[int(a):int(b)])


def _tonumber(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    f = float(v)
    return int(f) if f.is_integer() else f


def _one(lst):
    lst = _list(lst)
    if len(lst) > 1:
        raise ValueError("more than one")
    return lst[0] if lst else None


def _setproduct(*lists):
    lists = [_list(x) for x in lists]
    n = 1
    for x in lists:
        n *= len(x)
        if n > MAX_ITEMS:  # bounded before anything is made
            raise EvalLimit(f"setproduct() of over {MAX_ITEMS} items")
    out = [[]]
    for x in lists:
        out = [o + [v] for o in out for v in x]
    return LList(LList(o) for o in out)


def _basename(p):
    return p.rstrip("/").rsplit("/", 1)[-1] if p.strip("/") else p[:1]


def _dirname(p):
    head = p.rstrip("/").rsplit("/", 1)
    return "." if len(head) == 1 else (head[0] or "/")


def _tomap(m):
    if not isinstance(m, dict):
        raise TypeError("not a map")
    return m


FUNCTIONS: dict[str, Any] = {
    "format": _format, "join": _join, "concat": _concat, "merge": _merge, "lookup": _lookup,
    "jsonencode": _jsonencode, "jsondecode": _jsondecode, "yamldecode": _yamldecode, "coalesce": _coalesce, "coalescelist": _coalescelist,
    "element": _element, "keys": _keys, "values": _values, "flatten": _flatten, "distinct": _distinct,
    "toset": _toset, "tolist": _str_fn(lambda v: LList(_list(v))), "tomap": _str_fn(_tomap),
    "tostring": _str_fn(lambda v: to_string(v)), "tonumber": _str_fn(_tonumber),
    "tobool": _str_fn(lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[v]),
    "split": _split, "replace": _replace, "range": _range, "zipmap": _zipmap,
    "length": _str_fn(lambda v: len(v)), "lower": _str_fn(lambda s: s.lower()), "upper": _str_fn(lambda s: s.upper()),
    "title": _str_fn(lambda s: s.title()), "trimspace": _str_fn(lambda s: s.strip()),
    "trim": _str_fn(lambda s, c: s.strip(c)), "trimprefix": _str_fn(lambda s, p: s[len(p):] if p and s.startswith(p) else s),
    "trimsuffix": _str_fn(lambda s, p: s[:-len(p)] if p and s.endswith(p) else s),
    "startswith": _str_fn(lambda s, p: s.startswith(p)), "endswith": _str_fn(lambda s, p: s.endswith(p)),
    "substr": _str_fn(lambda s, o, n: s[int(o):] if int(n) < 0 else s[int(o):int(o) + int(n)]),
    "contains": _str_fn(lambda lst, v: v in _list(lst)), "compact": _str_fn(lambda lst: LList(x for x in _list(lst) if x not in (None, ""))),
    "reverse": _str_fn(lambda lst: LList(reversed(_list(lst)))), "sort": _str_fn(lambda lst: LList(sorted(_list(lst)))),
    "slice": _str_fn(_slice), "one": _str_fn(_one), "index": _str_fn(lambda lst, v: _list(lst).index(v)),
    "max": _str_fn(lambda *a: max(a)), "min": _str_fn(lambda *a: min(a)), "abs": _str_fn(abs),
    "setunion": _str_fn(lambda *ls: LList(sorted({x for lst in ls for x in _list(lst)}, key=to_string))),
    "formatlist": _str_fn(lambda f, *a: LList(f.replace("%s", "{}").format(*x) for x in zip(*a))),
    "sensitive": _str_fn(lambda v: v), "nonsensitive": _str_fn(lambda v: v),
    "chomp": _str_fn(lambda s: s.rstrip("\r\n")), "strrev": _str_fn(lambda s: s[::-1]),
    "setproduct": _str_fn(_setproduct), "basename": _str_fn(_basename), "dirname": _str_fn(_dirname),
}

__all__ = ["FUNCTIONS"]
