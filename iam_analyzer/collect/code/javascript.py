"""AWS SDK calls in JavaScript and TypeScript, read with tree-sitter (the code is never run).

SDK v3: ``client.send(new XCommand(...))`` (the command's import names the service, so a
client passed to a helper is still understood), aggregated clients (``new S3().putObject``),
``@aws-sdk/lib-dynamodb`` (``PutCommand``, ``DynamoDBDocument``), ``@aws-sdk/lib-storage``
``Upload``, paginators (``paginateScan``), waiters (``waitUntilObjectExists``) and presigned
URLs. SDK v2: ``new AWS.S3().getObject(...).promise()``, ``require('aws-sdk/clients/s3')``,
``DocumentClient``, ``s3.upload``, ``getSignedUrl``, ``waitFor``. Values are followed through
``const``/``let``, destructuring of ``process.env``, ``this.x`` and parameters of functions
of the same file that are handed a client.
"""

from __future__ import annotations

from iam_analyzer.iam import sdk_names
from iam_analyzer.model import CodeCall

from . import libraries
from .js_modules import _module_value, _v2_member
from .js_parse import (_BIND_TYPES, _CALL_TYPES, _WRAPPERS, _callee, _first_error_line, _kind, _nodes, _param_name, _parser,
                       _short, _t, _target_key)
from .js_reach import dead_ranges
from .libraries import LibObj, LibRef
from .values import Client, DocClient, Obj, Seq, Str, joined, make_call

class FileAnalyzer:
    def __init__(self, path: str, source: bytes):
        self.path = path
        self.kind = _kind(path)
        self.src = source
        self.names: dict = {}
        self.calls: list[CodeCall] = []
        self._seen: set = set()
        self.functions: dict = {}  # name -> parameter names
        self.dead: list[tuple[int, int]] = []  # byte ranges of functions the handler cannot reach

    # -- bindings --
    def bind_all(self, root) -> None:
        decls = []
        for n in _nodes(self.kind, root, _BIND_TYPES):
            t = n.type
            if t == "import_statement":
                self._import(n)
            elif t in ("function_declaration", "method_definition", "generator_function_declaration"):
                name = n.child_by_field_name("name")
                params = n.child_by_field_name("parameters")
                if name is not None and params is not None:
                    self.functions[_t(name)] = [_param_name(p) for p in params.named_children]
            else:
                decls.append(n)
        for _ in range(2):  # twice: a name used before its declaration in the file
            for d in decls:
                self._declare(d)

    def _import(self, n) -> None:
        src = n.child_by_field_name("source")
        if src is None:
            return
        module = _t(src).strip("'\"`")
        for clause in n.named_children:
            if clause.type != "import_clause":
                continue
            for c in clause.named_children:
                if c.type == "identifier":  # default import
                    self.names[_t(c)] = _module_value(module, None)
                elif c.type == "namespace_import":
                    ident = next((x for x in c.named_children if x.type == "identifier"), None)
                    if ident is not None:
                        self.names[_t(ident)] = _module_value(module, None)
                elif c.type == "named_imports":
                    for spec in c.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or name
                        v = _module_value(module, _t(name))
                        if v is not None:
                            self.names[_t(alias)] = v

    def _declare(self, d) -> None:
        if d.type == "variable_declarator":
            target, value = d.child_by_field_name("name"), d.child_by_field_name("value")
        elif d.type == "assignment_expression":
            target, value = d.child_by_field_name("left"), d.child_by_field_name("right")
        else:
            target = d.child_by_field_name("property") or d.child_by_field_name("name")
            value = d.child_by_field_name("value")
            if target is not None:
                target_key = "this." + _t(target)
                if value is not None:
                    v = self.ev(value)
                    if v is not None:
                        self.names[target_key] = v
            return
        if target is None or value is None:
            return
        v = self.ev(value)
        if target.type == "object_pattern":
            self._destructure(target, value, v)
            return
        key = _target_key(target)
        if key and v is not None:
            self.names[key] = v

    def _destructure(self, pattern, value, v) -> None:
        """``const { TABLE } = process.env`` / ``const { S3 } = require('aws-sdk')``."""
        is_env = _t(value).replace(" ", "") == "process.env"
        for p in pattern.named_children:
            if p.type == "shorthand_property_identifier_pattern":
                name, alias = _t(p), _t(p)
            elif p.type == "pair_pattern":
                k, val = p.child_by_field_name("key"), p.child_by_field_name("value")
                if k is None or val is None or val.type not in ("identifier",):
                    continue
                name, alias = _t(k).strip("'\""), _t(val)
            elif p.type == "object_assignment_pattern":
                left = p.child_by_field_name("left")
                if left is None:
                    continue
                name = alias = _t(left)
            else:
                continue
            if is_env:
                self.names[alias] = Str(None, env=name)
            elif isinstance(v, Obj) and isinstance(v.items.get(name), Str):
                self.names[alias] = v.items[name]
            elif isinstance(v, tuple) and v[0] in ("module", "v2", "v2client"):
                sub = _module_value(v[1], name) if v[0] == "module" else _v2_member(name, v if v[0] == "v2client" else None)
                if sub is not None:
                    self.names[alias] = sub

    # -- values --
    def ev(self, n):
        t = n.type
        while t in _WRAPPERS and n.named_children:
            n = n.named_children[0]
            t = n.type
        if t == "string":
            return Str("".join(_t(c) for c in n.named_children if c.type == "string_fragment"))
        if t == "template_string":
            parts = []
            for c in n.named_children:
                if c.type == "string_fragment":
                    parts.append(Str(_t(c)))
                elif c.type == "template_substitution" and c.named_children:
                    v = self.ev(c.named_children[0])
                    parts.append(v if isinstance(v, Str) and (v.text is not None or len(n.named_children) == 1) else None)
                elif c.type == "escape_sequence":
                    parts.append(Str(_t(c)))
            return joined(parts) if parts else Str("")
        if t == "identifier" or t == "shorthand_property_identifier":
            return self.names.get(_t(n))
        if t == "this":
            return None
        if t == "member_expression":
            obj, prop = n.child_by_field_name("object"), n.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            if _t(obj) == "process.env":
                return Str(None, env=_t(prop))
            if obj.type == "this":
                return self.names.get("this." + _t(prop))
            base = self.ev(obj)
            if isinstance(base, tuple) and base[0] in ("v2", "v2client"):
                return _v2_member(_t(prop), base if base[0] == "v2client" else None)
            if isinstance(base, tuple) and base[0] == "module":
                return _module_value(base[1], _t(prop))
            if isinstance(base, Obj):
                return base.items.get(_t(prop))
            return None
        if t == "subscript_expression":
            obj, idx = n.child_by_field_name("object"), n.child_by_field_name("index")
            if obj is not None and idx is not None and _t(obj) == "process.env":
                key = self.ev(idx)
                return Str(None, env=key.text) if isinstance(key, Str) and key.text else None
            return None
        if t == "binary_expression":
            op = n.child_by_field_name("operator")
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            lv = self.ev(left) if left is not None else None
            if op is not None and _t(op) in ("??", "||"):
                return lv if lv is not None else (self.ev(right) if right is not None else None)
            if op is not None and _t(op) == "+":
                rv = self.ev(right) if right is not None else None
                if isinstance(lv, Str) or isinstance(rv, Str):
                    return joined([lv if isinstance(lv, Str) and lv.text is not None else None,
                                   rv if isinstance(rv, Str) and rv.text is not None else None])
            return None
        if t == "object":
            return self._object(n)
        if t == "array":
            return Seq([self.ev(c) for c in n.named_children])
        if t == "new_expression":
            return self._new(n)
        if t == "call_expression":
            return self._call_value(n)
        return None

    def _object(self, n) -> Obj:
        items: dict = {}
        for c in n.named_children:
            if c.type == "pair":
                k, v = c.child_by_field_name("key"), c.child_by_field_name("value")
                if k is None or v is None:
                    continue
                val = self.ev(v)
                if k.type == "computed_property_name" and k.named_children:
                    kv = self.ev(k.named_children[0])
                    if isinstance(kv, Str):
                        items[kv] = val
                else:
                    items[_t(k).strip("'\"")] = val
            elif c.type == "shorthand_property_identifier":
                items[_t(c)] = self.names.get(_t(c))
            elif c.type == "spread_element" and c.named_children:
                sv = self.ev(c.named_children[0])
                if isinstance(sv, Obj):
                    items.update(sv.items)
        return Obj(items)

    def _args(self, n) -> list:
        args = n.child_by_field_name("arguments")
        return [self.ev(a) for a in args.named_children] if args is not None else []

    def _new(self, n):
        ctor = n.child_by_field_name("constructor")
        if ctor is None:
            return None
        c = self.ev(ctor)
        if isinstance(c, LibRef) and c.spec.is_class:
            obj, calls, params = libraries.make(c, self._args(n), {}, js=True)
            if calls:
                self._emit_many(calls.service, calls.operations, n, f"new {c.name}", params)
            return obj
        if not isinstance(c, tuple):
            return None
        kind = c[0]
        if kind == "v3client":
            return Client(c[1], "js-v3")
        if kind == "v3agg":
            return Client(c[1], "js-v3-agg")
        if kind == "v2client":
            return Client(c[1], "js-v2")
        if kind == "v2doc":
            return DocClient("js-v2")
        if kind in ("v3command", "v3doccmd"):
            args = self._args(n)
            return ("command", c[1], c[2], args[0] if args and isinstance(args[0], Obj) else Obj(), _t(ctor).split(".")[-1])
        if kind == "upload":
            args = self._args(n)
            opts = args[0] if args and isinstance(args[0], Obj) else Obj()
            params = opts.items.get("params")
            self._emit_many("s3", sdk_names.S3_UPLOAD, n, "new Upload", params.items if isinstance(params, Obj) else {})
            return None
        return None

    def _call_value(self, n):
        fn = _callee(n)
        if fn is None:
            return None
        if fn.type == "identifier" and _t(fn) == "require":
            args = self._args(n)
            if args and isinstance(args[0], Str) and args[0].text:
                return _module_value(args[0].text, None)
            return None
        if fn.type == "member_expression":
            obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            base = self.ev(obj)
            name = _t(prop)
            if isinstance(base, tuple) and base[0] in ("v3doc", "v3docagg") and name in ("from", "fromClient"):
                return DocClient("js-v3" if base[0] == "v3doc" else "js-v3-agg")
            if name == "promise" and obj.type == "call_expression":
                return self._call_value(obj)  # the inner call is visited on its own; its value passes
            args = self._args(n)
            queue = None
            if name == "send" and args and isinstance(args[0], tuple) and args[0][0] == "command" \
                    and args[0][1:3] == ("sqs", "GetQueueUrl"):
                queue = args[0][3].items.get("QueueName")
            elif name == "getQueueUrl" and isinstance(base, Client) and base.service == "sqs" and args \
                    and isinstance(args[0], Obj):
                queue = args[0].items.get("QueueName")
            if isinstance(queue, Str):  # the URL it returns names the same queue
                return Obj({"QueueUrl": queue})
        return None

    # -- calls --
    def find_calls(self, root) -> None:
        nodes = _nodes(self.kind, root, _CALL_TYPES)
        for n in nodes:  # first, helpers of this file handed a client bind their parameter
            fn = n.child_by_field_name("function") if n.type == "call_expression" else None
            if fn is not None and fn.type == "identifier" and _t(fn) in self.functions:
                for p, a in zip(self.functions[_t(fn)], self._args(n)):
                    if p and isinstance(a, (Client, DocClient)) and p not in self.names:
                        self.names[p] = a
        for n in nodes:
            if any(a <= n.start_byte < b for a, b in self.dead):
                continue  # in a function the handler never reaches
            if n.type == "call_expression":
                self._call(n)
            else:
                ctor = n.child_by_field_name("constructor")
                c = self.ev(ctor) if ctor is not None else None
                if c == ("upload",) or isinstance(c, LibRef):
                    self._new(n)

    def _call(self, n) -> None:
        fn = _callee(n)
        if fn is None:
            return
        args = self._args(n)
        if fn.type == "identifier":
            v = self.names.get(_t(fn))
            name = _t(fn)
            if isinstance(v, LibRef) and not v.spec.is_class:
                calls = v.spec.calls
                self._emit_many(calls.service, calls.operations, n, name, libraries.params(calls.args, args, {}, js=True))
            elif isinstance(v, tuple) and v[0] in ("paginator", "waiter") and len(args) > 1:
                self._emit(v[1], v[2], n, name, args[1].items if isinstance(args[1], Obj) else {})
            elif isinstance(v, tuple) and v[0] == "presign" and len(args) > 1:
                cmd = args[1]
                if isinstance(cmd, tuple) and cmd[0] == "command":
                    self._emit(cmd[1], cmd[2], n, name, cmd[3].items)
            return
        if fn.type != "member_expression":
            return
        obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        if obj is None or prop is None:
            return
        base = self.ev(obj)
        method = _t(prop)
        text = f"{_short(_t(obj))}.{method}"
        if isinstance(base, LibObj):
            calls, params = libraries.method(base, method, args, {}, js=True)
            if calls:
                self._emit_many(calls.service, calls.operations, n, text, params)
            return
        if isinstance(base, tuple) and base[0] == "module":  # import * as s3 from '@aws-sdk/client-s3'
            v = _module_value(base[1], method)
            if isinstance(v, tuple) and v[0] in ("paginator", "waiter") and len(args) > 1:
                self._emit(v[1], v[2], n, text, args[1].items if isinstance(args[1], Obj) else {})
            elif isinstance(v, LibRef) and not v.spec.is_class:
                self._emit_many(v.spec.calls.service, v.spec.calls.operations, n, text,
                                libraries.params(v.spec.calls.args, args, {}, js=True))
            return
        if method == "send" and args:
            cmd = args[0]
            if isinstance(cmd, tuple) and cmd[0] == "command":
                self._emit(cmd[1], cmd[2], n, f"{text}({cmd[4]})", cmd[3].items)
            return
        params = args[0].items if args and isinstance(args[0], Obj) else {}
        if isinstance(base, DocClient):
            op = sdk_names.document_client_operation(method)
            if op:
                self._emit("dynamodb", op, n, text, params)
            return
        if not isinstance(base, Client) or base.sdk == "js-v3":
            return
        svc = base.service
        if svc == "s3" and method == "upload":
            self._emit_many("s3", sdk_names.S3_UPLOAD, n, text, params)
            return
        if method in ("getSignedUrl", "getSignedUrlPromise") and args and isinstance(args[0], Str) and args[0].text:
            op = sdk_names.operation(svc, args[0].text)
            if op:
                self._emit(svc, op, n, text, args[1].items if len(args) > 1 and isinstance(args[1], Obj) else {})
            return
        if method == "waitFor" and args and isinstance(args[0], Str) and args[0].text:
            op = sdk_names.waiter_operation(svc, args[0].text)
            if op:
                self._emit(svc, op, n, text, args[1].items if len(args) > 1 and isinstance(args[1], Obj) else {})
            return
        op = sdk_names.operation(svc, method)
        if op and method[:1].islower():
            self._emit(svc, op, n, text, params)

    def _emit_many(self, service, ops, node, text, params) -> None:
        for op in ops:
            self._emit(service, op, node, text, params)

    def _emit(self, service, op, node, text, params) -> None:
        call = make_call(service, op, self.path, node.start_point[0] + 1, "js", text, params)
        key = (call.line, call.service, call.operation, tuple((a.param, a.value, a.env) for a in call.args))
        if key not in self._seen:
            self._seen.add(key)
            self.calls.append(call)


def analyse(files: list[tuple[str, str]], handler: tuple[str, str] | None = None) -> tuple[list[CodeCall], list[str]]:
    """``handler``: (path, exported name) of the function's handler: calls in top-level
    functions it cannot reach (``js_reach``) are left out; None: every call of every file."""
    calls: list[CodeCall] = []
    problems: list[str] = []
    parsed = []
    for path, text in files:
        relevant = "aws-sdk" in text or "@aws-lambda-powertools/" in text
        if not relevant and handler is None:
            continue  # nothing of the SDK (or a library that calls AWS) is imported: no call can be attributed
        src = text.encode("utf-8", "replace")
        try:
            tree = _parser(_kind(path)).parse(src)
        except Exception as e:  # tree-sitter recovers from syntax errors; this is a guard
            problems.append(f"{path}:0: cannot parse: {e}")
            continue
        parsed.append((path, src, tree, relevant))
    dead = dead_ranges([(p, _kind(p), t.root_node) for p, _, t, _ in parsed], *handler) if handler else None
    for path, src, tree, relevant in parsed:
        if not relevant:
            continue
        fa = FileAnalyzer(path, src)
        fa.dead = (dead or {}).get(path, [])
        try:
            fa.bind_all(tree.root_node)
            fa.find_calls(tree.root_node)
        except RecursionError:  # hostile or generated code nested too deeply
            problems.append(f"{path}:0: nested too deeply to follow; calls in it may be missed")
        if tree.root_node.has_error:
            line = _first_error_line(tree.root_node)
            problems.append(f"{path}:{line}: syntax error; calls around it may be missed")
        calls.extend(fa.calls)
    return calls, problems
