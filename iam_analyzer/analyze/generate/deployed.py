"""Tightened execution-role policies: what a function used or needs, and nothing else.

First the evidence verdict (``analyze/evidence.py``): when the usage could not have shown
what the function does (no events, a region or account the trail does not cover, a window
shorter than ``--min-window`` or than two runs of its schedule, a role IAM saw used with no
event read), no tightened policy is written and the explanation says why.

Otherwise the generated policy holds:

1. **observed** calls from the usage file (its role session, in the window), with their
   resources; a call whose resource CloudTrail did not name gets the resources the role
   grants today for that action;
2. **required** permissions from its configuration (``lambda_needs``);
3. **unverified** grants: everything the role grants whose absence from the usage proves
   nothing (``evidence.why_kept``: never-logged actions, data events off for the resource,
   a region or event source not read). They stay, narrowed only where the function's
   configuration names the resource (``--keep-unverified`` keeps them unnarrowed,
   ``--drop-unverified`` drops them, listed with the statement that would add them back).

Only grants the evidence proves unused are dropped. Everything is intersected with what
the role grants today: a candidate permission is kept as is when an original statement
provably covers it, narrowed to the original's resources when it is broader, and reported
(never added) when nothing grants it. The original's Deny statements are carried over.
Before anything is written the result is verified: every observed and required permission
still evaluates to ALLOW, and ``new_access(generated, original)`` is empty.
"""

from __future__ import annotations

from collections import defaultdict

from iam_analyzer.analyze.evidence import EvidenceOptions, verdict, why_kept
from iam_analyzer.analyze.generate.result import (Dropped, Entry, Options, Result_, conditions_json, role_documents,
                                                  usage_for)
from iam_analyzer.analyze.generate.shaping import (INLINE_LIMIT, applies_objects, documents, generalise_entries,
                                                   role_union)
from iam_analyzer.analyze.needs import referenced_resources, requirements
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.catalog import Catalog, default_catalog, service_of
from iam_analyzer.iam.compare import Reference, allowed_actions
from iam_analyzer.analyze.org import role_guardrails
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.guardrail_grants import blocked_grant, requested_region
from iam_analyzer.iam.minimize import minimize_actions
from iam_analyzer.iam.policy import Condition, Policy, parse_policy_lenient
from iam_analyzer.analyze.generate.code_evidence import narrow_to_code
from iam_analyzer.model import Function, Role, Snapshot

__all__ = ["INLINE_LIMIT", "Dropped", "Entry", "Generator", "Options", "Result_", "generate_all", "role_documents",
           "role_union", "usage_for"]


def _single(action: str, resource: str, conditions: tuple[Condition, ...] = (), denies: tuple[dict, ...] = ()) -> Policy:
    """A one-permission candidate, with the original's Deny statements the output carries too."""
    st = {"Effect": "Allow", "Action": action, "Resource": resource}
    if conditions:
        st["Condition"] = conditions_json(conditions)
    return parse_policy_lenient({"Version": "2012-10-17", "Statement": [st, *denies]})[0]


class Generator:
    def __init__(self, snapshot: Snapshot, usage: dict | None, options: Options | None = None,
                 catalog: Catalog | None = None):
        self.snapshot = snapshot
        self.usage = usage
        self.opt = options or Options()
        self.cat = catalog or default_catalog()
        self._refs: dict[str, tuple[list[Policy], Reference, Policy | None]] = {}
        self._org: dict = {}
        self._errors: dict[str, list[str]] = {}  # role -> what of its policies could not be read

    def _original(self, role: Role) -> tuple[list[Policy], Reference, Policy | None]:
        if role.arn not in self._refs:
            policies = []
            for name, doc in role_documents(self.snapshot, role):
                policy, errors = parse_policy_lenient(doc)
                policies.append(policy)  # what IAM would refuse is left out (said with each result)
                self._errors.setdefault(role.arn, []).extend(f"policy {name} of {role.name}: {e}" for e in errors[:3])
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
        res.evidence = verdict(fn, role, self.usage, EvidenceOptions(self.opt.min_window_days, self.opt.since))
        if role is None:
            res.warnings.append(f"role {fn.role_arn} is not in the snapshot: nothing to tighten")
            return res
        original, ref, boundary = self._original(role)
        res.warnings.extend(f"{w}: read without it" for w in self._errors.get(role.arn, []))
        if not res.evidence.tightens:
            res.warnings.append("not tightened: not enough evidence (" + "; ".join(res.evidence.reasons) + ")")
            res.before = res.after = self._count(original, boundary)
            return res
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
        candidates = generalise_entries(candidates)
        # 2. required by configuration
        for r in requirements(fn, self.snapshot):
            candidates.append(Entry(cat.canonical(r.action), r.resource, "required",
                                    {"setting": r.setting, "reason": r.reason}))
        # 3. not observable
        candidates.extend(self._unverified(fn, original, res))
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
        res.documents = documents(res.entries, denies, res, cat, self.opt.min_prefix)
        self._verify(res, original, ref, boundary)
        return res

    def _unverified(self, fn: Function, original: list[Policy], res: Result_) -> list[Entry]:
        """Grants whose absence from the usage proves nothing: kept (narrowed where the
        configuration names the resource); only proven-unused grants are dropped."""
        ev = res.evidence
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
                    seen = key in observed  # kept on what it was seen on; the rest of its grant below
                    action = self.cat.canonical(key)
                    svc = service_of(key)
                    for pattern in st.resources if st.resources is not None else ("*",):
                        why = why_kept(action, pattern, ev)
                        if why is None:
                            if not seen:
                                unused[svc] += 1  # the evidence would have shown its use
                            continue
                        blocked = [] if seen else self._guardrails_block(fn, action, pattern)
                        if blocked:  # no evidence needed: the organization never lets it through
                            dropped[(pattern, "denied-by-scp: " + ", ".join(blocked))].append(action)
                            continue
                        if self.opt.unverified == "drop":
                            dropped[(pattern, why)].append(action)
                            continue
                        if self.opt.unverified == "keep":
                            keep.append(Entry(action, pattern, "unverified", {"why": why}))
                            continue
                        hits = [r for r in referenced if (arnlib.try_parse(r) or _NO_ARN).service == svc
                                and arnlib.matches(pattern, r) and self._applies(action, r)]
                        if not hits:
                            keep.append(Entry(action, pattern, "unverified", {"why": why}))
                            continue
                        for r in hits:
                            target = r + "/*" if svc == "s3" and applies_objects(self.cat, action) else r
                            if why_kept(action, target, ev) is not None:
                                keep.append(Entry(action, target, "unverified", {"why": why, "referenced_by": referenced[r]}))
                        if any(not arnlib.contains(h, pattern) for h in hits):
                            dropped[(pattern, f"{why}; kept only on the resources the configuration names")].append(action)
        for (pattern, why), actions in sorted(dropped.items()):
            acts = minimize_actions(actions, self.cat, min_prefix=self.opt.min_prefix)
            res.dropped.append(Dropped(sorted(actions), pattern, why, {
                "Effect": "Allow", "Action": acts if len(acts) > 1 else acts[0], "Resource": pattern}))
        res.unused_by_service = dict(sorted(unused.items()))
        return keep

    def _guardrails_block(self, fn: Function, action: str, pattern: str) -> list[str]:
        """The organization's policies that deny this grant on every resource it covers."""
        key = fn.role_arn
        po = self._org.get(key)
        if po is None:
            po = self._org[key] = role_guardrails(self.snapshot, fn.role_arn, fn.account_id)
        if po.guardrails is None:
            return []
        ctx = dict(po.context)
        region = requested_region(action, pattern, fn.region)
        if region:
            ctx["aws:RequestedRegion"] = region
        return blocked_grant(po.guardrails, action, pattern, ctx, po.absent)

    def _applies(self, action: str, resource: str) -> bool:
        act = self.cat.get(action)
        if act is None:
            return False
        types = self.cat.action_resource_types(act)
        if not types:
            return False
        return arnlib.pattern_applies_to_action(resource, types) or (
            (arnlib.try_parse(resource) or _NO_ARN).service == "s3" and applies_objects(self.cat, action))

    def _count(self, policies: list[Policy], boundary: Policy | None) -> int:
        granted = allowed_actions(policies, self.cat) if policies else set()
        if boundary is not None:
            granted &= allowed_actions(boundary, self.cat)
        return len(granted)

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
        res.before = self._count(original, boundary)
        res.after = self._count(generated, boundary)


class _NoArn:
    service = ""


_NO_ARN = _NoArn()


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
