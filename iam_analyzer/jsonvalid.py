"""A small JSON Schema validator for the subset the shipped schemas use.

Keywords: type, properties, required, additionalProperties, items, anyOf, $ref (to
``#/$defs/...``), const, enum, pattern, minimum. Anything else is ignored. It returns the
first problem with its JSON path (``$.accounts[0].functions[3].role_arn``), which is what a
person fixing a file needs, and walks the document once, iteratively (no recursion limit).

Why not the ``jsonschema`` package: the shipped schemas use a dozen keywords; this walks a
large snapshot several times faster (each schema node is compiled once; an ``anyOf`` whose
options differ by type is decided by the value's type, without trying each option), adds no
runtime dependency, and the tests check that it agrees with ``jsonschema`` (a test dependency).
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

# JSON type names a Python value satisfies
_KINDS = {dict: ("object",), list: ("array",), str: ("string",), int: ("integer", "number"), float: ("number",),
          bool: ("boolean",), type(None): ("null",)}
_NAMES = {dict: "an object", list: "an array", str: "a string", int: "an integer", float: "a number",
          bool: "a boolean", type(None): "null"}


def json_path(parts: tuple) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(p))
                                                     else f"[{p!r}]")
    return out


def _name(v: Any) -> str:
    return _NAMES.get(type(v), type(v).__name__)


def _as_list(t) -> list:
    return [] if t is None else list(t) if isinstance(t, list) else [t]


class _Node:
    """One schema node, compiled: every keyword looked up once."""

    __slots__ = ("simple", "ok", "types", "any_of", "by_type", "const", "has_const", "enum", "pattern", "minimum", "props",
                 "required", "extra", "extra_false", "items")

    def __init__(self, schema: dict, root: dict, cache: dict):
        schema = _resolve(schema, root)
        self.types = frozenset(_as_list(schema.get("type"))) or None
        self.has_const = "const" in schema
        self.const = schema.get("const")
        self.enum = schema.get("enum")
        self.pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
        self.minimum = schema.get("minimum")
        self.required = tuple(schema.get("required", ()))
        self.props = {k: _compile(v, root, cache) for k, v in schema.get("properties", {}).items() if v}
        extra = schema.get("additionalProperties")
        self.extra = _compile(extra, root, cache) if isinstance(extra, dict) and extra else None
        self.extra_false = extra is False
        items = schema.get("items")
        self.items = _compile(items, root, cache) if isinstance(items, dict) and items else None
        self.any_of = [_compile(s, root, cache) for s in schema["anyOf"]] if "anyOf" in schema else None
        self.by_type = None
        if self.any_of is not None and all(o.types for o in self.any_of):
            by_type: dict[str, list] = {}
            for o in self.any_of:
                for t in o.types:
                    by_type.setdefault(t, []).append(o)
            if all(len(v) == 1 for v in by_type.values()):
                self.by_type = {t: v[0] for t, v in by_type.items()}
        # a node that only checks the type is decided without a call: ``type(value) in node.ok``
        self.ok = frozenset(pt for pt, ks in _KINDS.items() if self.types is None or any(k in self.types for k in ks))
        self.simple = (self.any_of is None and not self.has_const and self.enum is None and self.pattern is None
                       and self.minimum is None and not self.required and not self.props and self.extra is None
                       and not self.extra_false and self.items is None)


def _resolve(schema: dict, root: dict) -> dict:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return {}
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema, seen = node, seen + 1
    return schema if isinstance(schema, dict) else {}


def _compile(schema: dict, root: dict, cache: dict) -> _Node:
    key = id(schema)
    node = cache.get(key)
    if node is None:
        node = cache[key] = _Node.__new__(_Node)
        node.__init__(schema, root, cache)
    return node


def _check(value: Any, node: _Node, entry: tuple, todo: deque) -> tuple | str | None:
    """Problems of ``value`` itself; children go on ``todo`` as (value, node, parent entry, key)."""
    kinds = _KINDS.get(type(value), ())
    if node.any_of is not None:
        if node.by_type is not None:
            option = next((node.by_type[k] for k in kinds if k in node.by_type), None)
            if option is None:
                return f"must be {' or '.join(sorted(node.by_type))}, not {_name(value)}"
            todo.append((value, option, entry[2], entry[3]))
        else:
            errors = []
            for option in node.any_of:
                err = _first(value, option, entry[2], entry[3])
                if err is None:
                    break
                errors.append((option, err))
            else:
                same = [err for o, err in errors if o.types and any(k in o.types for k in kinds)]
                if len(same) == 1:
                    return same[0]
                return "matches none of the allowed shapes"
    if node.types is not None and not any(k in node.types for k in kinds):
        return f"must be {' or '.join(sorted(node.types))}, not {_name(value)}"
    if node.has_const and value != node.const:
        return f"must be {node.const!r}"
    if node.enum is not None and value not in node.enum:
        return f"must be one of {', '.join(map(str, node.enum))}, not {value!r}"[:300]
    if node.pattern is not None and isinstance(value, str) and not node.pattern.search(value):
        return f"{value[:80]!r} does not match {node.pattern.pattern}"
    if node.minimum is not None and type(value) in (int, float) and value < node.minimum:
        return f"must be at least {node.minimum}"
    if type(value) is dict:
        for key in node.required:
            if key not in value:
                return f"missing required field {key!r}"
        props, extra = node.props, node.extra
        if props or extra is not None or node.extra_false:
            for key, child in value.items():
                sub = props.get(key)
                if sub is None:
                    if extra is not None:
                        sub = extra
                    elif node.extra_false:
                        return f"unknown field {key!r}"
                    else:
                        continue
                if not (sub.simple and type(child) in sub.ok):
                    todo.append((child, sub, entry, key))
    elif type(value) is list and node.items is not None:
        items = node.items
        if items.simple:
            ok = items.ok
            todo.extend((child, items, entry, i) for i, child in enumerate(value) if type(child) not in ok)
        else:
            todo.extend((child, items, entry, i) for i, child in enumerate(value))
    return None


def _path(entry) -> tuple:
    parts = []
    while entry is not None:
        if entry[3] is not _ROOT:
            parts.append(entry[3])
        entry = entry[2]
    return tuple(reversed(parts))


_ROOT = object()


def _first(value: Any, node: _Node, parent=None, key=_ROOT) -> tuple[tuple, str] | None:
    todo = deque([(value, node, parent, key)])
    pop = todo.popleft
    while todo:
        entry = pop()
        problem = _check(entry[0], entry[1], entry, todo)
        if problem is not None:
            return problem if isinstance(problem, tuple) else (_path(entry), problem)
    return None


_COMPILED: dict[int, tuple[dict, _Node]] = {}


def first_error(doc: Any, schema: dict) -> tuple[str, str] | None:
    """(JSON path, message) of the first problem, or None when ``doc`` conforms."""
    hit = _COMPILED.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _COMPILED[id(schema)] = (schema, _compile(schema, schema, {}))
    found = _first(doc, hit[1])
    if found is None:
        return None
    path, message = found
    return json_path(path), message
