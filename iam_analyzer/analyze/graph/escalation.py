"""Escalation steps: what each principal can do to gain permissions (edges of the escalation
graph). ``reach.py`` turns the steps into findings by reachability.

A step (``Hop``) goes from a principal to itself (it can grant itself any permission), to
another principal whose permissions it can take, or to a *class* of principals (every role a
service may assume, when the principal may pass any of them: one edge instead of thousands in
accounts where deployer roles hold ``iam:PassRole`` on ``*``). A step that needs something the
input cannot show (an existing function, credentials of a user) has ``needs`` set: it makes a
*conditional* path, reported at a lower severity.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from iam_analyzer.analyze.graph.effective import Analyzer, _action_only
from iam_analyzer.analyze.graph.principals import Principal, escalation_methods
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam import wildcard
from iam_analyzer.iam.evaluate import Result
from iam_analyzer.iam.managed_policies import is_aws_managed_arn

from iam_analyzer.analyze.graph.methods import (  # noqa: F401  (re-exported: escalation's public names)
    ACT_AS, CLASS_PREFIX, CONTROL, METHOD_YIELDS, POLICY_WRITE, Hop,
)

# actions that write another principal's policies: principals of that kind are then worth
# controlling (an access key for a user, a trust policy for a role), whatever they hold now
_WRITES_ROLES = {"iam:putrolepolicy", "iam:attachrolepolicy", "iam:createpolicyversion"}
_WRITES_USERS = {"iam:putuserpolicy", "iam:attachuserpolicy", "iam:createpolicyversion"}


def _statements(an: Analyzer, p: Principal, action: str, resource: str) -> list[dict]:
    """The statements that allow the step (at most three), computed once per question."""
    cache = an.__dict__.setdefault("_statements_cache", {})
    key = (p.arn, action, resource)
    got = cache.get(key)
    if got is None:
        d = an.decision(p, action, resource)
        got = cache[key] = [{"policy": m.policy, "sid": m.statement.sid, "statement": m.statement.index}
                            for m in d.allows][:3]
    return [dict(x) for x in got]


def _requirement(an: Analyzer, p: Principal, action: str, resource: str, result: Result) -> dict:
    out = {"action": action, "resource": resource, "result": result.value,
           "statements": _statements(an, p, action, resource)}
    if result is Result.CONDITIONAL and p.guardrails is not None:
        # the organization's statements whose conditions could not be decided, by name
        d = an.decision(p, action, resource)
        named = [{"policy": m.policy, "kind": m.kind, "sid": m.statement.sid, "statement": m.statement.index}
                 for m in d.guardrails_uncertain][:3]
        if named:
            out["guardrails"] = named
    return out


def _uniform(p: Principal, action: str) -> bool:
    """Every statement of the principal (and its boundary) that covers the action applies to
    every resource: the decision is then the same for every target, so one evaluation
    answers for all of them."""
    pols = [pol for _, pol in p.policies] + ([p.boundary] if p.boundary is not None else [])
    for pol in pols:
        for st in pol.statements:
            if not _action_only(st, action.lower()):
                continue
            if st.not_resources is not None or (st.resources is not None and tuple(st.resources) != ("*",)):
                return False
    return True


def _web_identity_trusted(role: Principal, provider: str) -> bool:
    """The role trusts an identity provider by name (a Cognito identity pool's roles name
    ``cognito-identity.amazonaws.com`` as a federated principal, for AssumeRoleWithWebIdentity)."""
    if role.trust is None or provider != "cognito-identity.amazonaws.com":
        return False
    for st in role.trust.statements:
        if st.is_allow and st.principal is not None and any(k == "Federated" and v == provider for k, v in st.principal.all_values()):
            if any(a.lower() in ("sts:assumerolewithwebidentity", "sts:*", "*") for a in st.actions or ()):
                return True
    return False


def _in_account(resource: str, account: str) -> bool:
    a = arnlib.try_parse(resource)
    return resource == "*" or (a is not None and wildcard.matches(a.account or "*", account))


class Escalations:
    def __init__(self, analyzer: Analyzer):
        self.an = analyzer
        self.admin = {a: self.an.is_admin(p) for a, p in self.an.principals.items()}
        esc_actions = {r["action"].lower() for m in escalation_methods() for r in m["requires"]}
        # A principal is worth reaching when it is an administrator or holds some escalation
        # action; ordinary roles (most Lambda roles) are pruned from the target lists.
        self.interesting = {a for a, p in self.an.principals.items()
                            if p.kind != "group" and (self.admin[a] or self.an.possible(p) & esc_actions)}
        self.trust_index: dict[str, list[str]] = {}
        self.by_kind: dict[tuple[str, str], list[Principal]] = {}
        for a, p in self.an.principals.items():
            self.by_kind.setdefault((p.account, p.kind), []).append(p)
            if p.kind != "role" or p.trust is None:
                continue
            for st in p.trust.statements:
                if not st.is_allow or st.principal is None:
                    continue
                for kind, value in st.principal.all_values():
                    if kind != "AWS":
                        continue
                    key = value.split(":")[4] if value.endswith(":root") else value
                    self.trust_index.setdefault(key, []).append(a)
        self._service_roles: dict[tuple, Any] = {}
        # without a function inventory (a GAAD file) a function's role is unknown: any role
        # Lambda may assume could be behind an existing function (a conditional path)
        self.has_functions = bool(self.an.functions)
        self._functions: list | None = None

    def service_roles(self, account: str, service: str) -> list[Principal]:
        """Interesting roles of the account that the service may assume (computed once)."""
        key = (account, service)
        got = self._service_roles.get(key)
        if got is None:
            got = self._service_roles[key] = [x for x in self.by_kind.get((account, "role"), [])
                                              if x.arn in self.interesting and (self.an.service_trusted(x, service)
                                                                                 or _web_identity_trusted(x, service))]
        return got

    def privileged_functions(self) -> list:
        """Functions whose role is worth reaching (computed once)."""
        if self._functions is None:
            self._functions = [f for f in self.an.functions.values() if f.role_arn in self.interesting]
        return self._functions

    def function_roles(self) -> tuple[str, ...]:
        key = ("function-roles",)
        got = self._service_roles.get(key)
        if got is None:
            got = self._service_roles[key] = tuple(dict.fromkeys(f.role_arn for f in self.privileged_functions()))
        return got

    def kind_members(self, account: str, kind: str) -> tuple[str, ...]:
        key = ("kind", account, kind)
        got = self._service_roles.get(key)
        if got is None:
            got = self._service_roles[key] = tuple(x.arn for x in self.by_kind.get((account, kind), []))
        return got

    def service_members(self, account: str, service: str) -> tuple[str, ...]:
        key = ("members", account, service)
        got = self._service_roles.get(key)
        if got is None:
            got = self._service_roles[key] = tuple(x.arn for x in self.service_roles(account, service))
        return got

    def _req(self, p: Principal, action: str, resources: list[str], extra: dict | None = None):
        """The first resource on which the action is allowed (or conditionally allowed)."""
        if action.lower() not in self.an.possible(p) and action.lower() in self.an.relevant:
            return None
        best = None
        for r in resources:
            res = self.an.decide(p, action, r, extra)
            if res is Result.ALLOW:
                return (r, res)
            if res is Result.CONDITIONAL and best is None:
                best = (r, res)
        return best

    def _trusting(self, p: Principal, possible: frozenset[str]) -> list[Hop]:
        """Roles that name this principal; those that trust its whole account (or everyone)
        only when its own policies allow sts:AssumeRole."""
        an = self.an
        out = []
        named = set(self.trust_index.get(p.arn, []))  # always followed: chains go through plain roles
        wide = set()
        if "sts:assumerole" in possible:
            wide = set(self.trust_index.get(p.account, [])) | set(self.trust_index.get("*", []))
            if not possible & _WRITES_ROLES:
                wide &= self.interesting  # a plain role matters only to one that can rewrite it
        for x in (an.principals[n] for n in sorted(named | wide)):
            if x.arn == p.arn:
                continue
            t = an.trusts(x, p)
            if t in (Result.ALLOW, Result.CONDITIONAL):
                out.append(Hop(p.arn, x.arn, "AssumeRole", [_requirement(an, p, "sts:AssumeRole", x.arn, t)],
                               t is Result.CONDITIONAL))
        return out

    def edges_from(self, p: Principal) -> list[Hop]:
        """Every escalation step available to a principal: to itself (gaining any permission),
        to another principal whose permissions it can take or whose policies it can write, or
        to a class of principals."""
        an = self.an
        out: list[Hop] = []
        if p.kind == "group":
            return out
        users = self.by_kind.get((p.account, "user"), [])
        roles = self.by_kind.get((p.account, "role"), [])
        my_groups = [an.principals[g] for g in p.groups if g in an.principals]
        all_groups = self.by_kind.get((p.account, "group"), [])
        my_policies = sorted(set(p.managed) | {m for g in my_groups for m in g.managed})
        customer = [a for a in my_policies if not is_aws_managed_arn(a)]
        possible = an.possible(p)
        # a principal whose policies p can write is worth reaching too (write, then act as it)
        writes_roles = bool(possible & _WRITES_ROLES)
        writes_users = bool(possible & _WRITES_USERS)

        def wanted(x: Principal) -> bool:
            return x.arn in self.interesting or (writes_roles and x.kind == "role") or (writes_users and x.kind == "user")

        for m in escalation_methods():
            reqs = m["requires"]
            first = reqs[0]
            on = first["target"]
            if on == "trusting-role":
                out.extend(self._trusting(p, possible))
                continue
            if first["action"].lower() not in possible:
                continue
            # (destination, resources for requirement 0, needs); dest None: the principal itself
            targets: list[tuple[str, list[str], str | None]] = []
            klass: tuple[str, tuple[str, ...]] | None = None
            witness: dict[str, str] = {}
            if on == "*":
                targets = [(p.arn, an.candidates(p, first["action"]), None)]
            elif on == "policy":
                targets = [(p.arn, customer, None)] if customer else []
                if m["id"] == "CreatePolicyVersion":  # a policy of another principal: write, then act as it
                    targets += self._policy_holders(p, set(customer))
            elif on in ("self-or-user", "self-or-role"):
                kind = "user" if on == "self-or-user" else "role"
                if p.kind == kind:
                    targets.append((p.arn, [p.arn], None))
                others = users if kind == "user" else roles
                if len(others) > 1 and _uniform(p, first["action"]):
                    # the same answer for every principal of the kind: one edge to all of them
                    members = self.kind_members(p.account, kind)
                    klass = (f"{CLASS_PREFIX}{kind}s:{p.account}", members)
                    sample = next(a for a in members if a != p.arn)
                    targets.append((klass[0], [sample], None))
                else:
                    targets += [(x.arn, [x.arn], None) for x in others if x.arn != p.arn and wanted(x)]
            elif on == "other-user":
                targets = [(x.arn, [x.arn], None) for x in users if x.arn != p.arn and wanted(x)]
            elif on == "other-role":
                targets = [(x.arn, [x.arn], None) for x in roles if x.arn != p.arn and wanted(x)]
            elif on == "group":
                if m["id"] == "AddUserToGroup":
                    targets = [(g.arn, [g.arn], None) for g in all_groups]
                else:  # a policy on one's own group is one's own; on another group, its members'
                    mine = {g.arn for g in my_groups}
                    targets = [(p.arn, [g.arn], None) for g in my_groups]
                    targets += [(g.arn, [g.arn], None) for g in all_groups if g.arn not in mine]
            elif on == "passable-role":
                cands = self.service_roles(p.account, first.get("service", ""))
                if cands and _uniform(p, first["action"]):
                    members = self.service_members(p.account, first["service"])
                    klass = (f"{CLASS_PREFIX}passable:{first['service']}", members)
                    targets = [(klass[0], [members[0]], None)]
                else:  # passing itself to a service gives a principal nothing new
                    targets = [(x.arn, [x.arn], None) for x in cands if x.arn != p.arn]
            elif on == "function":
                if self.has_functions:
                    fns = self.privileged_functions()
                    if len(fns) > 1 and _uniform(p, first["action"]):
                        # the same answer for every function: one edge to the roles they run as
                        # (the evidence shown for a role is a function that runs as it)
                        klass = (f"{CLASS_PREFIX}functions", self.function_roles())
                        targets = [(klass[0], [fns[0].arn], None)]
                        witness = self.function_witness()
                    else:  # a function running as the principal itself gives it nothing new
                        targets = [(f.role_arn, [f.arn], None) for f in fns if f.role_arn != p.arn]
                else:
                    # the unknown function is in the principal's account: patterns naming other
                    # accounts exclude it
                    res = [r for r in an.candidates(p, first["action"]) if _in_account(r, p.account)]
                    needs = "an existing Lambda function that runs as {name} (the input has no function inventory)"
                    members = self.service_members(p.account, "lambda.amazonaws.com")
                    if len(members) > 1:
                        klass = (f"{CLASS_PREFIX}lambda-roles:{p.account}", members)
                        targets = [(klass[0], res, needs)]
                    else:
                        targets = [(a, res, needs.format(name=a.rsplit("/", 1)[-1])) for a in members if a != p.arn]
            elif on == "existing":
                targets, klass = self._existing(p, m)
            if m.get("needs") and on != "existing":
                targets = [(t, res, needs or m["needs"]) for t, res, needs in targets]
            for target, resources, needs in targets:
                got = []
                conditional = needs is not None
                ok = True
                for i, r in enumerate(reqs):
                    if i == 0:
                        extra = ({"iam:PassedToService": r.get("passed_to", r["service"])}
                                 if r["action"].lower() == "iam:passrole" else None)
                        hit = self._req(p, r["action"], resources, extra)
                    elif r["target"] == "same":  # the resource the first requirement was allowed on
                        hit = self._req(p, r["action"], [got[0]["resource"]])
                    elif r["target"] == "other-role":
                        hit = self._req(p, r["action"], [target])
                    else:
                        hit = self._req(p, r["action"], an.candidates(p, r["action"]))
                    if hit is None:
                        ok = False
                        break
                    conditional |= hit[1] is Result.CONDITIONAL
                    got.append(_requirement(an, p, r["action"], hit[0], hit[1]))
                if ok:
                    out.append(Hop(p.arn, target, m["id"], got, conditional, needs,
                                   klass[1] if klass and target == klass[0] else (),
                                   witness if klass and target == klass[0] else {}))
        return _drop_implied(out)

    def _existing(self, p: Principal, m: dict):
        """Targets of a method on a resource that already runs as a role (a build project, an
        instance, a stack): any interesting role the service may assume could be behind one, which
        the input cannot show (a conditional step, ``needs``)."""
        first = m["requires"][0]
        # the unknown resource is in the principal's account: patterns naming other accounts exclude it
        res = [r for r in self.an.candidates(p, first["action"]) if _in_account(r, p.account)]
        members = tuple(a for a in self.service_members(p.account, first["service"]) if a != p.arn)
        if len(members) > 1:
            return [(f"{CLASS_PREFIX}existing:{first['service']}:{p.account}", res, m["needs"])], (
                f"{CLASS_PREFIX}existing:{first['service']}:{p.account}", members)
        return [(a, res, m["needs"].format(name=a.rsplit("/", 1)[-1])) for a in members], None

    def _policy_holders(self, p: Principal, own: set[str]) -> list[tuple[str, list[str], None]]:
        """Other principals a customer-managed policy is attached to (not through p itself)."""
        holders = self.__dict__.get("_holders")
        if holders is None:
            holders = self.__dict__["_holders"] = {}
            for x in self.an.principals.values():
                for a in x.managed:
                    if not is_aws_managed_arn(a):
                        holders.setdefault(a, []).append(x.arn)
        return [(h, [pol], None) for pol, hs in sorted(holders.items()) if pol not in own
                for h in hs if h != p.arn and _account(h) == p.account]

    def function_witness(self) -> dict[str, str]:
        """For each role that privileged functions run as, one function that runs as it."""
        got = self.__dict__.get("_witness")
        if got is None:
            got = self.__dict__["_witness"] = {}
            for f in sorted(self.privileged_functions(), key=lambda f: f.arn):
                got.setdefault(f.role_arn, f.arn)
        return got

    def find(self) -> tuple[list[dict], nx.MultiDiGraph]:
        from iam_analyzer.analyze.graph.reach import find

        return find(self)


def _account(arn: str) -> str | None:
    parsed = arnlib.try_parse(arn)
    return parsed.account if parsed else None


def _drop_implied(hops: list[Hop]) -> list[Hop]:
    """A step to a target that another step reaches with fewer permissions (and no weaker
    evidence) says nothing new: the catalog's `UpdateFunctionCode + InvokeFunction` when
    `UpdateFunctionCode` alone reaches the same role; nor does a conditional step to a principal
    a complete step reaches. One finding per way in, not per superset."""
    if len(hops) < 2:
        return hops
    by_target: dict[str, list[int]] = {}
    for i, h in enumerate(hops):
        by_target.setdefault(h.target, []).append(i)
    drop = set()
    for idx in by_target.values():  # compared within a target only: linear in the steps
        if len(idx) < 2:
            continue
        acts = {i: frozenset(r["action"].lower() for r in hops[i].requires) for i in idx}
        # a complete step to a principal makes a conditional one to it redundant (a write of its
        # policies is no way to act as it, so it neither stands in for one nor is hidden by one)
        complete = any(not hops[i].needs and not hops[i].conditional and hops[i].method not in POLICY_WRITE for i in idx)
        for i in idx:
            h = hops[i]
            if complete and (h.needs or h.conditional) and h.method not in POLICY_WRITE:
                drop.add(i)
            elif any(j != i and acts[j] < acts[i] and (not hops[j].needs or h.needs)
                     and (h.conditional or not hops[j].conditional) for j in idx):
                drop.add(i)
    return [h for i, h in enumerate(hops) if i not in drop]
