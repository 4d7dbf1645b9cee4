"""The permission graph: who can invoke what, what runs as which role, and escalation paths.

Built from a snapshot (or a plain ``get-account-authorization-details`` file) into a
networkx ``MultiDiGraph``. Every permission question is asked of the one evaluator
(``iam.evaluate``) on the principal's effective policies: inline, managed and group
policies, explicit Deny, the permissions boundary, and conditions evaluated where the
context is known (the principal's own ARN, account, name, the current time), otherwise
reported as conditional.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import networkx as nx
import yaml

from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.evaluate import Request, Result, evaluate, statement_applies
from iam_analyzer.iam.policy import Policy, parse_policy_lenient
from iam_analyzer.model import Account, Snapshot
from iam_analyzer.resources import rules_dir

ADMIN_PROBES = ("iam:CreateUser", "s3:DeleteBucket", "ec2:TerminateInstances", "lambda:UpdateFunctionCode",
                "kms:ScheduleKeyDeletion", "dynamodb:DeleteTable", "sts:AssumeRole")


@dataclass
class Principal:
    arn: str
    kind: str  # user | role | group
    name: str
    account: str
    policies: list[tuple[str, Policy]] = field(default_factory=list)
    boundary: Policy | None = None
    groups: list[str] = field(default_factory=list)  # group ARNs (users)
    trust: Policy | None = None  # roles
    managed: list[str] = field(default_factory=list)

    @property
    def context(self) -> dict:
        now = datetime.now(timezone.utc)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        # what is known of a request an attacker makes now: who, and when (credentials they
        # would use are issued now too); anything else stays unknown -> conditional
        ctx = {"aws:PrincipalArn": self.arn, "aws:PrincipalAccount": self.account,
               "aws:CurrentTime": stamp, "aws:TokenIssueTime": stamp, "aws:EpochTime": str(int(now.timestamp())),
               "aws:PrincipalType": "User" if self.kind == "user" else "AssumedRole"}
        if self.kind == "user":
            ctx["aws:username"] = self.name
        return ctx


@lru_cache(maxsize=1)
def escalation_methods() -> list[dict]:
    return yaml.safe_load((rules_dir() / "escalation.yaml").read_text())["methods"]


def _doc(d):
    return parse_policy_lenient(d or {"Statement": []})[0]


def principals_from_account(acct: Account) -> dict[str, Principal]:
    out: dict[str, Principal] = {}
    policy_docs = {p.arn: _doc(p.document) for p in acct.policies}

    def managed(arns):
        return [(a, policy_docs[a]) for a in arns if a in policy_docs]

    groups = {}
    for g in acct.groups:
        pols = [(f"inline:{g.name}/{p.name}", _doc(p.document)) for p in g.inline_policies] + managed(g.managed_policy_arns)
        groups[g.name] = g.arn
        out[g.arn] = Principal(g.arn, "group", g.name, acct.account_id, pols, managed=list(g.managed_policy_arns))
    for u in acct.users:
        pols = [(f"inline:{u.name}/{p.name}", _doc(p.document)) for p in u.inline_policies] + managed(u.managed_policy_arns)
        garns = [groups[n] for n in u.groups if n in groups]
        for ga in garns:
            pols += out[ga].policies
        out[u.arn] = Principal(u.arn, "user", u.name, acct.account_id, pols,
                               policy_docs.get(u.permissions_boundary_arn) if u.permissions_boundary_arn else None,
                               garns, managed=list(u.managed_policy_arns))
    for r in acct.roles:
        pols = [(f"inline:{r.name}/{p.name}", _doc(p.document)) for p in r.inline_policies] + managed(r.managed_policy_arns)
        out[r.arn] = Principal(r.arn, "role", r.name, acct.account_id, pols,
                               policy_docs.get(r.permissions_boundary_arn) if r.permissions_boundary_arn else None,
                               trust=_doc(r.trust_policy), managed=list(r.managed_policy_arns))
    return out


class Analyzer:
    """Effective permissions and escalation analysis over one snapshot."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.cat = default_catalog()
        self.principals: dict[str, Principal] = {}
        for acct in snapshot.accounts:
            self.principals.update(principals_from_account(acct))
        self.functions = {f.arn: f for f in snapshot.functions()}
        self._eval_cache: dict = {}
        self._possible: dict[str, frozenset[str]] = {}
        self._policy_possible: dict[int, frozenset[str]] = {}
        self.relevant = frozenset(r["action"].lower() for m in escalation_methods() for r in m["requires"]) | frozenset(
            a.lower() for a in ADMIN_PROBES) | {"iam:passrole", "sts:assumerole"}

    # -- effective permissions ---------------------------------------------------------------
    def decide(self, p: Principal, action: str, resource: str, extra: dict | None = None) -> Result:
        key = (p.arn, action.lower(), resource, tuple(sorted((extra or {}).items())))
        hit = self._eval_cache.get(key)
        if hit is None:
            ctx = dict(p.context, **(extra or {}))
            hit = evaluate(Request(action, resource, context=ctx), p.policies, boundary=p.boundary).result
            self._eval_cache[key] = hit
        return hit

    def decision(self, p: Principal, action: str, resource: str, extra: dict | None = None):
        ctx = dict(p.context, **(extra or {}))
        return evaluate(Request(action, resource, context=ctx), p.policies, boundary=p.boundary)

    def possible(self, p: Principal) -> frozenset[str]:
        """Relevant action keys some Allow statement of the principal covers (a quick filter)."""
        got = self._possible.get(p.arn)
        if got is None:
            acc: set[str] = set()
            for _, pol in p.policies:
                acc |= self._policy_relevant(pol)
            got = self._possible[p.arn] = frozenset(acc)
        return got

    def _policy_relevant(self, pol: Policy) -> frozenset[str]:
        got = self._policy_possible.get(id(pol))
        if got is None:
            acc = set()
            for st in pol.statements:
                if not st.is_allow:
                    continue
                for key in self.relevant:
                    if statement_applies(st, Request(key, "*"), check_principal=False) is not False or \
                            _action_only(st, key):
                        acc.add(key)
            got = self._policy_possible[id(pol)] = frozenset(acc)
        return got

    def candidates(self, p: Principal, action: str) -> list[str]:
        """Resources to test an 'on any resource' requirement with: the principal's own
        patterns for the action, and the action's resource types instantiated in its account."""
        out = []
        act = self.cat.get(action)
        for _, pol in p.policies:
            for st in pol.statements:
                if st.is_allow and st.resources is not None and any(
                        _pattern_covers(a, action) for a in st.action_patterns if st.actions is not None):
                    out.extend(r for r in st.resources if r != "*" or not (act and act.resource_types))
        if act and act.resource_types:
            for rt in self.cat.action_resource_types(act):
                out.append(_instantiate(rt.arn_format, p.account))
        else:
            out.append("*")
        return list(dict.fromkeys(out))

    def allowed_somewhere(self, p: Principal, action: str) -> Result:
        best = Result.IMPLICIT_DENY
        for r in self.candidates(p, action):
            d = self.decide(p, action, r)
            if d is Result.ALLOW:
                return d
            if d is Result.CONDITIONAL:
                best = d
        return best

    def is_admin(self, p: Principal) -> bool:
        """Administrator-level policies (for a group: what joining it gives)."""
        return all(self.allowed_somewhere(p, a) is Result.ALLOW for a in ADMIN_PROBES)

    def trusts(self, role: Principal, caller: Principal) -> Result:
        """Does the role's trust policy let the caller assume it (same account: trust naming the
        caller suffices; naming the account needs the caller's own sts:AssumeRole too)?"""
        if role.trust is None:
            return Result.IMPLICIT_DENY
        req = Request("sts:AssumeRole", role.arn, principal=caller.arn, context=caller.context)
        allow_named = False
        allow_account = False
        conditional = False
        for st in role.trust.statements:
            if not st.is_allow or st.principal is None:
                continue
            hit = statement_applies(st, req, check_principal=True)
            if hit is False:
                continue
            if hit is None:
                conditional = True
            named = caller.arn in [v for k, v in st.principal.all_values()]
            allow_named |= hit is True and named
            allow_account |= hit is True and not named
        denied = any(not st.is_allow and statement_applies(st, req, check_principal=True) is True
                     for st in role.trust.statements)
        if denied:
            return Result.EXPLICIT_DENY
        identity = self.decide(caller, "sts:AssumeRole", role.arn)
        if allow_named and identity is not Result.EXPLICIT_DENY:
            return Result.ALLOW
        if allow_account and identity is Result.ALLOW:
            return Result.ALLOW
        if (allow_account or conditional) and identity in (Result.ALLOW, Result.CONDITIONAL):
            return Result.CONDITIONAL
        return Result.IMPLICIT_DENY

    def service_trusted(self, role: Principal, service: str) -> bool:
        if role.trust is None:
            return False
        for st in role.trust.statements:
            if st.is_allow and st.principal is not None and any(
                    k == "Service" and v == service for k, v in st.principal.all_values()):
                if any(a.lower() in ("sts:assumerole", "sts:*", "*") for a in st.actions or ()):
                    return True
        return False


def _action_only(st, key: str) -> bool:
    """The statement covers the action (resource ignored): for the quick filter."""
    from iam_analyzer.iam.evaluate import action_matches

    if st.actions is not None:
        return action_matches(st.actions, key)
    return not action_matches(st.not_actions or (), key)


def _pattern_covers(pattern: str, action: str) -> bool:
    from iam_analyzer.iam import wildcard

    return wildcard.matches(pattern, action, ignore_case=True)


_VAR = re.compile(r"\$\{([^}]*)\}")


def _instantiate(arn_format: str, account: str) -> str:
    values = {"Partition": "aws", "Region": "us-east-1", "Account": account, "AccountId": account}
    return _VAR.sub(lambda m: values.get(m.group(1), "*"), arn_format)


# -- escalation ----------------------------------------------------------------------------------


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


# -- the graph --------------------------------------------------------------------------------


def build_graph(snapshot: Snapshot, usage: dict | None = None, analyzer: Analyzer | None = None,
                with_escalation: bool = True) -> nx.MultiDiGraph:
    an = analyzer or Analyzer(snapshot)
    g = nx.MultiDiGraph()
    for arn, p in an.principals.items():
        g.add_node(arn, kind=p.kind, name=p.name, admin=an.is_admin(p) if p.kind != "group" else False)
        for name, _ in p.policies:
            g.add_node(name, kind="policy")
            g.add_edge(arn, name, key="has_policy", type="has_policy")
        for ga in p.groups:
            g.add_edge(arn, ga, key="member_of", type="member_of")
        for name, pol in p.policies:
            for st in pol.statements:
                if not st.is_allow:
                    continue
                for res in st.resource_patterns:
                    node = f"resource:{res}"
                    g.add_node(node, kind="resource", pattern=res)
                    g.add_edge(arn, node, key=f"{name}#{st.index}:{res}", type="grants",
                               actions=",".join(st.action_patterns), not_action=st.not_actions is not None,
                               conditional=bool(st.conditions), policy=name, statement=st.index)
    for fn in snapshot.functions():
        g.add_node(fn.arn, kind="function", name=fn.name, region=fn.region, runtime=fn.runtime or "")
        g.add_edge(fn.arn, fn.role_arn, key="runs_as", type="runs_as")
        for inv in fn.invokers:
            if inv.effect != "Allow":
                continue
            node = "*" if inv.principal_type == "everyone" else (
                f"service:{inv.principal}" if inv.principal_type == "service" else
                f"account:{inv.principal.split(':')[4] if inv.principal.startswith('arn:') else inv.principal}"
                if inv.principal_type == "account" else inv.principal)
            g.add_node(node, kind="invoker", principal_type=inv.principal_type)
            g.add_edge(node, fn.arn, key=f"invokes:{inv.sid}", type="invokes", source_arn=inv.source_arn or "",
                       source_account=inv.source_account or "", actions=",".join(inv.actions),
                       url_auth=inv.function_url_auth_type or "")
        for t in fn.triggers:
            g.add_node(t.source_arn, kind="trigger", trigger_type=t.type)
            g.add_edge(t.source_arn, fn.arn, key=f"triggers:{t.type}", type="triggers")
        for m in fn.event_source_mappings:
            if m.event_source_arn:
                g.add_node(m.event_source_arn, kind="trigger", trigger_type=m.source_type)
                g.add_edge(m.event_source_arn, fn.arn, key=f"triggers:{m.uuid}", type="triggers")
        for u in fn.urls:
            node = f"url:{u.url}"
            g.add_node(node, kind="function_url", auth_type=u.auth_type)
            g.add_edge(node, fn.arn, key="invokes:url", type="invokes", url_auth=u.auth_type)
    if with_escalation:
        esc = Escalations(an)
        for arn, p in an.principals.items():
            for h in esc.edges_from(p):
                etype = {"AssumeRole": "can_assume", "UpdateFunctionCode": "can_modify_function",
                         "UpdateFunctionConfiguration": "can_modify_function"}.get(h.method, "can_pass_role" if h.method.startswith("PassRole") else "can_escalate")
                g.add_edge(h.source, h.target, key=f"{etype}:{h.method}", type=etype, method=h.method, conditional=h.conditional)
    if usage:
        for p in usage.get("principals", []):
            if p.get("function"):
                for a in p.get("actions", []):
                    node = f"resource:{a['resource']}"
                    g.add_node(node, kind="resource", pattern=a["resource"])
                    g.add_edge(p["function"], node, key=f"used:{a['action']}", type="used", action=a["action"], count=a["count"])
    return g


def export(g: nx.MultiDiGraph, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(nx.node_link_data(g, edges="links"), indent=1, default=str)
    if fmt == "graphml":
        h = nx.MultiDiGraph()
        for n, d in g.nodes(data=True):
            h.add_node(n, **{k: (v if isinstance(v, (str, int, float, bool)) else str(v)) for k, v in d.items()})
        for u, v, k, d in g.edges(keys=True, data=True):
            h.add_edge(u, v, key=k, **{kk: (vv if isinstance(vv, (str, int, float, bool)) else str(vv)) for kk, vv in d.items()})
        return "\n".join(nx.generate_graphml(h))
    if fmt == "dot":
        lines = ["digraph iam {", "  rankdir=LR;"]
        ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
        for n, d in g.nodes(data=True):
            label = _dot_escape(d.get("name") or n)
            shape = {"function": "box", "role": "ellipse", "user": "ellipse", "resource": "note", "invoker": "diamond"}.get(d.get("kind"), "plaintext")
            lines.append(f'  {ids[n]} [label="{label}", shape={shape}];')
        for u, v, d in g.edges(data=True):
            lines.append(f'  {ids[u]} -> {ids[v]} [label="{_dot_escape(d.get("type", ""))}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt}")


def _dot_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


# -- GAAD input -------------------------------------------------------------------------------


def snapshot_from_gaad(doc: dict) -> Snapshot:
    """A snapshot (IAM only) from ``aws iam get-account-authorization-details`` output."""
    from iam_analyzer.collect.gaad import account_id_of, fill_account

    if not isinstance(doc, dict) or not any(k in doc for k in ("RoleDetailList", "UserDetailList", "Policies")):
        raise ValueError("not a get-account-authorization-details document (no RoleDetailList, UserDetailList or Policies)")
    return Snapshot(accounts=[fill_account(Account(account_id=account_id_of(doc)), doc)], source={"kind": "gaad"})
