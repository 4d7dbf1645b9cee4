"""The checks written in Python (a rule's ``matcher.check`` names one), for graph queries,
evidence and the like. Each takes the run's ``Model`` and its ``Rule`` and returns findings.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Callable

from iam_analyzer import yamlio

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.service_principals import runs_lambda_functions
from iam_analyzer.iam.policy import Statement, parse_policy_lenient
from iam_analyzer.analyze.needs import requirements
from iam_analyzer.resources import rules_dir

from iam_analyzer.analyze.checks.findings import Finding, Rule, fingerprint
from iam_analyzer.analyze.checks.model import INLINE_LIMIT, Model, Subject

def _finding(rule: Rule, subject: str, message: str, evidence: dict, key, severity: str | None = None) -> Finding:
    return Finding(rule.id, rule.title, severity or rule.severity, rule.category, subject, message, evidence,
                   rule.fix, fingerprint(rule.id, subject, key))


def _loc(policy: str, st: Statement) -> dict:
    return {"policy": policy, "statement": st.index, "sid": st.sid, "document": st.to_json()}


def _sample(xs, n=5) -> str:
    xs = sorted(xs)
    return ", ".join(xs[:n]) + (f" and {len(xs) - n} more" if len(xs) > n else "")


# -- checks written in Python ---------------------------------------------------------------------

CHECKS: dict[str, Callable[[Model, Rule], list[Finding]]] = {}


def check(name: str):
    def deco(fn):
        CHECKS[name] = fn
        return fn
    return deco


def _allow_with(model: Model, rule: Rule, actions: set[str], star_only: bool, label: str) -> list[Finding]:
    """Allow statements that grant any of ``actions`` (lower-case keys), optionally only on "*"."""
    out = []
    for s, name, st in model.statements():
        if not st.is_allow:
            continue
        if star_only and "*" not in st.resource_patterns and st.not_resources is None:
            continue
        hit = model.expand(st) & actions
        if not hit:
            continue
        if st.conditions and star_only:
            continue  # conditions constrain it; not "unconstrained"
        names = sorted(model.cat.canonical(k) for k in hit)
        out.append(_finding(rule, s.arn, f"{s.name} allows {label} on every resource: {_sample(names)}",
                            {**_loc(name, st), "actions": names}, [name, st.index, names]))
    return out


EXFILTRATION = {"s3:getobject", "s3:getobjectversion", "secretsmanager:getsecretvalue", "ssm:getparameter",
                "ssm:getparameters", "ssm:getparametersbypath", "kms:decrypt", "dynamodb:scan", "dynamodb:getitem",
                "rds:downloaddblogfileportion", "ec2:getpassworddata", "lambda:getfunction"}
RESOURCE_EXPOSURE = {"s3:putbucketpolicy", "s3:putbucketacl", "s3:putobjectacl", "s3:deletebucketpolicy",
                     "lambda:addpermission", "lambda:addlayerversionpermission", "sqs:setqueueattributes",
                     "sqs:addpermission", "sns:settopicattributes", "sns:addpermission", "kms:putkeypolicy",
                     "kms:creategrant", "secretsmanager:putresourcepolicy", "iam:updateassumerolepolicy",
                     "ecr:setrepositorypolicy", "glacier:setvaultaccesspolicy", "s3:putaccesspointpolicy",
                     "lambda:createfunctionurlconfig", "lambda:updatefunctionurlconfig", "ram:createresourceshare"}
CREDENTIALS = {"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile", "iam:createservicespecificcredential",
               "iam:resetservicespecificcredential", "iam:uploadsshpublickey", "ecr:getauthorizationtoken",
               "redshift:getclustercredentials", "sts:getfederationtoken", "sts:getsessiontoken",
               "cognito-identity:getcredentialsforidentity", "lightsail:getinstanceaccessdetails", "rds-db:connect"}


@check("star_resource_scopable_write")
def _star_write(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for s, name, st in model.statements(aws_managed=False):
        if not st.is_allow or "*" not in st.resource_patterns or st.not_resources is not None:
            continue
        write = []
        for k in model.expand(st):
            a = model.cat.actions.get(k)
            # never for actions with no resource type: "*" is their only valid value
            if a and a.supports_resource_scoping and a.access_level in ("Write", "Permissions management"):
                write.append(a.full_name)
        if write:
            out.append(_finding(rule, s.arn, f"{s.name} grants {len(write)} write or permissions action(s) on \"*\" "
                                f"that could be scoped to resources: {_sample(write)}", {**_loc(name, st), "actions": sorted(write)},
                                [name, st.index]))
    return out


@check("data_exfiltration")
def _exfil(model: Model, rule: Rule) -> list[Finding]:
    return _allow_with(model, rule, EXFILTRATION, True, "data-reading actions")


@check("resource_exposure")
def _exposure(model: Model, rule: Rule) -> list[Finding]:
    return _allow_with(model, rule, RESOURCE_EXPOSURE, True, "actions that change resource policies")


@check("credentials_exposure")
def _creds(model: Model, rule: Rule) -> list[Finding]:
    return _allow_with(model, rule, CREDENTIALS, False, "actions that issue credentials")


@check("admin_role")
def _admin(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for s in model.subjects:
        p = model.analyzer.principals[s.arn]
        if model.analyzer.is_admin(p):
            fns = [f.name for f in s.functions]
            out.append(_finding(rule, s.arn, f"{s.name} has administrative access" +
                                (f" and runs function(s) {_sample(fns)}" if fns else ""),
                                {"functions": [f.arn for f in s.functions]}, "admin"))
    return out


@check("privilege_escalation")
def _escalation(model: Model, rule: Rule) -> list[Finding]:
    subjects = {s.arn for s in model.subjects}
    out = []
    for e in model.escalations:
        if e["principal"] not in subjects:
            continue
        sev = "medium" if e["conditional"] else rule.severity
        steps = " -> ".join(f"{h['method']} ({h['to'].rsplit('/', 1)[-1]})" for h in e["path"])
        if e.get("complete", True):
            why = e.get("requires") or ""  # names the SCP/RCP statement when the organization's layer is undecided
            tail = (f" ({why})" if "organization" in why else " (under conditions that could not be evaluated)") if e["conditional"] else ""
        else:
            tail = f" (one step short: requires {e['requires']})"
        out.append(_finding(rule, e["principal"], f"{e['principal'].rsplit('/', 1)[-1]} can escalate: {steps}; "
                            f"yields {e['yields']}" + tail,
                            {"path": e["path"], "yields": e["yields"], "conditional": e["conditional"],
                             "requires": e.get("requires"), "targets": e.get("targets"), "target": e.get("target")},
                            [e["method"], [h["to"] for h in e["path"]]], sev))
    return out


@check("passrole_unconstrained")
def _passrole(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for s, name, st in model.statements():
        if not st.is_allow or "iam:passrole" not in model.expand(st):
            continue
        has_service = any(c.key.lower() == "iam:passedtoservice" for c in st.conditions)
        part, account = s.arn.split(":")[1], s.arn.split(":")[4]
        any_role = f"arn:{part}:iam::{account}:role/*"
        star = st.not_resources is not None or any(arnlib.contains(r, any_role) for r in st.resource_patterns)
        if star or not has_service:
            why = "on every role" if star else "without an iam:PassedToService condition"
            out.append(_finding(rule, s.arn, f"{s.name} may pass roles {why}", _loc(name, st), [name, st.index]))
    return out


def _function_roles_with_usage(model: Model):
    """Execution roles of functions, when usage was given (the usage-based rules need both)."""
    if not model.usage:
        return []
    return [s for s in model.subjects if s.functions]


def _roles_with_evidence(model: Model):
    """Execution roles whose every function has evidence enough that an unseen permission is
    unused (``analyze/evidence.py``): no usage-based "unused" finding on a region the trail
    does not cover, a window too short, or logs that hold nothing."""
    from iam_analyzer.analyze.evidence import verdict

    out = []
    for s in _function_roles_with_usage(model):
        role = model.snapshot.find_role(s.arn)
        if all(verdict(f, role, model.usage).tightens for f in s.functions):
            out.append(s)
    return out


def _evidence_sets(model: Model, s: Subject) -> tuple[set[str], set[str], set[str]]:
    """Lower-case action keys a subject used (usage), needs (configuration) and is granted."""
    used = {a["action"].lower() for a in model.usage_for(s.arn) if a.get("count")}
    needed = {r.action.lower() for f in s.functions for r in requirements(f, model.snapshot)}
    granted = allowed_actions([p for _, p in s.policies], model.cat)
    if s.boundary is not None:
        granted &= allowed_actions(s.boundary, model.cat)
    return used, needed, granted


@check("unused_permissions")
def _unused(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for s in _roles_with_evidence(model):
        used, needed, granted = _evidence_sets(model, s)
        unused = granted - used - needed
        if granted and unused:
            pct = round(100 * len(unused) / len(granted))
            out.append(_finding(rule, s.arn, f"{s.name}: {len(unused)} of {len(granted)} granted actions ({pct}%) were "
                                f"neither used in the usage window nor required by configuration",
                                {"granted": len(granted), "used": len(used & granted), "required": len(needed & granted),
                                 "unused_sample": sorted(model.cat.canonical(k) for k in unused)[:20],
                                 "window": (model.usage or {}).get("window")}, "unused",
                                "low" if pct < 50 else rule.severity))
    return out


@check("unused_services")
def _unused_services(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for s in _roles_with_evidence(model):
        used, needed, granted = ({k.split(":")[0] for k in x} for x in _evidence_sets(model, s))
        idle = sorted(granted - used - needed)
        if idle and len(idle) < 200:
            out.append(_finding(rule, s.arn, f"{s.name} grants services never used: {_sample(idle, 8)}",
                                {"services": idle}, idle))
    return out


@check("unused_role")
def _unused_role(model: Model, rule: Rule) -> list[Finding]:
    if not model.usage:
        return []
    active = {p.get("arn") for p in model.usage.get("principals", []) if any(a.get("count") for a in p.get("actions", []))}
    return [_finding(rule, s.arn, f"{s.name} made no recorded call in the usage window "
                     f"({(model.usage.get('window') or {}).get('since')} to now)", {"functions": [f.arn for f in s.functions]},
                     "idle") for s in _roles_with_evidence(model) if s.arn not in active]


@check("unverifiable_access")
def _unverifiable(model: Model, rule: Rule) -> list[Finding]:
    from iam_analyzer.iam.trail_coverage import is_data_plane

    seen = (model.usage or {}).get("data_events", {}).get("by_service", {})
    out = []
    for s in _function_roles_with_usage(model):
        svcs = set()
        for _, pol in s.policies:
            for st in pol.statements:
                if st.is_allow:
                    for k in model.expand(st):
                        if is_data_plane(k) and k.split(":")[0] not in seen:
                            svcs.add(k.split(":")[0])
        if svcs:
            out.append(_finding(rule, s.arn, f"{s.name}: use of {_sample(svcs)} data-plane actions cannot be verified: "
                                "the usage window holds no data events for these services", {"services": sorted(svcs)},
                                sorted(svcs)))
    return out


@check("access_denied")
def _denied(model: Model, rule: Rule) -> list[Finding]:
    if not model.usage:
        return []
    out = []
    for p in model.usage.get("principals", []):
        for a in p.get("actions", []):
            if a.get("denied"):
                who = p.get("function") or f"{p['arn']} ({p.get('session')})"
                out.append(_finding(rule, p.get("function") or p["arn"], f"{who} was denied {a['action']} on {a['resource']} "
                                    f"{a['denied']} time(s), last {a.get('last_seen')}", a, [a["action"], a["resource"]]))
    return out


@check("trust_policy")
def _trust(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for s in model.subjects:
        if s.role is None or not s.functions:
            continue
        pol = parse_policy_lenient(s.role.trust_policy)[0]
        extra = []
        for st in pol.statements:
            if not st.is_allow or st.principal is None:
                continue
            for kind, value in st.principal.all_values():
                if not (kind == "Service" and runs_lambda_functions(value)):
                    cond = " (with conditions)" if st.conditions else ""
                    extra.append(f"{kind}:{value}{cond}")
        if extra:
            out.append(_finding(rule, s.arn, f"{s.name} runs Lambda functions but its trust policy also lets "
                                f"{_sample(extra)} assume it", {"trust_policy": s.role.trust_policy, "principals": extra}, sorted(extra)))
    return out


@check("shared_role")
def _shared(model: Model, rule: Rule) -> list[Finding]:
    return [_finding(rule, s.arn, f"{s.name} is the execution role of {len(s.functions)} functions: "
                     f"{_sample([f.name for f in s.functions])}", {"functions": [f.arn for f in s.functions]}, "shared")
            for s in model.subjects if len(s.functions) > 1]


@check("deprecated_runtime")
def _runtime(model: Model, rule: Rule, today: date | None = None) -> list[Finding]:
    table = yamlio.safe_load((rules_dir() / "data" / "runtimes.yaml").read_text())["deprecated"]
    today = today or date.today()
    out = []
    for f in model.snapshot.functions():
        when = table.get(f.runtime or "")
        if when and date.fromisoformat(str(when)) <= today:
            out.append(_finding(rule, f.arn, f"{f.name} uses {f.runtime}, deprecated by AWS Lambda on {when}: "
                                "no more security patches", {"runtime": f.runtime, "deprecated": str(when)}, f.runtime))
    return out


@check("policy_size")
def _size(model: Model, rule: Rule) -> list[Finding]:
    import json

    out = []
    for s in model.subjects:
        if s.role is None:
            continue
        total = sum(len(re.sub(r"\s", "", json.dumps(p.document))) for p in s.role.inline_policies)
        if total > 0.9 * INLINE_LIMIT:
            out.append(_finding(rule, s.arn, f"{s.name}'s inline policies use {total} of {INLINE_LIMIT} characters",
                                {"characters": total, "limit": INLINE_LIMIT}, "size"))
    return out


@check("confused_deputy")
def _deputy(model: Model, rule: Rule) -> list[Finding]:
    out = []
    for f in model.snapshot.functions():
        for inv in f.invokers:
            if inv.effect != "Allow" or inv.principal_type != "service":
                continue
            if inv.source_account and (inv.source_arn or inv.source_account.isdigit()):
                continue  # SourceAccount alone pins the caller to that account's resources (SAM's S3 events)
            if inv.source_arn and (":lambda:" in inv.source_arn or ":execute-api:" in inv.source_arn
                                   or inv.source_arn.count(":") >= 5 and inv.source_arn.split(":")[4]):
                continue  # an ARN that names its account pins the caller
            missing = "SourceArn and SourceAccount" if not inv.source_arn else "SourceAccount"
            out.append(_finding(rule, f.arn, f"{f.name} lets {inv.principal} invoke it without {missing}: any "
                                f"account's {inv.principal.split('.')[0]} resource could trigger it",
                                {"sid": inv.sid, "principal": inv.principal, "source_arn": inv.source_arn}, [inv.sid, inv.principal]))
    return out
