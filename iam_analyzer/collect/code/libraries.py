"""Calls made by libraries the handler uses (``iam/sdk_libraries.py``), for both readers:
the values a library's names take in the code, and the API parameters its arguments fill."""

from __future__ import annotations

from dataclasses import dataclass

from iam_analyzer.iam.sdk_libraries import Arg, Calls, Library

from .values import Obj, Seq, Str


@dataclass(frozen=True)
class LibModule:
    """A module of a listed library (any attribute may be one of its names)."""

    library: str


@dataclass(frozen=True)
class LibRef:
    """A function or class of a listed library."""

    library: str
    name: str
    spec: Library


@dataclass(frozen=True)
class LibObj:
    """An instance of a library class, with the resource-naming constructor arguments."""

    library: str
    name: str
    spec: Library
    kept: tuple = ()  # ((API parameter, Str | Seq), ...)


def _value(arg: Arg, args: list, kwargs: dict, js: bool):
    if js:
        v = args[arg.position] if arg.position is not None and arg.position < len(args) else None
        if arg.name is not None:
            v = v.items.get(arg.name) if isinstance(v, Obj) else None
    else:
        v = args[arg.position] if arg.position is not None and arg.position < len(args) else None
        if v is None and arg.name is not None:
            v = kwargs.get(arg.name)
    if arg.keys:
        if not isinstance(v, Obj):
            return None
        return Seq([k if isinstance(k, Str) else Str(k) for k in v.items if isinstance(k, (str, Str))])
    if v is None and arg.env_default:
        return Str(None, env=arg.env_default)
    return v if isinstance(v, (Str, Seq)) else None


def params(spec_args: tuple[Arg, ...], args: list, kwargs: dict, js: bool = False) -> dict:
    """API parameter -> value, for the arguments of one call."""
    out = {}
    for a in spec_args:
        v = _value(a, args, kwargs, js)
        if v is not None:
            out.setdefault(a.param, v)
    return out


def make(ref: LibRef, args: list, kwargs: dict, js: bool = False) -> tuple[LibObj, Calls | None, dict]:
    """A library class made with these arguments: the object, and what making it calls."""
    kept = params(ref.spec.keeps, args, kwargs, js)
    obj = LibObj(ref.library, ref.name, ref.spec, tuple(kept.items()))
    create = ref.spec.on_create
    return obj, create, ({**kept, **params(create.args, args, kwargs, js)} if create else {})


def method(obj: LibObj, name: str, args: list, kwargs: dict, js: bool = False) -> tuple[Calls | None, dict]:
    calls = obj.spec.methods.get(name)
    if calls is None:
        return None, {}
    return calls, {**dict(obj.kept), **params(calls.args, args, kwargs, js)}
