"""The CI gate and the organization's guardrails: new access that SCPs/RCPs deny anyway is
reported apart ("new, denied by SCP p-123") and does not count for ``--fail-on-new-access``.

An action counts as denied only when the guardrails block it on every resource the new
statement names (``iam.guardrail_grants.blocked_grant``); the rest of the statement stays new
access.
"""

from __future__ import annotations

from dataclasses import replace

from iam_analyzer.analyze.diff import ACTIONS_LISTED, AccessChange
from iam_analyzer.analyze.org import org_view, role_guardrails
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.guardrail_grants import blocked_grant, requested_region
from iam_analyzer.model import Snapshot


def split_denied(snapshot: Snapshot, changes: list[AccessChange], region: str | None = None
                 ) -> tuple[list[AccessChange], list[AccessChange]]:
    """(still new access, new access the organization's guardrails deny)."""
    if not org_view(snapshot).active:
        return changes, []
    open_, denied = [], []
    cache: dict[str, object] = {}
    for ch in changes:
        a = arnlib.try_parse(ch.role)
        po = cache.get(ch.role)
        if po is None:
            po = cache[ch.role] = role_guardrails(snapshot, ch.role, a.account if a else "", region)
        actions = ch.all_actions or ch.actions
        if po.guardrails is None or not actions or not ch.resources:
            open_.append(ch)
            continue
        names: list[str] = []
        blocked: list[str] = []
        for action in actions:
            per_resource = []
            for r in ch.resources:
                ctx = dict(po.context)
                reg = requested_region(action, r, region)
                if reg:
                    ctx["aws:RequestedRegion"] = reg
                per_resource.append(blocked_grant(po.guardrails, action, r, ctx, po.absent))
            if all(per_resource):
                blocked.append(action)
                names.extend(n for got in per_resource for n in got)
        if not blocked:
            open_.append(ch)
            continue
        rest = [x for x in actions if x not in set(blocked)]
        denied.append(_part(ch, blocked, list(dict.fromkeys(names))))
        if rest:
            open_.append(_part(ch, rest, []))
    return open_, denied


def _part(ch: AccessChange, actions: list[str], denied_by: list[str]) -> AccessChange:
    return replace(ch, actions=actions[:ACTIONS_LISTED], actions_total=len(actions), all_actions=actions,
                   denied_by=denied_by)
