"""The intrinsic functions other than Ref/GetAtt/Sub: one small handler each.

Each handler takes the ``Stack`` being resolved, the function's argument and the line, and
returns a plain value (``*`` for what cannot be known, after ``Stack.note``).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from .constants import WILDCARD, text

MAX_TEXT = 1024 * 1024  # as resolve.MAX_VALUE_CHARS: CloudFormation takes at most 1 MB of template
NOT_FOUND = object()


class Stack(Protocol):
    """What a handler needs of the stack being resolved (``resolve.Stack`` is the one there is;
    a protocol here, so this module does not import the one that dispatches to it)."""

    region: str
    mappings: dict
    maps_open: set

    def resolve(self, node: Any, line: int | None = None) -> Any: ...
    def note(self, line: int | None, what: str) -> None: ...
    def limit(self, line: int | None, what: str) -> None: ...
    def ref(self, target: str, line: int | None) -> Any: ...
    def getatt(self, logical: str, attr: str, line: int | None) -> Any: ...
    def sub(self, arg: Any, line: int | None) -> Any: ...
    def condition(self, name: str, line: int | None = None) -> bool: ...
    def _truth(self, node: Any, line: int | None) -> bool: ...


def _ref(s: Stack, arg: Any, line):
    arg = s.resolve(arg, line) if isinstance(arg, dict) else arg
    return s.ref(str(arg), line)


def _getatt(s: Stack, arg: Any, line):
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2:
        s.note(line, "Fn::GetAtt needs [resource, attribute]")
        return WILDCARD
    attr = s.resolve(arg[1], line)
    return s.getatt(str(arg[0]), str(attr), line)


def _join(s: Stack, arg: Any, line):
    if not isinstance(arg, list) or len(arg) != 2:
        s.note(line, "Fn::Join needs [delimiter, list]")
        return WILDCARD
    sep, items = s.resolve(arg[0], line), s.resolve(arg[1], line)
    if not isinstance(items, list):
        return WILDCARD if items != WILDCARD else WILDCARD
    parts = [text(i) for i in items]
    if sum(map(len, parts)) + len(str(sep)) * len(parts) > MAX_TEXT:
        s.limit(line, f"Fn::Join makes a value over {MAX_TEXT:,} characters: read as \"*\"")
        return WILDCARD
    return str(sep).join(parts)


def _select(s: Stack, arg: Any, line):
    if not isinstance(arg, list) or len(arg) != 2:
        s.note(line, "Fn::Select needs [index, list]")
        return WILDCARD
    idx, items = s.resolve(arg[0], line), s.resolve(arg[1], line)
    try:
        return items[int(idx)] if isinstance(items, list) else WILDCARD
    except (ValueError, IndexError, TypeError):
        if items != [WILDCARD]:
            s.note(line, f"Fn::Select index {idx!r} is outside the list")
        return WILDCARD


def _split(s: Stack, arg: Any, line):
    if not isinstance(arg, list) or len(arg) != 2:
        s.note(line, "Fn::Split needs [delimiter, text]")
        return [WILDCARD]
    sep, text = s.resolve(arg[0], line), s.resolve(arg[1], line)
    if not isinstance(text, str) or not isinstance(sep, str) or not sep:
        return [WILDCARD]
    return text.split(sep)


def _findinmap(s: Stack, arg: Any, line):
    if not isinstance(arg, list) or len(arg) < 3:
        s.note(line, "Fn::FindInMap needs [map, key, key]")
        return WILDCARD
    m, k1, k2 = (s.resolve(a, line) for a in arg[:3])
    try:
        value = s.mappings[m][k1][k2]
    except (KeyError, TypeError):
        value = NOT_FOUND
    if value is not NOT_FOUND:
        key = (text(m), text(k1), text(k2))
        if key in s.maps_open:  # CloudFormation takes no functions in Mappings; offline one loops
            s.limit(line, f"Fn::FindInMap {'/'.join(key)} refers to itself: read as \"*\"")
            return WILDCARD
        s.maps_open.add(key)
        try:
            return s.resolve(value, line)
        finally:
            s.maps_open.discard(key)
    else:
        if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return s.resolve(arg[3]["DefaultValue"], line)
        s.note(line, f"Fn::FindInMap {m}/{k1}/{k2} is not in the mappings")
        return WILDCARD


def _if(s: Stack, arg: Any, line):
    if not isinstance(arg, list) or len(arg) != 3:
        s.note(line, "Fn::If needs [condition, then, else]")
        return WILDCARD
    return s.resolve(arg[1] if s.condition(str(arg[0]), line) else arg[2], line)


def _import(s: Stack, arg: Any, line):
    name = s.resolve(arg, line)
    s.note(line, f"Fn::ImportValue {text(name)} is another stack's export")
    return WILDCARD


def _getazs(s: Stack, arg: Any, line):
    region = s.resolve(arg, line) or s.region
    return [f"{region}{z}" for z in "abc"]


def _cidr(s: Stack, arg: Any, line):
    count = s.resolve(arg[1], line) if isinstance(arg, list) and len(arg) > 1 else 1
    try:
        return [WILDCARD] * max(1, min(int(count), 256))
    except (TypeError, ValueError):
        return [WILDCARD]


def _length(s: Stack, arg: Any, line):
    v = s.resolve(arg, line)
    return len(v) if isinstance(v, list) else WILDCARD


def _tojson(s: Stack, arg: Any, line):
    value = s.resolve(arg, line)
    if not _fits(value, MAX_TEXT):
        s.limit(line, f"Fn::ToJsonString makes a value over {MAX_TEXT:,} characters: read as \"*\"")
        return WILDCARD
    return json.dumps(value, sort_keys=True, default=str)


def _fits(value: Any, budget: int) -> bool:
    """Whether ``value`` as JSON stays within ``budget`` characters (counted, never built: values
    may share parts, so their expanded size can be far past memory)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            budget -= 2 + sum(len(str(k)) + 4 for k in v)
            stack.extend(v.values())
        elif isinstance(v, list):
            budget -= 2 + len(v)
            stack.extend(v)
        else:
            budget -= len(v) + 2 if isinstance(v, str) else 8
        if budget < 0:
            return False
    return True


def _boolean(fn: str):
    def handler(s: Stack, arg: Any, line):
        return s._truth({fn: arg}, line)
    return handler


def _unsupported(what: str):
    def handler(s: Stack, arg: Any, line):
        s.note(line, f"{what} is not expanded offline")
        return WILDCARD
    return handler


HANDLERS = {
    "Ref": _ref, "Fn::GetAtt": _getatt, "Fn::Sub": lambda s, a, l: s.sub(a, l), "Fn::Join": _join,
    "Fn::Select": _select, "Fn::Split": _split, "Fn::FindInMap": _findinmap, "Fn::If": _if,
    "Fn::ImportValue": _import, "Fn::Base64": lambda s, a, l: s.resolve(a, l), "Fn::GetAZs": _getazs,
    "Fn::Cidr": _cidr, "Fn::Length": _length, "Fn::ToJsonString": _tojson,
    "Fn::Equals": _boolean("Fn::Equals"), "Fn::And": _boolean("Fn::And"), "Fn::Or": _boolean("Fn::Or"),
    "Fn::Not": _boolean("Fn::Not"), "Fn::Transform": _unsupported("Fn::Transform (a macro)"),
    "Fn::ForEach": _unsupported("Fn::ForEach"), "Fn::GetStackOutput": _unsupported("Fn::GetStackOutput"),
}
