"""What the analysers know about a value in handler code (shared by Python and JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass, field

from iam_analyzer.iam.resource_params import is_resource_param
from iam_analyzer.model import CodeArg, CodeCall


@dataclass(frozen=True)
class Str:
    """A string: literal text with ``*`` for parts computed at run time, or an environment
    variable's value (``env``)."""

    text: str | None
    env: str | None = None

    def concat(self, other: "Str | None") -> "Str":
        return Str(_text(self) + _text(other))


def _text(v: "Str | None") -> str:
    if v is None or v.text is None:
        return "*"
    return v.text


def joined(parts: list["Str | None"]) -> Str | None:
    """A template string / f-string: one whole environment variable stays one."""
    if len(parts) == 1 and parts[0] is not None and parts[0].env:
        return parts[0]
    text = "".join(_text(p) for p in parts)
    text = _collapse(text)
    return Str(text)


def _collapse(text: str) -> str:
    while "**" in text:
        text = text.replace("**", "*")
    return text


@dataclass(frozen=True)
class Client:
    service: str
    sdk: str = "boto3"


@dataclass(frozen=True)
class DocClient:
    """A DynamoDB document client (JS v2 DocumentClient, v3 DynamoDBDocumentClient)."""

    sdk: str = "js-v2"


@dataclass
class Obj:
    """A dict / object literal: key -> value (Str, Obj, Seq, or None)."""

    items: dict = field(default_factory=dict)


@dataclass
class Seq:
    items: list = field(default_factory=list)


def code_args(params: dict, out: list[CodeArg] | None = None, service: str | None = None) -> list[CodeArg]:
    """Resource-naming parameters of a call's argument object, at any depth (DynamoDB's
    ``RequestItems`` keys and ``TransactItems`` name tables too)."""
    out = [] if out is None else out
    for key, v in params.items():
        if not isinstance(key, str):
            continue
        if key == "RequestItems" and isinstance(v, Obj):
            for table in v.items:
                if isinstance(table, Str):
                    _add(out, "TableName", table)
                elif isinstance(table, str):
                    _add(out, "TableName", Str(table))
            continue
        if key == "TransactItems" and isinstance(v, Seq):
            kinds = [next(iter(i.items)) if isinstance(i, Obj) and len(i.items) == 1 else None for i in v.items]
            if kinds and all(isinstance(k, str) for k in kinds):  # every item written out: its kind
                for k in dict.fromkeys(kinds):
                    _add(out, "TransactItems", Str(k))
            for item in v.items:
                if isinstance(item, Obj):
                    code_args(item.items, out, service)
            continue
        if key == "CopySource" and isinstance(v, Obj):
            for sub in ("Bucket", "Key"):
                if isinstance(v.items.get(sub), Str):
                    _add(out, f"CopySource.{sub}", v.items[sub])
            continue
        if isinstance(v, Str) and is_resource_param(key, service):
            _add(out, key, v)
        elif isinstance(v, Obj):
            code_args(v.items, out, service)
        elif isinstance(v, Seq):
            for item in v.items:
                if isinstance(item, Obj):
                    code_args(item.items, out, service)
                elif isinstance(item, Str) and is_resource_param(key, service):
                    _add(out, key, item)
    return out


def _add(out: list[CodeArg], param: str, v: Str) -> None:
    arg = CodeArg(param, v.text, v.env)
    if arg not in out:
        out.append(arg)


def make_call(service: str, op: str, path: str, line: int, sdk: str, call: str, params: dict) -> CodeCall:
    return CodeCall(service=service, operation=op, path=path, line=line, sdk=sdk, call=call,
                    args=code_args(params, service=service))
