"""Escalation search: the steps each principal can take (edges), and the privileged principals
it reaches through them."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx

from iam_analyzer.analyze.graph.effective import Analyzer
from iam_analyzer.analyze.graph.principals import Principal, escalation_methods
from iam_analyzer.iam.evaluate import Result


@dataclass
class Hop:
    source: str
    target: str
    method: str
    requires: list[dict]  # [{action, resource, result, statements}]
    conditional: bool = False

    def as_dict(self) -> dict:
        return {"from": self.source, "to": self.target, "method": self.method, "conditional": self.conditional,
                "requires": self.requires}


def _statements(an: Analyzer, p: Principal, action: str, resource: str) -> list[dict]:
    d = an.decision(p, action, resource)
    return [{"policy": m.policy, "sid": m.statement.sid, "statement": m.statement.index} for m in d.allows][:3]


MAX_TARGETS = 5  # privileged principals reported per principal (nearest first)
METHOD_YIELDS = {m["id"]: m["yields"] for m in escalation_methods()}
# Writing another principal's policies yields everything once one can also act as it.
POLICY_WRITE = {"AttachUserPolicy", "PutUserPolicy", "AttachRolePolicy", "PutRolePolicy"}
CONTROL = {"AssumeRole", "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "UpdateAssumeRolePolicy"}


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
        for a, p in self.an.principals.items():
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

    def edges_from(self, p: Principal) -> list[Hop]:
        """Every escalation step available to a principal: to itself (gaining any permission)
        or to another principal whose permissions it can take."""
        an = self.an
        out: list[Hop] = []
        if p.kind == "group":
            return out
        users = [x for x in an.principals.values() if x.kind == "user" and x.account == p.account]
        roles = [x for x in an.principals.values() if x.kind == "role" and x.account == p.account]
        my_groups = [an.principals[g] for g in p.groups if g in an.principals]
        all_groups = [x for x in an.principals.values() if x.kind == "group" and x.account == p.account]
        my_policies = sorted(set(p.managed) | {m for g in my_groups for m in g.managed})
        customer = [a for a in my_policies if ":aws:policy/" not in a]
        possible = an.possible(p)
        # a principal whose policies p can write is worth reaching too (write, then act as it)
        writes_roles = bool(possible & {"iam:putrolepolicy", "iam:attachrolepolicy"})
        writes_users = bool(possible & {"iam:putuserpolicy", "iam:attachuserpolicy"})
        interesting = self.interesting | (
            {x.arn for x in roles} if writes_roles else set()) | ({x.arn for x in users} if writes_users else set())
        for m in escalation_methods():
            reqs = m["requires"]
            first = reqs[0]
            on = first["target"]
            if first["action"].lower() not in possible and on != "trusting-role":
                continue
            targets: list[tuple[str, list[str]]] = []  # (target principal/function, resources for req 0)
            if on == "*":
                targets = [(p.arn, an.candidates(p, first["action"]))]
            elif on == "policy":
                targets = [(p.arn, customer)] if customer else []
            elif on in ("self-or-user", "self-or-role"):
                kind = "user" if on == "self-or-user" else "role"
                if p.kind == kind:
                    targets.append((p.arn, [p.arn]))
                targets += [(x.arn, [x.arn]) for x in (users if kind == "user" else roles)
                            if x.arn != p.arn and x.arn in interesting]
            elif on == "other-user":
                targets = [(x.arn, [x.arn]) for x in users if x.arn != p.arn and x.arn in interesting]
            elif on == "other-role":
                targets = [(x.arn, [x.arn]) for x in roles if x.arn != p.arn and x.arn in interesting]
            elif on == "group":
                groups = all_groups if m["id"] == "AddUserToGroup" else my_groups
                targets = [(g.arn, [g.arn]) for g in groups]
            elif on == "passable-role":
                targets = [(x.arn, [x.arn]) for x in roles
                           if x.arn in interesting and an.service_trusted(x, first.get("service", ""))]
            elif on == "function":
                targets = [(f.role_arn, [f.arn]) for f in an.functions.values() if f.role_arn in interesting]
            elif on == "trusting-role":
                # roles that name this principal; those that trust its whole account (or everyone)
                # only when its own policies allow sts:AssumeRole
                named = set(self.trust_index.get(p.arn, []))  # always followed: chains go through plain roles
                wide = set()
                if "sts:assumerole" in possible:
                    wide = (set(self.trust_index.get(p.account, [])) | set(self.trust_index.get("*", []))) & interesting
                for x in (an.principals[n] for n in sorted(named | wide)):
                    if x.arn == p.arn:
                        continue
                    t = an.trusts(x, p)
                    if t in (Result.ALLOW, Result.CONDITIONAL):
                        out.append(Hop(p.arn, x.arn, m["id"], [{"action": "sts:AssumeRole", "resource": x.arn,
                                                                "result": t.value,
                                                                "statements": _statements(an, p, "sts:AssumeRole", x.arn)}],
                                       t is Result.CONDITIONAL))
                continue
            for target, resources in targets:
                got = []
                conditional = False
                ok = True
                for i, r in enumerate(reqs):
                    if i == 0:
                        extra = {"iam:PassedToService": r["service"]} if r["action"].lower() == "iam:passrole" else None
                        hit = self._req(p, r["action"], resources, extra)
                    elif r["target"] == "other-role":
                        hit = self._req(p, r["action"], [target])
                    else:
                        hit = self._req(p, r["action"], an.candidates(p, r["action"]))
                    if hit is None:
                        ok = False
                        break
                    conditional |= hit[1] is Result.CONDITIONAL
                    got.append({"action": r["action"], "resource": hit[0], "result": hit[1].value,
                                "statements": _statements(an, p, r["action"], hit[0])})
                if ok:
                    dest = p.arn if on in ("*", "policy", "group") and m["id"] != "AddUserToGroup" else target
                    if m["id"] == "AddUserToGroup":
                        dest = target
                    out.append(Hop(p.arn, dest, m["id"], got, conditional))
        return out

    def privileged(self, arn: str, self_escalators: set[str]) -> bool:
        return self.admin.get(arn, False) or arn in self_escalators

    def find(self) -> tuple[list[dict], nx.MultiDiGraph]:
        an = self.an
        g = nx.MultiDiGraph()
        hops_by: dict[str, list[Hop]] = {}
        for arn, p in an.principals.items():
            hops_by[arn] = [] if self.admin.get(arn) else self.edges_from(p)
            for h in hops_by[arn]:
                g.add_edge(h.source, h.target, key=h.method, hop=h)
        # a principal that can grant itself any permission is as good as an administrator
        self_escalators = {arn for arn, hops in hops_by.items()
                           if any(h.target == arn and h.method not in ("AssumeRole",) for h in hops)}
        findings = []
        for arn, p in sorted(an.principals.items()):
            if p.kind == "group" or self.admin.get(arn):
                continue
            for h in hops_by[arn]:
                if h.target == arn:
                    findings.append(_finding(p, [h], METHOD_YIELDS.get(h.method, "any permission"), h.conditional))
            # principals whose policies this one can rewrite: worth everything once it can act as them
            writable = {h.target: h for h in hops_by[arn] if h.method in POLICY_WRITE and h.target != arn}
            # shortest paths to privileged principals through others (the nearest few)
            seen = {arn}
            queue = deque([(arn, [])])
            reached = 0
            while queue and reached < MAX_TARGETS:
                node, path = queue.popleft()
                for h in hops_by.get(node, []):
                    if h.target in seen or h.target == node or h.method in POLICY_WRITE:
                        continue  # writing a principal's policies does not make one that principal
                    seen.add(h.target)
                    npath = path + [h]
                    if h.target in writable and h.method in CONTROL:
                        full = [writable[h.target]] + npath
                        findings.append(_finding(p, full, f"any permission: it can rewrite the policies of {h.target} "
                                                          "and act as it", any(x.conditional for x in full)))
                        reached += 1
                    elif self.privileged(h.target, self_escalators):
                        yields = "administrator" if self.admin.get(h.target) else "a principal that can escalate itself"
                        findings.append(_finding(p, npath, f"{yields}: {h.target}", any(x.conditional for x in npath)))
                        reached += 1
                    elif len(npath) < 5:
                        queue.append((h.target, npath))
        return findings, g


def _finding(p: Principal, path: list[Hop], yields: str, conditional: bool) -> dict:
    return {"principal": p.arn, "principal_type": p.kind, "method": path[-1].method if len(path) == 1 else "+".join(h.method for h in path),
            "path": [h.as_dict() for h in path], "yields": yields, "conditional": conditional, "hops": len(path)}
