"""Terraform configuration (a folder of ``.tf`` files) -> Parts, through the plan reader's mapper.

The configuration is evaluated offline (``tf_expr``) into the per-resource attribute values a
plan would hold (``tf_map`` maps them, as for ``terraform show -json``): variables (``--param``,
``--var-file``, ``terraform.tfvars``, ``*.auto.tfvars``, defaults), locals, references between
resources (ARNs, names and ids built from names, as the plan reader builds them), ``count`` and
``for_each`` over known collections, ``dynamic`` blocks, local modules with their inputs and
outputs, ``data "aws_iam_policy_document"`` (with ``source_policy_documents`` and
``override_policy_documents``), ``data "aws_iam_policy"`` of an AWS managed policy (from the
shipped data), and the account, region and partition data sources. What only apply knows
(computed ids and ARNs, remote modules, data sources that query AWS) is ``*``, recorded with
its file and line. Addresses are Terraform's (``module.x.aws_iam_role.y["k"]``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from iam_analyzer.model import SourceLocation

from . import tf_map
from .loader import LDict, LList, LoadError, read_bounded
from .resolve import Unresolved
from .result import Parts
from .tf_stand_ins import stand_in, unmodelled
from .terraform import Instance, Plan
from .tf_expr import UNKNOWN, BudgetSpent, EvalLimit, Evaluator, Scope, to_string
from .tf_hcl import Block, Body
from .tf_module import MAX_MODULE_DEPTH, AnyKey, ModuleDef, ModuleInst, ModuleOutputs, Res, instances, tf_files

MAX_INSTANCES = 20_000  # resource instances of one root module, after count and for_each
MAX_PER_RESOURCE = 1_000  # instances of one resource or module call (more: one instance, any key)
MAX_FILES = 500  # .tf files of one root module with its local modules


class ConfigError(ValueError):
    pass


class ConfigPlan(Plan):
    """The plan reader's view of an evaluated configuration: known values only, lines per file."""

    def __init__(self, path: str, account: str, region: str, partition: str):
        self.path, self.account, self.region, self.partition = path, account, region, partition
        self.unresolved: list[Unresolved] = []
        self.instances: list[Instance] = []
        self.config, self.module_calls = {}, {}
        self.by_address, self.by_base, self.by_type_name = {}, {}, {}
        self.refs: dict[tuple[str, str], list] = {}
        self.files: dict[str, str] = {}  # address -> file

    def index(self) -> None:
        from .terraform import _base
        self.by_address = {i.address: i for i in self.instances}
        for i in self.instances:
            self.by_base.setdefault(_base(i.address), []).append(i)
            if isinstance(i.values.get("name"), str):
                self.by_type_name.setdefault((i.type, i.values["name"]), i)

    def location(self, inst: Instance) -> SourceLocation:
        return SourceLocation(self.files.get(inst.address, self.path), inst.line, inst.address)

    def note(self, inst: Instance, what: str) -> None:
        self.unresolved.append(Unresolved(self.files.get(inst.address, self.path), inst.line, f"{inst.address}: {what}"))

    def referenced(self, inst: Instance, attr: str) -> Instance | None:
        for target in self.refs.get((inst.address, attr), ()):
            if target.built is not None:
                return target.built
        return None


_META_ARGS = ("source", "version", "count", "for_each", "providers", "depends_on")


class Reader:
    def __init__(self, root: Path, account: str, region: str, partition: str, allowed: list[Path]):
        self.root, self.account, self.region, self.partition = root, account, region, partition
        self.allowed = allowed
        self.plan = ConfigPlan(str(root), account, region, partition)
        self.ev = Evaluator(self._note_ev)
        self.errors: list[str] = []
        self.active: set = set()
        self.local_active: set = set()
        self.where: list[tuple[str, int]] = []  # (file, line) of the expressions being evaluated
        self.stack: list = []
        self.defs: dict[Path, ModuleDef] = {}
        self.files = 0
        self.reads = 0
        self.instances = 0
        self._seen_notes: set = set()
        self.limit_hit: str | None = None
        self.remote = self._installed_modules()

    # notes ------------------------------------------------------------------------------
    def note(self, folder: Any, file: str | None, line: int | None, what: str) -> None:
        key = (file, line, what)
        if key not in self._seen_notes:
            self._seen_notes.add(key)
            self.plan.unresolved.append(Unresolved(file or str(folder), line, what))

    def _note_ev(self, file: str | None, line: int | None, what: str) -> None:
        self.note(self.root, file, line, what)

    def current_line(self) -> tuple[str | None, int | None]:
        """Where the value being computed was asked for: the expression that refers to it."""
        if self.where:
            return self.where[-1]
        if self.stack:
            res, name = self.stack[-2] if len(self.stack) > 1 else self.stack[-1]
            a = res.block.body.attrs.get(name)
            return res.block.file, a.line if a is not None else res.block.line
        return None, None

    def record_reference(self, target: Any) -> None:
        if self.stack:
            res, name = self.stack[-1]
            self.plan.refs.setdefault((res.address, name), []).extend(
                t for t in instances(target) if isinstance(t, Res))

    def safe_eval(self, node: Any, scope: Scope, line: int) -> Any:
        if self.limit_hit:
            return UNKNOWN
        self.where.append((scope.file, line))
        try:
            return self.ev.eval(node, scope)
        except BudgetSpent as e:
            self.limit_hit = str(e)
            self.note(self.root, scope.file, line, f"{e}: the rest of this configuration is read as *")
        except EvalLimit as e:
            self.note(self.root, scope.file, line, f"{e}: read as *")
        except RecursionError:
            self.note(self.root, scope.file, line, "expression nested too deeply: read as *")
        finally:
            self.where.pop()
        return UNKNOWN

    def path_of(self, folder: Path) -> str:
        """``path.module``: the module's folder relative to the root module (Terraform's working folder)."""
        try:
            return os.path.relpath(folder.resolve(), self.root.resolve()).replace(os.sep, "/")
        except ValueError:
            return str(folder)

    # modules ----------------------------------------------------------------------------
    def module_def(self, folder: Path) -> ModuleDef:
        key = folder.resolve()
        if key not in self.defs:
            files = tf_files(folder)
            self.files += len(files)
            if self.files > MAX_FILES:
                raise ConfigError(f"{self.root}: over {MAX_FILES} .tf files with its modules: refused")
            self.defs[key] = ModuleDef(folder, files, self.errors)
            self.allowed.append(key)
        return self.defs[key]

    def _installed_modules(self) -> dict[str, Path]:
        """Modules ``terraform init`` installed (``.terraform/modules/modules.json``): key -> folder."""
        p = self.root / ".terraform" / "modules" / "modules.json"
        try:
            data = json.loads(read_bounded(p, 4 * 1024 * 1024))
        except (OSError, LoadError, ValueError):
            return {}
        out = {}
        for m in data.get("Modules") or [] if isinstance(data, dict) else []:
            if isinstance(m, dict) and isinstance(m.get("Key"), str) and isinstance(m.get("Dir"), str):
                out[m["Key"]] = self.root / m["Dir"]
        return out

    def child(self, parent: ModuleInst, name: str, call: Block, key: Any, each: Any) -> ModuleOutputs:
        suffix = "" if key is None else f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"
        prefix = f"{parent.prefix}module.{name}{suffix}."
        names: dict[str, Any] = {}
        if isinstance(key, str):  # for_each keys are strings, count's numbers
            names["each"] = LDict(key=key, value=each)
        elif isinstance(key, int):
            names["count"] = LDict(index=key)
        src_attr = call.body.attrs.get("source")
        source = self.safe_eval(src_attr.expr, parent.scope(call.file), call.line) if src_attr else None
        folder = None
        if isinstance(source, str) and source.startswith(("./", "../")):
            folder = Path(os.path.normpath(parent.defn.folder / source))
        else:
            module_key = ".".join(p.rstrip(".").split("[")[0] for p in prefix.split("module.")[1:] if p)
            folder = self.remote.get(module_key)
            if folder is None and (standin := stand_in(source)) is not None:
                folder = standin
                given = [n for n in call.body.attrs if n not in _META_ARGS]
                self.note(parent.defn.folder, call.file, call.line,
                          f"{prefix.rstrip('.')}: {source} is not installed (terraform init): read through "
                          "iam-analyzer's stand-in for it (function, role and the policies its inputs attach)")
                for n in unmodelled(folder, given):
                    a = call.body.attrs[n]
                    self.note(parent.defn.folder, a.file, a.line, f"{prefix.rstrip('.')}: input {n} is not modelled "
                              "by the stand-in: what it would add is not read")
        loop = folder is not None and folder.resolve() in parent.chain  # Terraform refuses it too
        if folder is None or not folder.is_dir() or parent.depth >= MAX_MODULE_DEPTH or loop:
            why = (f"source {source} is this module or one that calls it, a loop" if loop else
                   f"modules nested over {MAX_MODULE_DEPTH} deep" if parent.depth >= MAX_MODULE_DEPTH else
                   f"source {source if isinstance(source, str) else '?'} is not a local folder (remote modules "
                   "are read only once terraform init has installed them)")
            self.note(parent.defn.folder, call.file, call.line,
                      f"{prefix.rstrip('.')}: {why}: its resources are not read and its outputs are read as *")
            return ModuleOutputs(None, call, why)
        inputs = {}
        for n, a in call.body.attrs.items():
            if n in _META_ARGS:
                continue
            inputs[n] = self._input(parent, a, names)
        mod = ModuleInst(self, self.module_def(folder), prefix, inputs, parent.depth + 1, parent.chain)
        # a stand-in's resources are shown at the module call (and at the call of the module calling it)
        mod.shown_at = (call.file, call.line) if stand_in(source) is not None and folder == stand_in(source) else \
            getattr(parent, "shown_at", None)
        return ModuleOutputs(mod, call, None)

    def _input(self, parent: ModuleInst, a: Any, names: dict):
        memo: list = []

        def get_value() -> Any:
            if not memo:
                memo.append(UNKNOWN)
                memo[0] = self.safe_eval(a.expr, parent.scope(a.file, dict(names)), a.line)
            return memo[0]
        return get_value

    def expand(self, mod: ModuleInst, block: Block, make) -> Any:
        """A block's instances after ``count``/``for_each``: one object, a list, or a map."""
        attrs = block.body.attrs
        scope = mod.scope(block.file)
        if "for_each" in attrs:
            coll = self.safe_eval(attrs["for_each"].expr, scope, attrs["for_each"].line)
            if not isinstance(coll, (dict, list)):
                self.note(mod.defn.folder, block.file, attrs["for_each"].line,
                          "for_each known only after apply: read as one instance with any key")
                return AnyKey(make("*", UNKNOWN))
            items = list(coll.items()) if isinstance(coll, dict) else [(to_string(x), x) for x in coll]
            if len(items) > MAX_PER_RESOURCE:
                return self._too_many(mod, block, make, len(items), "*")
            self._count(len(items), block)
            out = LDict()
            for k, v in items:
                out[to_string(k)] = make(to_string(k), v)
            return out
        if "count" in attrs:
            n = self.safe_eval(attrs["count"].expr, scope, attrs["count"].line)
            if isinstance(n, bool) or not isinstance(n, (int, float)):
                self.note(mod.defn.folder, block.file, attrs["count"].line,
                          "count known only after apply: read as one instance")
                return AnyKey(make(0, None))
            if n > MAX_PER_RESOURCE:
                return self._too_many(mod, block, make, int(n), 0)
            self._count(int(n), block)
            return LList(make(i, None) for i in range(max(0, int(n))))
        self._count(1, block)
        return make(None, None)

    def _too_many(self, mod: ModuleInst, block: Block, make, n: int, key: Any) -> AnyKey:
        self.note(mod.defn.folder, block.file, block.line, f"{n} instances, over the {MAX_PER_RESOURCE} read per "
                  "resource: read as one instance with any key")
        self._count(1, block)
        return AnyKey(make(key, UNKNOWN if key == "*" else None))

    def _count(self, n: int, block: Block) -> None:
        self.instances += max(0, n)
        if self.instances > MAX_INSTANCES:
            raise ConfigError(f"{block.file}: line {block.line}: over {MAX_INSTANCES} resource instances after "
                              "count and for_each: refused")

    def blocks(self, body: Body, kind: str, scope: Scope) -> Any:
        """Nested blocks of one kind (``statement``, ``inline_policy``, ``dynamic`` ones) as a list of maps."""
        found = [b for b in body.blocks if b.type == kind or (b.type == "dynamic" and b.labels[:1] == [kind])]
        if not found:
            return None
        out = LList()
        out.line = found[0].line
        for b in found:
            if b.type != "dynamic":
                out.append(self.block_value(b, scope))
                continue
            fe = b.body.attrs.get("for_each")
            content = next((c for c in b.body.blocks if c.type == "content"), None)
            it = b.body.attrs.get("iterator")
            var = it.expr.text.decode().strip() if it is not None else kind
            coll = self.safe_eval(fe.expr, scope, fe.line) if fe is not None else None
            if content is None:
                continue
            if not isinstance(coll, (dict, list)):
                self.note(self.root, b.file, b.line, f"dynamic {kind}: for_each known only after apply: "
                          "read as one block of unknown values")
                coll = {"*": UNKNOWN}
            pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll))
            for k, v in pairs:
                out.append(self.block_value(content, scope.child({var: LDict(key=k, value=v)}), b.line))
        return out

    def block_value(self, b: Block, scope: Scope, line: int | None = None) -> LDict:
        out = LDict()
        out.line = line or b.line
        for n, a in b.body.attrs.items():
            out[n] = self.safe_eval(a.expr, scope, a.line)
            out.key_lines[n] = a.line
        for inner in {x.labels[0] if x.type == "dynamic" and x.labels else x.type for x in b.body.blocks}:
            out[inner] = self.blocks(b.body, inner, scope)
        return out

    def policy_document(self, res: Res) -> Any:
        from .tf_docs import policy_document
        return policy_document(self, res)

    def file_functions(self, mod: ModuleInst) -> dict:
        from .tf_docs import file_functions
        return file_functions(self, mod)


def called_modules(folders: list[Path]) -> set[Path]:
    """Folders that one of ``folders`` calls as a local module (they are not root modules).
    A folder that calls itself, or folders that call each other round, would all be "called"
    and none read: the first of such a circle is a root, and the circle is said by the reader."""
    ev = Evaluator(lambda *a: None, max_steps=10_000)
    calls: dict[Path, set[Path]] = {}
    for folder in folders:
        here = calls.setdefault(folder.resolve(), set())
        defn = ModuleDef(folder, tf_files(folder), [])
        for call in defn.calls.values():
            a = call.body.attrs.get("source")
            if a is None:
                continue
            try:
                src = ev.eval(a.expr, Scope(lambda root, steps, line: (UNKNOWN, 0), a.file))
            except (EvalLimit, RecursionError):
                continue
            if isinstance(src, str) and src.startswith(("./", "../")):
                here.add((folder / src).resolve())
    called_by_other = {c for f, cs in calls.items() for c in cs if c != f}
    roots = [f for f in calls if f not in called_by_other]
    reached: set[Path] = set()

    def reach(start: Path) -> None:
        todo = [start]
        while todo:
            for c in calls.get(todo.pop(), ()):
                if c not in reached:
                    reached.add(c)
                    todo.append(c)

    for r in roots:
        reach(r)
    for f in calls:  # a circle no root calls into: its first folder is read as a root
        if f not in reached and f not in roots:
            roots.append(f)
            reach(f)
    return (reached | {c for cs in calls.values() for c in cs}) - set(roots)


def read_config(folder: Path, parts: Parts, *, account: str, region: str, partition: str,
                params: dict[str, Any], var_files: list[str], skip: set[str] | None = None,
                file_roots: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Read a root module into ``parts``. Returns (errors, warnings); raises ``ConfigError``."""
    from .tf_docs import root_variables

    allowed = [folder.resolve()] + [Path(r).resolve() for r in (file_roots if file_roots is not None else ["."])]
    reader = Reader(folder, account, region, partition, allowed)
    root_def = reader.module_def(folder)
    values, errors = root_variables(reader, root_def, params, var_files)
    inputs = {k: (lambda v=v: v) for k, v in values.items()}
    root = ModuleInst(reader, root_def, "", inputs, 0)
    _provider_region(reader, root)
    warnings: list[str] = []
    for res in root.walk():
        if not isinstance(res, Res):
            continue
        if skip and (res.address in skip or _strip_key(res.address) in skip):
            continue
        values_ = res.values()
        raw = LDict(address=res.address, type=res.type, name=res.name, mode=res.mode,
                    index=res.key, values=values_)
        shown = getattr(res.mod, "shown_at", None)
        raw.line = shown[1] if shown else res.block.line
        inst = Instance(raw, res.mod.prefix.rstrip("."), {})
        res.built = inst
        reader.plan.files[res.address] = shown[0] if shown else res.block.file
        reader.plan.instances.append(inst)
    reader.plan.index()
    tf_map.read(reader.plan, parts)
    parts.links[:] = [(ref, action, where or str(folder)) for ref, action, where in parts.links]
    parts.unresolved.extend(reader.plan.unresolved)
    if reader.limit_hit:
        warnings.append(f"{folder}: {reader.limit_hit}: values past it are read as *")
    return reader.errors + errors, warnings


def _provider_region(reader: Reader, root: ModuleInst) -> None:
    """The root module's provider "aws" block names the region Terraform deploys to: when it is
    known offline it replaces the default region (ARNs built from names then carry it)."""
    block = root.defn.provider
    attr = block.body.attrs.get("region") if block is not None else None
    if attr is None:
        return
    region = reader.safe_eval(attr.expr, root.scope(block.file), attr.line)
    if isinstance(region, str) and region and "*" not in region and region.replace("-", "").isalnum():
        reader.region = reader.plan.region = region


def _strip_key(address: str) -> str:
    from .terraform import _base
    return _base(address)


__all__ = ["read_config", "called_modules", "tf_files", "ConfigError"]
