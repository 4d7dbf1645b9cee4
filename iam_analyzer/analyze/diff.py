"""Base vs head for the CI gate: which subjects are the same, what access is new or gone,
which findings are new, and which removed permissions a function used in production.

Pure functions over snapshots (as the IaC readers produce them) and the usage document.

Subjects are matched between the two sides by where they are declared, not by ARN: a
template read from a temporary checkout of the base, or under another file name, gives
other stack names and so other role ARNs. Matching goes, in order, by (input argument,
path inside it, logical id), then by a concrete name, then by a logical id that is unique
on both sides; a role also pairs with the role of its paired function. ``align`` then
renames the base's matched functions, roles and customer policies to the head's ARNs and
names, so fingerprints of findings and escalation paths compare directly.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field

from iam_analyzer.analyze.pairing import Pairing
from iam_analyzer.analyze.breakage import (  # would-break lives there; re-exported for the gate
    Granted, WouldBreak, attribute_usage, functions_with_usage, granted, usage_for_snapshot, would_break,
)
from iam_analyzer.iam import wildcard
from iam_analyzer.iam.compare import Reference
from iam_analyzer.model import ManagedPolicy, Role, Snapshot, SourceLocation

__all__ = ["ACTIONS_LISTED", "AccessChange", "Granted", "Pairing", "WouldBreak", "access_changes", "align",
           "attribute_usage", "functions_with_usage", "granted", "match", "new_by_fingerprint", "place",
           "usage_for_snapshot", "would_break"]

ACTIONS_LISTED = 200  # a "*" grants ~20,000 actions: list this many, count the rest


# -- where a thing was declared ------------------------------------------------------------


def _norm(p: str) -> str:
    return os.path.normpath(os.path.abspath(p))


def place(location: SourceLocation | None, roots: list[str]) -> tuple[int, str] | None:
    """(index of the input argument it came from, path inside that argument)."""
    if location is None or not location.path:
        return None
    path = _norm(location.path)
    for i, root in enumerate(roots):
        r = _norm(root)
        if path == r:
            return i, ""
        if path.startswith(r.rstrip(os.sep) + os.sep):
            return i, os.path.relpath(path, r).replace(os.sep, "/")
    return None


def _declared_key(location: SourceLocation | None, roots: list[str]):
    pl = place(location, roots)
    if pl is None or location is None or not location.logical_id:
        return None
    if location.path.endswith(".tf"):
        # A Terraform address is unique in its root module, whichever of the folder's files
        # declares it: a resource moved from main.tf to iam.tf is the same resource.
        return (pl[0], "terraform", pl[1].rpartition("/")[0], location.logical_id)
    return pl + (location.logical_id,)


def _concrete(name: str) -> bool:
    return bool(name) and not wildcard.has_wildcard(name)


def _pair(base_items: list, head_items: list, keys, seed: dict | None = None) -> dict:
    """Pair base items with head items, trying each key function in turn. ``seed``: pairs
    already known, id(head item) -> base item."""
    pairs: dict[int, object] = dict(seed or {})  # id(head) -> base
    taken: set[int] = {id(b) for b in pairs.values()}
    for key in keys:
        index: dict = defaultdict(list)
        for b in base_items:
            if id(b) not in taken:
                k = key(b, "base")
                if k is not None:
                    index[k].append(b)
        counts: dict = defaultdict(int)
        for h in head_items:
            if id(h) not in pairs:
                k = key(h, "head")
                if k is not None:
                    counts[k] += 1
        for h in head_items:
            if id(h) in pairs:
                continue
            k = key(h, "head")
            if k is None or counts[k] != 1 or len(index.get(k, ())) != 1:
                continue  # ambiguous on either side: no guess
            b = index[k][0]
            if id(b) in taken:
                continue
            pairs[id(h)] = b
            taken.add(id(b))
    return pairs


def _customer_policies(snap: Snapshot) -> list[ManagedPolicy]:
    return [p for a in snap.accounts for p in a.policies if not p.aws_managed]


def match(base: Snapshot, head: Snapshot, base_roots: list[str], head_roots: list[str]) -> Pairing:
    roots = {"base": base_roots, "head": head_roots}

    def declared(x, side):
        return _declared_key(x.location, roots[side])

    def by_name(x, side):
        return x.name if _concrete(x.name) else None

    def by_logical(x, side):
        return x.location.logical_id if x.location and x.location.logical_id else None

    keys = (declared, by_name, by_logical)
    bf, hf = base.functions(), head.functions()
    functions = _pair(bf, hf, keys)
    # a paired function pairs its roles
    base_roles = {r.arn: r for r in base.roles()}
    head_roles = {r.arn: r for r in head.roles()}
    roles = _pair(base.roles(), head.roles(), (declared,))
    taken = {id(b) for b in roles.values()}
    for h in hf:
        b = functions.get(id(h))
        hr, br = head_roles.get(h.role_arn), base_roles.get(b.role_arn) if b else None
        if hr is not None and br is not None and id(br) not in taken and id(hr) not in roles:
            roles[id(hr)] = br
            taken.add(id(br))
    roles = _pair(base.roles(), head.roles(), keys[1:], roles)
    policies = _pair(_customer_policies(base), _customer_policies(head), keys)
    return Pairing(functions, roles, policies)


def align(base: Snapshot, head: Snapshot, pairing: Pairing) -> None:
    """Rename the base's paired functions, roles and customer policies (in place) to the head's
    ARNs and names, so that findings' fingerprints and escalation paths compare directly."""
    role_arn: dict[str, str] = {}
    for r in head.roles():
        b = pairing.roles.get(id(r))
        if b is not None:
            role_arn[b.arn] = r.arn
            b.arn, b.name = r.arn, r.name
    pol_arn: dict[str, str] = {}
    for p in _customer_policies(head):
        b = pairing.policies.get(id(p))
        if b is not None:
            pol_arn[b.arn] = p.arn
            b.arn, b.name = p.arn, p.name
    for f in head.functions():
        b = pairing.functions.get(id(f))
        if b is not None:
            b.arn, b.name = f.arn, f.name
    for f in base.functions():
        f.role_arn = role_arn.get(f.role_arn, f.role_arn)
    for r in base.roles():
        r.managed_policy_arns = [pol_arn.get(a, a) for a in r.managed_policy_arns]
        if r.permissions_boundary_arn:
            r.permissions_boundary_arn = pol_arn.get(r.permissions_boundary_arn, r.permissions_boundary_arn)


# -- what a role grants ----------------------------------------------------------------------


@dataclass
class AccessChange:
    """Actions and resources one statement grants that the other side did not (or no longer)."""

    subject: str  # the role's logical id, else its name
    role: str  # role ARN
    functions: list[str]  # function names using the role
    policy: str
    statement: int
    actions: list[str]
    actions_total: int
    resources: list[str]
    reasons: list[str]
    location: SourceLocation | None  # the policy's declaration
    line: int | None = None  # the statement's line, where the reader knows it
    condition: dict | None = None  # the Fn::If branch the statement is under, if any
    denied_by: list[str] = field(default_factory=list)  # the organization's guardrails that block it all
    all_actions: list[str] = field(default_factory=list, repr=False)  # every action, not only those listed

    def as_dict(self) -> dict:
        extra = {"denied_by": self.denied_by} if self.denied_by else {}
        return {**extra, "subject": self.subject, "role": self.role, "functions": self.functions, "policy": self.policy,
                "statement": self.statement, "actions": self.actions, "actions_total": self.actions_total,
                "resources": self.resources, "reasons": self.reasons,
                "location": {"path": self.location.path if self.location else None,
                             "line": self.line or (self.location.line if self.location else None)},
                **({"condition": dict(self.condition)} if self.condition else {})}


def subject_name(role: Role) -> str:
    return role.location.logical_id if role.location and role.location.logical_id else role.name


def _changes(role: Role, functions: list[str], cand: Granted, ref: Granted | None) -> list[AccessChange]:
    """What ``cand`` grants that ``ref`` does not, grouped per candidate statement."""
    ref_policies = ref.parsed if ref else []
    references = [Reference(ref_policies)]
    if ref and ref.boundary is not None and (cand.boundary is None or cand.boundary != ref.boundary):
        # the reference's boundary limited it; the candidate's does not (or differently)
        references.append(Reference(ref.boundary))
    has_deny = any(not st.is_allow for p in cand.parsed for st in p.statements)
    full = None
    if has_deny:  # a Deny in one policy can cut into another's Allow: decide on the whole set
        full = set()
        for r in references:
            full |= {(n.action, n.resource, n.statement) for n in r.new_access(cand.parsed)}
    out = []
    for name, loc, pol in cand.policies:
        items: dict[int, dict] = {}
        for r in references:
            for n in r.new_access(pol):
                if full is not None and (n.action, n.resource, n.statement) not in full:
                    continue
                g = items.setdefault(n.statement, {"actions": set(), "resources": set(), "reasons": set()})
                g["actions"].add(n.action)
                g["resources"].add(n.resource)
                g["reasons"].add(n.reason)
        for idx, g in sorted(items.items()):
            acts = sorted(g["actions"])
            out.append(AccessChange(subject_name(role), role.arn, functions, name, idx, acts[:ACTIONS_LISTED], len(acts),
                                    sorted(g["resources"]), sorted(g["reasons"]), loc, all_actions=acts))
    return out


def _unknown_attached(head: Snapshot, role: Role, base_role: Role | None, functions: list[str]) -> list[AccessChange]:
    """A managed policy attached by ARN whose document nobody knows grants an unknown amount:
    new access that cannot be measured (``--snapshot`` of the account supplies the document)."""
    before = set(base_role.managed_policy_arns) if base_role is not None else set()
    out = []
    for arn in role.managed_policy_arns:
        if arn not in before and head.find_policy(arn) is None:
            out.append(AccessChange(subject_name(role), role.arn, functions, arn, 0, [], 0, [arn],
                                    ["managed policy attached whose document is unknown: give --snapshot of the account"],
                                    role.location))
    return out


def access_changes(base: Snapshot | None, head: Snapshot, pairing: Pairing | None) -> tuple[list[AccessChange], list[AccessChange]]:
    """(new access per head role, removed access per base role). Without a base, everything a
    role grants is new; a head role with no base counterpart compares against nothing."""
    users: dict[str, list[str]] = defaultdict(list)
    for f in head.functions():
        users[f.role_arn].append(f.name)
    new: list[AccessChange] = []
    removed: list[AccessChange] = []
    paired_base: set[int] = set()
    for role in head.roles():
        b = pairing.base_role(role) if pairing else None
        hg = granted(head, role)
        bg = granted(base, b) if (base is not None and b is not None) else None
        if b is not None:
            paired_base.add(id(b))
        new.extend(_changes(role, sorted(users.get(role.arn, [])), hg, bg))
        new.extend(_unknown_attached(head, role, b, sorted(users.get(role.arn, []))))
        if bg is not None:
            removed.extend(_changes(b, sorted(users.get(role.arn, [])), bg, hg))
    if base is not None:
        base_users: dict[str, list[str]] = defaultdict(list)
        for f in base.functions():
            base_users[f.role_arn].append(f.name)
        for b in base.roles():
            if id(b) not in paired_base:  # a role deleted by the change: all of it is removed
                removed.extend(_changes(b, sorted(base_users.get(b.arn, [])), granted(base, b), None))
    return new, removed


# -- findings --------------------------------------------------------------------------------


def new_by_fingerprint(base_findings: list, head_findings: list) -> tuple[list, list]:
    """(new, existing): head findings whose fingerprint the base did not have, and the others."""
    seen = {f.fingerprint for f in base_findings}
    new = [f for f in head_findings if f.fingerprint not in seen]
    old = [f for f in head_findings if f.fingerprint in seen]
    return new, old
