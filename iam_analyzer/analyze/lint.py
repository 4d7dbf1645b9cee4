"""Policy validation (``iam-analyzer lint``).

Each check has a stable id whose definition (title, severity, why, fix) lives as data in
``rules/lint/<id>.yaml``. This module only detects; all IAM knowledge it uses comes from
``iam_analyzer.iam``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


from iam_analyzer import yamlio
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.api_actions import covered_by
from iam_analyzer.iam import wildcard
from iam_analyzer.iam.catalog import Catalog, default_catalog
from iam_analyzer.iam.condition_keys import is_known_condition_key
from iam_analyzer.iam.policy import Policy, PolicyError, Statement, extract_document, parse_policy_lenient
from iam_analyzer.iam.validate import TRUST_ACTION_PREFIXES, condition_value_error, condition_value_note, principal_value_error
from iam_analyzer.resources import rules_dir

SEVERITIES = ("error", "warning", "low", "info")
# What a document is, as the caller knows it. identity: an identity policy attached in a way
# not known (a standalone file: read as a managed policy, the strict case); managed and inline
# say how it is attached; scp and rcp are AWS Organizations policies (SCPs are read like
# identity policies, RCPs like resource policies, plus _check_org_policy).
KINDS = ("auto", "identity", "managed", "inline", "resource", "trust", "scp", "rcp")
_STRUCTURE = {"identity": "identity", "managed": "identity", "inline": "identity", "scp": "identity",
              "resource": "resource", "rcp": "resource", "trust": "trust"}
ORG_KINDS = ("scp", "rcp")
_SCOPED_LEVELS_WARN = ("Write", "Permissions management", "Tagging")


@dataclass(frozen=True)
class CheckInfo:
    id: str
    name: str
    severity: str
    title: str
    why: str
    fix: str


@lru_cache(maxsize=1)
def checks() -> dict[str, CheckInfo]:
    out = {}
    for path in sorted((rules_dir() / "lint").glob("*.yaml")):
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
        out[data["id"]] = CheckInfo(**{k: data[k] for k in CheckInfo.__dataclass_fields__})
    return out


@dataclass
class Finding:
    id: str
    severity: str
    message: str
    location: str

    @property
    def title(self) -> str:
        return checks()[self.id].title

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": checks()[self.id].name,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "location": self.location,
        }


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    kind: str | None = None

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "findings": [f.as_dict() for f in self.findings]}


def make_finding(cid: str, message: str, location: str, severity: str | None = None) -> Finding:
    return Finding(cid, severity or checks()[cid].severity, message, location)


def _loc(st: Statement, element: str = "", idx: int | None = None) -> str:
    base = f"Statement[{st.index}]"
    if st.sid:
        base += f"({st.sid})"
    if element:
        base += f".{element}"
    if idx is not None:
        base += f"[{idx}]"
    return base


def _sample(names: list[str], n: int = 5) -> str:
    head = ", ".join(names[:n])
    return head + (f" and {len(names) - n} more" if len(names) > n else "")


def detect_kind(policy: Policy) -> str:
    """identity, resource or trust (a resource policy whose actions are all sts:Assume*)."""
    if not policy.has_principals:
        return "identity"
    acts = [a.lower() for s in policy.statements for a in (s.actions or ())]
    if acts and all(a.startswith("sts:assumerole") or a in ("sts:tagsession", "sts:setsourceidentity", "sts:setcontext") for a in acts):
        return "trust"
    return "resource"


def lint_policy(policy: Policy, catalog: Catalog | None = None, kind: str = "auto") -> list[Finding]:
    cat = catalog or default_catalog()
    findings: list[Finding] = []
    kind = detect_kind(policy) if kind == "auto" else kind
    org_kind = kind
    findings.extend(_check_version(policy, kind))
    kind = _STRUCTURE.get(kind, kind)  # the checks below know identity, resource and trust
    sids: dict[str, int] = {}
    for st in policy.statements:
        if st.sid and kind in ("identity", "trust") and not (st.sid.isascii() and st.sid.isalnum()):
            # IAM (identity and role trust policies) accepts only A-Z, a-z and 0-9 in a Sid;
            # resource policies of other services accept more
            findings.append(make_finding("PL002", f"Sid {st.sid!r}: IAM accepts only letters and digits in a Sid",
                                         _loc(st, "Sid")))
        if st.sid:
            if st.sid in sids:
                findings.append(make_finding("PL007", f"Sid {st.sid!r} is also used by Statement[{sids[st.sid]}]", _loc(st, "Sid")))
            else:
                sids[st.sid] = st.index
        has_principal = st.principal is not None or st.not_principal is not None
        if kind == "identity" and has_principal:
            findings.append(make_finding("PL014", "an identity policy may not have Principal or NotPrincipal", _loc(st, "Principal")))
        elif kind in ("resource", "trust") and not has_principal:
            findings.append(make_finding("PL014", f"every statement of a {kind} policy needs a Principal", _loc(st)))
        findings.extend(_check_principal(st, kind))
        if kind != "trust" and st.resources is None and st.not_resources is None:
            findings.append(make_finding("PL016", f"a statement of {'an' if kind == 'identity' else 'a'} {kind} policy needs "
                                                  "Resource or NotResource", _loc(st)))
        findings.extend(_check_actions(st, cat))
        findings.extend(_check_resources(st, cat))
        findings.extend(_check_conditions(st, cat))
        if st.is_allow and st.not_actions is not None:
            findings.append(make_finding("PL010", f"allows every action except {_sample(list(st.not_actions))}", _loc(st, "NotAction")))
        if st.is_allow and st.not_resources is not None:
            findings.append(make_finding("PL011", f"allows the actions on every resource except {_sample(list(st.not_resources))}", _loc(st, "NotResource")))
    findings.extend(_check_redundant(policy, cat))
    if org_kind in ORG_KINDS:
        findings = [f for f in findings if f.id not in _NOT_FOR_GUARDRAILS] + _check_org_policy(policy, org_kind, cat)
    return findings


def _check_version(policy: Policy, kind: str) -> list[Finding]:
    """PL013. IAM requires ``2012-10-17`` in a managed policy (CreatePolicy,
    AWS::IAM::ManagedPolicy, aws_iam_policy) and Organizations in an SCP or RCP; an inline
    policy without it is accepted and read in the 2008 language, which only matters when the
    document uses a policy variable (``${aws:username}`` is then plain text)."""
    if policy.version == "2012-10-17":
        return []
    uses_vars = any("${" in json.dumps(s.to_json()) for s in policy.statements)
    said = "no Version: IAM reads it as 2008-10-17" if policy.version is None else \
        "Version 2008-10-17 is the old policy language"
    if uses_vars:
        return [make_finding("PL013", said + "; its policy variables (${...}) are read as plain text", "Version", "error")]
    if kind in ("identity", "managed"):
        return [make_finding("PL013", said + "; IAM requires 2012-10-17 in a managed policy", "Version", "error")]
    if kind in ("scp", "rcp"):
        return [make_finding("PL013", said + f"; AWS Organizations requires 2012-10-17 in an {kind.upper()}",
                             "Version", "error")]
    if kind == "inline":
        return [make_finding("PL013", said + "; IAM accepts it in an inline policy (no policy variable is used)",
                             "Version", "low")]
    # resource and trust policies in the 2008 language are still accepted (many services' defaults use it)
    return [make_finding("PL013", said, "Version", "warning" if policy.version is None else "info")]


# What the shared checks say that does not fit a guardrail, which grants nothing: Resource "*"
# on scopable actions, Allow with NotAction/NotResource (a ceiling, not a grant), and PL014,
# which PL031/PL032 say more precisely for SCPs and RCPs.
_NOT_FOR_GUARDRAILS = frozenset({"PL009", "PL010", "PL011", "PL014"})


def _check_org_policy(policy: Policy, kind: str, cat: Catalog) -> list[Finding]:
    """HOOK(#25): the grammar of service control policies (``scp``) and resource control
    policies (``rcp``) beyond what identity and resource policies share, in
    analyze/org_lint.py: Organizations' 2025 SCP language (no Principal), an RCP's
    ``Principal: "*"``, Deny only, the services RCPs cover; the size limit is checked on the
    text (lint_text). Called after the shared checks, which read an SCP as an identity policy
    and an RCP as a resource policy."""
    from iam_analyzer.analyze.org_lint import org_findings

    return org_findings(policy, kind, make_finding, _loc)


def _check_principal(st: Statement, kind: str) -> list[Finding]:
    out = []
    for element, pr in (("Principal", st.principal), ("NotPrincipal", st.not_principal)):
        for ptype, value in (pr.all_values() if pr is not None else []):
            why = principal_value_error(ptype, value)
            if why:
                out.append(make_finding("PL019", why, _loc(st, f"{element}.{ptype}")))
    if kind == "trust":
        if st.resources is not None or st.not_resources is not None:
            out.append(make_finding("PL020", "a trust policy statement may not have Resource or NotResource",
                                    _loc(st, "Resource" if st.resources is not None else "NotResource")))
        for i, a in enumerate(st.action_patterns):
            if a != "*" and not a.lower().startswith(TRUST_ACTION_PREFIXES):
                out.append(make_finding("PL020", f"{a!r} is not an STS action", _loc(st, "Action", i)))
    return out


def _check_actions(st: Statement, cat: Catalog) -> list[Finding]:
    out = []
    element = "Action" if st.actions is not None else "NotAction"
    for i, pattern in enumerate(st.action_patterns):
        if pattern == "*":
            continue
        svc = pattern.split(":", 1)[0]
        if not wildcard.has_wildcard(svc) and not cat.has_service(svc):
            out.append(make_finding("PL003", f"unknown service prefix {svc!r} in {pattern!r}", _loc(st, element, i)))
        elif not cat.is_known_pattern(pattern):
            covering = covered_by(pattern, cat)
            if covering:  # an API operation IAM authorises under another action: harmless, but never needed
                granted = [a for a in covering if any(wildcard.matches(p, a, ignore_case=True) for p in st.action_patterns)]
                out.append(make_finding(
                    "PL004", f"{pattern!r} is not an IAM action: IAM authorises it with {', '.join(covering)}"
                    + (", which this statement also grants" if len(granted) == len(covering) else ""),
                    _loc(st, element, i), "low"))
                continue
            what = "matches no action" if wildcard.has_wildcard(pattern) else "is not an action"
            out.append(make_finding("PL004", f"{pattern!r} {what} in the catalog ({cat.info.version})", _loc(st, element, i)))
    return out


def _check_resources(st: Statement, cat: Catalog) -> list[Finding]:
    out = []
    patterns = st.resources if st.resources is not None else st.not_resources
    element = "Resource" if st.resources is not None else "NotResource"
    arn_services = arnlib.arn_services(cat)
    valid: list[str] = []
    for i, r in enumerate(patterns or ()):
        if r == "*":
            valid.append(r)
            continue
        try:
            a = arnlib.Arn.parse(r)
        except arnlib.ArnError as e:
            out.append(make_finding("PL006", str(e), _loc(st, element, i)))
            continue
        if not wildcard.has_wildcard(a.partition) and "${" not in a.partition and a.partition not in arnlib.PARTITIONS:
            out.append(make_finding("PL006", f"unknown partition {a.partition!r} in ARN {r!r}", _loc(st, element, i)))
            continue
        if not wildcard.has_wildcard(a.service) and a.service not in arn_services and not cat.has_service(a.service):
            out.append(make_finding("PL006", f"unknown service {a.service!r} in ARN {r!r}", _loc(st, element, i)))
            continue
        valid.append(r)
    if st.resources is None or not valid or st.actions is None:
        return out
    # Does each action apply to at least one listed resource?
    for i, pattern in enumerate(st.actions):
        keys = cat.expand_keys(pattern)
        if not keys or len(keys) > 500:
            continue
        actions = [cat.actions[k] for k in keys]
        applies_any = False
        star_only = []
        for act in actions:
            types = cat.action_resource_types(act)
            if not act.resource_types:
                if "*" in valid:
                    applies_any = True
                else:
                    star_only.append(act.full_name)
                continue
            if any(arnlib.pattern_applies_to_action(r, types) for r in valid):
                applies_any = True
        if applies_any:
            continue
        if star_only and len(star_only) == len(actions):
            out.append(make_finding("PL015", f"{_sample(star_only)} can only be granted on \"*\", not on {_sample(valid, 2)}", _loc(st, "Action", i)))
        else:
            act = actions[0]
            type_names = ", ".join(rt.name for rt in cat.action_resource_types(act)) or "*"
            subject = act.full_name if len(actions) == 1 else f"no action matching {pattern!r}"
            out.append(make_finding(
                "PL005",
                f"{subject} applies to {type_names if len(actions) == 1 else 'none of the resources listed'}"
                + (f", not to {_sample(valid, 2)}" if len(actions) == 1 else ""),
                _loc(st, "Action", i),
            ))
    if st.is_allow and "*" in valid:
        out.extend(_check_star_resource(st, cat))
    return out


def _check_star_resource(st: Statement, cat: Catalog) -> list[Finding]:
    keys: set[str] = set()
    for p in st.actions or ():
        keys.update(cat.expand_keys(p))
    warn, info = [], []
    for k in sorted(keys):
        act = cat.actions[k]
        if not act.supports_resource_scoping:
            continue  # "*" is the only valid value: never a finding
        (warn if act.access_level in _SCOPED_LEVELS_WARN else info).append(act.full_name)
    loc = _loc(st, "Resource")
    if warn:
        return [make_finding(
            "PL009",
            f"{len(warn)} write or permissions action(s) granted on every resource: {_sample(warn)}",
            loc,
            "warning",
        )]
    if info:
        return [make_finding("PL009", f"{len(info)} read or list action(s) granted on every resource: {_sample(info)}", loc, "info")]
    return []


def _check_conditions(st: Statement, cat: Catalog) -> list[Finding]:
    out = []
    for c in st.conditions:
        for i, v in enumerate(c.values):
            why = condition_value_error(c.operator, v)
            note = None if why else condition_value_note(c.operator, v)
            if why or note:
                out.append(make_finding("PL017" if why else "PL021", f"{why or note} ({c.operator.text})",
                                        _loc(st, f"Condition.{c.operator.text}.{c.key}") + (f"[{i}]" if len(c.values) > 1 else "")))
        if not is_known_condition_key(c.key, cat):
            out.append(make_finding("PL012", f"condition key {c.key!r} is not a known global or service key", _loc(st, f"Condition.{c.operator.text}.{c.key}")))
    return out


def _covers(big: Statement, small: Statement, cat: Catalog) -> bool:
    if big.effect != small.effect or big.actions is None or small.actions is None:
        return False
    if big.not_resources is not None or small.not_resources is not None:
        return False
    if (big.principal, big.not_principal) != (small.principal, small.not_principal):
        return False
    if not set(big.conditions) <= set(small.conditions):
        return False
    big_keys = set().union(*(cat.expand_keys(p) for p in big.actions))
    for p in small.actions:
        keys = cat.expand_keys(p)
        if keys:
            if not set(keys) <= big_keys:
                return False
        elif not any(wildcard.matches(b, p, ignore_case=True) for b in big.actions):
            return False
    big_res = big.resources if big.resources is not None else ("*",)
    small_res = small.resources if small.resources is not None else ("*",)
    return all(any(arnlib.contains(b, s) for b in big_res) for s in small_res)


def _check_redundant(policy: Policy, cat: Catalog) -> list[Finding]:
    out = []
    sts = policy.statements
    if len(sts) > 200:
        return out
    for i, a in enumerate(sts):
        for j, b in enumerate(sts):
            if i == j:
                continue
            if _covers(b, a, cat) and (not _covers(a, b, cat) or j < i):
                out.append(make_finding("PL008", f"everything it {'allows' if a.is_allow else 'denies'} is covered by Statement[{j}]" + (f"({b.sid})" if b.sid else ""), _loc(a)))
                break
    return out


# -- files ----------------------------------------------------------------------------------


def _grammar_finding(e: PolicyError) -> Finding:
    cid = "PL001" if e.message.startswith("invalid JSON") else "PL002"
    return make_finding(cid, e.message, e.location or "(document)")


def lint_document(doc: Any, catalog: Catalog | None = None, kind: str = "auto") -> tuple[list[Finding], str | None]:
    doc = extract_document(doc)
    policy, errors = parse_policy_lenient(doc)
    findings = [_grammar_finding(e) for e in errors] + _check_raw(doc)
    resolved_kind = None
    if policy.statements or not errors:
        resolved_kind = detect_kind(policy) if kind == "auto" else kind
        more = lint_policy(policy, catalog, resolved_kind)
        if any(e.location == "Version" for e in errors):  # an invalid Version is said once, not as "no Version"
            more = [f for f in more if f.id != "PL013"]
        findings.extend(more)
    return findings, resolved_kind


def _check_raw(doc: Any) -> list[Finding]:
    """What only the document as written shows: an empty Statement list (rejected by IAM), and
    the nulls and empty condition blocks the parser reads as absent (accepted by IAM)."""
    out: list[Finding] = []
    if not isinstance(doc, dict):
        return out
    raw = doc.get("Statement")
    if raw == []:
        out.append(make_finding("PL002", "Statement must not be an empty list", "Statement"))
    single = isinstance(raw, dict)
    for i, st in enumerate([raw] if single else raw if isinstance(raw, list) else []):
        if not isinstance(st, dict):
            continue
        base = "Statement" if single else f"Statement[{i}]"
        for element in ("Resource", "NotResource"):
            vals = st.get(element)
            if isinstance(vals, list):
                for j, v in enumerate(vals):
                    if v is None:
                        out.append(make_finding("PL018", f"null in {element}: IAM ignores it", f"{base}.{element}[{j}]"))
        cond = st.get("Condition")
        if isinstance(cond, dict):
            for op, block in cond.items():
                if block == {}:
                    out.append(make_finding("PL018", f"empty {op} block: it restricts nothing", f"{base}.Condition.{op}"))
    return out


def lint_text(text: str, catalog: Catalog | None = None, kind: str = "auto") -> tuple[list[Finding], str | None]:
    from iam_analyzer.inputs import InputError, loads_checked

    try:
        doc, duplicates = loads_checked(text)
    except json.JSONDecodeError as e:
        return [make_finding("PL001", f"invalid JSON: {e.msg}", f"line {e.lineno} column {e.colno}")], None
    except InputError as e:
        return [make_finding("PL001", e.detail, "(document)")], None
    findings, resolved = lint_document(doc, catalog, kind)
    if kind in ORG_KINDS:  # HOOK(#25): Organizations' size limit counts the text as written
        from iam_analyzer.analyze.org_lint import size_findings

        findings = size_findings(doc, text, kind, make_finding) + findings
    dup = [make_finding("PL002", f"duplicate key {k!r}: tools disagree on which value counts (here the last)",
                        "(document)") for k in dict.fromkeys(duplicates)]
    return dup + findings, resolved


def lint_file(path: str | Path, catalog: Catalog | None = None, kind: str = "auto") -> FileResult:
    """Lint one file. Unreadable or malformed files give findings, never an exception."""
    from iam_analyzer.inputs import LIMITS, read_bytes

    raw = read_bytes(path, LIMITS["policy"])  # regular files only, bounded: InputError otherwise
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return FileResult(str(path), [make_finding("PL001", f"not UTF-8 text ({e.reason})", f"byte {e.start}")])
    findings, resolved = lint_text(text, catalog, kind)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order.get(f.severity, 9))  # stable: document order within a severity
    return FileResult(str(path), findings, resolved)
