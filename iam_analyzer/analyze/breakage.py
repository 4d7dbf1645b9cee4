"""Would the change break a function? Usage from the deployed account against base and head.

A usage principal belongs to a template's function when its function ARN matches, or its
role session carries the function's name (Lambda names sessions after the function) in the
same account, or its role matches the template's role pattern. A used (action, resource)
breaks when the base granted it and the head does not provably grant it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam import wildcard
from iam_analyzer.iam.compare import Reference
from iam_analyzer.iam.policy import Policy, parse_policy_lenient
from iam_analyzer.model import Function, Role, Snapshot, SourceLocation

from iam_analyzer.analyze.pairing import Pairing


@dataclass
class Granted:
    """A role's identity policies (parsed), each with its name and where it was declared."""

    policies: list[tuple[str, SourceLocation | None, Policy]]
    boundary: Policy | None

    @property
    def parsed(self) -> list[Policy]:
        return [p for _, _, p in self.policies]


def granted(snap: Snapshot, role: Role) -> Granted:
    pols = [(p.name, p.location, parse_policy_lenient(p.document)[0]) for p in role.inline_policies]
    for a in role.managed_policy_arns:
        mp = snap.find_policy(a)
        if mp is not None:
            pols.append((mp.name, mp.location, parse_policy_lenient(mp.document)[0]))
    boundary = None
    if role.permissions_boundary_arn:
        mp = snap.find_policy(role.permissions_boundary_arn)
        boundary = parse_policy_lenient(mp.document)[0] if mp else None
    return Granted(pols, boundary)


def _concrete(name: str) -> bool:
    return bool(name) and not wildcard.has_wildcard(name)


class _Owners:
    """Which function of a snapshot a usage principal belongs to (indexed once)."""

    def __init__(self, fns: list[Function]):
        self.by_name: dict[str, list[Function]] = defaultdict(list)
        self.patterns: list[Function] = []
        for f in fns:
            (self.by_name[f.name] if _concrete(f.name) else self.patterns).append(f)
        self.fns = fns

    def __call__(self, p: dict) -> Function | None:
        fn_arn, role, session = p.get("function"), p.get("arn") or "", p.get("session") or ""
        if fn_arn:
            parsed = arnlib.try_parse(fn_arn)
            name = parsed.resource.split(":")[1] if parsed and parsed.resource.count(":") >= 1 else ""
            for f in self.by_name.get(name, []) + self.patterns:
                if arnlib.matches(f.arn, fn_arn):
                    return f
        if not session:
            return None
        # a function's name is unique in its account and region and its role session carries
        # it; the role's name depends on the stack name, which a template does not fix
        for f in self.by_name.get(session, []):
            if _same_account(f.role_arn, role):
                return f
        for f in self.patterns:
            if arnlib.matches(f.role_arn, role) and wildcard.matches(f.name, session):
                return f
        return None


def _same_account(a: str, b: str) -> bool:
    pa, pb = arnlib.try_parse(a), arnlib.try_parse(b)
    return pa is None or pb is None or pa.account == pb.account


def usage_for_snapshot(usage: dict | None, snap: Snapshot) -> dict | None:
    """The usage document with each principal that belongs to a function of ``snap`` renamed to
    that function's role and ARN (a template names roles and functions by patterns, generated
    names end in ``*``, and the account by ``--account``). A principal belongs to a function
    when its function ARN matches the function's, or its role ARN matches the function's role
    and its session is named after the function. Other principals are kept as they are."""
    if not usage:
        return usage
    owner = _Owners(snap.functions())
    principals = []
    for p in usage.get("principals", []):
        f = owner(p)
        principals.append(p if f is None else {**p, "arn": f.role_arn, "function": f.arn, "session": f.name})
    return {**usage, "principals": principals}


def attribute_usage(usage: dict | None, snap: Snapshot) -> dict[str, list[dict]]:
    """Used (count > 0) usage entries per function ARN of ``snap`` (see ``usage_for_snapshot``)."""
    out: dict[str, list[dict]] = defaultdict(list)
    if not usage:
        return out
    owner = _Owners(snap.functions())
    for p in usage.get("principals", []):
        f = owner(p)
        if f is not None:
            out[f.arn].extend(a for a in p.get("actions", []) if a.get("count"))
    return out


def functions_with_usage(usage: dict | None, snap: Snapshot) -> list[str]:
    return sorted(a for a, entries in attribute_usage(usage, snap).items() if entries)


@dataclass
class WouldBreak:
    function: str
    action: str
    resource: str
    count: int
    last_seen: str | None
    location: SourceLocation | None

    def as_dict(self) -> dict:
        return {"function": self.function, "action": self.action, "resource": self.resource, "count": self.count,
                "last_seen": self.last_seen,
                "location": {"path": self.location.path, "line": self.location.line} if self.location else None}


def _grant(action: str, resource: str) -> Policy:
    return parse_policy_lenient({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})[0]


def would_break(base: Snapshot, head: Snapshot, pairing: Pairing, usage: dict | None) -> list[WouldBreak]:
    """Permissions the change removes that a function used in the usage window.

    A used (action, resource) breaks when the base's policies granted it and the head's do not
    provably grant it (``new_access`` of that one grant against each side: conservative, so a
    head grant narrowed by a condition counts as removed)."""
    if not usage:
        return []
    used = attribute_usage(usage, head)
    base_roles = {r.arn: r for r in base.roles()}
    head_roles = {r.arn: r for r in head.roles()}
    out: list[WouldBreak] = []
    refs: dict[str, tuple[Reference, Reference]] = {}
    for f in head.functions():
        entries = used.get(f.arn)
        b = pairing.base_function(f)
        if not entries or b is None:
            continue  # a new function breaks nothing that ran before
        hr, br = head_roles.get(f.role_arn), base_roles.get(b.role_arn)
        if br is None:
            continue
        if f.role_arn not in refs:
            hg = granted(head, hr) if hr else Granted([], None)
            bg = granted(base, br)
            href = [Reference(hg.parsed)] + ([Reference(hg.boundary)] if hg.boundary is not None else [])
            bref = [Reference(bg.parsed)] + ([Reference(bg.boundary)] if bg.boundary is not None else [])
            refs[f.role_arn] = (href, bref)
        href, bref = refs[f.role_arn]
        for a in entries:
            one = _grant(a["action"], a.get("resource") or "*")
            if any(r.new_access(one) for r in bref):
                continue  # the base did not grant it either: not this change's doing
            if any(r.new_access(one) for r in href):
                out.append(WouldBreak(f.name, a["action"], a.get("resource") or "*", int(a.get("count") or 0),
                                      a.get("last_seen"), f.location))
    out.sort(key=lambda w: (w.function, w.action, w.resource))
    return out
