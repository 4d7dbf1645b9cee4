"""Could the evidence have shown it? The never-break gate every tightening passes through.

``verdict(function, role, usage, options)`` says, per function, whether the usage document
is evidence enough to drop what the function was not seen using:

* ``sufficient``: tighten;
* ``partial``: tighten, but the reasons are listed (a function changed inside the window,
  data events missing for resources its configuration names, a trail that started late);
* ``insufficient``: write no tightened policy. At least when no events were read at all;
  the trail read does not cover the function's account and region; IAM says the role was
  used inside the window but no event of it was read; the window (or the part the trail
  covers) is shorter than ``min_window_days`` or than two runs of the function's schedule.

``droppable(action, resource, evidence)`` then says, per grant, whether its absence from
the usage is proof it was unused: only when the evidence could have shown its use
(management events of its region, and of the global region for global services, read for
the whole evidence window; or data events recorded for that resource). Everything else
stays, marked unverified.

IAM Access Advisor's report (``Role.access_advisor``, from ``scan --access-advisor``) counts
both ways. A service it saw the role use inside the window that the trail never shows for the
role means the trail missed the role's activity: ``insufficient`` (unless the function's own
configuration explains it: Lambda's SQS polling, X-Ray traces and log delivery are calls the
trail logs only as data events or never). And a service it reports unused since before the
window (from a report completed within a few days of the window's end, for a role created
before the window) is proof of absence for every action of that service, data plane
included. The generator, the audit, the reports and the CI gate all ask
these two functions and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from iam_analyzer.analyze.access_advisor import last_authenticated, proven_unused, trail_gaps
from iam_analyzer.analyze.needs import referenced_resources, requirements
from iam_analyzer.analyze.schedule import function_rhythm
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.catalog import service_of
from iam_analyzer.iam.trail_coverage import (DATA, DATA_PLANE, GLOBAL_REGION, MANAGEMENT, NEVER, access_advisor_tracks,
                                             event_regions, needs_own_events, observability)
from iam_analyzer.model import Function, Role

SUFFICIENT = "sufficient"
PARTIAL = "partial"
INSUFFICIENT = "insufficient"

# Two weeks: two runs of anything weekly, every weekday twice, and long enough that a quiet
# function is not mistaken for an unused one; shorter windows mostly show a sample.
DEFAULT_MIN_WINDOW_DAYS = 14.0
_SLACK_DAYS = 1  # log delivery lags and windows cut mid-day: a day's slack at each end
# A window of N days read up to the last delivered event is a little under N days: logs
# arrive minutes to hours late. Half a day of tolerance against --min-window and schedules.
_LAG_DAYS = 0.5


@dataclass(frozen=True)
class EvidenceOptions:
    min_window_days: float = DEFAULT_MIN_WINDOW_DAYS
    since: str | None = None  # evidence before this is ignored (the generator's --since)


@dataclass(frozen=True)
class RegionRead:
    """What was read for one account and region (from the usage document's ``coverage``)."""

    management_events: int
    first_day: date | None
    last_day: date | None
    days: int
    services: frozenset[str]


@dataclass
class Evidence:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    what_to_do: list[str] = field(default_factory=list)
    account: str = ""
    region: str = ""
    start: str | None = None
    end: str | None = None
    days: float = 0.0  # the evidence window: the window asked for, cut to what the trail covers
    first_day: date | None = None
    last_day: date | None = None
    read: dict = field(default_factory=dict)  # (account, region) -> RegionRead
    data_seen: dict = field(default_factory=dict)  # service -> set of containers with data events
    unused_services: dict = field(default_factory=dict)  # service -> Access Advisor's proof of its absence

    @property
    def tightens(self) -> bool:
        return self.verdict != INSUFFICIENT

    def as_dict(self) -> dict:
        d = {"verdict": self.verdict, "reasons": list(self.reasons), "what_to_do": list(self.what_to_do),
             "window": {"start": self.start, "end": self.end, "days": self.days}}
        if self.unused_services:
            d["access_advisor_unused"] = dict(sorted(self.unused_services.items()))
        return d


# -- reading the inputs ------------------------------------------------------------------------


def parse_time(text: str | None) -> datetime | None:
    """ISO times as AWS and usage write them (``Z``, ``+0000``, dates alone) -> aware UTC."""
    if not text:
        return None
    t = str(text).strip().replace("Z", "+00:00")
    if len(t) > 5 and t[-5] in "+-" and t[-4:].isdigit() and t[-3] != ":":
        t = t[:-2] + ":" + t[-2:]
    try:
        d = datetime.fromisoformat(t)
    except ValueError:
        return None
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def regions_read(usage: dict) -> dict[tuple[str, str], RegionRead]:
    out = {}
    for c in usage.get("coverage") or []:
        out[(c.get("account") or "", c.get("region") or "")] = RegionRead(
            int(c.get("management_events") or 0), _day(c.get("first_day")), _day(c.get("last_day")),
            int(c.get("days") or 0), frozenset(c.get("services") or ()))
    return out


def data_events_seen(usage: dict | None) -> dict[str, set[str]]:
    return {svc: set(res) for svc, res in (((usage or {}).get("data_events") or {}).get("by_service") or {}).items()}


@dataclass(frozen=True)
class _Facts:
    read: dict
    data_seen: dict
    active_roles: frozenset


_facts_cache: list = [None, None]  # [the usage document, its facts]: verdicts run per function


def _facts(usage: dict) -> _Facts:
    """What the usage document says once, not once per function (it is not changed meanwhile)."""
    if _facts_cache[0] is not usage:
        active = frozenset(p.get("arn") for p in usage.get("principals", [])
                           if any(a.get("count") or a.get("denied") for a in p.get("actions", [])))
        _facts_cache[:] = [usage, _Facts(regions_read(usage), data_events_seen(usage), active)]
    return _facts_cache[1]


def _fmt(days: float) -> str:
    return f"{days:.0f}" if days >= 10 or days == int(days) else f"{days:.1f}"


# -- the verdict -------------------------------------------------------------------------------


def verdict(fn: Function, role: Role | None, usage: dict | None, options: EvidenceOptions | None = None) -> Evidence:
    """Is ``usage`` evidence enough to drop what ``fn`` was not seen using? (pure)"""
    opt = options or EvidenceOptions()
    ev = Evidence(SUFFICIENT, account=fn.account_id, region=fn.region)
    if usage is None:
        return _no(ev, "no CloudTrail usage was given", "run `iam-analyzer usage` and pass its output with --usage")
    facts = _facts(usage)
    ev.data_seen = facts.data_seen
    ev.read = facts.read
    window = usage.get("window") or {}
    ev.start = window.get("start") or window.get("since") or window.get("first_event")
    ev.end = window.get("end") or window.get("until") or window.get("last_event")
    if opt.since and (ev.start is None or (parse_time(opt.since) or datetime.min.replace(tzinfo=timezone.utc))
                      > (parse_time(ev.start) or datetime.min.replace(tzinfo=timezone.utc))):
        ev.start = opt.since
    start, end = parse_time(ev.start), parse_time(ev.end)
    events = usage.get("events") or {}
    read_events = int(events.get("total") or 0) - int(events.get("out_of_window") or 0)
    insufficient: list[tuple[str, str]] = []
    partial: list[tuple[str, str | None]] = []
    if read_events <= 0 or start is None or end is None:
        files = (usage.get("files") or {}).get("read", 0)
        return _no(ev, f"no CloudTrail events were read in the window ({files} log file(s) read)",
                   "check the --cloudtrail location (the trail's bucket and prefix) and widen --since")
    if "coverage" not in usage:
        return _no(ev, "the usage file does not say which accounts and regions its events cover "
                       "(written by an older iam-analyzer)", "run `iam-analyzer usage` again")
    ev.days = round(max(0.0, (end - start).total_seconds() / 86400), 1)
    here = ev.read.get((fn.account_id, fn.region))
    if here is None or here.management_events == 0 or here.first_day is None:
        insufficient.append((f"the trail read does not cover account {fn.account_id} in {fn.region}: "
                             f"no management events of that account and region were read",
                             f"enable the trail in {fn.region} for account {fn.account_id} (a multi-region or "
                             f"organization trail), or add that region's logs to --cloudtrail"))
    else:
        ev.first_day = max(here.first_day, start.date())
        ev.last_day = min(here.last_day or end.date(), end.date())
        if here.first_day > start.date() + timedelta(days=_SLACK_DAYS):
            partial.append((f"management events in {fn.region} were read only from {here.first_day} "
                            f"(the window starts {start.date()})", None))
        if here.last_day and here.last_day < end.date() - timedelta(days=_SLACK_DAYS):
            partial.append((f"management events in {fn.region} were read only until {here.last_day} "
                            f"(the window ends {end.date()})", None))
        span = (ev.last_day - ev.first_day).days + 1
        if span - here.days > _SLACK_DAYS + 1:
            partial.append((f"{span - here.days} day(s) between {ev.first_day} and {ev.last_day} have no events "
                            f"read in {fn.region}", None))
        ev.days = round(min(ev.days, float(span)), 1)
    if ev.days < opt.min_window_days - _LAG_DAYS:
        insufficient.append((f"the evidence covers {_fmt(ev.days)} day(s), shorter than the minimum window of "
                             f"{_fmt(opt.min_window_days)} days (--min-window)",
                             f"widen --since to at least {math.ceil(opt.min_window_days)} days of CloudTrail logs"))
    rhythm = function_rhythm(fn.triggers)
    if rhythm is not None and ev.days < 2 * rhythm[0] - _LAG_DAYS:
        gap, expr = rhythm
        insufficient.append((f"the evidence covers {_fmt(ev.days)} day(s), fewer than two runs of its schedule "
                             f"{expr} (up to {_fmt(gap)} day(s) apart)",
                             f"widen --since to at least {math.ceil(2 * gap)} days"))
    if role is not None and role.last_used:
        used = parse_time(role.last_used)
        if used is not None and used >= start and role.arn not in facts.active_roles:
            where = f" in {role.last_used_region}" if role.last_used_region else ""
            insufficient.append((f"IAM records role {role.name} as last used on {used.date()}{where}, inside the "
                                 f"window, but no CloudTrail event of it was read",
                                 f"read the logs of the trail that covers {role.last_used_region or 'where the role runs'}"
                                 f" for account {fn.account_id}"))
    if role is not None:
        insufficient.extend(_trail_gaps(fn, role, usage))
    modified = parse_time(fn.last_modified)
    if modified is not None and modified > start:
        code_days = max(0.0, (end - modified).total_seconds() / 86400)
        shown = (f"only {_fmt(round(code_days, 1))} of the window's {_fmt(ev.days)} day(s) show its current code"
                 if code_days > 0 else "after the last event read: no event shows its current code")
        partial.append((f"deployed or changed on {modified.date()}, {shown} (earlier events of the role still "
                        f"count for the role)", "run generate again once the new code has run for a full window"))
    if here is not None and here.management_events and fn.region != GLOBAL_REGION:
        g = ev.read.get((fn.account_id, GLOBAL_REGION))
        if g is None or not g.management_events:
            partial.append((f"global services (IAM, STS's global endpoint) log in {GLOBAL_REGION}, which was not "
                            f"read: their grants are kept", f"include {GLOBAL_REGION}'s logs"))
    for resource, by in sorted(referenced_resources(fn).items()):
        parsed = arnlib.try_parse(resource)
        if parsed is None or parsed.service not in DATA_PLANE or not DATA_PLANE[parsed.service]:
            continue
        if arnlib.container(resource) not in ev.data_seen.get(parsed.service, set()):
            name = parsed.resource or resource
            partial.append((f"no {parsed.service} data events for {name} (named by {by}): its data-plane "
                            f"permissions are kept, unverified",
                            f"turn on {parsed.service} data events for {name} in the trail"))
    for why, todo in insufficient:
        ev.reasons.append(why)
        ev.what_to_do.append(todo)
    for why, todo in partial:
        ev.reasons.append(why)
        if todo and todo not in ev.what_to_do:
            ev.what_to_do.append(todo)
    ev.verdict = INSUFFICIENT if insufficient else PARTIAL if partial else SUFFICIENT
    if ev.tightens:
        ev.unused_services = proven_unused(role, start, end)
    return ev


def _trail_gaps(fn: Function, role: Role, usage: dict) -> list[tuple[str, str]]:
    """Access Advisor saw the role use a service in the window; the trail shows none of it."""
    # Lambda itself calls these with the role, in ways the trail logs only as data events or never
    # (SQS polling, X-Ray traces, log delivery): Access Advisor's record of them is expected.
    gaps = trail_gaps(role, usage)
    if gaps:
        by_config = {service_of(r.action) for r in requirements(fn) if observability(r.action) != MANAGEMENT}
        gaps = [s for s in gaps if s.lower() not in by_config]
    if not gaps:
        return []
    last = last_authenticated(role)
    regions = {s.service_namespace.lower(): s.last_authenticated_region for s in role.access_advisor.services}
    said = ", ".join(f"{s} on {(last.get(s.lower()) or '')[:10]}"
                     + (f" in {regions[s.lower()]}" if regions.get(s.lower()) else "") for s in gaps)
    return [(f"IAM Access Advisor saw role {role.name} use {said}, inside the window, but the trail read shows no "
             f"call of it by the role: the trail is incomplete for this role",
             "read the logs of the region and account where it was used (a multi-region or organization trail), "
             f"or turn on data events for {', '.join(gaps)} in the trail")]


def _no(ev: Evidence, why: str, todo: str) -> Evidence:
    ev.verdict = INSUFFICIENT
    ev.reasons.append(why)
    ev.what_to_do.append(todo)
    return ev


# -- per grant ---------------------------------------------------------------------------------


def why_kept(action: str, resource: str, ev: Evidence) -> str | None:
    """None when the usage proves ``action`` on ``resource`` unused (it may be dropped);
    otherwise why its absence from the usage proves nothing."""
    if not ev.tightens:
        return "not enough evidence to tighten this function: " + "; ".join(ev.reasons)
    kind = observability(action)
    svc = service_of(action)
    if svc in ev.unused_services and access_advisor_tracks(action):
        return None
    if kind == NEVER:
        return "CloudTrail never records this action"
    if kind == DATA:
        seen = ev.data_seen.get(svc, set())
        target = arnlib.container(resource)
        if resource != "*" and any(c == target or arnlib.contains(c, target) for c in seen):
            return None
        return f"no {svc} data events in the usage window for this resource"
    for region in event_regions(action, ev.region):
        got = ev.read.get((ev.account, region))
        if got is None or not got.management_events or got.first_day is None:
            return f"no management events were read in {region}"
        if ev.first_day and ev.last_day and region != ev.region and (
                got.first_day > ev.first_day + timedelta(days=_SLACK_DAYS)
                or (got.last_day or got.first_day) < ev.last_day - timedelta(days=_SLACK_DAYS)):
            return f"management events in {region} were read only from {got.first_day} to {got.last_day}"
        if needs_own_events(action) and svc not in got.services:
            return f"no {svc} events were read in {region} (a trail can exclude them)"
    return None


def droppable(action: str, resource: str, ev: Evidence) -> bool:
    """May ``action`` on ``resource`` be dropped as unused? Only with proof of absence."""
    return why_kept(action, resource, ev) is None
