"""Whether the organization's guardrails block a *grant* (an action on a resource pattern)
for every resource the pattern covers: what the generator needs before dropping a grant
that no evidence speaks for ("denied-by-scp": it can never be used).

``evaluate`` decides one request; a grant on a pattern is many requests. A Deny counts only
when its resources contain the whole pattern and its conditions certainly hold; a level of
the chain blocks only when none of its SCPs' Allow statements names the action at all
(since SCPs accept resources and conditions in Allow statements, one that names the action
may allow part of the pattern).
"""

from __future__ import annotations

from typing import Mapping

from . import arn as arnlib
from .evaluate import Request, action_matches, conditions_hold
from .organizations import Guardrails, rcp_covers
from .policy import Statement
from .trail_coverage import GLOBAL_REGION, GLOBAL_SERVICES


def requested_region(action: str, resource: str, home_region: str | None) -> str | None:
    """aws:RequestedRegion of a call: us-east-1 for a global service, the resource's region when
    its ARN names one, otherwise the caller's own region (a function's SDK default)."""
    if action.split(":", 1)[0].lower() in GLOBAL_SERVICES:
        return GLOBAL_REGION
    a = arnlib.try_parse(resource)
    if a and a.region and not any(c in a.region for c in "*?$"):
        return a.region
    return home_region


def _names_action(st: Statement, action: str) -> bool:
    if st.actions is not None:
        return action_matches(st.actions, action)
    return not action_matches(st.not_actions or (), action)


def _denies_all(st: Statement, action: str, pattern: str, request: Request) -> bool:
    if st.is_allow or not _names_action(st, action):
        return False
    if st.not_resources is not None or st.resources is None:
        return False
    if not any(arnlib.contains(r, pattern) or r == "*" for r in st.resources):
        return False
    if st.principal is not None and not st.principal.is_everyone:
        return False
    return conditions_hold(st.conditions, request) is True


def blocked_grant(org: Guardrails | None, action: str, pattern: str, context: Mapping[str, object],
                  absent: frozenset[str] = frozenset()) -> list[str]:
    """Names of the SCPs/RCPs (or chain levels) that deny ``action`` on every resource of
    ``pattern``; empty when some request the grant covers may still pass."""
    if org is None or org.empty:
        return []
    request = Request(action, pattern, context=context, absent=absent)
    out: list[str] = []
    for label, policies in org.scp_levels:
        if not any(st.is_allow and _names_action(st, action) for _, pol in policies for st in pol.statements):
            out.append(f"{label}: no SCP attached there allows {action}")
        out += [name for name, pol in policies for st in pol.statements if _denies_all(st, action, pattern, request)]
    if rcp_covers(action) and pattern != "*":  # "*" may be any account's resource: an RCP covers its own
        rcps, owner_known = org.rcps_for(pattern)
        if owner_known:
            out += [name for name, pol in rcps for st in pol.statements if _denies_all(st, action, pattern, request)]
    return list(dict.fromkeys(out))
