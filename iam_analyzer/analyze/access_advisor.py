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

from datetime import datetime, timedelta, timezone

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


# How far the report's completion may lie from the end of the usage window for its "not used"
# records to stand for the window: it must see (nearly) to the window's end, and a report made
# long after shows only the latest use, which may hide a use inside the window.
FRESH_DAYS = 3.0
TRACKING_DAYS = 400


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        d = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def fresh(role: Role | None, window_end: datetime | None) -> bool:
    """Is the role's report usable as proof for a usage window ending at ``window_end``: no
    error, and completed within FRESH_DAYS of that end (either side)?"""
    aa = role.access_advisor if role is not None else None
    made = _when(aa.generated_at) if aa is not None and not aa.error else None
    if made is None or window_end is None:
        return False
    return abs((made - window_end).total_seconds()) <= FRESH_DAYS * 86400


def last_authenticated(role: Role) -> dict[str, str | None]:
    """service namespace (lower case) -> when the role last authenticated to it (None: not in
    the tracking period)."""
    aa = role.access_advisor
    return {s.service_namespace.lower(): s.last_authenticated for s in (aa.services if aa else [])}


def proven_unused(role: Role | None, window_start: datetime | None, window_end: datetime | None) -> dict[str, str]:
    """Services the report proves ``role`` did not use at any time in the window (and past its
    end to the report): service -> the evidence, in words. Only from a fresh report, and only
    where the period without use reaches back before the window start: not used since a date
    before it, or not used in the tracking period by a role created before the window."""
    if role is None or window_start is None or not fresh(role, window_end):
        return {}
    aa = role.access_advisor
    made = _when(aa.generated_at)
    created = _when(role.create_date)
    tracked_from = made - timedelta(days=TRACKING_DAYS)
    out = {}
    for s in aa.services:
        last = _when(s.last_authenticated)
        if last is not None:
            if last < window_start:
                out[s.service_namespace.lower()] = (f"Access Advisor: service not used since {last.date()} "
                                                    f"(report of {made.date()})")
        elif created is not None and created <= window_start and tracked_from <= window_start:
            out[s.service_namespace.lower()] = (f"Access Advisor: service not used in {TRACKING_DAYS} days "
                                                f"(report of {made.date()})")
    return out
