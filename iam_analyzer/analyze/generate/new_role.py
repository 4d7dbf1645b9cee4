"""A role for a function not yet deployed: from its code, its template and a declared intent.

Every SDK call found in the code becomes its operation's IAM actions (``iam/api_actions``,
the mapping usage shares), each on the resource that call names (``iam/resource_params``:
literals, key prefixes, environment variables resolved through the template). The
template adds what the function's configuration requires (``analyze/needs``); the intent
file adds declared access. The policy is the union, each statement with its evidence; it is
minimised without adding an action, linted, and verified: every call found evaluates to
ALLOW on its resource, and the policy grants nothing beyond what was asked for.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from iam_analyzer.analyze.generate.intent import Intent, intent_grants
from iam_analyzer.analyze.needs import requirements
from iam_analyzer.iam import sdk_names
from iam_analyzer.iam.api_actions import transaction_actions
from iam_analyzer.iam.catalog import Catalog, default_catalog
from iam_analyzer.iam.compare import Reference
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.minimize import minimize_actions
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.iam.resource_params import PLACEHOLDER, Scope, Value, placeholder, resolve
from iam_analyzer.model import CodeCall, Function, Snapshot

# Stand-ins the template is read with when no --account / --region is given; they become
# <ACCOUNT_ID> / <REGION> in the output (CloudFormation, SAM and Terraform fill those in).
UNSET_ACCOUNT, UNSET_REGION = "000000000000", "zz-unset-1"
MINIMISE_OVER = 8  # a statement with more actions lists them as exact prefixes (never one more action)
INLINE_LIMIT = 10_240  # characters, whitespace excluded, of an inline role policy
ORDER = {"code": 0, "intent": 1, "template": 2}
_NAMES = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "sns": "SNS", "kms": "KMS", "ssm": "SSM", "ec2": "EC2",
          "xray": "XRay", "secretsmanager": "SecretsManager", "logs": "Logs", "lambda": "Lambda", "events": "EventBridge",
          "states": "StepFunctions", "kinesis": "Kinesis"}


@dataclass
class Grant:
    action: str
    resource: str
    evidence: list[dict] = field(default_factory=list)
    placeholders: tuple[str, ...] = ()

    @property
    def origin(self) -> str:
        return min((e["kind"] for e in self.evidence), key=lambda k: ORDER[k])


@dataclass
class NewRole:
    name: str
    documents: list[dict] = field(default_factory=list)
    statements: list[dict] = field(default_factory=list)  # Sid -> evidence, for --explain
    grants: list[Grant] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    placeholders: list[dict] = field(default_factory=list)
    verification: dict = field(default_factory=dict)
    lint: list[dict] = field(default_factory=list)
    calls: int = 0  # SDK calls found (file, line)
    operations: int = 0  # API operations they make (a managed upload makes several)
    code_files: list[str] = field(default_factory=list)  # the handler's files, when one was followed
    code_scope: str = ""  # which code was read, in words
    template_refs: dict[str, str] = field(default_factory=dict)  # ARN -> how the template names it (Fn::Sub text)
    label: str = ""  # what outputs name the policies after: the function's name, or its logical id when the name is guessed

    def unresolved(self, fmt: str = "json") -> list[dict]:
        """Placeholders the output format cannot fill (CloudFormation and SAM fill
        ``<Logical.Attribute>`` of the template's own resources through Fn::Sub)."""
        fills = fmt in ("cloudformation", "sam")
        return [p for p in self.placeholders if not (fills and "." in p["placeholder"])]

    @property
    def ok(self) -> bool:
        return bool(self.verification.get("ok")) and not any(f["severity"] == "error" for f in self.lint)

    def explanation(self) -> dict:
        return {"role_for": self.name, "code_read": self.code_scope, "code_files": self.code_files,
                "calls_found": self.calls, "operations_found": self.operations,
                "statements": self.statements,
                "placeholders": self.placeholders, "verification": self.verification, "lint": self.lint,
                "warnings": self.warnings}


def _call_args(call: CodeCall) -> dict[str, list[Value]]:
    out: dict[str, list[Value]] = defaultdict(list)
    for a in call.args:
        where = f"environment variable {a.env}" if a.env else "literal in the code"
        out[a.param].append(Value(a.value, a.env, where))
    return dict(out)


def _env_refs(fn: Function | None) -> dict[str, list[str]]:
    return {v.name: list(v.references) for v in fn.environment} if fn else {}


def _trigger_buckets(fn: Function | None) -> list[str]:
    return [t.source_arn.split(":::", 1)[1] for t in (fn.triggers if fn else []) if t.type == "s3" and ":::" in t.source_arn]


def shown(resource: str, scope: Scope) -> str:
    """A resource as the policy spells it: the stand-in account and region the template was
    read with become <ACCOUNT_ID> / <REGION>."""
    if scope.account is None:
        resource = resource.replace(f":{UNSET_ACCOUNT}:", ":<ACCOUNT_ID>:")
    if scope.region is None:
        resource = resource.replace(f":{UNSET_REGION}:", ":<REGION>:")
    return resource


class Builder:
    def __init__(self, scope: Scope, catalog: Catalog | None = None):
        self.scope = scope
        self.cat = catalog or default_catalog()
        self.grants: dict[tuple[str, str], Grant] = {}
        self.warnings: list[str] = []
        self.calls: set[tuple] = set()  # (file, line, call as written): one call may be several operations
        self.operations = 0

    def add(self, action: str, resource: str, evidence: dict, placeholders: tuple[str, ...] = ()) -> None:
        action = self.cat.canonical(action)
        resource = shown(resource, self.scope)
        g = self.grants.setdefault((action, resource), Grant(action, resource, [], placeholders))
        if evidence not in g.evidence:
            g.evidence.append(evidence)

    def add_calls(self, calls: list[CodeCall], fn: Function | None) -> None:
        env = _env_refs(fn)
        buckets = _trigger_buckets(fn)
        queues = [m.event_source_arn for m in (fn.event_source_mappings if fn else [])
                  if m.source_type == "sqs" and m.event_source_arn]
        for c in calls:
            self.calls.add((c.path, c.line, c.call))
            self.operations += 1
            actions = transaction_actions(c.operation, sdk_names.iam_actions(c.service, c.operation),
                                          [a.value for a in c.args if a.param == "TransactItems" and a.value])
            where = f"{c.path}:{c.line}"
            if not actions:
                self.warnings.append(f"{where}: {c.service} {c.operation}: no IAM action known for this operation")
                continue
            args = _call_args(c)
            for action in actions:
                for r in resolve(c.service, c.operation, action, args, env, self.scope, self.cat):
                    resource, missing, via = r.resource, r.unresolved, r.via
                    if missing == ("QueueName",) and queues:  # the messages came from the SQS event source
                        for q in queues:
                            self.add(action, q, {"kind": "code", "file": c.path, "line": c.line, "call": c.call,
                                                 "operation": f"{c.service}:{c.operation}",
                                                 "resource_from": "the function's SQS event source (the messages come in the event)"})
                        continue
                    if missing == ("BucketName",) and buckets:  # the object came in the S3 event
                        for b in buckets:
                            self.add(action, resource.replace("<BucketName>", b), {
                                "kind": "code", "file": c.path, "line": c.line, "call": c.call,
                                "operation": f"{c.service}:{c.operation}",
                                "resource_from": "the function's S3 trigger (the bucket comes in the event)"})
                        continue
                    ev = {"kind": "code", "file": c.path, "line": c.line, "call": c.call,
                          "operation": f"{c.service}:{c.operation}"}
                    if via:
                        ev["resource_from"] = via
                    self.add(action, resource, ev, missing)

    def add_template(self, fn: Function, snapshot: Snapshot | None) -> None:
        for req in requirements(fn, snapshot):
            self.add(req.action, req.resource, {"kind": "template", "resource": fn.location.logical_id if fn.location else fn.name,
                                                "file": fn.location.path if fn.location else None,
                                                "line": fn.location.line if fn.location else None,
                                                "setting": req.setting, "reason": req.reason})

    def add_logs(self, function_name: str | None) -> None:
        """No template: the function still writes to its log group, named after the function."""
        from iam_analyzer.analyze.needs import log_requirements

        name = function_name or placeholder("FUNCTION_NAME")
        group = (f"arn:{self.scope.partition}:logs:{self.scope.region or UNSET_REGION}:"
                 f"{self.scope.account or UNSET_ACCOUNT}:log-group:/aws/lambda/{name}")
        missing = () if function_name else ("FUNCTION_NAME",)
        for req in log_requirements(group, "every Lambda function (no template given)"):
            self.add(req.action, req.resource, {"kind": "template", "resource": name, "setting": req.setting,
                                                "reason": req.reason}, missing)
        self.warnings.append(f"no template: logs:CreateLogGroup, CreateLogStream and PutLogEvents added for the log "
                             f"group /aws/lambda/{name}, which every function writes to")

    def add_intent(self, intent: Intent, logical: dict[str, str] | None = None) -> None:
        grants, problems = intent_grants(intent, self.scope, self.cat, logical)
        self.warnings.extend(problems)
        for g in grants:
            missing = tuple(PLACEHOLDER.findall(g.resource))
            self.add(g.action, g.resource, {"kind": "intent", "file": intent.path, "line": g.entry.line,
                                            "entry": f"{g.entry.verb}: {g.entry.text}"}, missing)

    def add_encryption(self, keys: dict[str, str]) -> None:
        """KMS actions where a granted resource is encrypted with a customer key (template)."""
        from iam_analyzer.iam.encryption import kms_actions

        for (action, resource), g in list(self.grants.items()):
            needed = kms_actions(action)
            if not needed:
                continue
            for res_arn, key in keys.items():
                if resource == res_arn or resource.startswith(res_arn + "/"):
                    missing = tuple(PLACEHOLDER.findall(key))
                    for k in needed:
                        self.add(k, key, {"kind": "template", "resource": res_arn, "setting": f"encrypted with {key}",
                                          "reason": f"{action} on {resource} uses the customer key"}, missing)

    # -- the policy --
    def build(self, name: str) -> NewRole:
        out = NewRole(name=name, grants=sorted(self.grants.values(), key=lambda g: (ORDER[g.origin], g.action, g.resource)),
                      warnings=list(self.warnings), calls=len(self.calls),
                      operations=self.operations)
        for g in out.grants:
            for p in g.placeholders:
                for e in g.evidence:
                    where = f"{e.get('file')}:{e.get('line')}" if e.get("file") else e.get("resource", "")
                    entry = {"placeholder": f"<{p}>", "action": g.action, "resource": g.resource, "at": where}
                    if entry not in out.placeholders:
                        out.placeholders.append(entry)
        for p in out.placeholders:
            if "." in p["placeholder"]:
                out.warnings.append(f"{p['at']}: {p['action']}: {p['placeholder']} is made at deployment: CloudFormation "
                                    f"and SAM output fill it in; other formats leave it in {p['resource']}")
                continue
            out.warnings.append(f"{p['at']}: {p['action']}: resource not resolved, left as {p['placeholder']} "
                                f"in {p['resource']}")
        out.documents, out.statements = self._documents(out.grants)
        self._verify(out)
        self._lint(out)
        return out

    def _documents(self, grants: list[Grant]) -> tuple[list[dict], list[dict]]:
        by: dict[tuple, dict[str, list[Grant]]] = defaultdict(lambda: defaultdict(list))
        for g in grants:
            by[(g.origin, g.action.split(":")[0].lower())][g.action].append(g)
        statements, explain = [], []
        used: dict[str, int] = defaultdict(int)
        for (origin, svc), actions in sorted(by.items(), key=lambda kv: (ORDER[kv[0][0]], kv[0][1])):
            by_res: dict[tuple, list[str]] = defaultdict(list)
            for action, gs in actions.items():
                by_res[tuple(sorted({g.resource for g in gs}))].append(action)
            for resources, acts in sorted(by_res.items(), key=lambda kv: sorted(kv[1])):
                levels = {self.cat.access_level(a) or "Write" for a in acts}
                kind = "Reads" if levels <= {"List", "Read"} else "Writes" if levels.isdisjoint({"List", "Read"}) else "Access"
                sid = f"{origin.title()}{_NAMES.get(svc) or re.sub(r'[^A-Za-z0-9]', '', svc.title())}{kind}"
                used[sid] += 1
                sid = sid if used[sid] == 1 else f"{sid}{used[sid]}"
                pats = minimize_actions(acts, self.cat, min_prefix=3) if len(acts) > MINIMISE_OVER else sorted(acts)
                statements.append({"Sid": sid, "Effect": "Allow", "Action": pats if len(pats) > 1 else pats[0],
                                   "Resource": list(resources) if len(resources) > 1 else resources[0]})
                evidence = []
                for a in sorted(acts):
                    for g in actions[a]:
                        for e in g.evidence:
                            evidence.append({"action": a, "resource": g.resource, **e})
                explain.append({"sid": sid, "actions": sorted(acts), "resources": list(resources), "evidence": evidence})
        doc = {"Version": "2012-10-17", "Statement": statements}
        if not statements:
            return [], explain
        if _size(doc) > INLINE_LIMIT:  # too large: every statement's actions as exact prefixes
            for st in statements:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                pats = minimize_actions(acts, self.cat, min_prefix=3)
                st["Action"] = pats if len(pats) > 1 else pats[0]
        if _size(doc) <= INLINE_LIMIT:
            return [doc], explain
        docs, cur = [], []
        for st in statements:
            if cur and _size({"Version": "2012-10-17", "Statement": cur + [st]}) > INLINE_LIMIT:
                docs.append({"Version": "2012-10-17", "Statement": cur})
                cur = []
            cur.append(st)
        docs.append({"Version": "2012-10-17", "Statement": cur})
        self.warnings.append(f"the policy does not fit one inline policy ({INLINE_LIMIT} characters): split into {len(docs)}")
        return docs, explain

    def _verify(self, out: NewRole) -> None:
        generated = [parse_policy_lenient(d)[0] for d in out.documents]
        failures = []
        for g in out.grants:
            d = evaluate(Request(g.action, g.resource), generated)
            if d.result is not Result.ALLOW:
                failures.append({"action": g.action, "resource": g.resource, "result": d.result.value})
        exact = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": g.action, "Resource": g.resource} for g in out.grants]}
        widened = Reference(parse_policy_lenient(exact)[0], self.cat).new_access(generated) if out.grants else []
        out.verification = {"checked": len(out.grants), "not_allowed": failures,
                            "beyond_what_was_asked": [n.as_dict() for n in widened[:50]],
                            "beyond_count": len(widened), "ok": not failures and not widened}

    def _lint(self, out: NewRole) -> None:
        from iam_analyzer.analyze.lint import lint_policy

        for i, d in enumerate(out.documents):
            policy = parse_policy_lenient(d)[0]
            for f in lint_policy(policy, self.cat, "identity"):
                entry = f.as_dict()
                entry["document"] = i
                out.lint.append(entry)


def _size(doc: dict) -> int:
    return len(json.dumps(doc, separators=(",", ":")))


def new_role(calls: list[CodeCall], *, function: Function | None = None, snapshot: Snapshot | None = None,
             intent: Intent | None = None, scope: Scope | None = None, name: str = "new-function",
             catalog: Catalog | None = None, keys: dict[str, str] | None = None,
             logical: dict[str, str] | None = None, function_name: str | None = None) -> NewRole:
    """The policy for one function from what its code calls, its configuration and its intent.
    Without ``function`` (no template), the log group of ``function_name`` (else
    ``<FUNCTION_NAME>``) is granted, as every function needs it."""
    b = Builder(scope or Scope(), catalog)
    b.add_calls(calls, function)
    if intent is not None:
        b.warnings.extend(intent.problems)
        b.add_intent(intent, logical)
    if keys:
        b.add_encryption(keys)
    if function is not None:
        b.add_template(function, snapshot)
    else:
        b.add_logs(function_name)
    return b.build(name)
