"""A Serverless Framework service (``serverless.yml``/``.yaml``/``.json``) -> ``Parts``.

The framework compiles a service to one CloudFormation stack named ``<service>-<stage>``; this
reader does the same offline, for what IAM needs, and hands the stack to the CloudFormation
reader: one ``AWS::Lambda::Function`` per function (``<Name>LambdaFunction``), the role the
framework generates (``IamRoleLambdaExecution``: logs for each function's log group, the
event sources' polling, ``onError``/``destinations`` delivery, X-Ray when ``tracing`` is on, the
VPC managed policy, then the author's ``provider.iam.role.statements`` / ``provider.iamRoleStatements``,
``managedPolicies``/``iamManagedPolicies`` and ``permissionsBoundary``), a role per function when the
serverless-iam-roles-per-function plugin is listed, an existing role named by ARN or by a
``resources:`` logical id, and the events' resources (``serverless_events.py``). The
``resources:`` section is CloudFormation and merges over what the framework generates, as in
the framework. Variables are resolved by ``serverless_vars.py``. Nothing is run.

Every function is located at its key under ``functions:`` (logical id: the function's key),
every generated role at the setting that makes it, every statement at its line (a statement
pulled from another file at the line that pulls it in); statements the framework writes are
recorded in ``statement_origins`` as ``serverless-generated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_analyzer.iam import lambda_service as ls
from iam_analyzer.model import SourceLocation

from .cfn import StackReader
from .loader import LDict, LList, line_of
from .resolve import WILDCARD, Stack
from .result import Parts
from .serverless_events import Compiled, Events, RoleStatement, normalize, route_trigger
from .serverless_vars import FDict, Variables, VariableError, path_of

SERVICE_FILES = ("serverless.yml", "serverless.yaml", "serverless.json")
CODE_SERVICE_FILES = ("serverless.ts", "serverless.js", "serverless.mjs", "serverless.cjs")  # named, never run
PLUGIN = "serverless-iam-roles-per-function"
DEFAULT_ROLE = "IamRoleLambdaExecution"
ORIGIN = "serverless-generated"
_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]},
                                                  "Action": ["sts:AssumeRole"]}]}


class ServiceError(ValueError):
    pass


def is_service_file(path: Path) -> bool:
    return path.name.lower() in SERVICE_FILES


def is_service(data: Any) -> bool:
    """A Serverless Framework service for AWS: ``service`` and an AWS ``provider``."""
    if not isinstance(data, dict) or "service" not in data:
        return False
    provider = data.get("provider")
    if isinstance(provider, str):
        return provider == "aws"
    return isinstance(provider, dict) and provider.get("name", "aws") == "aws"


@dataclass
class Service:
    stack: str
    included: set[str] = field(default_factory=set)  # files pulled in with ${file()}


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return list(v) if isinstance(v, list) else ([] if v is None else [v])


def _node(line: int | None, *a, **kw) -> LDict:
    d = LDict(*a, **kw)
    d.line = line
    return d


def _text(v: Any, default: str) -> str:
    return v if isinstance(v, str) and v and v != WILDCARD else default


class _Compiler:
    def __init__(self, path: str, raw: dict, params: dict, account: str, region: str, partition: str,
                 parts: Parts):
        self.path = path
        self.params = params
        self.parts = parts
        self.partition = partition
        self.vars = Variables(path, raw, params, region=region, account=account, unresolved=parts.unresolved)
        provider_raw = _d(raw.get("provider"))
        self.stage = _text(params.get("stage") or self.vars.resolve(provider_raw.get("stage"), line=line_of(raw, "provider")),
                           "dev")
        self.vars.stage = self.stage
        given_region = params.get("region") or self.vars.resolve(provider_raw.get("region"))
        self.region = _text(given_region, region)
        self.vars.region = self.region
        self.vars.forget()  # values read before the stage and region were known
        self.account = account
        self.doc = self.vars.resolve(raw)
        svc = self.doc.get("service")
        svc = _d(svc).get("name") if isinstance(svc, dict) else svc
        self.service = _text(svc, Path(path).parent.name or "service")
        self.stack_name = f"{self.service}-{self.stage}"
        self.provider = _d(self.doc.get("provider"))
        self.iam = _d(self.provider.get("iam"))
        plugins = self.doc.get("plugins")
        plugins = _d(plugins).get("modules") if isinstance(plugins, dict) else plugins
        self.per_function = PLUGIN in [p for p in _l(plugins) if isinstance(p, str)]
        self.default_inherit = _d(_d(self.doc.get("custom")).get(PLUGIN)).get("defaultInherit") is True
        self.locations: dict[str, SourceLocation] = {}
        self.origins: list[tuple[str, str, int, str]] = []  # (role logical, policy name, index, what)
        self.routes: list[tuple[str, tuple]] = []  # (function logical id, route) made into triggers
        self.fn_files: dict[str, str] = {}  # function key -> the file declaring it, when not the service

    # -- the user's resources: section ---------------------------------------------------------

    def user_sections(self) -> dict[str, LDict]:
        """Resources, Conditions, Parameters, Mappings of ``resources:`` (a mapping or a list of
        fragments, each possibly from another file)."""
        out: dict[str, LDict] = {k: LDict() for k in ("Resources", "Conditions", "Parameters", "Mappings")}
        for fragment in _l(self.doc.get("resources")):
            for key, target in out.items():
                section = _d(fragment).get(key)
                if not isinstance(section, dict):
                    continue
                for logical, value in section.items():
                    target[logical] = value
                    target.key_lines[logical] = line_of(section, logical)
                    if key == "Resources":
                        where = path_of(value, path_of(section, self.path))
                        line = line_of(section, logical) if where == path_of(section, self.path) else line_of(value)
                        self.locations[str(logical)] = SourceLocation(where, line, str(logical))
        return out

    def _functions(self) -> LDict:
        """``functions:`` as a mapping; the framework also takes a list of mappings (often each
        pulled in with ``${file()}``), merged in order."""
        functions = self.doc.get("functions")
        if isinstance(functions, list) and all(isinstance(f, dict) or f == WILDCARD for f in functions):
            merged = LDict()
            merged.line = line_of(functions)
            for part in functions:
                for key, value in (part.items() if isinstance(part, dict) else ()):
                    merged[key] = value
                    merged.key_lines[key] = line_of(part, key)
                    self.fn_files[str(key)] = path_of(part, self.path)  # declared in that fragment
            return merged
        if functions is not None and not isinstance(functions, dict):
            raise ServiceError(f"line {line_of(self.doc, 'functions')}: functions is not a mapping")
        return functions or LDict()

    # -- roles ---------------------------------------------------------------------------------

    def provider_role(self) -> Any:
        """An existing role for every function (``provider.iam.role`` as text or intrinsic, or v1/v2
        ``provider.role``), or None."""
        role = self.iam.get("role")
        if isinstance(role, str) or (isinstance(role, dict) and any(str(k).startswith("Fn::") or k == "Ref" for k in role)):
            return role
        return self.provider.get("role")

    def provider_statements(self) -> list:
        """v3 ``iam.role.statements``, else v1/v2 ``iamRoleStatements`` (the framework takes one)."""
        role = _d(self.iam.get("role"))
        return _l(role["statements"]) if "statements" in role else _l(self.provider.get("iamRoleStatements"))

    def provider_managed(self) -> list:
        role = _d(self.iam.get("role"))
        return _l(role["managedPolicies"]) if "managedPolicies" in role else _l(self.provider.get("iamManagedPolicies"))

    def provider_boundary(self) -> Any:
        role = _d(self.iam.get("role"))
        return role.get("permissionsBoundary") or role.get("permissionBoundary") or self.provider.get("rolePermissionsBoundary")

    def provider_role_line(self) -> int | None:
        for key, node in (("role", self.iam), ("iamRoleStatements", self.provider), ("iam", self.provider)):
            if key in node:
                return line_of(node, key)
        return line_of(self.doc, "provider")

    def _author(self, statements: list, where: str) -> list:
        """The author's statements; one pulled in from another file than the role's is placed at
        the line that pulls it in (statement lines are lines of the role's file)."""
        out = []
        for st in statements:
            if not isinstance(st, dict):  # a file that could not be read, a value known at deployment
                self.parts.warnings.append(f"{where}: a role statement is {_brief(st)}, not a statement: not read "
                                           "(see the unresolved values)")
                continue
            if isinstance(st, FDict) and st.path != where:
                copy = LDict(st)
                copy.line = getattr(st, "at", None) or line_of(self.doc, "provider")
                out.append(copy)
            else:
                out.append(st)
        return out

    def role_resource(self, logical: str, role_name: str, policy_name: str, line: int | None, generated: list[RoleStatement],
                      author: list, managed: list, boundary: Any, path: Any = None, tags: Any = None,
                      where: str | None = None) -> LDict:
        logs = [s for s in generated if s.kind == "logs"]
        rest = [s for s in generated if s.kind != "logs"]
        where = where or self.path
        author = self._author(author, where)
        statements = LList([s.document() for s in logs] + author + [s.document() for s in rest])
        statements.line = line
        for i, s in enumerate(logs):
            self.origins.append((logical, policy_name, i, s.kind))
        for j, s in enumerate(rest):
            self.origins.append((logical, policy_name, len(logs) + len(author) + j, s.kind))
        props: dict = {"AssumeRolePolicyDocument": _TRUST, "RoleName": role_name, "Path": path or "/",
                       "Policies": [_node(line, PolicyName=policy_name,
                                          PolicyDocument=_node(line, Version="2012-10-17", Statement=statements))]}
        if managed:
            props["ManagedPolicyArns"] = managed
        if boundary:
            props["PermissionsBoundary"] = boundary
        if isinstance(tags, dict) and tags:
            props["Tags"] = [{"Key": str(k), "Value": v} for k, v in tags.items()]
        self.locations[logical] = SourceLocation(where, line, logical)
        return _node(line, Type="AWS::IAM::Role", Properties=_node(line, props))

    def _logs(self, names: list[tuple[str, int | None]]) -> list[RoleStatement]:
        """The framework's log statements: one log group prefix for the service's functions, and
        the group of each function named otherwise."""
        if not names:
            return []
        base = f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/lambda/"
        prefix = f"{self.service}-{self.stage}"
        groups = [f"{prefix}*"] + sorted({n for n, _ in names if not n.startswith(prefix)})
        line = names[0][1]
        create = (ls.LOG_STREAM_ACTIONS[0],) + ls.LOG_GROUP_ACTIONS + ("logs:TagResource",)
        return [RoleStatement("logs", create, [f"{base}{g}:*" for g in groups], line),
                RoleStatement("logs", ls.LOG_STREAM_ACTIONS[1:], [f"{base}{g}:*:*" for g in groups], line)]

    # -- functions -------------------------------------------------------------------------------

    def compile(self) -> dict:
        user = self.user_sections()
        functions = self._functions()
        self.any_vpc = "vpc" in self.provider or any(isinstance(f, dict) and "vpc" in f for f in functions.values())
        logicals = {str(k): f"{normalize(k)}LambdaFunction" for k in functions}
        events = Events(partition=self.partition, region=self.region, account=self.account, service=self.service,
                        stage=self.stage, provider=self.provider, user_types={str(k): str(_d(v).get("Type", ""))
                                                                              for k, v in user["Resources"].items()},
                        function_logicals=logicals)
        resources = events.resources
        shared: list[tuple[str, dict, Compiled, int | None]] = []  # functions on the generated role
        own_roles: dict[str, LDict] = {}
        provider_role = self.provider_role()
        for key, fn in functions.items():
            key = str(key)
            line = line_of(functions, key)
            if not isinstance(fn, dict):
                self.parts.warnings.append(f"{self.path}: line {line}: function {key} is not a mapping: not read")
                continue
            logical = logicals[key]
            compiled = Compiled(resources)
            events.function(key, logical, fn, compiled)
            where = self.fn_files.get(key, self.path)
            self.parts.warnings.extend(f"{where}: line {ln}: {what}" for ln, what in compiled.notes)
            name = _text(fn.get("name"), f"{self.service}-{self.stage}-{key}")
            self._tracing_statement(fn, compiled)
            if "iamRoleStatements" in fn and not self.per_function:
                self.parts.warnings.append(f"{where}: line {line_of(fn, 'iamRoleStatements')}: function {key}: "
                                           f"iamRoleStatements take effect only with the {PLUGIN} plugin, which "
                                           "plugins: does not list: ignored, as the framework ignores them")
            if fn.get("role") is not None:
                role = _role_ref(fn["role"])
            elif self.per_function and isinstance(fn.get("iamRoleStatements"), list) and fn["iamRoleStatements"]:
                role_logical = f"{normalize(key)}{DEFAULT_ROLE}"
                own_roles[role_logical] = self._own_role(key, name, fn, compiled, line, role_logical)
                role = {"Fn::GetAtt": [role_logical, "Arn"]}
            elif provider_role is not None:
                role = _role_ref(provider_role)
            else:
                if where != self.path:  # the shared role is the service's: its lines are the service's
                    for st in compiled.statements:
                        st.line = getattr(fn, "at", None) or line_of(self.doc, "functions")
                shared.append((name, fn, compiled, line if where == self.path else getattr(fn, "at", None)))
                role = {"Fn::GetAtt": [DEFAULT_ROLE, "Arn"]}
            resources[logical] = self._function(key, name, fn, role, line)
            resources.key_lines[logical] = line
            self.locations[logical] = SourceLocation(where, line, key)
            self.routes.extend((logical, r) for r in compiled.routes)
            if not fn.get("disableLogs"):
                resources[f"{normalize(key)}LogGroup"] = _node(line, Type="AWS::Logs::LogGroup",
                                                               Properties=_node(line, LogGroupName=f"/aws/lambda/{name}"))
        self._apis(resources)
        layers = self.doc.get("layers")
        for key, layer in (layers.items() if isinstance(layers, dict) else []):  # `{Ref: <Key>LambdaLayer}`
            resources[f"{normalize(key)}LambdaLayer"] = _node(line_of(layers, key), Type="AWS::Lambda::LayerVersion",
                                                             Properties=_node(line_of(layers, key), LayerName=_text(
                                                                 _d(layer).get("name"), str(key))))
        if shared:
            self._default_role(shared, resources)
        resources.update(own_roles)
        for logical, value in user["Resources"].items():  # resources: merges over what is generated
            resources[logical] = _merge(resources[logical], value) if logical in resources else value
        template = {"Resources": resources}
        for key in ("Conditions", "Parameters", "Mappings"):
            if user[key]:
                template[key] = user[key]
        return template

    def _apis(self, resources: LDict) -> None:
        """The REST API and HTTP API the framework makes for ``http``/``httpApi`` events, so the
        author's ``!Ref ApiGatewayRestApi`` / ``HttpApi`` resolve as the routes' API ids do."""
        kinds = {r[1][0] for r in self.routes}
        if "apigateway-rest" in kinds and not _d(self.provider.get("apiGateway")).get("restApiId"):
            resources.setdefault("ApiGatewayRestApi", _node(None, Type="AWS::ApiGateway::RestApi",
                                                            Properties={"Name": f"{self.stage}-{self.service}"}))
        if "apigateway-http" in kinds and not _d(self.provider.get("httpApi")).get("id"):
            resources.setdefault("HttpApi", _node(None, Type="AWS::ApiGatewayV2::Api",
                                                  Properties={"Name": f"{self.stage}-{self.service}", "ProtocolType": "HTTP"}))

    def _tracing_statement(self, fn: dict, compiled: Compiled) -> None:
        mode = self._tracing(fn)
        if mode:
            line = line_of(fn, "tracing") or line_of(self.provider, "tracing")
            compiled.statements.append(RoleStatement("tracing", ls.XRAY_WRITE_ACTIONS, ["*"], line))

    def _tracing(self, fn: dict) -> str | None:
        value = fn.get("tracing", _d(self.provider.get("tracing")).get("lambda"))
        if value is True or (isinstance(value, str) and value.lower() == "active"):
            return "Active"
        if isinstance(value, str) and value.lower() == "passthrough":
            return "PassThrough"
        return None

    def _vpc(self, fn: dict) -> dict:
        vpc = fn.get("vpc", self.provider.get("vpc"))
        return vpc if isinstance(vpc, dict) and (vpc.get("subnetIds") or vpc.get("securityGroupIds")) else {}

    def _vpc_policy(self) -> str:
        return f"arn:{self.partition}:iam::aws:policy/{ls.VPC_MANAGED_POLICY}"

    def _default_role(self, shared: list, resources: LDict) -> None:
        generated = self._logs([(name, line) for name, fn, _c, line in shared if not fn.get("disableLogs")])
        for _name, _fn, compiled, _line in shared:
            generated += compiled.statements
        managed = self.provider_managed()
        if self.any_vpc:  # the framework attaches it when any function of the service has a VPC
            managed = managed + [self._vpc_policy()]
        role = _d(self.iam.get("role"))
        line = self.provider_role_line()
        resources[DEFAULT_ROLE] = self.role_resource(
            DEFAULT_ROLE, _text(role.get("name"), f"{self.service}-{self.stage}-{self.region}-lambdaRole"),
            f"{self.stage}-{self.service}-lambda", line, _merge_statements(generated), self.provider_statements(),
            managed, self.provider_boundary(), role.get("path"), role.get("tags"))
        resources.key_lines[DEFAULT_ROLE] = line

    def _own_role(self, key: str, name: str, fn: dict, compiled: Compiled, line: int | None, logical: str) -> LDict:
        """serverless-iam-roles-per-function: the function's statements replace the provider's,
        unless it (or the plugin's defaultInherit) says to inherit them."""
        inherit = fn.get("iamRoleStatementsInherit", self.default_inherit) is True
        author = list(fn.get("iamRoleStatements") or []) + (self.provider_statements() if inherit else [])
        generated = (self._logs([(name, line)]) if not fn.get("disableLogs") else []) + compiled.statements
        managed = self.provider_managed() + _l(fn.get("iamManagedPolicies"))
        if self._vpc(fn):
            managed.append(self._vpc_policy())
        role_line = line_of(fn, "iamRoleStatements") or line
        role_name = f"{self.service}-{self.stage}-{key}-{self.region}-lambdaRole"[:64]
        return self.role_resource(logical, _text(fn.get("iamRoleStatementsName"), role_name),
                                  f"{self.service}-{self.stage}-{key}-lambda", role_line, _merge_statements(generated),
                                  author, managed, fn.get("iamPermissionsBoundary") or self.provider_boundary(),
                                  where=self.fn_files.get(key, self.path))

    def _function(self, key: str, name: str, fn: dict, role: Any, line: int | None) -> LDict:
        p, f = self.provider, fn
        props: dict = {"FunctionName": name, "Role": role}
        if f.get("image") is not None:
            props["PackageType"] = "Image"
            props["Code"] = {"ImageUri": f["image"] if isinstance(f["image"], str) else WILDCARD}
        else:
            props["Handler"] = f.get("handler")
            props["Runtime"] = f.get("runtime", p.get("runtime"))
        for prop, k in (("MemorySize", "memorySize"), ("Timeout", "timeout")):
            if f.get(k, p.get(k)) is not None:
                props[prop] = f.get(k, p.get(k))
        arch = f.get("architecture", p.get("architecture"))
        if arch:
            props["Architectures"] = [arch]
        env = {**_d(p.get("environment")), **_d(f.get("environment"))}
        if env:
            props["Environment"] = {"Variables": env}
        vpc = self._vpc(f)
        if vpc:
            props["VpcConfig"] = {"SubnetIds": _l(vpc.get("subnetIds")), "SecurityGroupIds": _l(vpc.get("securityGroupIds"))}
        mode = self._tracing(f)
        if mode:
            props["TracingConfig"] = {"Mode": mode}
        if f.get("onError") is not None:
            props["DeadLetterConfig"] = {"TargetArn": f["onError"]}
        kms = f.get("kmsKeyArn", p.get("kmsKeyArn"))
        if kms:
            props["KmsKeyArn"] = kms
        if f.get("layers", p.get("layers")):
            props["Layers"] = _l(f.get("layers", p.get("layers")))
        if f.get("reservedConcurrency") is not None:
            props["ReservedConcurrentExecutions"] = f["reservedConcurrency"]
        fs = _d(f.get("fileSystemConfig"))
        if fs:
            props["FileSystemConfigs"] = [{"Arn": fs.get("arn"), "LocalMountPath": fs.get("localMountPath")}]
        tags = {**_d(p.get("tags")), **_d(f.get("tags"))}
        if tags:
            props["Tags"] = [{"Key": str(k), "Value": v} for k, v in tags.items()]
        return _node(line, Type="AWS::Lambda::Function", Properties=_node(line, props))


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _role_ref(value: Any) -> Any:
    """A role as the framework accepts it: an ARN, a ``resources:`` logical id, or an intrinsic."""
    if isinstance(value, str) and not value.startswith("arn:") and value != WILDCARD:
        return {"Fn::GetAtt": [value, "Arn"]}
    return value


def _merge_statements(statements: list[RoleStatement]) -> list[RoleStatement]:
    """One statement per (kind, actions), with the resources of every event that asked for it."""
    out: dict[tuple, RoleStatement] = {}
    for s in statements:
        key = (s.kind, s.actions)
        if key in out:
            out[key].resources.extend(r for r in s.resources if r not in out[key].resources)
        else:
            out[key] = RoleStatement(s.kind, s.actions, list(s.resources), s.line)
    return list(out.values())


def _merge(generated: Any, user: Any) -> Any:
    """The framework's merge of ``resources:`` over a generated resource (mappings merge key by key)."""
    if isinstance(generated, dict) and isinstance(user, dict):
        out = LDict(generated)
        out.line, out.key_lines = line_of(user) or line_of(generated), dict(getattr(generated, "key_lines", {}))
        for k, v in user.items():
            out[k] = _merge(generated[k], v) if k in generated else v
        return out
    return user


class _Locate:
    def __init__(self, path: str, locations: dict[str, SourceLocation]):
        self.path, self.locations = path, locations

    def __call__(self, logical: str) -> SourceLocation:
        return self.locations.get(logical) or SourceLocation(self.path, None, logical)


def compile_stack(path: str, data: dict, parts: Parts, *, account: str, region: str, partition: str,
                  params: dict[str, Any]) -> tuple[Stack, _Compiler]:
    """The service compiled into a resolvable stack (for the reader and for ``new-role``)."""
    c = _Compiler(path, data, params, account, region, partition, parts)
    template = c.compile()
    declared = template.get("Parameters") or {}
    stack = Stack(path=path, name=c.stack_name, template=template, account=account, region=c.region,
                  partition=partition, overrides={k: v for k, v in params.items() if k in declared})
    return stack, c


def read(path: str, data: dict, parts: Parts, *, account: str, region: str, partition: str,
         params: dict[str, Any]) -> Service:
    """Read one service into ``parts``. Raises ``ServiceError`` / ``VariableError`` (one line each)."""
    try:
        stack, c = compile_stack(path, data, parts, account=account, region=region, partition=partition, params=params)
    except VariableError as e:
        raise ServiceError(str(e)) from None
    StackReader(stack, _Locate(path, c.locations), parts).read()
    for logical, (kind, details, source) in c.routes:
        fn_arn = stack.arn_of(logical)
        trigger = route_trigger(kind, details, source, fn_arn, c.region, partition)
        parts.links.append((fn_arn, lambda fn, t=trigger: fn.triggers.append(t), path))
    policy_path = {lg: c.locations[lg].path for lg, _p, _i, _k in c.origins if lg in c.locations}
    for logical, policy, index, kind in c.origins:
        parts.statement_origins[(policy_path.get(logical, path), logical, policy, index)] = {"kind": ORIGIN, "name": kind}
    parts.unresolved.extend(stack.unresolved)
    parts.warnings.extend(c.vars.warnings)
    return Service(stack=c.stack_name, included=set(c.vars.included))


__all__ = ["CODE_SERVICE_FILES", "SERVICE_FILES", "Service", "ServiceError", "compile_stack", "is_service", "is_service_file", "read"]
