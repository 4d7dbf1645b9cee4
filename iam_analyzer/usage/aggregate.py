"""Aggregate CloudTrail records into usage: per principal and session, per action, per resource.

Two stages keep both speed and memory in hand:

1. per log file, records are counted by their *raw key* (who, eventSource, eventName,
   category, error, typed request parameters, resources, region, account): a plain dict
   update per record, the only per-record work besides decoding;
2. each distinct raw key is then *folded* into the aggregate: IAM actions (cached per
   eventSource/eventName), resource ARNs, denied or not, data event or not.

The aggregate's size depends on distinct (principal, action, resource) triples, not on the
number of events; S3 object keys, the one resource that grows without bound, are coarsened
to prefixes (``bucket/logs/*``) past ``OBJECT_LIMIT`` per principal, action and bucket, in
a way that does not depend on the order files are read: merging partial aggregates in any
order gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import msgspec

from ..iam import arn as arnlib
from ..iam.api_actions import actions_for, service_prefix
from ..iam.catalog import default_catalog
from . import records as R
from .extract import resources_of

OBJECT_LIMIT = 64
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation",
           "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException", "NotAuthorized",
           "AccessDeniedForDependencyException", "UnauthorizedException")


def is_denied(error_code: str | None) -> bool:
    return bool(error_code) and (error_code in _DENIED or "AccessDenied" in error_code or "Unauthorized" in error_code)


# A stat is [count, denied, first_seen, last_seen, data_event]
Stat = list


@dataclass
class Aggregate:
    """Usage so far. ``uses[(principal, session)][(action, resource)] = [count, denied, first, last, data]``."""

    uses: dict = field(default_factory=dict)
    # s3 objects per (principal, session, action, bucket): level and {pattern: stat}
    objects: dict = field(default_factory=dict)
    unmapped: dict = field(default_factory=dict)  # (eventSource, eventName) -> count
    data_seen: dict = field(default_factory=dict)  # (service, resource) -> count of data events
    events: int = 0
    attributed: int = 0
    out_of_window: int = 0
    no_principal: int = 0
    not_api_call: int = 0
    params_unreadable: int = 0
    first_event: str | None = None
    last_event: str | None = None
    files_read: int = 0
    skipped: list = field(default_factory=list)  # [path, reason]

    # -- merging (commutative and associative) --------------------------------------------
    def merge(self, other: "Aggregate") -> "Aggregate":
        for pk, acts in other.uses.items():
            mine = self.uses.setdefault(pk, {})
            for ak, st in acts.items():
                _merge_stat(mine, ak, st)
        for gk, (level, items) in other.objects.items():
            cur = self.objects.get(gk)
            if cur is None:
                self.objects[gk] = [level, {k: list(v) for k, v in items.items()}]
            else:
                _merge_objects(cur, level, items)
        for k, n in other.unmapped.items():
            self.unmapped[k] = self.unmapped.get(k, 0) + n
        for k, n in other.data_seen.items():
            self.data_seen[k] = self.data_seen.get(k, 0) + n
        for name in ("events", "attributed", "out_of_window", "no_principal", "not_api_call", "params_unreadable",
                     "files_read"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.first_event = _min(self.first_event, other.first_event)
        self.last_event = _max(self.last_event, other.last_event)
        self.skipped.extend(other.skipped)
        return self


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def _merge_stat(table: dict, key, st: Stat) -> None:
    cur = table.get(key)
    if cur is None:
        table[key] = list(st)
        return
    cur[0] += st[0]
    cur[1] += st[1]
    if st[2] < cur[2]:
        cur[2] = st[2]
    if st[3] > cur[3]:
        cur[3] = st[3]
    cur[4] = cur[4] or st[4]


# -- S3 object coarsening -----------------------------------------------------------------

MAX_LEVEL = 4  # 0: exact keys, 1..3: prefixes of depth 3, 2, 1; 4: the whole bucket


def project(key: str, level: int) -> str:
    """An object key at a coarsening level (see module docstring)."""
    if level == 0:
        return key
    if level >= MAX_LEVEL:
        return "*"
    depth = 4 - level  # level 1 -> 3 segments, 2 -> 2, 3 -> 1
    parts = key.split("/")
    if len(parts) > depth:
        return "/".join(parts[:depth]) + "/*"
    return "/".join(parts[:-1]) + "/*" if len(parts) > 1 else "*"


def _reproject(items: dict, level: int) -> dict:
    out: dict = {}
    for k, st in items.items():
        _merge_stat(out, project(k, level) if not k.endswith("*") or level >= MAX_LEVEL else _coarsen_pattern(k, level), st)
    return out


def _coarsen_pattern(pattern: str, level: int) -> str:
    # a pattern "a/b/c/*" is the key "a/b/c/" with a wildcard; project its directory part
    base = pattern[:-1]
    return project(base + "x", level) if base else "*"


def _merge_objects(cur: list, level: int, items: dict) -> None:
    target = max(cur[0], level)
    mine = _reproject(cur[1], target) if target != cur[0] else cur[1]
    theirs = _reproject(items, target) if target != level else items
    for k, st in theirs.items():
        _merge_stat(mine, k, st)
    while len(mine) > OBJECT_LIMIT and target < MAX_LEVEL:
        target += 1
        mine = _reproject(mine, target)
    cur[0], cur[1] = target, mine


# -- folding raw keys -----------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _action_wants(action: str) -> frozenset[str]:
    """Lower-cased resource-type names an action is authorised against."""
    cat = default_catalog()
    act = cat.get(action)
    if act is None:
        return frozenset()
    return frozenset(r.name.lower() for r in act.resource_types)


@lru_cache(maxsize=262144)
def _type_of(resource: str) -> str | None:
    if resource.startswith("arn:aws:s3:::") or resource.startswith("arn:aws-cn:s3:::") or resource.startswith("arn:aws-us-gov:s3:::"):
        return "object" if "/" in resource.split(":::", 1)[1] else "bucket"
    rt = arnlib.identify(resource)
    return rt.name.lower() if rt else None


def _resources_for_action(action: str, resources: list[str]) -> list[str]:
    """The resources of a record that the action is authorised against."""
    wants = _action_wants(action)
    if not wants:
        return ["*"]  # the action has no resource type: IAM authorises it on "*"
    if not resources:
        return ["*"]  # the record does not say which resource: unknown
    fit = [r for r in resources if _type_of(r) in wants]
    return fit or resources


def _session_of(user_arn: str | None) -> str | None:
    if user_arn and ":assumed-role/" in user_arn:
        return user_arn.rsplit("/", 1)[-1]
    return None


class Folder:
    """Folds one file's raw-key counts into an Aggregate."""

    def __init__(self, agg: Aggregate):
        self.agg = agg

    def fold(self, raw: dict) -> None:
        agg = self.agg
        for key, st in raw.items():
            issuer, user_arn, source, name, is_data, error, params, resources, region, account = key
            count, first, last = st
            mapping = actions_for(source, name)
            if not mapping.known:
                k = (source, name)
                agg.unmapped[k] = agg.unmapped.get(k, 0) + count
                continue
            if not mapping.actions:
                continue
            agg.attributed += count
            principal = issuer
            session = _session_of(user_arn)
            denied = is_denied(error)
            res = resources_of(source, params, resources, region, account or "")
            svc = service_prefix(source)
            if is_data:
                for r in res or ["*"]:
                    container = _container(r)
                    dk = (svc, container)
                    agg.data_seen[dk] = agg.data_seen.get(dk, 0) + count
            table = agg.uses.setdefault((principal, session), {})
            stat = [0 if denied else count, count if denied else 0, first, last, bool(is_data)]
            for action in mapping.actions:
                for r in _resources_for_action(action, res):
                    if _type_of(r) == "object" and "/" in r:
                        bucket, _, obj = r.partition(":::")[2].partition("/")
                        gk = (principal, session, action, r.split(":::", 1)[0] + ":::" + bucket)
                        cur = agg.objects.get(gk)
                        if cur is None:
                            agg.objects[gk] = [0, {obj: list(stat)}]
                        else:
                            _merge_objects(cur, 0, {obj: stat})
                    else:
                        _merge_stat(table, (action, r), stat)


def _container(resource: str) -> str:
    """The bucket of an object, the table of an index or stream, else the resource itself."""
    if ":s3:::" in resource:
        return resource.split("/", 1)[0]
    if ":dynamodb:" in resource and "/index/" in resource:
        return resource.split("/index/", 1)[0]
    if ":dynamodb:" in resource and "/stream/" in resource:
        return resource.split("/stream/", 1)[0]
    return resource


def count_records(records: list, since: str | None, until: str | None, agg: Aggregate) -> dict:
    """Stage 1: raw-key counts for one file's records. Returns {raw_key: [count, first, last]}."""
    raw: dict = {}
    decoders = R.PARAM_DECODERS
    get = raw.get
    unreadable = 0
    for r in records:
        t = r.eventTime
        if (since is not None and t < since) or (until is not None and t > until):
            agg.out_of_window += 1
            continue
        ui = r.userIdentity
        if ui is None:
            agg.no_principal += 1
            continue
        sc = ui.sessionContext
        issuer = sc.sessionIssuer.arn if sc is not None and sc.sessionIssuer is not None else None
        if issuer is None:
            issuer = ui.arn
            if issuer is None:
                agg.no_principal += 1
                continue
        et = r.eventType
        if et is not None and et != "AwsApiCall":
            agg.not_api_call += 1
            continue
        src = r.eventSource
        params = None
        rp = r.requestParameters
        if len(rp) > 4:  # not "null" (nor an empty object)
            dec = decoders.get(src)
            if dec is not None:
                try:
                    params = dec.decode(rp)
                except msgspec.ValidationError:
                    unreadable += 1
        key = (issuer, ui.arn, src, r.eventName,
               r.eventCategory == "Data" or r.managementEvent is False,
               r.errorCode, params, r.resources, r.awsRegion, r.recipientAccountId)
        v = get(key)
        if v is None:
            raw[key] = [1, t, t]
        else:
            v[0] += 1
            if t < v[1]:
                v[1] = t
            elif t > v[2]:
                v[2] = t
    n = len(records)
    agg.events += n
    agg.params_unreadable += unreadable
    if n:
        times = [r.eventTime for r in records]
        agg.first_event = _min(agg.first_event, min(times))
        agg.last_event = _max(agg.last_event, max(times))
    return raw
