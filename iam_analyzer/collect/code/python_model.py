"""The Python reader's abstract values and its use of boto3's resource models."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from botocore import xform_name

from iam_analyzer.iam import sdk_libraries, sdk_names

from .libraries import LibModule, LibRef
from .values import Client, Str


@dataclass(frozen=True)
class Module:
    name: str  # boto3, os, os.environ ...


@dataclass(frozen=True)
class Func:
    name: str  # a known callable: boto3.client, os.getenv, boto3.Session ...


@dataclass(frozen=True)
class Session:
    pass


@dataclass(frozen=True)
class ServiceResource:
    service: str


@dataclass(frozen=True)
class ResObj:
    service: str
    rtype: str
    ids: tuple  # ((identifier name, Str | None), ...)


@dataclass(frozen=True)
class Collection:
    service: str
    parent: ResObj | ServiceResource
    spec: tuple  # (collection name,)
    prefix: Str | None = None  # filter(Prefix=...): the items' keys start with it


@dataclass(frozen=True)
class Pending:
    service: str
    ops: tuple  # operations performed by the terminal call
    call: str
    params: tuple = ()  # extra ((param, Str), ...) from the object it was made from


@dataclass(frozen=True)
class Transfer:
    kind: str  # s3transfer | manager


@dataclass(frozen=True)
class BatchWriter:
    table: ResObj


@dataclass(frozen=True)
class UserFunc:
    key: tuple  # (module name, qualified name)


_TRANSFER_ARGS = {  # managed S3 transfers: positional parameter names, operations
    "upload_file": (("Filename", "Bucket", "Key"), sdk_names.S3_UPLOAD),
    "upload_fileobj": (("Fileobj", "Bucket", "Key"), sdk_names.S3_UPLOAD),
    "download_file": (("Bucket", "Key", "Filename"), sdk_names.S3_DOWNLOAD),
    "download_fileobj": (("Bucket", "Key", "Fileobj"), sdk_names.S3_DOWNLOAD),
    "copy": (("CopySource", "Bucket", "Key"), sdk_names.S3_COPY),
    "upload": (("Fileobj", "Bucket", "Key"), sdk_names.S3_UPLOAD),  # TransferManager
    "download": (("Bucket", "Key", "Fileobj"), sdk_names.S3_DOWNLOAD),
    "delete": (("Bucket", "Key"), ("DeleteObject",)),
}
_RESOURCE_TRANSFER = {"Bucket": {"Bucket": "Name"}, "Object": {"Bucket": "BucketName", "Key": "Key"},
                      "ObjectSummary": {"Bucket": "BucketName", "Key": "Key"}}


@dataclass
class Unit:
    """One parsed file of a package."""

    path: str
    module: str
    tree: ast.Module
    globals: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)  # qualified name -> FunctionDef
    classes: dict = field(default_factory=dict)  # class name -> {attr: value}
    class_bodies: dict = field(default_factory=dict)  # class name -> its attribute assignments


_KNOWN_FUNCS = {"boto3.client", "boto3.resource", "boto3.Session", "boto3.session.Session", "aioboto3.Session", "os.getenv",
                "os.environ.get", "boto3.s3.transfer.S3Transfer", "s3transfer.manager.TransferManager",
                "botocore.session.get_session", "aiobotocore.session.get_session"}


class _Scope:
    def __init__(self, module_globals: dict, cls_attrs: dict | None):
        self.glob = module_globals
        self.cls = cls_attrs
        self.local: dict = {}

    def get(self, name):
        if name in self.local:
            return self.local[name]
        return self.glob.get(name)

    def set(self, name, v):
        self.local[name] = v


def _index(u: Unit) -> None:
    """Imports, functions and classes of a module; module-level names start as imports."""
    g = u.globals
    for st in u.tree.body:
        if isinstance(st, ast.Import):
            for a in st.names:
                lib = sdk_libraries.python_library(a.name)
                if lib:
                    g[(a.asname or a.name).split(".")[0] if not a.asname else a.asname] = LibModule(lib)
                elif a.name in ("boto3", "os", "aioboto3") or a.name.startswith(("boto3.", "os.", "botocore.session",
                                                                                   "aiobotocore.session")):
                    g[(a.asname or a.name).split(".")[0]] = Module(a.name if a.asname else a.name.split(".")[0])
                else:
                    g[a.asname or a.name.split(".")[0]] = ("module", a.name if a.asname else a.name.split(".")[0])
        elif isinstance(st, ast.ImportFrom):
            mod = st.module or ""
            if st.level:
                base = u.module.split(".")
                base = base[: len(base) - st.level]
                mod = ".".join(base + ([mod] if mod else []))
            lib = sdk_libraries.python_library(mod)
            for a in st.names:
                full = f"{mod}.{a.name}"
                local = a.asname or a.name
                if lib:  # a function or class of a library that calls AWS, or one of its modules
                    spec = sdk_libraries.python_symbol(lib, a.name)
                    g[local] = LibRef(lib, a.name, spec) if spec else LibModule(lib)
                elif full in ("os.environ",):
                    g[local] = Module("os.environ")
                elif full in ("os.getenv", "boto3.client", "boto3.resource", "boto3.Session", "boto3.session.Session",
                              "aioboto3.Session", "botocore.session.get_session", "aiobotocore.session.get_session"):
                    g[local] = Func(full)
                elif a.name in ("S3Transfer", "TransferManager") and mod.startswith(("boto3", "s3transfer")):
                    g[local] = Func(a.name)
                else:
                    g[local] = ("import", mod, a.name)
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            u.functions[st.name] = st
            g[st.name] = UserFunc((u.module, st.name))
        elif isinstance(st, ast.ClassDef):
            u.classes[st.name] = {}
            u.class_bodies[st.name] = [m for m in st.body if isinstance(m, (ast.Assign, ast.AnnAssign))]
            for m in st.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    u.functions[f"{st.name}.{m.name}"] = m


def _resolve_imports(units: dict[str, Unit]) -> None:
    """``from .helpers import put`` -> the helper's function; other imports stay unknown."""
    for u in units.values():
        for name, v in list(u.globals.items()):
            if isinstance(v, tuple) and v and v[0] == "import":
                _, mod, attr = v
                target = units.get(mod) or next((x for m, x in units.items() if m.endswith("." + mod) or m == mod.split(".")[-1]), None)
                if target is not None and attr in target.functions:
                    u.globals[name] = UserFunc((target.module, attr))
                else:
                    u.globals.pop(name)
            elif isinstance(v, tuple) and v and v[0] == "module":
                u.globals[name] = ("pymodule", v[1])


def _res(service: str, rtype: str) -> dict:
    return sdk_names.resource_model(service).get("resources", {}).get(rtype, {})


def _make_resobj(service, res: dict, args, kwargs, parent_ids: tuple, from_request: bool = False):
    ids = []
    pids = dict(parent_ids)
    pos = list(args)
    for ident in res.get("identifiers", []):
        target = ident["target"]
        if ident.get("source") == "identifier":
            ids.append((target, pids.get(ident.get("name"))))
        elif ident.get("source") == "input":
            v = pos.pop(0) if pos else kwargs.get(target)
            ids.append((target, v if isinstance(v, Str) else None))
        elif ident.get("source") == "requestParameter" and from_request:
            v = kwargs.get(ident.get("path", "").split(".")[0])
            ids.append((target, v if isinstance(v, Str) else None))
        else:
            ids.append((target, None))
    return ResObj(service, res["type"], tuple(ids))


def _collection(base, name):
    spec = (sdk_names.resource_model(base.service).get("service", {}) if isinstance(base, ServiceResource)
            else _res(base.service, base.rtype)).get("hasMany", {})
    for cname in spec:
        if _snake(cname) == name:
            return Collection(base.service, base, (cname,))
    return None


def _collection_spec(c: Collection) -> dict:
    base = c.parent
    spec = (sdk_names.resource_model(base.service).get("service", {}) if isinstance(base, ServiceResource)
            else _res(base.service, base.rtype)).get("hasMany", {})
    return spec.get(c.spec[0], {})


def _collection_item(c: Collection):
    spec = _collection_spec(c)
    res = spec.get("resource", {})
    if not res:
        return None
    ids = []
    pids = dict(c.parent.ids) if isinstance(c.parent, ResObj) else {}
    for ident in res.get("identifiers", []):
        v = pids.get(ident.get("name")) if ident.get("source") == "identifier" else None
        if v is None and ident["target"] == "Key" and c.prefix is not None and c.prefix.text is not None:
            v = Str(c.prefix.text.rstrip("*") + "*")
        ids.append((ident["target"], v))
    return ResObj(c.service, res["type"], tuple(ids))


def _load_attrs(o: ResObj) -> frozenset[str]:
    spec = _res(o.service, o.rtype)
    if not spec.get("shape") or not spec.get("load"):
        return frozenset()
    ids = {_snake(i) for i, _ in o.ids}
    return sdk_names.shape_members(o.service, spec["shape"]) - ids


def _snake(name: str) -> str:
    return xform_name(name)


def _positional(names, args, kwargs) -> dict:
    out = {n: a for n, a in zip(names, args)}
    for k, v in kwargs.items():
        out.setdefault(k, v)
    return out


def _fmt_pattern(text: str) -> str:
    return re.sub(r"\{[^}]*\}|%[-#0 +]*\d*(?:\.\d+)?[sdifr]", "*", text)


def _call_text(node: ast.Call) -> str:
    try:
        text = ast.unparse(node.func)
    except Exception:  # pragma: no cover - unparse handles every expression ast produces
        return ""
    return text if len(text) <= 60 else text[:57] + "..."


def _annotation_client(ann):
    """A parameter annotated ``S3Client`` (mypy-boto3 stubs) holds a client of that service."""
    if ann is None:
        return None
    name = ann.attr if isinstance(ann, ast.Attribute) else ann.id if isinstance(ann, ast.Name) else (
        ann.value if isinstance(ann, ast.Constant) and isinstance(ann.value, str) else None)
    if not name or not name.endswith("Client") or name == "Client":
        return None
    from iam_analyzer.iam.sdk_names import service_for_js_client

    svc = service_for_js_client(name)
    return Client(svc) if svc else None


def parse_units(files: list[tuple[str, str, str]]) -> tuple[list[Unit], list[str]]:
    """(path, module name, source) -> parsed units and one-line problems."""
    units, problems = [], []
    for path, module, source in files:
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError) as e:
            problems.append(f"{path}:{getattr(e, 'lineno', 0) or 0}: cannot parse: {getattr(e, 'msg', str(e))}")
            continue
        except (RecursionError, MemoryError):
            problems.append(f"{path}:0: cannot parse: nested too deeply")
            continue
        units.append(Unit(path, module, tree))
    return units, problems


class _GlobalScope(_Scope):
    def __init__(self, g: dict):
        super().__init__(g, None)
        self.local = g
