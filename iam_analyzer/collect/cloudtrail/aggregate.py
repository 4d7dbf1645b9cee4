"""Aggregate CloudTrail records into usage: per principal and session, per action, per resource.

Two stages keep both speed and memory in hand:

1. records of many log files are counted by their *raw key* (who, eventSource, eventName,
   category, error, typed request parameters, resources, region, account) per UTC day, in C
   (``counting.Pending``): the only per-record work besides decoding. At most ``max_keys``
   distinct keys wait, so memory does not grow with the number of events;
2. each distinct raw key is then *folded* into the aggregate: IAM actions (cached per
   eventSource/eventName), resource ARNs, denied or not, data event or not.

The aggregate's size depends on distinct (principal, action, resource) triples, not on the
number of events; S3 object keys, the one resource that grows without bound, are coarsened
to prefixes (``bucket/logs/*``) past ``OBJECT_LIMIT`` per principal, action and bucket, in
a way that does not depend on the order files are read: merging partial aggregates in any
order gives the same result (``stats``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.api_actions import S3_COPY_READS, actions_for, service_prefix, with_versions
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.trail_coverage import is_data_plane
from iam_analyzer.collect.cloudtrail.extract import copy_source_arn, resources_of
from iam_analyzer.collect.cloudtrail.stats import OBJECT_LIMIT, _max, _min, merge_objects, merge_stat, project
# the stage-1 counting lives in counting.py; these names stay importable from here
from iam_analyzer.collect.cloudtrail.counting import HORIZON, RAW_KEY, Pending  # noqa: F401

_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation",
           "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException", "NotAuthorized",
           "AccessDeniedForDependencyException", "UnauthorizedException")


def is_denied(error_code: str | None) -> bool:
    return bool(error_code) and (error_code in _DENIED or "AccessDenied" in error_code or "Unauthorized" in error_code)


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
    # what was read per (account, region): [management events, data events, {UTC days},
    # {services with management events}, log files named after it]
    coverage: dict = field(default_factory=dict)
    skipped_records: list = field(default_factory=list)  # [path, count, reason]: records skipped, file kept

    # -- merging (commutative and associative) --------------------------------------------
    def merge(self, other: "Aggregate") -> "Aggregate":
        for pk, acts in other.uses.items():
            mine = self.uses.setdefault(pk, {})
            for ak, st in acts.items():
                merge_stat(mine, ak, st)
        for gk, (level, items) in other.objects.items():
            cur = self.objects.get(gk)
            if cur is None:
                self.objects[gk] = [level, {k: list(v) for k, v in items.items()}]
            else:
                merge_objects(cur, level, items)
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
        for k, c in other.coverage.items():
            mine = self.coverage.get(k)
            if mine is None:
                self.coverage[k] = [c[0], c[1], set(c[2]), set(c[3]), c[4]]
            else:
                mine[0] += c[0]
                mine[1] += c[1]
                mine[2] |= c[2]
                mine[3] |= c[3]
                mine[4] += c[4]
        self.skipped_records.extend(other.skipped_records)
        return self

    def cell(self, account: str, region: str) -> list:
        """The coverage record of one account and region."""
        c = self.coverage.get((account, region))
        if c is None:
            c = self.coverage[(account, region)] = [0, 0, set(), set(), 0]
        return c


# -- folding raw keys -----------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _action_wants(action: str) -> frozenset[str]:
    """Lower-cased resource-type names an action is authorised against."""
    cat = default_catalog()
    act = cat.get(action)
    if act is None:
        return frozenset()
    return frozenset(r.name.lower() for r in act.resource_types)


@lru_cache(maxsize=65536)
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


def _is_data(category: str | None, management: bool | None, actions: tuple[str, ...]) -> bool:
    """A data event? Trails say so since 2019 (``managementEvent``) and 2021 (``eventCategory``);
    for older records, by whether the actions are ones CloudTrail logs only as data events."""
    if category is not None or management is not None:
        return category == "Data" or management is False
    return any(is_data_plane(a) for a in actions)


def _session_of(user_arn: str | None) -> str | None:
    if user_arn and ":assumed-role/" in user_arn:
        return user_arn.rsplit("/", 1)[-1]
    return None


_BASE = 10  # key[:_BASE] decides the plan; key[10] are parameters, key[11] resources
_SKIP = object()


class _Plan:
    """What every record with the same caller, operation and outcome contributes."""

    __slots__ = ("kind", "table", "principal", "session", "actions", "denied", "is_data", "svc", "source", "name",
                 "object_actions", "other_actions", "_versioned", "cov", "cov_i", "n", "direct", "groups")

    def __init__(self, kind, table=None, principal=None, session=None, actions=(), denied=False, is_data=False,
                 svc=None, source=None, name=None, object_actions=(), other_actions=()):
        self.kind, self.table, self.principal, self.session = kind, table, principal, session
        self.actions, self.denied, self.is_data, self.svc = actions, denied, is_data, svc
        self.source, self.name, self.object_actions, self.other_actions = source, name, object_actions, other_actions
        self._versioned = None
        self.cov = None  # the coverage cell of the record's account and region
        self.cov_i = 0  # 0: a management event, 1: a data event
        self.n = 0  # events of this fold, applied to counters and coverage at its end
        # S3 object calls with no other action: plain data events go straight to the object tables
        self.direct = kind == "ok" and bool(object_actions) and not other_actions
        self.groups: dict = {}  # bucket ARN -> _ObjectGroup, for ``direct`` keys
    def versioned(self) -> "_Plan":
        """The same call on a specific S3 object version: each action with its Version twin."""
        if self._versioned is None:
            v = self._versioned = _Plan(self.kind, self.table, self.principal, self.session, with_versions(self.actions),
                                        self.denied, self.is_data, self.svc, self.source, self.name,
                                        with_versions(self.object_actions), self.other_actions)
            v._versioned = v
            v.cov, v.cov_i = self.cov, self.cov_i
        return self._versioned


class _ObjectGroup:
    """The object tables one kind of S3 object call on one bucket feeds, and its events."""

    __slots__ = ("data_key", "curs", "events")

    def __init__(self, data_key, curs):
        self.data_key, self.curs, self.events = data_key, curs, 0


class Folder:
    """Folds one file's raw-key counts into an Aggregate (stage 2)."""

    def __init__(self, agg: Aggregate):
        self.agg = agg
        self.plans: dict = {}
        self.object_groups: dict = {}  # (plan, bucket ARN) -> (data-event key, the object tables it feeds)

    def _object_group(self, plan: "_Plan", head: str) -> "_ObjectGroup":
        curs = []
        for action in plan.object_actions:
            gk = (plan.principal, plan.session, action, head)
            cur = self.agg.objects.get(gk)
            if cur is None:
                cur = self.agg.objects[gk] = [0, {}]
            curs.append(cur)
        return _ObjectGroup(("s3", head) if plan.is_data else None, curs)

    def _plan(self, base: tuple) -> _Plan:
        plan = self._plan_of(base)
        _, _, source, _, category, management, _, _, region, account = base
        plan.cov = self.agg.cell(account or "", region or "")
        data = plan.is_data if plan.kind == "ok" else (category == "Data" or management is False)
        plan.cov_i = 1 if data else 0
        if not data and source:
            plan.cov[3].add(service_prefix(source))
        return plan

    def _plan_of(self, base: tuple) -> _Plan:
        issuer, user_arn, source, name, category, management, error, event_type, region, account = base
        if event_type is not None and event_type != "AwsApiCall":
            return _Plan(kind="not_api_call")
        issuer = issuer or user_arn
        if issuer is None:
            return _Plan(kind="no_principal")
        mapping = actions_for(source, name)
        if not mapping.known:
            return _Plan(kind="unmapped", source=source, name=name)
        if not mapping.actions:
            return _Plan(kind="no_action")
        session = _session_of(user_arn)
        svc = service_prefix(source)
        object_actions = tuple(a for a in mapping.actions if svc == "s3" and "object" in _action_wants(a))
        return _Plan(kind="ok", table=self.agg.uses.setdefault((issuer, session), {}), principal=issuer,
                     session=session, actions=mapping.actions, denied=is_denied(error),
                     is_data=_is_data(category, management, mapping.actions), svc=svc, source=source,
                     object_actions=object_actions,
                     other_actions=tuple(a for a in mapping.actions if a not in object_actions))

    def fold(self, counter: dict, first: str, last: str) -> None:
        """Fold raw-key counts whose stats carry the day bounds ``first``/``last``.

        The common S3 data event (an object named in ``resources[]``, no version, no copy)
        goes straight into its object tables: most distinct keys are of this kind, since
        object keys rarely repeat. Every other key goes through ``_fold_key``."""
        plans = self.plans
        groups = self.object_groups
        for group in groups.values():
            group.events = 0
        for key, count in counter.items():
            base = key[:_BASE]
            plan = plans.get(base)
            if plan is None:
                plan = plans[base] = self._plan(base)
            plan.n += count
            if not plan.direct:
                if plan.kind == "ok":
                    self._fold_key(key, count, plan, first, last)
                continue
            params = key[10]
            res_t = key[11]
            if res_t and len(key) == 12 and (params is None or (params.versionId is None and params.copy_source is None)):
                obj_arn = None
                for r in res_t:
                    a = r.ARN
                    if a and "/" in a:
                        obj_arn = a
                        break
                if obj_arn is not None:
                    head, _, obj = obj_arn.partition("/")
                    group = plan.groups.get(head)
                    if group is None:
                        group = plan.groups[head] = groups[(plan, head)] = self._object_group(plan, head)
                    group.events += count
                    data = plan.is_data
                    i = 1 if plan.denied else 0
                    for cur in group.curs:
                        at, items = cur
                        pk = project(obj, at) if at else obj
                        st = items.get(pk)
                        if st is not None:  # merge_stat, inline: this is the hot loop
                            st[i] += count
                            if first < st[2]:
                                st[2] = first
                            if last > st[3]:
                                st[3] = last
                            if data:
                                st[4] = True
                        elif len(items) < OBJECT_LIMIT:
                            items[pk] = [0, count, first, last, data] if i else [count, 0, first, last, data]
                        else:
                            merge_objects(cur, 0, {obj: [0, count, first, last, data] if i
                                                    else [count, 0, first, last, data]})
                    continue
            self._fold_key(key, count, plan, first, last)
        agg = self.agg
        for group in groups.values():  # data events on objects, added once per bucket
            if group.events and group.data_key is not None:
                agg.data_seen[group.data_key] = agg.data_seen.get(group.data_key, 0) + group.events
        day = first[:10]
        for plan in plans.values():
            n = plan.n
            if not n:
                continue
            plan.n = 0
            cov = plan.cov
            cov[plan.cov_i] += n
            cov[2].add(day)
            kind = plan.kind
            if kind == "ok":
                agg.attributed += n
            elif kind == "unmapped":
                k = (plan.source, plan.name)
                agg.unmapped[k] = agg.unmapped.get(k, 0) + n
            elif kind == "no_principal":
                agg.no_principal += n
            elif kind == "not_api_call":
                agg.not_api_call += n

    def _fold_key(self, key: tuple, count: int, plan: _Plan, first: str, last: str) -> None:
        agg = self.agg
        groups = self.object_groups
        stat = [0, count, first, last, plan.is_data] if plan.denied else [count, 0, first, last, plan.is_data]
        params = key[10]
        # SQL engines may send S3 object keys already coarsened to a level (key[12]), never
        # coarser than the file path ends at; records never do
        level = key[12] if len(key) > 12 else 0
        if plan.object_actions and params is not None and isinstance(params.versionId, str) and params.versionId:
            plan = plan.versioned()
        res_t = key[11]
        copied = copy_source_arn(params, key[8]) if plan.object_actions else None
        if plan.object_actions and res_t and copied is None:
            # an S3 data event: an object and its bucket, named in resources[]
            obj_arn = None
            for r in res_t:
                a = r.ARN
                if a and "/" in a:
                    obj_arn = a
                    break
            if obj_arn is not None:
                head, _, obj = obj_arn.partition("/")
                group = groups.get((plan, head))
                if group is None:
                    group = groups[(plan, head)] = self._object_group(plan, head)
                group.events += count
                for cur in group.curs:
                    at, items = cur
                    if level > at:
                        merge_objects(cur, level, {obj: stat})
                        continue
                    pk = project(obj, at) if at else obj
                    if pk in items or len(items) < OBJECT_LIMIT:
                        merge_stat(items, pk, stat)  # fits at the current level
                    else:
                        merge_objects(cur, level, {obj: stat})
                if plan.other_actions:
                    res = [r.ARN for r in res_t if r.ARN]
                    for action in plan.other_actions:
                        for r in _resources_for_action(action, res):
                            merge_stat(plan.table, (action, r), stat)
                return
        res = resources_of(plan.source, key[10], res_t, key[8], key[9] or "")
        if plan.is_data:
            for r in res or ("*",):
                dk = (plan.svc, _container(r))
                agg.data_seen[dk] = agg.data_seen.get(dk, 0) + count
        table = plan.table
        actions = plan.actions
        if copied is not None and "versionId=" in params.copy_source:  # a copy of one version
            actions = with_versions(actions)
        for action in actions:
            if copied is None:
                targets = _resources_for_action(action, res)
            elif action in S3_COPY_READS:  # a copy reads its source ...
                targets = [copied]
            else:  # ... and writes everything else it names
                targets = _resources_for_action(action, [r for r in res if r != copied])
            for r in targets:
                if r.startswith("arn:") and ":s3:::" in r and "/" in r:
                    head, _, obj = r.partition("/")
                    gk = (plan.principal, plan.session, action, head)
                    cur = agg.objects.get(gk)
                    if cur is None:
                        agg.objects[gk] = [level, {obj: list(stat)}]
                    else:
                        merge_objects(cur, level, {obj: stat})
                else:
                    merge_stat(table, (action, r), stat)


def _container(resource: str) -> str:
    """The bucket of an object, the table of an index or stream, else the resource itself."""
    if ":s3:::" in resource:
        return resource.split("/", 1)[0]
    if ":dynamodb:" in resource and "/index/" in resource:
        return resource.split("/index/", 1)[0]
    if ":dynamodb:" in resource and "/stream/" in resource:
        return resource.split("/stream/", 1)[0]
    return resource


