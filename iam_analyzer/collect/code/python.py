"""boto3 calls in Python handler code, read with ``ast`` (the code is never run).

Follows clients and resources through local variables, module globals, attributes set on
``self``, ``with`` targets, loops over collections, and helpers of the same package they are
passed to (with the arguments they are given, a few calls deep). Understands clients,
service resources and their objects (``Table``, ``Bucket``, ``Object``, collections,
``load`` and attribute reads), paginators, waiters, presigned URLs, the managed transfers
(``upload_file``, ``download_file``, ``copy``, ``S3Transfer``, ``TransferManager``) and
DynamoDB's ``batch_writer``.
"""


import ast

from iam_analyzer.iam import sdk_libraries, sdk_names
from iam_analyzer.model import CodeCall

from .python_model import (
    _KNOWN_FUNCS, _RESOURCE_TRANSFER, _TRANSFER_ARGS, BatchWriter, Collection, Func, Module, Pending, ResObj, ServiceResource,
    Session, Transfer, Unit, UserFunc, _annotation_client, _call_text, _collection, _collection_item, _collection_spec, _fmt_pattern,
    _GlobalScope, _index, _load_attrs, _make_resobj, _positional, _res, _resolve_imports, _Scope, _snake, parse_units)
from . import libraries
from .libraries import LibModule, LibObj, LibRef
from .python_reach import reachable
from .python_scopes import bind_class_attributes, bind_declared_globals
from .values import Client, Obj, Seq, Str, joined, make_call


class Analyzer:
    MAX_DEPTH = 4

    def __init__(self, units: list[Unit]):
        self.units = {u.module: u for u in units}
        self.calls: list[CodeCall] = []
        self._seen: set = set()
        self._done: set = set()
        self._returns: dict = {}

    def _function(self, u: Unit, fn: ast.FunctionDef, bound: dict, cls: str | None, depth: int) -> None:
        key = (u.module, id(fn), tuple(sorted((k, repr(v)) for k, v in bound.items())))
        if key in self._done or depth > self.MAX_DEPTH:
            return
        self._done.add(key)
        scope = _Scope(u.globals, u.classes.get(cls, {}) if cls else None)
        for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs:
            ann = _annotation_client(a.annotation)
            if ann:
                scope.local[a.arg] = ann
        scope.local.update(bound)
        self._block(u, fn.body, scope, cls, depth)

    # -- statements --
    def _block(self, u: Unit, body: list, scope, cls, depth) -> None:
        for st in body:
            self._stmt(u, st, scope, cls, depth)

    def _stmt(self, u, st, scope, cls, depth) -> None:
        if isinstance(st, ast.ClassDef):
            return  # methods are analysed on their own
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in st.decorator_list:  # @sqs_batch_processor(...), @tracer.capture_method
                self._ev(u, d, scope, cls, depth)
            if not isinstance(scope, _GlobalScope):  # a closure: sees the enclosing function's names
                self._block(u, st.body, scope, cls, depth)
            return
        if isinstance(st, (ast.Import, ast.ImportFrom)) and not isinstance(scope, _GlobalScope):
            local = Unit(u.path, u.module, ast.Module(body=[st], type_ignores=[]))
            _index(local)  # an import inside a function (a lazy import): the same names as at module level
            _resolve_imports({**self.units, f"{u.module}:{st.lineno}": local})
            for k, v in local.globals.items():
                if not (isinstance(v, tuple) and v and v[0] in ("import", "module")):
                    scope.set(k, v)
            return
        if isinstance(st, ast.Assign):
            v = self._ev(u, st.value, scope, cls, depth)
            for t in st.targets:
                self._bind(t, v, scope)
            return
        if isinstance(st, ast.AnnAssign):
            if st.value is not None:
                self._bind(st.target, self._ev(u, st.value, scope, cls, depth), scope)
            return
        if isinstance(st, (ast.With, ast.AsyncWith)):
            for item in st.items:
                v = self._ev(u, item.context_expr, scope, cls, depth)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, v, scope)
            self._block(u, st.body, scope, cls, depth)
            return
        if isinstance(st, (ast.For, ast.AsyncFor)):
            it = self._ev(u, st.iter, scope, cls, depth)
            if isinstance(it, Collection):
                self._bind(st.target, _collection_item(it), scope)
            self._block(u, st.body, scope, cls, depth)
            self._block(u, st.orelse, scope, cls, depth)
            return
        for child in ast.iter_child_nodes(st):
            if isinstance(child, ast.expr):
                self._ev(u, child, scope, cls, depth)
            elif isinstance(child, ast.stmt):
                self._stmt(u, child, scope, cls, depth)
            elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                self._block(u, child.body, scope, cls, depth)

    def _bind(self, target, v, scope) -> None:
        if isinstance(target, ast.Name):
            scope.set(target.id, v)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
            if scope.cls is not None and v is not None:
                scope.cls[target.attr] = v

    # -- expressions --
    def _ev(self, u, node, scope, cls, depth):
        if isinstance(node, ast.Constant):
            return Str(node.value) if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return scope.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for p in node.values:
                if isinstance(p, ast.Constant):
                    parts.append(Str(str(p.value)))
                else:
                    v = self._ev(u, p.value, scope, cls, depth)
                    parts.append(v if isinstance(v, Str) and v.text is not None else (v if isinstance(v, Str) and len(node.values) == 1 else None))
            return joined(parts)
        if isinstance(node, ast.BinOp):
            left, right = self._ev(u, node.left, scope, cls, depth), self._ev(u, node.right, scope, cls, depth)
            if isinstance(node.op, ast.Add) and (isinstance(left, Str) or isinstance(right, Str)):
                return joined([left if isinstance(left, Str) and left.text is not None else None,
                               right if isinstance(right, Str) and right.text is not None else None])
            if isinstance(node.op, ast.Mod) and isinstance(left, Str) and left.text is not None:
                return Str(_fmt_pattern(left.text))
            return None
        if isinstance(node, ast.Dict):
            items = {}
            for k, v in zip(node.keys, node.values):
                val = self._ev(u, v, scope, cls, depth)
                if k is None:
                    if isinstance(val, Obj):
                        items.update(val.items)
                    continue
                kv = self._ev(u, k, scope, cls, depth)
                if isinstance(kv, Str) and kv.text is not None and kv.env is None and "*" not in kv.text:
                    items[kv.text] = val
                elif isinstance(kv, Str):
                    items[kv] = val  # a key computed from a name (DynamoDB RequestItems)
            return Obj(items)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return Seq([self._ev(u, e, scope, cls, depth) for e in node.elts])
        if isinstance(node, ast.Subscript):
            base = self._ev(u, node.value, scope, cls, depth)
            key = self._ev(u, node.slice, scope, cls, depth)
            if base == Module("os.environ") and isinstance(key, Str) and key.text:
                return Str(None, env=key.text)
            if isinstance(base, Obj) and isinstance(key, Str) and key.text in base.items:
                return base.items[key.text]
            return None
        if isinstance(node, ast.Attribute):
            return self._attr(u, node, scope, cls, depth)
        if isinstance(node, ast.Call):
            return self._call(u, node, scope, cls, depth)
        if isinstance(node, ast.Await):
            return self._ev(u, node.value, scope, cls, depth)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self._ev(u, child, scope, cls, depth)
            elif isinstance(child, ast.comprehension):
                it = self._ev(u, child.iter, scope, cls, depth)
                if isinstance(it, Collection):
                    self._bind(child.target, _collection_item(it), scope)
                for cond in child.ifs:
                    self._ev(u, cond, scope, cls, depth)
        return None

    def _attr(self, u, node, scope, cls, depth):
        if isinstance(node.value, ast.Name) and node.value.id == "self" and scope.cls is not None:
            if node.attr in scope.cls:
                return scope.cls[node.attr]
            return UserFunc((u.module, f"{cls}.{node.attr}")) if f"{cls}.{node.attr}" in u.functions else None
        base = self._ev(u, node.value, scope, cls, depth)
        name = node.attr
        if isinstance(base, tuple) and base and base[0] == "pymodule":
            target = self.units.get(base[1])
            return UserFunc((target.module, name)) if target and name in target.functions else None
        if isinstance(base, LibModule):
            spec = sdk_libraries.python_symbol(base.library, name)
            return LibRef(base.library, name, spec) if spec else base
        if isinstance(base, Module) and base.name.startswith("meta:") and name == "client":
            return Client(base.name[5:])  # resource.meta.client
        if isinstance(base, Module):
            full = f"{base.name}.{name}"
            if full in ("os.environ",):
                return Module(full)
            if full in _KNOWN_FUNCS:
                return Func(full)
            return Module(full)
        if isinstance(base, Str) and base.text is not None and name == "format":
            return Func("str.format:" + base.text)
        if isinstance(base, (ServiceResource, ResObj)):
            if name == "meta":
                return Module(f"meta:{base.service}")
            coll = _collection(base, name)
            if coll:
                return coll
            if isinstance(base, ResObj) and name in _load_attrs(base):
                load = _res(base.service, base.rtype).get("load")
                if load:
                    self._emit_res(u, node, base, load["request"], f"{base.rtype}.{name}", {})
            return ("member", base, name)
        if base is not None:
            return ("member", base, name)
        return None

    def _call(self, u, node: ast.Call, scope, cls, depth):
        fn = self._ev(u, node.func, scope, cls, depth)
        args = [self._ev(u, a, scope, cls, depth) for a in node.args]
        kwargs = {}
        for k in node.keywords:
            v = self._ev(u, k.value, scope, cls, depth)
            if k.arg is None:
                if isinstance(v, Obj):
                    kwargs.update(v.items)
            else:
                kwargs[k.arg] = v
        line = node.lineno
        if isinstance(fn, Func):
            return self._known(u, fn.name, args, kwargs, line)
        if isinstance(fn, UserFunc):
            self._user(fn, args, kwargs, depth)
            return self._returned(fn, depth)
        if isinstance(fn, LibRef):
            return self._library(u, fn, args, kwargs, line, _call_text(node))
        if isinstance(fn, tuple) and fn and fn[0] == "member":
            return self._method(u, fn[1], fn[2], args, kwargs, line, node)
        return None

    def _known(self, u, name, args, kwargs, line):
        first = args[0] if args else kwargs.get("service_name")
        if name in ("boto3.client", "boto3.session.Session.client", "session.client", "session.create_client"):
            svc = first.text if isinstance(first, Str) and first.text else None
            return Client(svc) if svc and sdk_names.service_for_boto3(svc) else None
        if name in ("boto3.resource", "session.resource"):
            svc = first.text if isinstance(first, Str) and first.text else None
            return ServiceResource(svc) if svc and sdk_names.resource_model(svc) else None
        if name in ("boto3.Session", "boto3.session.Session", "aioboto3.Session", "botocore.session.get_session",
                    "aiobotocore.session.get_session"):
            return Session()
        if name in ("os.getenv", "os.environ.get"):
            return Str(None, env=first.text) if isinstance(first, Str) and first.text else None
        if name in ("S3Transfer", "TransferManager"):
            return Transfer(name)
        if name.startswith("str.format:"):
            return Str(_fmt_pattern(name.split(":", 1)[1]))
        return None

    def _returned(self, fn: UserFunc, depth):
        """What a helper of the package returns, when it is an SDK object (a client factory)."""
        if fn.key in self._returns:
            return self._returns[fn.key]
        self._returns[fn.key] = None  # a recursive helper returns nothing known
        unit = self.units.get(fn.key[0])
        node = unit.functions.get(fn.key[1]) if unit else None
        if node is None or depth > self.MAX_DEPTH or "." in fn.key[1]:
            return None
        scope = _Scope(unit.globals, None)
        sdk = (Client, ServiceResource, ResObj, Transfer, LibObj)
        for st in ast.walk(node):  # a lazily made client: assigned in a branch, then returned
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                v = self._ev(unit, st.value, scope, None, depth + 1)
                if isinstance(v, sdk) or not isinstance(scope.get(st.targets[0].id), sdk):
                    scope.set(st.targets[0].id, v)
        for st in ast.walk(node):
            if isinstance(st, ast.Return) and st.value is not None:
                got = self._ev(unit, st.value, scope, None, depth + 1)
                if isinstance(got, sdk):
                    self._returns[fn.key] = got
                    break
        return self._returns[fn.key]

    def _user(self, fn: UserFunc, args, kwargs, depth) -> None:
        unit = self.units.get(fn.key[0])
        node = unit.functions.get(fn.key[1]) if unit else None
        if node is None:
            return
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        if params and params[0] in ("self", "cls") and "." in fn.key[1]:
            params = params[1:]
        bound = {}
        for p, v in list(zip(params, args)) + [(k, v) for k, v in kwargs.items()]:
            if isinstance(v, (Client, ServiceResource, ResObj, Transfer, Str, BatchWriter, LibObj)):
                bound[p] = v
        if any(isinstance(v, (Client, ServiceResource, ResObj, Transfer, BatchWriter, LibObj)) for v in bound.values()):
            cls = fn.key[1].split(".")[0] if "." in fn.key[1] else None
            self._function(unit, node, bound, cls, depth + 1)

    def _library(self, u, fn: LibRef, args, kwargs, line, call_text):
        """A function or class of a library that calls AWS (``iam/sdk_libraries.py``)."""
        if not fn.spec.is_class:
            calls, params = fn.spec.calls, libraries.params(fn.spec.calls.args, args, kwargs)
            obj = None
        else:
            obj, calls, params = libraries.make(fn, args, kwargs)
        for op in calls.operations if calls else ():
            self._emit(u, calls.service, op, line, call_text, params)
        return obj

    # -- methods of SDK objects --
    def _method(self, u, base, name, args, kwargs, line, node):
        call_text = _call_text(node)
        if isinstance(base, LibObj):
            calls, params = libraries.method(base, name, args, kwargs)
            for op in calls.operations if calls else ():
                self._emit(u, calls.service, op, line, call_text, params)
            return None
        if isinstance(base, Session):
            return self._known(u, f"session.{name}", args, kwargs, line)
        if isinstance(base, Client):
            return self._client_method(u, base, name, args, kwargs, line, call_text)
        if isinstance(base, ServiceResource):
            return self._resource_method(u, base, name, args, kwargs, line, call_text, node)
        if isinstance(base, ResObj):
            return self._resobj_method(u, base, name, args, kwargs, line, call_text, node)
        if isinstance(base, Collection):
            return self._collection_method(u, base, name, args, kwargs, line, call_text)
        if isinstance(base, Pending):
            if name in ("paginate", "wait", "search"):
                params = dict(base.params)
                params.update(kwargs)
                for op in base.ops:
                    self._emit(u, base.service, op, line, call_text, params)
            return None
        if isinstance(base, Transfer) and name in _TRANSFER_ARGS:
            return self._transfer(u, name, _positional(_TRANSFER_ARGS[name][0], args, kwargs), line, call_text)
        if isinstance(base, BatchWriter) and name in ("put_item", "delete_item"):
            self._emit(u, "dynamodb", "BatchWriteItem", line, call_text, {"TableName": dict(base.table.ids).get("Name")})
            return None
        return None

    def _client_method(self, u, c: Client, name, args, kwargs, line, call_text):
        if name == "get_paginator" and args and isinstance(args[0], Str) and args[0].text:
            op = sdk_names.operation(c.service, args[0].text)
            return Pending(c.service, (op,), call_text) if op else None
        if name == "get_waiter" and args and isinstance(args[0], Str) and args[0].text:
            op = sdk_names.waiter_operation(c.service, args[0].text)
            return Pending(c.service, (op,), call_text) if op else None
        if c.service == "s3" and name in _TRANSFER_ARGS and name not in ("upload", "download", "delete"):
            return self._transfer(u, name, _positional(_TRANSFER_ARGS[name][0], args, kwargs), line, call_text)
        if name in ("generate_presigned_url",):
            method = args[0] if args else kwargs.get("ClientMethod")
            params = args[1] if len(args) > 1 else kwargs.get("Params")
            op = sdk_names.operation(c.service, method.text) if isinstance(method, Str) and method.text else None
            if op:
                self._emit(u, c.service, op, line, call_text, params.items if isinstance(params, Obj) else {})
            return None
        if name == "generate_presigned_post" and c.service == "s3":
            self._emit(u, "s3", "PutObject", line, call_text, _positional(("Bucket", "Key"), args, kwargs))
            return None
        op = sdk_names.operation(c.service, name)
        if op and _snake(op) == name:
            self._emit(u, c.service, op, line, call_text, kwargs)
            if c.service == "sqs" and op == "GetQueueUrl":  # the URL it returns names the same queue
                return Obj({"QueueUrl": kwargs.get("QueueName")})
        return None

    def _transfer(self, u, name, params, line, call_text):
        _, ops = _TRANSFER_ARGS[name]
        for op in ops:
            p = params
            if name == "copy" and op == "HeadObject":
                src = params.get("CopySource")
                p = dict(src.items) if isinstance(src, Obj) else {"CopySource": src}
                if isinstance(src, Str):
                    self._emit(u, "s3", "CopyObject", line, call_text, {"CopySource": src})
                    continue
            self._emit(u, "s3", op, line, call_text, p)
        return None

    def _resource_method(self, u, r: ServiceResource, name, args, kwargs, line, call_text, node):
        model = sdk_names.resource_model(r.service)
        svc = model.get("service", {})
        has = svc.get("has", {}).get(name)
        if has:
            return _make_resobj(r.service, has["resource"], args, kwargs, ())
        spec = model.get("resources", {}).get(name)
        if spec is not None:  # every resource class is a constructor taking its identifiers
            ids = [i["name"] for i in spec.get("identifiers", [])]
            vals = _positional(ids, args, kwargs)
            return ResObj(r.service, name, tuple((i, vals.get(i) if isinstance(vals.get(i), Str) else None) for i in ids))
        for aname, action in svc.get("actions", {}).items():
            if _snake(aname) == name:
                self._emit(u, r.service, action["request"]["operation"], line, call_text, kwargs)
                res = action.get("resource")
                if res:
                    return _make_resobj(r.service, res, [], kwargs, (), from_request=True)
                return None
        return None

    def _resobj_method(self, u, o: ResObj, name, args, kwargs, line, call_text, node):
        spec = _res(o.service, o.rtype)
        if name in ("load", "reload") and spec.get("load"):
            self._emit_res(u, node, o, spec["load"]["request"], call_text, kwargs)
            return None
        for aname, action in spec.get("actions", {}).items():
            if _snake(aname) == name:
                self._emit_res(u, node, o, action["request"], call_text, kwargs)
                res = action.get("resource")
                return _make_resobj(o.service, res, [], kwargs, o.ids, from_request=True) if res else None
        has = spec.get("has", {}).get(name)
        if has:
            return _make_resobj(o.service, has["resource"], args, kwargs, o.ids)
        for wname, w in spec.get("waiters", {}).items():
            if "wait_until_" + _snake(wname) == name:
                op = sdk_names.waiter_operation(o.service, w["waiterName"])
                if op:
                    self._emit_res(u, node, o, {"operation": op, "params": w.get("params", [])}, call_text, kwargs)
                return None
        if o.service == "s3" and o.rtype in _RESOURCE_TRANSFER and name in _TRANSFER_ARGS:
            names, _ = _TRANSFER_ARGS[name]
            ids = dict(o.ids)
            fixed = {param: ids.get(ident) for param, ident in _RESOURCE_TRANSFER[o.rtype].items()}
            params = _positional(tuple(n for n in names if n not in fixed), args, kwargs)
            return self._transfer(u, name, {**params, **fixed}, line, call_text)
        if o.service == "dynamodb" and o.rtype == "Table" and name == "batch_writer":
            return BatchWriter(o)
        return None

    def _collection_method(self, u, c: Collection, name, args, kwargs, line, call_text):
        spec = _collection_spec(c)
        if not spec:
            return None
        if name in ("all", "filter", "limit", "page_size", "pages"):
            req = spec.get("request")
            if req:
                self._emit_res(u, None, c.parent, req, call_text, kwargs, line=line)
            prefix = kwargs.get("Prefix")
            if isinstance(prefix, Str) and prefix.text is not None:
                return Collection(c.service, c.parent, c.spec, prefix)
            return c
        for bname, b in spec.get("batchActions", {}).items():
            if _snake(bname) == name:
                req = spec.get("request")
                if req:
                    self._emit_res(u, None, c.parent, req, call_text, kwargs, line=line)
                self._emit_res(u, None, c.parent, b["request"], call_text, kwargs, line=line)
        return None

    # -- output --
    def _emit_res(self, u, node, o, request: dict, call_text, kwargs, line=None):
        params = {}
        ids = dict(o.ids) if isinstance(o, ResObj) else {}
        for p in request.get("params", []):
            if p.get("source") == "identifier" and p.get("name") in ids:
                params[p["target"].split("[")[0].split(".")[0]] = ids[p["name"]]
        params.update(kwargs)
        self._emit(u, o.service, request["operation"], line or getattr(node, "lineno", 0), call_text, params)

    def _emit(self, u, service, op, line, call_text, params) -> None:
        call = make_call(service, op, u.path, line, "boto3", call_text, params if isinstance(params, dict) else {})
        key = (call.path, call.line, call.service, call.operation, tuple((a.param, a.value, a.env) for a in call.args))
        if key not in self._seen:
            self._seen.add(key)
            self.calls.append(call)


def analyse(files: list[tuple[str, str, str]], handler: tuple[str, str] | None = None) -> tuple[list[CodeCall], list[str]]:
    """``handler``: (path, function name) of the function's handler: only the functions it can
    reach are read (``python_reach``); None: every function of every file."""
    units, problems = parse_units(files)
    a = Analyzer(units)
    for u in units:
        _index(u)
    _resolve_imports(a.units)

    def guarded(u: Unit, where: str, run) -> None:
        try:
            run()
        except RecursionError:  # hostile or generated code nested too deeply: that part is skipped
            problems.append(f"{u.path}:{where}: nested too deeply to follow; calls in it may be missed")

    for u in units:
        guarded(u, "1", lambda u=u: a._block(u, u.tree.body, _GlobalScope(u.globals), None, 0))
    for u in units:
        guarded(u, "1", lambda u=u: (bind_class_attributes(a, u), bind_declared_globals(a, u)))
    runs = reachable(units, *handler) if handler else None
    for u in units:
        inits = [(q, f) for q, f in u.functions.items() if q.endswith(".__init__")]
        for qual, fn in inits + list(u.functions.items()):
            if runs is not None and (u.module, qual) not in runs:
                continue  # nothing the handler runs refers to it
            cls = qual.split(".")[0] if "." in qual else None
            guarded(u, str(fn.lineno), lambda u=u, fn=fn, cls=cls: a._function(u, fn, {}, cls, 0))
    return a.calls, problems
