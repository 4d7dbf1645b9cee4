"""Terraform modules as the configuration reader evaluates them: a folder's blocks
(``ModuleDef``), a module instance with its inputs (``ModuleInst``: ``var.``, ``local.``,
``module.``, ``data.`` and resource references), and resource instances whose attributes are
evaluated when first asked for (``Res``, memoised, with a guard against reference cycles)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .loader import LDict, LoadError
from .tf_computed import special
from .tf_expr import UNKNOWN, Scope, plain, to_string
from .tf_hcl import Block, Body, HclError, parse_file

if TYPE_CHECKING:
    from .tf_types import Instance
    from .tf_types import ReaderLike as Reader

MAX_MODULE_DEPTH = 10


# -- parsed module folders -----------------------------------------------------------------


class ModuleDef:
    """One folder of .tf files: its variables, locals, resources, module calls and outputs."""

    def __init__(self, folder: Path, files: list[Path], errors: list[str]):
        self.folder = folder
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Any] = {}
        self.resources: dict[tuple[str, str, str], Block] = {}
        self.calls: dict[str, Block] = {}
        self.outputs: dict[str, Block] = {}
        self.provider: Block | None = None  # the default (unaliased) provider "aws" block
        for f in files:
            try:
                body = parse_file(str(f))
            except (HclError, LoadError) as e:
                errors.append(f"{f}: {e}")
                continue
            except OSError as e:
                errors.append(f"{f}: cannot read: {e.strerror or e}")
                continue
            self._add(body)

    def _add(self, body: Body) -> None:
        for b in body.blocks:
            if b.type == "variable" and b.labels:
                self.variables[b.labels[0]] = b
            elif b.type == "locals":
                self.locals.update(b.body.attrs)
            elif b.type in ("resource", "data") and len(b.labels) >= 2:
                self.resources[("managed" if b.type == "resource" else "data", b.labels[0], b.labels[1])] = b
            elif b.type == "module" and b.labels:
                self.calls[b.labels[0]] = b
            elif b.type == "output" and b.labels:
                self.outputs[b.labels[0]] = b
            elif b.type == "provider" and b.labels == ["aws"] and "alias" not in b.body.attrs:
                self.provider = b


def tf_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".tf" and p.is_file())
    except OSError:
        return []


# -- lazily evaluated objects ----------------------------------------------------------------


class Res:
    """A resource or data instance whose attributes are evaluated when asked for."""

    def __init__(self, mod: "ModuleInst", mode: str, rtype: str, name: str, block: Block, key: Any, each: Any):
        self.mod, self.mode, self.type, self.name, self.block = mod, mode, rtype, name, block
        self.key, self.each = key, each
        suffix = "" if key is None else f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"
        self.address = f"{mod.prefix}{'data.' if mode == 'data' else ''}{rtype}.{name}{suffix}"
        self.memo: dict[str, Any] = {}
        self.built: Instance | None = None

    def scope(self) -> Scope:
        names: dict[str, Any] = {}
        if isinstance(self.key, str):  # for_each keys are strings, count's numbers
            names["each"] = LDict(key=self.key, value=self.each)
        elif isinstance(self.key, int):
            names["count"] = LDict(index=self.key)
        return self.mod.scope(self.block.file, names)

    def attr(self, name: Any) -> Any:
        name = to_string(name)
        if name in self.memo:
            return self.memo[name]
        reader = self.mod.reader
        key = (id(self), name)
        if key in reader.active:
            reader.ev.note(self.block.file, self.block.line, f"{self.address}.{name}: reference cycle: read as *")
            return UNKNOWN
        reader.active.add(key)
        reader.stack.append((self, name))
        try:
            value = self._attr(name)
        finally:
            reader.active.discard(key)
            reader.stack.pop()
        self.memo[name] = value
        return value

    def _attr(self, name: str) -> Any:
        body = self.block.body
        if name in body.attrs:
            return self.mod.reader.safe_eval(body.attrs[name].expr, self.scope(), body.attrs[name].line)
        blocks = self.mod.reader.blocks(body, name, self.scope())
        if blocks is not None:
            return blocks
        return special(self, name)

    def values(self) -> LDict:
        body = self.block.body
        out = LDict()
        out.line = self.block.line
        skip = {"count", "for_each", "depends_on", "provider", "lifecycle"}
        for n in body.attrs:
            if n not in skip:
                out[n] = plain(self.attr(n))
        for b in body.blocks:
            kind = b.labels[0] if b.type == "dynamic" and b.labels else b.type
            if kind not in skip and kind not in out:
                out[kind] = plain(self.attr(kind))
        for n in ("name", "arn"):
            if n not in out and self.mode == "managed" and self.type in ("aws_iam_role", "aws_iam_policy"):
                v = self.attr(n)
                if isinstance(v, str):
                    out[n] = v
        return out


class ModuleOutputs:
    """``module.x``: its outputs, evaluated in the module (unknown for a remote module)."""

    def __init__(self, mod: "ModuleInst | None", call: Block, line_note: str | None):
        self.mod, self.call, self.line_note = mod, call, line_note

    def attr(self, name: Any) -> Any:
        if self.mod is None:
            return UNKNOWN
        out = self.mod.defn.outputs.get(to_string(name))
        if out is None or "value" not in out.body.attrs:
            return UNKNOWN
        a = out.body.attrs["value"]
        return self.mod.reader.safe_eval(a.expr, self.mod.scope(out.file), a.line)


class AnyKey:
    """The instances of a resource whose ``for_each``/``count`` is known only at apply: any key."""

    def __init__(self, inst: Any):
        self.inst = inst

    def attr(self, key: Any) -> Any:
        return self.inst


# -- module instances ------------------------------------------------------------------------


class ModuleInst:
    def __init__(self, reader: "Reader", defn: ModuleDef, prefix: str, inputs: dict, depth: int,
                 above: tuple = ()):
        self.reader, self.defn, self.prefix, self.inputs, self.depth = reader, defn, prefix, inputs, depth
        self.chain = (*above, defn.folder.resolve())  # this module's folder and those of its callers
        self.local_memo: dict[str, Any] = {}
        self.res_memo: dict[tuple[str, str, str], Any] = {}
        self.call_memo: dict[str, Any] = {}

    def scope(self, file: str, names: dict | None = None) -> Scope:
        s = Scope(self.resolve, file, names, functions=self.reader.file_functions(self))
        return s

    def resolve(self, root: str, steps: list, line: int) -> tuple[Any, int]:
        first = steps[0][1] if steps and steps[0][0] == "attr" else None
        if root == "var" and first:
            return self.var(first, line), 1
        if root == "local" and first:
            return self.local(first, line), 1
        if root == "module" and first:
            return self.module(first), 1
        if root == "path" and first:
            return self.reader.path_of(self.defn.folder) if first == "module" else ".", 1
        if root == "terraform" and first == "workspace":
            return "default", 1
        if root == "data" and len(steps) >= 2 and steps[1][0] == "attr":
            return self.resource("data", str(first), steps[1][1], line), 2
        if first and root not in ("self", "count", "each"):
            return self.resource("managed", root, first, line), 1
        return UNKNOWN, 0

    def var(self, name: str, line: int) -> Any:
        if name in self.inputs:
            return self.inputs[name]()
        block = self.defn.variables.get(name)
        if block is not None and "default" in block.body.attrs:
            a = block.body.attrs["default"]
            return self.reader.safe_eval(a.expr, self.scope(a.file), a.line)
        how = "give it with --param or --var-file" if not self.prefix else "the module call does not set it"
        self.reader.note(self.defn.folder, block.file if block else None, block.line if block else line,
                         f"{self.prefix}var.{name} has no value ({how}): read as *")
        return UNKNOWN

    def local(self, name: str, line: int) -> Any:
        if (id(self), name) in self.reader.local_active:
            a = self.defn.locals[name]
            self.reader.note(self.defn.folder, a.file, a.line, f"{self.prefix}local.{name}: reference cycle: read as *")
            return UNKNOWN
        if name in self.local_memo:
            return self.local_memo[name]
        a = self.defn.locals.get(name)
        if a is None:
            return UNKNOWN
        self.local_memo[name] = UNKNOWN  # a local that refers to itself reads as unknown
        self.reader.local_active.add((id(self), name))
        v = self.reader.safe_eval(a.expr, self.scope(a.file), a.line)
        self.reader.local_active.discard((id(self), name))
        self.local_memo[name] = v
        return v

    def resource(self, mode: str, rtype: str, name: str, line: int) -> Any:
        key = (mode, rtype, name)
        if key in self.res_memo:
            self.reader.record_reference(self.res_memo[key])
            return self.res_memo[key]
        block = self.defn.resources.get(key)
        if block is None:
            return UNKNOWN
        self.res_memo[key] = UNKNOWN  # count/for_each that refers to its own resource
        v = self.reader.expand(self, block, lambda k, e: Res(self, mode, rtype, name, block, k, e))
        self.res_memo[key] = v
        self.reader.record_reference(v)
        return v

    def module(self, name: str) -> Any:
        if name in self.call_memo:
            return self.call_memo[name]
        call = self.defn.calls.get(name)
        if call is None:
            return UNKNOWN
        self.call_memo[name] = UNKNOWN
        v = self.reader.expand(self, call, lambda k, e: self.reader.child(self, name, call, k, e))
        self.call_memo[name] = v
        return v

    def walk(self) -> list:
        """Every resource instance of this module and the modules it calls."""
        out: list = []
        for (mode, rtype, name) in self.defn.resources:
            v = self.resource(mode, rtype, name, 0)
            out.extend(instances(v))
        for name in self.defn.calls:
            for m in instances(self.module(name)):
                if isinstance(m, ModuleOutputs) and m.mod is not None:
                    out.extend(m.mod.walk())
        return out


def instances(v: Any) -> list:
    if isinstance(v, AnyKey):
        return [v.inst]
    if isinstance(v, dict) and not hasattr(v, "attr"):
        return list(v.values())
    if isinstance(v, list):
        return list(v)
    return [] if v is UNKNOWN else [v]


# -- the reader ------------------------------------------------------------------------------


__all__ = ["ModuleDef", "ModuleInst", "ModuleOutputs", "AnyKey", "Res", "instances", "tf_files"]
