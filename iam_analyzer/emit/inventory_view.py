"""Rows for ``iam-analyzer inventory``: one per function, with role, triggers and grant counts."""

from __future__ import annotations

from collections import Counter

from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.model import Role, Snapshot


def role_policies(snapshot: Snapshot, role: Role) -> list:
    """Parsed identity policies of a role (inline and attached managed), malformed statements skipped."""
    out = []
    for p in role.inline_policies:
        out.append(parse_policy_lenient(p.document)[0])
    for arn in role.managed_policy_arns:
        mp = snapshot.find_policy(arn)
        if mp is not None:
            out.append(parse_policy_lenient(mp.document)[0])
    return out


def inventory_rows(snapshot: Snapshot) -> list[dict]:
    cat = default_catalog()
    granted_cache: dict[str, int] = {}
    rows = []
    for fn in sorted(snapshot.functions(), key=lambda f: (f.account_id, f.region, f.name)):
        role = snapshot.find_role(fn.role_arn)
        if role is not None and role.arn not in granted_cache:
            granted = allowed_actions(role_policies(snapshot, role), cat)
            boundary = snapshot.find_policy(role.permissions_boundary_arn) if role.permissions_boundary_arn else None
            if boundary is not None:  # a boundary caps what the role's policies grant
                granted &= allowed_actions(parse_policy_lenient(boundary.document)[0], cat)
            granted_cache[role.arn] = len(granted)
        triggers: Counter = Counter()
        for m in fn.event_source_mappings:
            triggers[m.source_type] += 1
        for t in fn.triggers:
            triggers[t.type] += 1
        for i in fn.invokers:
            if i.effect == "Allow" and i.principal_type in ("everyone", "account", "aws"):
                triggers["resource-policy:" + i.principal_type] += 1
        for u in fn.urls:
            triggers[f"url:{u.auth_type}"] += 1
        rows.append({
            "name": fn.name, "arn": fn.arn, "account_id": fn.account_id, "region": fn.region,
            "runtime": fn.runtime, "role_arn": fn.role_arn, "role_name": role.name if role else None,
            "triggers": dict(sorted(triggers.items())),
            "granted_actions": granted_cache.get(fn.role_arn, 0),
        })
    return rows
