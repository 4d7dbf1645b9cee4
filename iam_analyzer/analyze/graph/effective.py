"""Effective permissions of a principal: every question goes to the one evaluator
(``iam.evaluate``) with the principal's inline, managed and group policies, explicit Deny, the
permissions boundary, and conditions evaluated where the context is known (the principal's own
ARN, account, name, the current time), otherwise reported as conditional."""

from __future__ import annotations

import re

from iam_analyzer.analyze.org import org_view
from iam_analyzer.analyze.graph.principals import ADMIN_PROBES, Principal, escalation_methods, principals_from_account
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.evaluate import Request, Result, evaluate, statement_applies
from iam_analyzer.iam.organizations import is_service_linked_role
from iam_analyzer.iam.policy import Policy, Statement
from iam_analyzer.model import Snapshot


class Analyzer:
    """Effective permissions and escalation analysis over one snapshot."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.cat = default_catalog()
        self.principals: dict[str, Principal] = {}
        view = org_view(snapshot)
        for acct in snapshot.accounts:
            self.principals.update(principals_from_account(acct, view))
        self.functions = {f.arn: f for f in snapshot.functions()}
        self._eval_cache: dict = {}
        self._possible: dict[str, frozenset[str]] = {}
        self._policy_possible: dict[int, frozenset[str]] = {}
        self._actions_relevant: dict[tuple, frozenset[str]] = {}
        self.relevant = frozenset(r["action"].lower() for m in escalation_methods() for r in m["requires"]) | frozenset(
            a.lower() for a in ADMIN_PROBES) | {"iam:passrole", "sts:assumerole"}

    # -- effective permissions ---------------------------------------------------------------
    def decide(self, p: Principal, action: str, resource: str, extra: dict | None = None) -> Result:
        key = (p.arn, action.lower(), resource, tuple(sorted((extra or {}).items())))
        hit = self._eval_cache.get(key)
        if hit is None:
            hit = self.decision(p, action, resource, extra).result
            self._eval_cache[key] = hit
        return hit

    def decision(self, p: Principal, action: str, resource: str, extra: dict | None = None):
        ctx = dict(p.context, **(extra or {}))
        return evaluate(Request(action, resource, context=ctx, absent=p.absent), p.policies, boundary=p.boundary,
                        org=p.guardrails)

    def org_decide(self, p: Principal, action: str, resource: str) -> Result:
        """The organization's layer alone (as if the principal's own policies allowed it)."""
        if p.guardrails is None:
            return Result.ALLOW
        ctx = p.context
        return evaluate(Request(action, resource, context=ctx, absent=p.absent), [_ALLOW_ALL], org=p.guardrails).result

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
            acc: set[str] = set()
            for st in pol.statements:
                if not st.is_allow:
                    continue
                # the filter reads only the action element: statements that list the same
                # actions (common across roles) are answered once
                akey = (st.actions, st.not_actions)
                hit = self._actions_relevant.get(akey)
                if hit is None:
                    hit = self._actions_relevant[akey] = frozenset(k for k in self.relevant if _action_only(st, k))
                acc |= hit
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
        """Administrator-level policies (for a group: what joining it gives). In an organization,
        an administrator within its guardrails: a probe the guardrails deny to every principal
        of the account (an allow-list that omits the service, an unconditional Deny) or may
        not deny (an undecidable condition) does not count against it; one they deny to this
        principal but could let another through (an aws:PrincipalArn exemption) does."""
        if p.guardrails is None:
            return all(self.allowed_somewhere(p, a) is Result.ALLOW for a in ADMIN_PROBES)
        for a in ADMIN_PROBES:
            got = self.allowed_somewhere(p, a)
            if got is Result.ALLOW:
                continue
            resources = self.candidates(p, a)
            if not any(self._identity(p, a, r) is Result.ALLOW for r in resources):
                return False  # its own policies fall short
            if got is Result.CONDITIONAL:
                continue
            if self._someone_passes(p, a, resources):
                return False
        return True

    def _identity(self, p: Principal, action: str, resource: str) -> Result:
        ctx = p.context
        return evaluate(Request(action, resource, context=ctx), p.policies, boundary=p.boundary).result

    def _someone_passes(self, p: Principal, action: str, resources: list[str]) -> bool:
        """Can ``p`` become, in one step, a principal of its account that the organization lets
        do what it certainly denies to ``p`` (an exempted role)? One step: a role whose trust
        names ``p``, its account or everyone, or, when ``p`` may pass roles, one a service may
        assume. Service-linked roles do not count: nobody can act as them."""
        cache = self.__dict__.setdefault("_passes", {})
        key = (p.arn, action.lower())
        got = cache.get(key)
        if got is None:
            got = any(self.org_decide(q, action, r) not in (Result.EXPLICIT_DENY, Result.IMPLICIT_DENY)
                      for q in self._one_step(p) for r in resources)
            cache[key] = got
        return got

    def _one_step(self, p: Principal) -> list[Principal]:
        passes = self.decide(p, "iam:PassRole", "*") in (Result.ALLOW, Result.CONDITIONAL)
        out = []
        for q in self.principals.values():
            if q.kind != "role" or q.arn == p.arn or q.account != p.account or q.trust is None \
                    or q.guardrails is None or is_service_linked_role(q.arn):
                continue
            for st in q.trust.statements:
                if not st.is_allow or st.principal is None:
                    continue
                values = st.principal.all_values()
                named = any(k == "AWS" and (v in (p.arn, p.account, "*") or v.endswith(f":{p.account}:root"))
                            for k, v in values)
                if st.principal.is_everyone or named or (passes and any(k == "Service" for k, _ in values)):
                    out.append(q)
                    break
        return out

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
        guard = self.org_decide(caller, "sts:AssumeRole", role.arn)
        if guard in (Result.EXPLICIT_DENY, Result.IMPLICIT_DENY):
            return guard  # the organization's SCPs (or the role's RCPs) block it whatever the trust says
        if guard is Result.CONDITIONAL and (allow_named or allow_account or conditional) and identity is not Result.EXPLICIT_DENY:
            return Result.CONDITIONAL
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


_ALLOW_ALL = ("(the principal's own policies)", Policy(statements=(Statement(effect="Allow", actions=("*",), resources=("*",)),)))
_VAR = re.compile(r"\$\{([^}]*)\}")


def _instantiate(arn_format: str, account: str) -> str:
    values = {"Partition": "aws", "Region": "us-east-1", "Account": account, "AccountId": account}
    return _VAR.sub(lambda m: values.get(m.group(1), "*"), arn_format)
