"""A resolved CloudFormation stack -> functions, roles and policies (``Parts``).

Mirrors what ``scan`` records for the same resources (collect/aws/inventory.py, collect/gaad.py):
the same fields, the same trigger types and detail keys. Triggers, permissions, URLs and the
rest are recorded as links by function reference and attached once every file is read, so a
permission in one stack can point at a function in another.
"""

from __future__ import annotations

from typing import Any, Callable

from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.iam.policy import loads_document
from iam_analyzer.model import (
    Alias, EventInvokeConfig, Function, FunctionUrl, Group, InlinePolicy, ManagedPolicy, Role, SourceLocation, User,
)

from . import branches, cfn_events
from .loader import line_of
from .resolve import WILDCARD, Stack
from .result import TRUST_POLICY, Parts

Locate = Callable[[str], SourceLocation]  # logical id -> where it was written


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _list(v: Any) -> list:
    return list(v) if isinstance(v, list) else ([] if v is None else [v])


def _doc(v: Any) -> dict:
    if isinstance(v, str):
        try:
            return loads_document(v)
        except ValueError:
            return {}
    return v if isinstance(v, dict) else {}


def _tags(v: Any) -> dict[str, str]:
    if isinstance(v, dict):
        return {str(k): str(x) for k, x in v.items()}
    return {str(t.get("Key")): str(t.get("Value", "")) for t in _list(v) if isinstance(t, dict)}


class StackReader:
    def __init__(self, stack: Stack, locate: Locate, parts: Parts):
        self.s = stack
        self.locate = locate
        self.parts = parts

    # -- helpers --------------------------------------------------------------------------------

    def props(self, logical: str) -> dict:
        r = self.s.resolve(self.s.props(logical), line_of(self.s.resources.get(logical)))
        return r if isinstance(r, dict) else {}

    def statement_lines(self, loc: SourceLocation, policy_name: str, doc: dict) -> None:
        stmts = doc.get("Statement") if isinstance(doc, dict) else None
        for i, st in enumerate(stmts if isinstance(stmts, list) else [stmts] if stmts else []):
            line = line_of(st) or loc.line
            if line:
                self.parts.statement_lines[(loc.path, loc.logical_id or "", policy_name, i)] = line

    def origins(self, loc: SourceLocation, policy_name: str, doc: dict, src: Any = None) -> None:
        """Who wrote each statement of a policy read at ``loc``, where it is not the template's
        author (result.ORIGIN_KINDS): SAM's policy templates and generated policies, the CDK's own."""
        ask = getattr(self.locate, "policy_origin", None)
        logical = loc.logical_id or ""
        origin = ask(logical, policy_name, src, self.s.resources.get(logical)) if ask else None
        if origin is None:
            return
        stmts = doc.get("Statement") if isinstance(doc, dict) else None
        count = len(stmts) if isinstance(stmts, list) else 1
        for i in range(max(count, 1)):
            self.parts.statement_origins[(loc.path, logical, policy_name, i)] = dict(origin)

    def arn(self, logical: str) -> str:
        return self.s.arn_of(logical, line_of(self.s.resources.get(logical)))

    # -- the stack ----------------------------------------------------------------------------

    def read(self) -> None:
        handlers = {
            "AWS::Lambda::Function": self.function, "AWS::IAM::Role": self.role,
            "AWS::IAM::Policy": self.policy, "AWS::IAM::RolePolicy": self.role_policy,
            "AWS::IAM::ManagedPolicy": self.managed_policy, "AWS::IAM::User": self.user,
            "AWS::IAM::Group": self.group, "AWS::Lambda::Alias": self.alias,
            "AWS::Lambda::Version": self.version, "AWS::Lambda::Url": self.url,
            "AWS::Lambda::EventInvokeConfig": self.invoke_config,
        }
        for logical, res in self.s.resources.items():
            if not isinstance(res, dict):
                continue
            cond = res.get("Condition")
            if isinstance(cond, str) and not self.s.condition(cond, line_of(res, "Condition")):
                continue
            rtype = str(res.get("Type", ""))
            meta = res.get("Metadata")
            if isinstance(meta, dict) and isinstance(meta.get("aws:cdk:path"), str):
                self.parts.construct_paths[(self.s.path, logical)] = meta["aws:cdk:path"]
            kind = ab.CFN.get(rtype)
            if kind is not None and kind.ref != "id":
                arn = self.arn(logical)
                self.parts.names.setdefault(self.s.physical_name(logical), arn)
                ref = self.s.ref(logical, None)  # a queue's URL names it too
                if isinstance(ref, str) and ref != arn:
                    self.parts.names.setdefault(ref, arn)
            if rtype in handlers:
                handlers[rtype](logical)
            else:
                cfn_events.read(self, logical, rtype)
        self.parts.warnings.extend(f"{self.s.path}: {w}" for w in self.s.warnings)

    # -- Lambda -------------------------------------------------------------------------------

    def function(self, logical: str) -> None:
        p = self.props(logical)
        s = self.s
        vpc = p.get("VpcConfig") if isinstance(p.get("VpcConfig"), dict) else {}
        logging_cfg = p.get("LoggingConfig") if isinstance(p.get("LoggingConfig"), dict) else {}
        name = s.physical_name(logical)
        log_group = _s(logging_cfg.get("LogGroup"))
        code = p.get("Code") if isinstance(p.get("Code"), dict) else {}
        fn = Function(
            arn=self.arn(logical), name=name, account_id=s.account, region=s.region,
            role_arn=_s(p.get("Role")) or WILDCARD, runtime=_s(p.get("Runtime")), handler=_s(p.get("Handler")),
            package_type=_s(p.get("PackageType")) or ("Image" if code.get("ImageUri") else "Zip"),
            architectures=[str(a) for a in _list(p.get("Architectures"))] or ["x86_64"],
            memory_size=_int(p.get("MemorySize")), timeout=_int(p.get("Timeout")),
            layers=[str(x) for x in _list(p.get("Layers"))],
            subnet_ids=sorted(str(x) for x in _list(vpc.get("SubnetIds"))),
            security_group_ids=sorted(str(x) for x in _list(vpc.get("SecurityGroupIds"))),
            kms_key_arn=_s(p.get("KmsKeyArn")),
            tracing_mode=_s((p.get("TracingConfig") or {}).get("Mode")) if isinstance(p.get("TracingConfig"), dict) else None,
            dead_letter_target=_s((p.get("DeadLetterConfig") or {}).get("TargetArn")) if isinstance(p.get("DeadLetterConfig"), dict) else None,
            file_systems=[{"arn": f.get("Arn"), "local_mount_path": f.get("LocalMountPath")}
                          for f in _list(p.get("FileSystemConfigs")) if isinstance(f, dict)],
            reserved_concurrency=_int(p.get("ReservedConcurrentExecutions")),
            code_signing_config_arn=_s(p.get("CodeSigningConfigArn")),
            logging_group=log_group if log_group not in (None, f"/aws/lambda/{name}") else None,
            tags=_tags(p.get("Tags")), location=self.locate(logical),
        )
        if fn.subnet_ids:
            fn.vpc_id = WILDCARD  # the VPC is the subnets' VPC, not named in the template
        env = p.get("Environment") if isinstance(p.get("Environment"), dict) else {}
        variables = env.get("Variables") if isinstance(env.get("Variables"), dict) else {}
        self.parts.env.append((fn, {str(k): _envtext(v) for k, v in variables.items()}))
        self.parts.functions.append(fn)

    def alias(self, logical: str) -> None:
        p = self.props(logical)
        fn_ref = _s(p.get("FunctionName"))
        if not fn_ref:
            return
        alias = Alias(name=_s(p.get("Name")) or logical, arn=self.arn(logical),
                      function_version=str(p.get("FunctionVersion", "")))
        self.parts.links.append((fn_ref, lambda fn: fn.aliases.append(alias), self.s.path))

    def version(self, logical: str) -> None:
        fn_ref = _s(self.props(logical).get("FunctionName"))
        if fn_ref:
            self.parts.links.append((fn_ref, lambda fn: fn.versions.append(f"{logical}"), self.s.path))

    def url(self, logical: str) -> None:
        p = self.props(logical)
        target = _s(p.get("TargetFunctionArn"))
        if not target:
            return
        url = FunctionUrl(url=ab.function_url(f"{self.s.name}-{logical}-*", self.s.region),
                          auth_type=_s(p.get("AuthType")) or "", qualifier=_s(p.get("Qualifier")),
                          cors=p.get("Cors") if isinstance(p.get("Cors"), dict) else {},
                          invoke_mode=_s(p.get("InvokeMode")))
        self.parts.links.append((target, lambda fn: fn.urls.append(url), self.s.path))

    def invoke_config(self, logical: str) -> None:
        p = self.props(logical)
        fn_ref = _s(p.get("FunctionName"))
        if not fn_ref:
            return
        dest = p.get("DestinationConfig") if isinstance(p.get("DestinationConfig"), dict) else {}
        q = _s(p.get("Qualifier"))
        cfg = EventInvokeConfig(
            qualifier=None if q in (None, "$LATEST") else q,
            maximum_retry_attempts=_int(p.get("MaximumRetryAttempts")),
            maximum_event_age_seconds=_int(p.get("MaximumEventAgeInSeconds")),
            on_success=_s((dest.get("OnSuccess") or {}).get("Destination")) if isinstance(dest.get("OnSuccess"), dict) else None,
            on_failure=_s((dest.get("OnFailure") or {}).get("Destination")) if isinstance(dest.get("OnFailure"), dict) else None,
        )
        self.parts.links.append((fn_ref, lambda fn: fn.event_invoke_configs.append(cfg), self.s.path))

    # -- IAM ----------------------------------------------------------------------------------

    def _inline(self, items: Any, loc: SourceLocation, raw_items: Any) -> list[InlinePolicy]:
        """Inline policies; an ``Fn::If`` item or statement is read in both branches, each
        marked with its condition (branches.py)."""
        out: list[InlinePolicy] = []
        source_policy = getattr(self.locate, "source_policy", None)
        entries = branches.items(self.s, raw_items, loc.line) if isinstance(raw_items, list) else \
            [(item, None, None) for item in _list(items)]
        names = set()
        for i, (item, raw, marker) in enumerate(entries):
            if not isinstance(item, dict):
                continue
            name = str(item.get("PolicyName") or f"policy{i}")
            if name in names and marker is not None:  # both branches name the same policy
                name = f"{name} [if {'' if marker['branch'] else 'not '}{marker['condition']}]"
            names.add(name)
            raw_doc = raw.get("PolicyDocument") if isinstance(raw, dict) else None
            doc, stmt_markers = branches.document(self.s, raw_doc, item.get("PolicyDocument"), line_of(raw))
            doc = _doc(doc)
            src = source_policy(loc.logical_id or "", name) if source_policy else None
            ploc = SourceLocation(loc.path, line_of(src) or line_of(item) or line_of(raw) or loc.line, loc.logical_id)
            self.statement_lines(ploc, name, doc)
            self.origins(ploc, name, doc, src)
            self.conditions(ploc, name, doc, marker, stmt_markers)
            if src is not None:  # a SAM policy: statements written inline keep their lines
                stmts = src.get("Statement") if isinstance(src, dict) else None
                for j, st in enumerate(stmts if isinstance(stmts, list) else []):
                    if line_of(st):
                        self.parts.statement_lines[(ploc.path, ploc.logical_id or "", name, j)] = line_of(st)
            out.append(InlinePolicy(name=name, document=doc, location=ploc))
        return out

    def conditions(self, loc: SourceLocation, name: str, doc: dict, marker: dict | None, per_statement: dict) -> None:
        """Record the ``Fn::If`` condition of a policy (every statement) or of its statements."""
        stmts = doc.get("Statement") if isinstance(doc, dict) else None
        count = len(stmts) if isinstance(stmts, list) else 1
        for i in range(max(count, 1)):
            m = per_statement.get(i) or marker
            if m is not None:
                self.parts.statement_conditions[(loc.path, loc.logical_id or "", name, i)] = dict(m)

    def _managed_arns(self, logical: str, resolved: Any) -> list[str]:
        """``ManagedPolicyArns``, an ``Fn::If`` item in both branches (a branch that does not
        deploy is recorded with policy index -1 in ``statement_conditions``)."""
        raw = self.s.props(logical).get("ManagedPolicyArns")
        if not isinstance(raw, list):
            return sorted({str(a) for a in _list(resolved) if a})
        out = set()
        for value, _raw, marker in branches.items(self.s, raw, line_of(self.s.resources.get(logical))):
            for arn in _list(value):
                if not arn:
                    continue
                out.add(str(arn))
                if marker is not None:
                    self.parts.statement_conditions[(self.s.path, logical, str(arn), -1)] = dict(marker)
        return sorted(out)

    def role(self, logical: str) -> None:
        p = self.props(logical)
        loc = self.locate(logical)
        trust = _doc(p.get("AssumeRolePolicyDocument"))
        self.statement_lines(loc, TRUST_POLICY, trust)
        self.origins(loc, TRUST_POLICY, trust)
        raw_policies = self.s.props(logical).get("Policies")
        arns = self._managed_arns(logical, p.get("ManagedPolicyArns"))
        attached_by_sam = getattr(self.locate, "attached_by_sam", None)
        for arn in arns if attached_by_sam else ():
            if attached_by_sam(logical, arn):
                self.parts.statement_origins[(loc.path, logical, arn, -1)] = {"kind": "sam-generated",
                                                                              "name": arn.rsplit("/", 1)[-1]}
        role = Role(
            arn=self.arn(logical), name=self.s.physical_name(logical), path=_s(p.get("Path")) or "/",
            trust_policy=trust, inline_policies=self._inline(p.get("Policies"), loc, raw_policies),
            managed_policy_arns=arns,
            permissions_boundary_arn=_s(p.get("PermissionsBoundary")), tags=_tags(p.get("Tags")), location=loc,
        )
        self.parts.roles.append(role)

    def user(self, logical: str) -> None:
        p = self.props(logical)
        loc = self.locate(logical)
        self.parts.users.append(User(
            arn=self.arn(logical), name=self.s.physical_name(logical), path=_s(p.get("Path")) or "/",
            inline_policies=self._inline(p.get("Policies"), loc, self.s.props(logical).get("Policies")),
            managed_policy_arns=sorted({str(a) for a in _list(p.get("ManagedPolicyArns")) if a}),
            groups=sorted(str(g) for g in _list(p.get("Groups"))), permissions_boundary_arn=_s(p.get("PermissionsBoundary")),
            tags=_tags(p.get("Tags"))))

    def group(self, logical: str) -> None:
        p = self.props(logical)
        loc = self.locate(logical)
        self.parts.groups.append(Group(
            arn=self.arn(logical), name=self.s.physical_name(logical), path=_s(p.get("Path")) or "/",
            inline_policies=self._inline(p.get("Policies"), loc, self.s.props(logical).get("Policies")),
            managed_policy_arns=sorted({str(a) for a in _list(p.get("ManagedPolicyArns")) if a})))

    def _attach(self, p: dict, what: str, payload: Any) -> None:
        for key, kind in (("Roles", "role"), ("Users", "user"), ("Groups", "group")):
            for target in _list(p.get(key)):
                if isinstance(target, str) and target:
                    self.parts.attachments.append((kind, _principal_name(target), what, payload))

    def policy(self, logical: str) -> None:
        p = self.props(logical)
        loc = self.locate(logical)
        name = str(p.get("PolicyName") or logical)
        doc = _doc(p.get("PolicyDocument"))
        self.statement_lines(loc, name, doc)
        self.origins(loc, name, doc)
        self._attach(p, "inline", InlinePolicy(name=name, document=doc, location=loc))

    def role_policy(self, logical: str) -> None:
        p = self.props(logical)
        if _s(p.get("RoleName")):
            p = dict(p, Roles=[p["RoleName"]])
        loc = self.locate(logical)
        name = str(p.get("PolicyName") or logical)
        doc = _doc(p.get("PolicyDocument"))
        self.statement_lines(loc, name, doc)
        self.origins(loc, name, doc)
        self._attach(p, "inline", InlinePolicy(name=name, document=doc, location=loc))

    def managed_policy(self, logical: str) -> None:
        p = self.props(logical)
        loc = self.locate(logical)
        arn = self.arn(logical)
        name = self.s.physical_name(logical)
        doc = _doc(p.get("PolicyDocument"))
        self.statement_lines(loc, name, doc)
        self.origins(loc, name, doc)
        self.parts.policies.append(ManagedPolicy(arn=arn, name=name, document=doc, default_version_id="v1",
                                                 path=_s(p.get("Path")) or "/", location=loc))
        self._attach(p, "managed", arn)


def _principal_name(value: str) -> str:
    """Roles/Users/Groups lists hold names; tolerate an ARN (keep its last path part)."""
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None and not isinstance(v, bool) else None
    except (TypeError, ValueError):
        return None


def _envtext(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return ""
