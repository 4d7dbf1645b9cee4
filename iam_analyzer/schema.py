"""JSON Schemas derived from the model's dataclasses (so the schema cannot drift from the code).

``python -m iam_analyzer.schema`` rewrites the shipped files in ``iam_analyzer/schemas/``;
a test fails when they are stale.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path

from . import model

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def _type_schema(tp, defs: dict) -> dict:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_type_schema(a, defs) for a in typing.get_args(tp)]}
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(tp) or (typing.Any,)
        return {"type": "array", "items": _type_schema(inner, defs)}
    if origin is dict or tp is dict:
        args = typing.get_args(tp)
        return {"type": "object", "additionalProperties": _type_schema(args[1], defs)} if args else {"type": "object"}
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = typing.get_type_hints(tp)
            props = {f.name: _type_schema(hints[f.name], defs) for f in dataclasses.fields(tp)}
            required = [f.name for f in dataclasses.fields(tp)
                        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
            raw = tp.__doc__ or ""
            doc = [] if raw.startswith(tp.__name__ + "(") else raw.strip().splitlines()  # skip generated docs
            defs[name] = {"type": "object", "description": doc[0] if doc else name, "properties": props,
                          "required": required}
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if tp in simple:
        return {"type": simple[tp]}
    return {}


def schema_for(cls, title: str, description: str) -> dict:
    defs: dict = {}
    _type_schema(cls, defs)  # fills defs, the root included
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://iam-analyzer.invalid/schemas/{title}.schema.json",
        "title": title,
        "description": description,
        **defs[cls.__name__],
        "$defs": {k: v for k, v in sorted(defs.items()) if k != cls.__name__},
        "properties": {**defs[cls.__name__]["properties"], "schema_version": {"const": model.SCHEMA_VERSION}},
    }


def snapshot_schema() -> dict:
    s = schema_for(model.Snapshot, "snapshot", "An iam-analyzer snapshot: Lambda functions, IAM and triggers of one or more accounts.")
    s["required"] = ["schema_version", "accounts"]
    return s


def write_all() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    (SCHEMA_DIR / "snapshot.schema.json").write_text(json.dumps(snapshot_schema(), indent=1, sort_keys=True) + "\n")


from .schema_files import load  # noqa: E402,F401  (re-exported: schema.load is public)


if __name__ == "__main__":
    write_all()
