"""Tightened execution-role policies: what a function used or needs, and nothing else.

For each function the generated policy holds:

1. **observed** calls from the usage file (its role session, in the window), with their
   resources; a call whose resource CloudTrail did not name gets the resources the role
   grants today for that action;
2. **required** permissions from its configuration (``lambda_needs``);
3. **unverified** grants CloudTrail could not have shown (data events absent for that
   resource, or actions never logged), kept only where the function's own configuration
   points at the resource, narrowed to it and to data-plane actions (``--keep-unverified``
   keeps all, ``--drop-unverified`` none); the rest is listed with the statement that would
   add it back.

Everything is intersected with what the role grants today: a candidate permission is kept
as is when an original statement provably covers it, narrowed to the original's resources
when it is broader, and reported (never added) when nothing grants it. The original's Deny
statements are carried over. Before anything is written the result is verified: every
observed and required permission still evaluates to ALLOW, and ``new_access(generated,
original)`` is empty.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.catalog import Catalog, default_catalog
from iam_analyzer.iam.compare import Reference, allowed_actions
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.minimize import minimize_actions
from iam_analyzer.iam.policy import Condition, Policy, Statement, parse_policy_lenient
from iam_analyzer.iam.trail_coverage import CORE_DATA_PLANE, NEVER_LOGGED, is_data_plane
from iam_analyzer.analyze.generate.code_evidence import narrow_to_code
from iam_analyzer.analyze.needs import referenced_resources, requirements
from iam_analyzer.model import Function, Role, Snapshot

INLINE_LIMIT = 10_240  # characters, whitespace excluded, for an inline role policy

_SERVICE_NAMES = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "sns": "SNS", "kms": "KMS", "iam": "IAM",
                  "ssm": "SSM", "ec2": "EC2", "xray": "XRay", "sts": "STS", "secretsmanager": "SecretsManager",
                  "logs": "Logs", "lambda": "Lambda", "kinesis": "Kinesis", "states": "StepFunctions",
                  "events": "EventBridge", "elasticfilesystem": "EFS", "kafka": "MSK", "mq": "MQ", "rds": "RDS"}


@dataclass
class Entry:
    action: str
    resource: str
    origin: str  # observed | required | unverified
    evidence: dict
    conditions: tuple[Condition, ...] = ()

    def as_dict(self) -> dict:
        d = {"action": self.action, "resource": self.resource, "origin": self.origin, "evidence": self.evidence}
        if self.conditions:
            d["conditions"] = _conditions_json(self.conditions)
        return d


@dataclass
class Dropped:
    actions: list[str]
    resource: str
    reason: str
    add_back: dict  # the statement that would restore it

    def as_dict(self) -> dict:
        return {"actions": self.actions, "resource": self.resource, "reason": self.reason, "add_back": self.add_back}


@dataclass
class Result_:
    function: Function
    role: Role | None
    documents: list[dict] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    not_granted: list[dict] = field(default_factory=list)
    denied_calls: list[dict] = field(default_factory=list)
    unused_by_service: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    verification: dict = field(default_factory=dict)
    before: int = 0
    after: int = 0

    @property
    def reduction(self) -> float:
        return 0.0 if not self.before else round(100.0 * (self.before - self.after) / self.before, 1)

    def explanation(self) -> dict:
        return {
            "function": self.function.arn,
            "role": self.function.role_arn,
            "granted_actions_before": self.before,
            "granted_actions_after": self.after,
            "reduction_percent": self.reduction,
            "verification": self.verification,
            "kept": [e.as_dict() for e in self.entries],
            "dropped_unverified": [d.as_dict() for d in self.dropped],
            "dropped_unused_by_service": self.unused_by_service,
            "not_granted_today": self.not_granted,
            "denied_calls": self.denied_calls,
            "warnings": self.warnings,
        }


@dataclass
class Options:
    unverified: str = "referenced"  # referenced | keep | drop
    since: str | None = None  # usage entries last seen before this are ignored
    min_prefix: int = 3  # shortest action prefix the minimiser may use when a policy is too large


# -- inputs -----------------------------------------------------------------------------------


def role_documents(snapshot: Snapshot, role: Role) -> list[tuple[str, dict]]:
    docs = [(f"inline:{p.name}", p.document) for p in role.inline_policies]
    for arn in role.managed_policy_arns:
        mp = snapshot.find_policy(arn)
        if mp is not None:
            docs.append((arn, mp.document))
    return docs


def usage_for(usage: dict | None, fn: Function, since: str | None) -> list[dict]:
    """Usage entries of a function: its role session (or its ARN, when usage knew it)."""
    if not usage:
        return []
    out = []
    for p in usage.get("principals", []):
        if p.get("arn") != fn.role_arn:
            continue
        if p.get("function") == fn.arn or p.get("session") == fn.name:
            out.extend(a for a in p.get("actions", []) if since is None or (a.get("last_seen") or "") >= since)
    return out


def data_events_seen(usage: dict | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for svc, resources in ((usage or {}).get("data_events", {}).get("by_service", {}) or {}).items():
        out[svc] = set(resources)
    return out


# -- the generator ------------------------------------------------------------------------------


def _conditions_json(conds: Iterable[Condition]) -> dict:
    out: dict = {}
    for c in conds:
        out.setdefault(c.operator.text, {})[c.key] = list(c.values)
    return out


def _service(action: str) -> str:
    return action.split(":", 1)[0].lower()


def _container(resource: str) -> str:
    if ":s3:::" in resource:
        return resource.split("/", 1)[0]
    if ":dynamodb:" in resource:
        for part in ("/index/", "/stream/"):
            if part in resource:
                return resource.split(part, 1)[0]
    return resource


def _single(action: str, resource: str, conditions: tuple[Condition, ...] = (), denies: tuple[dict, ...] = ()) -> Policy:
    """A one-permission candidate, with the original's Deny statements the output carries too."""
    st = {"Effect": "Allow", "Action": action, "Resource": resource}
    if conditions:
        st["Condition"] = _conditions_json(conditions)
    return parse_policy_lenient({"Version": "2012-10-17", "Statement": [st, *denies]})[0]


class Generator:
    def __init__(self, snapshot: Snapshot, usage: dict | None, options: Options | None = None,
                 catalog: Catalog | None = None):
        self.snapshot = snapshot
        self.usage = usage
        self.opt = options or Options()
        self.cat = catalog or default_catalog()
        self.data_seen = data_events_seen(usage)
        self._refs: dict[str, tuple[list[Policy], Reference, Policy | None]] = {}

    def _original(self, role: Role) -> tuple[list[Policy], Reference, Policy | None]:
        if role.arn not in self._refs:
            policies = [parse_policy_lenient(doc)[0] for _, doc in role_documents(self.snapshot, role)]
            boundary = None
            if role.permissions_boundary_arn:
                bp = self.snapshot.find_policy(role.permissions_boundary_arn)
                boundary = parse_policy_lenient(bp.document)[0] if bp else None
            self._refs[role.arn] = (policies, Reference(policies, self.cat), boundary)
        return self._refs[role.arn]

    # -- narrowing to today's grants --
    def _fit(self, action: str, resource: str, ref: Reference, denies: tuple[dict, ...] = ()) -> list[tuple[str, tuple[Condition, ...]]]:
        """The (resource, conditions) under which the original grants ``action`` on ``resource``:
        the candidate itself if covered, else the original's narrower patterns; [] if none."""
        if not ref.new_access(_single(action, resource, (), denies)):
            return [(resource, ())]
        out: list[tuple[str, tuple[Condition, ...]]] = []
        for st in ref.allowing_statements(action):
            if st.not_resources is not None:
                continue
            for pat in st.resources if st.resources is not None else ("*",):
                if resource == "*" or arnlib.contains(resource, pat):
                    cand = (pat, tuple(st.conditions))
                elif arnlib.contains(pat, resource):
                    cand = (resource, tuple(st.conditions))
                else:
                    continue
                if cand not in out and not ref.new_access(_single(action, cand[0], cand[1], denies)):
                    out.append(cand)
        return out

    def generate(self, fn: Function) -> Result_:
        cat = self.cat
        role = self.snapshot.find_role(fn.role_arn)
        res = Result_(function=fn, role=role)
        if role is None:
            res.warnings.append(f"role {fn.role_arn} is not in the snapshot: nothing to tighten")
            return res
        original, ref, boundary = self._original(role)
        candidates: list[Entry] = []

        # 1. observed
        for a in usage_for(self.usage, fn, self.opt.since):
            act = cat.get(a["action"])
            name = act.full_name if act else a["action"]
            if a.get("denied"):
                res.denied_calls.append({"action": name, "resource": a["resource"], "denied": a["denied"],
                                         "last_seen": a.get("last_seen")})
            if a.get("count", 0) > 0:
                candidates.append(Entry(name, a["resource"], "observed", {
                    "count": a["count"], "first_seen": a.get("first_seen"), "last_seen": a.get("last_seen"),
                    "data_event": a.get("data_event", False)}))
        candidates = _generalise_entries(candidates)
        # 2. required by configuration
        for r in requirements(fn, self.snapshot):
            candidates.append(Entry(cat.canonical(r.action), r.resource, "required",
                                    {"setting": r.setting, "reason": r.reason}))
        # 3. not observable
        candidates.extend(self._unverified(fn, original, ref, res))
        candidates = narrow_to_code(fn, candidates, res, cat, self.opt.min_prefix)  # scan --code

        # intersect with today's grants
        denies = [s for p in original for s in p.statements if not s.is_allow]
        deny_json = tuple(s.to_json() for s in denies)
        kept: dict[tuple, Entry] = {}
        for e in candidates:
            fits = [(r, c) for r, c in self._fit(e.action, e.resource, ref, deny_json)
                    if evaluate(Request(e.action, r), original).result is not Result.EXPLICIT_DENY]
            if not fits:
                res.not_granted.append({"action": e.action, "resource": e.resource, "origin": e.origin,
                                        "evidence": e.evidence,
                                        "note": "not granted by the role today: not added (the generator never widens)"})
                continue
            for resource, conds in fits:
                k = (e.action, resource, conds)
                if k not in kept:
                    kept[k] = Entry(e.action, resource, e.origin, e.evidence, conds)
                elif e.origin == "required" and kept[k].origin != "required":
                    kept[k].evidence = {**kept[k].evidence, "also_required_by": e.evidence.get("setting")}
        res.entries = sorted(kept.values(), key=lambda x: (x.origin, x.action, x.resource))
        # an action the function keeps (narrowed) is not "dropped" for the explanation's reader
        kept_actions = {e.action for e in res.entries}
        for d in res.dropped:
            d.actions = [a for a in d.actions if a not in kept_actions]
        res.dropped = [d for d in res.dropped if d.actions]
        for d in res.dropped:
            acts = minimize_actions(d.actions, cat, min_prefix=self.opt.min_prefix)
            d.add_back["Action"] = acts if len(acts) > 1 else acts[0]
        res.documents = self._documents(res.entries, denies, res)
        self._verify(res, original, ref, boundary)
        return res

    def _unverified(self, fn: Function, original: list[Policy], ref: Reference, res: Result_) -> list[Entry]:
        """Grants CloudTrail could not have shown; keep per policy, list the rest."""
        observed = {(a["action"].lower()) for a in usage_for(self.usage, fn, self.opt.since)}
        referenced = referenced_resources(fn)
        keep: list[Entry] = []
        dropped: dict[tuple[str, str], list[str]] = defaultdict(list)
        unused: dict[str, int] = defaultdict(int)
        for pol in original:
            for st in pol.statements:
                if not st.is_allow or st.not_resources is not None:
                    continue
                keys = set()
                for p in st.action_patterns:
                    keys.update(self.cat.expand_keys(p))
                if st.not_actions is not None:
                    excluded = keys
                    keys = {k for k in self.cat.actions if k not in excluded}
                for key in sorted(keys):
                    if key in observed:
                        continue
                    action = self.cat.canonical(key)
                    svc = _service(key)
                    for pattern in st.resources if st.resources is not None else ("*",):
                        if key in NEVER_LOGGED:
                            why = "CloudTrail never records this action"
                        elif is_data_plane(key):
                            why = f"no {svc} data events in the usage window for this resource"
                        else:
                            unused[svc] += 1  # a management event: CloudTrail would have shown it
                            continue
                        if self.opt.unverified == "keep":
                            keep.append(Entry(action, pattern, "unverified", {"why": why}))
                            continue
                        hits = []
                        if self.opt.unverified == "referenced" and key in CORE_DATA_PLANE:
                            hits = [r for r in referenced if r.startswith("arn:") and r.split(":")[2] == svc
                                    and arnlib.matches(pattern, r) and self._applies(action, r)
                                    and not self._data_events_seen(svc, r)]
                        for r in hits:
                            target = r + "/*" if svc == "s3" and _applies_objects(self.cat, action) else r
                            keep.append(Entry(action, target, "unverified", {"why": why, "referenced_by": referenced[r]}))
                        if not self._fully_observed(key, svc, pattern):
                            dropped[(pattern, why)].append(action)
                        else:
                            unused[svc] += 1
        for (pattern, why), actions in sorted(dropped.items()):
            acts = minimize_actions(actions, self.cat, min_prefix=self.opt.min_prefix)
            res.dropped.append(Dropped(sorted(actions), pattern, why, {
                "Effect": "Allow", "Action": acts if len(acts) > 1 else acts[0], "Resource": pattern}))
        res.unused_by_service = dict(sorted(unused.items()))
        return keep

    def _applies(self, action: str, resource: str) -> bool:
        act = self.cat.get(action)
        if act is None:
            return False
        types = self.cat.action_resource_types(act)
        if not types:
            return False
        return arnlib.pattern_applies_to_action(resource, types) or (
            ":s3:::" in resource and _applies_objects(self.cat, action))

    def _data_events_seen(self, svc: str, resource: str) -> bool:
        """Did the usage window hold data events for this resource (its bucket, its table)?"""
        return _container(resource) in self.data_seen.get(svc, set())

    def _fully_observed(self, key: str, svc: str, pattern: str) -> bool:
        """Would CloudTrail have shown every use of this grant? Only for data-plane actions on
        a pattern that names just resources with data events recorded."""
        if key in NEVER_LOGGED or not is_data_plane(key):
            return key not in NEVER_LOGGED
        seen = self.data_seen.get(svc, set())
        return pattern != "*" and any(arnlib.contains(c, _container(pattern)) or c == _container(pattern) for c in seen)

    # -- shaping --
    def _documents(self, entries: list[Entry], denies: list[Statement], res: Result_) -> list[dict]:
        statements = _group(entries, self.cat)
        deny_json = [dict(s.to_json()) for s in denies]
        doc = {"Version": "2012-10-17", "Statement": statements + deny_json}
        if _size(doc) <= INLINE_LIMIT:
            return [doc] if statements else []
        merged = _merge_by_resources(statements)
        doc = {"Version": "2012-10-17", "Statement": merged + deny_json}
        if _size(doc) <= INLINE_LIMIT:
            return [doc]
        for st in merged:
            acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            st["Action"] = minimize_actions(acts, self.cat, min_prefix=self.opt.min_prefix)
        doc = {"Version": "2012-10-17", "Statement": merged + deny_json}
        if _size(doc) <= INLINE_LIMIT:
            return [doc]
        docs, cur = [], []
        budget = INLINE_LIMIT - _size({"Version": "2012-10-17", "Statement": deny_json}) - 10
        for st in merged:
            if cur and _size({"Statement": cur + [st]}) > budget:
                docs.append({"Version": "2012-10-17", "Statement": cur + deny_json})
                cur = []
            cur.append(st)
        if cur:
            docs.append({"Version": "2012-10-17", "Statement": cur + deny_json})
        res.warnings.append(f"the policy does not fit one inline policy ({INLINE_LIMIT} characters): split into {len(docs)}")
        return docs

    def _verify(self, res: Result_, original: list[Policy], ref: Reference, boundary: Policy | None) -> None:
        generated = [parse_policy_lenient(d)[0] for d in res.documents]
        failures = []
        checked = 0
        for e in res.entries:
            if e.origin == "unverified":
                continue
            checked += 1
            d = evaluate(Request(e.action, e.resource), generated)
            if d.result is Result.ALLOW:
                continue
            if d.result is Result.CONDITIONAL and (e.conditions or evaluate(
                    Request(e.action, e.resource), original).result is Result.CONDITIONAL):
                continue  # allowed under the same conditions (its own, or a conditional Deny) as today
            failures.append({"action": e.action, "resource": e.resource, "result": d.result.value})
        widened = [n.as_dict() for n in ref.new_access(generated)] if generated else []
        res.verification = {
            "replayed": checked,
            "replay_failures": failures,
            "new_access": widened[:50],
            "new_access_count": len(widened),
            "ok": not failures and not widened,
        }
        before = allowed_actions(original, self.cat)
        after = allowed_actions(generated, self.cat) if generated else set()
        if boundary is not None:
            cap = allowed_actions(boundary, self.cat)
            before &= cap
            after &= cap
        res.before, res.after = len(before), len(after)


def _applies_objects(cat: Catalog, action: str) -> bool:
    act = cat.get(action)
    return bool(act) and any(r.name.lower() == "object" for r in act.resource_types)


def _size(doc: dict) -> int:
    return len(json.dumps(doc, separators=(",", ":")))


def _sid(origin: str, svc: str, levels: set[str], n: int) -> str:
    name = _SERVICE_NAMES.get(svc) or re.sub(r"[^A-Za-z0-9]", "", svc.title())
    kind = "Reads" if levels <= {"List", "Read"} else "Writes" if levels.isdisjoint({"List", "Read"}) else "Access"
    return f"{origin.title()}{name}{kind}" + (str(n) if n > 1 else "")


def _group(entries: list[Entry], cat: Catalog) -> list[dict]:
    """Readable statements: per origin, service and conditions, actions sharing the same resources."""
    by: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in entries:
        by[(e.origin, _service(e.action), e.conditions)][e.action].add(e.resource)
    out = []
    used: dict[str, int] = defaultdict(int)
    order = {"observed": 0, "required": 1, "unverified": 2, "code": 3}
    for (origin, svc, conds), actions in sorted(by.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], str(kv[0][2]))):
        by_resources: dict[tuple, list[str]] = defaultdict(list)
        for action, resources in actions.items():
            by_resources[tuple(sorted(resources))].append(action)
        for resources, acts in sorted(by_resources.items(), key=lambda kv: sorted(kv[1])):
            levels = {cat.access_level(a) or "Write" for a in acts}
            sid = _sid(origin, svc, levels, 0)
            used[sid] += 1
            st = {"Sid": sid if used[sid] == 1 else f"{sid}{used[sid]}", "Effect": "Allow",
                  "Action": sorted(acts) if len(acts) > 1 else acts[0],
                  "Resource": list(resources) if len(resources) > 1 else resources[0]}
            if conds:
                st["Condition"] = _conditions_json(conds)
            out.append(st)
    return out


GENERALISE_OVER = 8


def _generalise_entries(entries: list[Entry]) -> list[Entry]:
    """Many object keys or prefixes of one bucket, for one action, become their longest common
    folder (``bucket/incoming/*``), with the evidence summed. ``_fit`` narrows the result
    back to today's grants if the folder is broader than them."""
    groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    out = []
    for e in entries:
        if ":s3:::" in e.resource and "/" in e.resource:
            groups[(e.action, e.resource.split("/", 1)[0])].append(e)
        else:
            out.append(e)
    for (action, bucket), es in groups.items():
        if len(es) <= GENERALISE_OVER:
            out.extend(es)
            continue
        folders = [e.resource.split("/", 1)[1].split("/")[:-1] for e in es]
        common = []
        for parts in zip(*folders):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
        resource = f"{bucket}/{'/'.join(common)}/*" if common else f"{bucket}/*"
        evidence = {"count": sum(e.evidence.get("count", 0) for e in es),
                    "first_seen": min(e.evidence.get("first_seen") or "" for e in es),
                    "last_seen": max(e.evidence.get("last_seen") or "" for e in es),
                    "data_event": any(e.evidence.get("data_event") for e in es),
                    "generalised_from": len(es)}
        out.append(Entry(action, resource, es[0].origin, evidence))
    return out


def _merge_by_resources(statements: list[dict]) -> list[dict]:
    """Fewer statements: actions with exactly the same resources and conditions share one."""
    merged: dict[tuple, dict] = {}
    for st in statements:
        res = tuple(st["Resource"]) if isinstance(st["Resource"], list) else (st["Resource"],)
        key = (res, json.dumps(st.get("Condition"), sort_keys=True))
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if key in merged:
            merged[key]["Action"] = sorted(set(merged[key]["Action"]) | set(acts))
        else:
            merged[key] = {"Sid": f"Allowed{len(merged) + 1}", "Effect": "Allow", "Action": sorted(acts),
                           "Resource": list(res) if len(res) > 1 else res[0]}
            if st.get("Condition"):
                merged[key]["Condition"] = st["Condition"]
    return list(merged.values())


def role_union(results: list[Result_]) -> dict:
    """The union of the functions' generated statements for their shared role."""
    seen = set()
    statements = []
    for r in results:
        for doc in r.documents:
            for st in doc["Statement"]:
                k = json.dumps({k: v for k, v in st.items() if k != "Sid"}, sort_keys=True)
                if k not in seen:
                    seen.add(k)
                    statements.append(st)
    out = []
    names: dict[str, int] = defaultdict(int)
    for st in statements:
        st = dict(st)
        if "Sid" in st:
            names[st["Sid"]] += 1
            if names[st["Sid"]] > 1:
                st["Sid"] = f"{st['Sid']}{names[st['Sid']]}"
        out.append(st)  # Sids stay unique within the union
    return {"Version": "2012-10-17", "Statement": out}


def generate_all(snapshot: Snapshot, usage: dict | None, options: Options | None = None,
                 functions: list[str] | None = None) -> list[Result_]:
    gen = Generator(snapshot, usage, options)
    wanted = set(functions or [])
    out = []
    for fn in sorted(snapshot.functions(), key=lambda f: (f.account_id, f.region, f.name)):
        if wanted and fn.name not in wanted and fn.arn not in wanted:
            continue
        out.append(gen.generate(fn))
    return out
