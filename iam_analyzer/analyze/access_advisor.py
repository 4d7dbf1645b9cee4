"""What IAM Access Advisor tells that the trail may not: pure functions over a snapshot role
(``Role.access_advisor``, from ``scan --access-advisor``) and a usage document.

* ``trail_gaps``: services Access Advisor saw the role authenticate to inside the usage
  window that the trail never shows for the role. Each one means the trail is incomplete for
  that role (data events off, a region or account the trail does not cover, a service whose
  calls CloudTrail does not log): the usage is then no proof that anything is unused.
* ``unused_services``: services the role is allowed but never used in Access Advisor's
  tracking period (400 days), evidence that reaches far past a trail's 90 days.
"""

from __future__ import annotations

from iam_analyzer.iam.api_actions import action_service
from iam_analyzer.model import Role


def _window(usage: dict) -> tuple[str | None, str | None]:
    w = usage.get("window") or {}
    start = w.get("since") or w.get("first_event")
    end = w.get("last_event") or w.get("until")  # the trail cannot show what came after its last event
    return start, end


def trail_services(role_arn: str, usage: dict) -> set[str]:
    """Service prefixes the trail shows the role calling (allowed or denied), any session."""
    seen: set[str] = set()
    for p in usage.get("principals", []):
        if p.get("arn") == role_arn:
            seen.update(action_service(a["action"]) for a in p.get("actions", []))
    return seen


def trail_gaps(role: Role, usage: dict | None) -> list[str]:
    """Service namespaces Access Advisor saw ``role`` use in the usage window, that the trail
    never showed for it (sorted). Empty when there is no report or no usage to compare."""
    aa = role.access_advisor
    if aa is None or aa.error or not usage:
        return []
    start, end = _window(usage)
    seen = trail_services(role.arn, usage)
    gaps = []
    for s in aa.services:
        t = s.last_authenticated
        if not t or (start and t < start) or (end and t > end):
            continue
        if s.service_namespace.lower() not in seen:
            gaps.append(s.service_namespace)
    return sorted(set(gaps))


def unused_services(role: Role) -> list[str]:
    """Service namespaces the role's policies allow that Access Advisor saw unused for its whole
    tracking period (sorted); empty when there is no report."""
    aa = role.access_advisor
    if aa is None or aa.error:
        return []
    return sorted(s.service_namespace for s in aa.services if not s.last_authenticated)
