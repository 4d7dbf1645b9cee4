"""Graph queries a reviewer asks: what can this reach (blast radius), who can do that."""

from __future__ import annotations

from collections import defaultdict

from iam_analyzer.analyze.graph.effective import Analyzer
from iam_analyzer.analyze.graph.escalation import Escalations
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.evaluate import Result
from iam_analyzer.iam.guardrail_grants import blocked_grant
from iam_analyzer.model import Snapshot


def blast_radius(snapshot: Snapshot, target: str) -> dict:
    an = Analyzer(snapshot)
    fn = next((f for f in snapshot.functions() if target in (f.arn, f.name)), None)
    role_arn = fn.role_arn if fn else next((a for a, p in an.principals.items() if target in (a, p.name)), None)
    if role_arn is None or role_arn not in an.principals:
        raise KeyError(f"{target}: no function or principal of that name or ARN in the input")
    p = an.principals[role_arn]
    cat = default_catalog()
    actions = allowed_actions([pol for _, pol in p.policies], cat)
    if p.boundary is not None:
        actions &= allowed_actions(p.boundary, cat)
    blocked: set[str] = set()
    if p.guardrails is not None:  # what the organization's SCPs/RCPs deny everywhere is not reachable
        ctx = p.context
        blocked = {k for k in actions if blocked_grant(p.guardrails, k, "*", ctx, p.absent)}
        actions -= blocked
    direct: dict[str, dict] = defaultdict(lambda: {"actions": 0, "resources": set()})
    for _, pol in p.policies:
        for st in pol.statements:
            if not st.is_allow:
                continue
            keys = set()
            for pat in st.action_patterns:
                keys.update(cat.expand_keys(pat))
            if st.not_actions is not None:
                keys = set(cat.actions) - keys
            for k in keys & actions:
                direct[k.split(":")[0]]["resources"].update(st.resource_patterns)
    for k in actions:
        direct[k.split(":")[0]]["actions"] += 1
    found, _ = Escalations(an).find()
    return {
        "subject": fn.arn if fn else role_arn,
        "role": role_arn,
        "granted_actions": len(actions),
        "denied_by_guardrails": len(blocked),
        "direct": {svc: {"actions": v["actions"], "resources": sorted(v["resources"])}
                   for svc, v in sorted(direct.items())},
        "escalations": [e for e in found if e["principal"] == role_arn],
    }


def who_can(snapshot: Snapshot, action: str, resource: str | None) -> list[dict]:
    """IAM principals whose policies allow it, and, for invoking a function, the principals
    its resource policy names (services, accounts, everyone)."""
    from iam_analyzer.iam import wildcard

    an = Analyzer(snapshot)
    by_role = defaultdict(list)
    for f in snapshot.functions():
        by_role[f.role_arn].append(f.name)
    rows = []
    for arn, p in sorted(an.principals.items()):
        if p.kind == "group":
            continue
        result = an.decide(p, action, resource) if resource else an.allowed_somewhere(p, action)
        if result in (Result.ALLOW, Result.CONDITIONAL):
            rows.append({"principal": arn, "type": p.kind, "result": result.value, "functions": by_role.get(arn, [])})
    if action.lower().startswith("lambda:invoke"):
        for f in snapshot.functions():
            if resource and not (resource == f.arn or resource.startswith(f.arn + ":") or resource == f.name):
                continue
            for inv in f.invokers:
                if inv.effect == "Allow" and any(wildcard.matches(a, action, ignore_case=True) for a in inv.actions):
                    conditional = bool(inv.conditions)
                    rows.append({"principal": inv.principal, "type": f"resource-policy:{inv.principal_type}",
                                 "result": "CONDITIONAL" if conditional else "ALLOW", "functions": [f.name],
                                 "source_arn": inv.source_arn, "source_account": inv.source_account})
    return rows
