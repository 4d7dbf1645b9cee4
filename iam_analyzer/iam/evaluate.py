"""The one policy evaluator: AWS's documented single-account evaluation logic.

1. An explicit Deny in any policy that applies wins.
2. Otherwise the request is allowed when an identity policy allows it and the permission
   boundary (if any) allows it too, or when a resource policy allows it for the caller.
3. Otherwise it is implicitly denied.
4. In an organization (``org``: ``organizations.Guardrails``) the request must also be allowed
   by some SCP at every level of the caller's account chain and denied by no SCP, and no RCP
   on the resource's account may deny it (for the services RCPs cover).

Conditions are evaluated against the request context. A condition on a key that is not in
the context makes the statement *unknown*, unless the caller says the context is complete,
in which case the key is absent and IAM's rules for absent keys apply. An unknown allow
(or an unknown deny next to an allow) gives CONDITIONAL, never a silent ALLOW.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Iterable, Mapping, Sequence

from . import arn as arnlib
from . import wildcard
from .organizations import Guardrails, rcp_covers
from .policy import Condition, Policy, Principal, Statement
from .validate import lenient_date

Tri = bool | None  # True, False, or None for "depends on something we do not know"


class Result(str, Enum):
    ALLOW = "ALLOW"
    EXPLICIT_DENY = "EXPLICIT_DENY"
    IMPLICIT_DENY = "IMPLICIT_DENY"
    CONDITIONAL = "CONDITIONAL"


@dataclass(frozen=True)
class Request:
    action: str
    resource: str = "*"
    principal: str | None = None  # caller ARN, for resource and trust policies
    context: Mapping[str, object] = field(default_factory=dict)
    context_complete: bool = False  # keys not in context are known to be absent
    # keys (lower case; a prefix when it ends in "/") known to be absent from this request
    absent: frozenset[str] = frozenset()

    def known_absent(self, key: str) -> bool:
        if self.context_complete:
            return True
        lk = key.lower()
        return lk in self.absent or any(a.endswith("/") and lk.startswith(a) for a in self.absent)


@dataclass(frozen=True)
class Match:
    policy: str  # a label for the policy: its name, ARN, or "boundary"
    kind: str  # identity | boundary | resource | scp | rcp
    statement: Statement
    certain: bool  # False when a condition or variable could not be decided


@dataclass
class Decision:
    result: Result
    allows: list[Match] = field(default_factory=list)
    denies: list[Match] = field(default_factory=list)
    # the organization's layer: levels of the chain where no attached SCP allows the request
    # (certain), and the SCP/RCP statements that decide or could decide it
    scp_unallowed: list[str] = field(default_factory=list)
    guardrail_matches: list[Match] = field(default_factory=list)

    @property
    def guardrails_block(self) -> list[str]:
        """The organization's policies (or levels) that certainly block this request: empty
        when nothing of the organization's layer denies it for sure."""
        out = [m.policy for m in self.guardrail_matches if not m.statement.is_allow and m.certain]
        out += [f"{label}: no SCP attached there allows it" for label in self.scp_unallowed]
        return list(dict.fromkeys(out))

    @property
    def guardrails_uncertain(self) -> list[Match]:
        """SCP/RCP statements whose conditions could not be decided."""
        return [m for m in self.guardrail_matches if not m.certain]

    @property
    def allowed(self) -> bool:
        return self.result is Result.ALLOW

    @property
    def deciding(self) -> list[Match]:
        if self.result is Result.EXPLICIT_DENY:
            return [m for m in self.denies if m.certain]
        return self.allows + self.denies


def _and(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def _or(a: Tri, b: Tri) -> Tri:
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


# -- context ----------------------------------------------------------------------------------


def _ctx_lookup(context: Mapping[str, object], key: str) -> list[str] | None:
    lk = key.lower()
    for k, v in context.items():
        if k.lower() == lk:
            if v is None:
                return None
            if isinstance(v, (list, tuple, set, frozenset)):
                return [_as_str(x) for x in v]
            return [_as_str(v)]
    return None


def _as_str(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_VAR_RE = re.compile(r"\$\{([^}]*)\}")


def _substitute(text: str, request: Request) -> str | None:
    """Replace policy variables from the context; None when one is unknown."""
    if "${" not in text:
        return text
    missing = False

    def repl(m: re.Match) -> str:
        nonlocal missing
        name = m.group(1)
        if name in ("*", "?", "$"):
            return {"*": "\x01", "?": "\x02", "$": "$"}[name]
        default = None
        if ", " in name:  # ${aws:username, 'default'}
            name, _, default = name.partition(", ")
            default = default.strip("'")
        vals = _ctx_lookup(request.context, name)
        if vals:
            return vals[0]
        if default is not None:
            return default
        missing = True
        return ""

    out = _VAR_RE.sub(repl, text)
    return None if missing else out


def _resolve_literal(text: str) -> str:
    return text.replace("\x01", "*").replace("\x02", "?")


# -- element matching -----------------------------------------------------------------------


def action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(wildcard.matches(p, action, ignore_case=True) for p in patterns)


def _resource_match(pattern: str, request: Request) -> Tri:
    if "${" in pattern:
        sub = _substitute(pattern, request)
        if sub is None:
            return None if arnlib.matches(pattern, request.resource) else False
        pattern = _resolve_literal(sub)
    # A request on "*" (an action with no resource type) matches only a pattern such as "*".
    return arnlib.matches(pattern, request.resource)


def _any_resource(patterns: Sequence[str], request: Request) -> Tri:
    # A pattern written exactly as the requested resource matches it (every wildcard character
    # matches itself): decided without matching each of a statement's hundreds of resources.
    if "${" not in request.resource and request.resource in patterns:
        return True
    out: Tri = False
    for p in patterns:
        out = _or(out, _resource_match(p, request))
        if out is True:
            return True
    return out


def principal_matches(principal: Principal, caller: str | None) -> Tri:
    """Does a Principal element name this caller (an ARN, service or account)?"""
    if principal.is_everyone:
        return True
    if caller is None:
        return None
    for kind, value in principal.all_values():
        if kind == "Service" and value == caller:
            return True
        if kind == "Federated" and value == caller:
            return True
        if kind != "AWS":
            continue
        if value == caller:
            return True
        account = value if re.fullmatch(r"\d{12}", value) else None
        if value.endswith(":root"):
            account = value.split(":")[4]
        caller_arn = arnlib.try_parse(caller)
        if account and caller_arn and caller_arn.account == account:
            return True
        if re.fullmatch(r"\d{12}", caller) and account == caller:
            return True
        # A role ARN also names its sessions: arn:aws:sts::ACCT:assumed-role/NAME/SESSION.
        if caller_arn and caller_arn.service == "sts" and caller_arn.resource.startswith("assumed-role/"):
            role_name = caller_arn.resource.split("/")[1]
            v = arnlib.try_parse(value)
            if v and v.service == "iam" and v.account == caller_arn.account and v.resource.split("/")[-1] == role_name:
                return True
    return False


# -- conditions -----------------------------------------------------------------------------


def _parse_date(v: str) -> datetime | None:
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", v):
            return datetime.fromtimestamp(float(v), tz=timezone.utc)
        d = datetime.fromisoformat(v.replace("Z", "+00:00"))
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return lenient_date(v)  # a spelling only IAM's lenient parser reads (lint: PL021)


def _num(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _value_match(base: str, ctx: str, pol: str) -> bool:
    """Positive form of the operator: does one context value satisfy one policy value?"""
    b = base.replace("Not", "") if base not in ("NotIpAddress",) else "IpAddress"
    if b in ("StringEquals",):
        return ctx == pol
    if b == "StringEqualsIgnoreCase":
        return ctx.lower() == pol.lower()
    if b == "StringLike":
        return wildcard.matches(pol, ctx)
    if b in ("ArnEquals", "ArnLike"):
        return arnlib.matches(pol, ctx) if wildcard.has_wildcard(pol) else ctx == pol
    if b == "Bool":
        return ctx.lower() == pol.lower()
    if b == "BinaryEquals":
        return ctx == pol
    if b.startswith("Numeric"):
        x, y = _num(ctx), _num(pol)
        if x is None or y is None:
            return False
        return {
            "NumericEquals": x == y, "NumericLessThan": x < y, "NumericLessThanEquals": x <= y,
            "NumericGreaterThan": x > y, "NumericGreaterThanEquals": x >= y,
        }[b]
    if b.startswith("Date"):
        x, y = _parse_date(ctx), _parse_date(pol)
        if x is None or y is None:
            return False
        return {
            "DateEquals": x == y, "DateLessThan": x < y, "DateLessThanEquals": x <= y,
            "DateGreaterThan": x > y, "DateGreaterThanEquals": x >= y,
        }[b]
    if b == "IpAddress":
        try:
            return ipaddress.ip_address(ctx) in ipaddress.ip_network(pol, strict=False)
        except ValueError:
            return False
    return False


def evaluate_condition(cond: Condition, request: Request) -> Tri:
    op = cond.operator
    values = []
    for v in cond.values:
        sub = _substitute(v, request)
        if sub is None:
            return None
        values.append(_resolve_literal(sub))
    ctx = _ctx_lookup(request.context, cond.key)
    if ctx is None:
        if not request.known_absent(cond.key):
            return None
        # The key is known to be absent from the request.
        if op.base == "Null":
            return any(v.lower() == "true" for v in values)
        if op.if_exists:
            return True
        if op.set_op == "ForAllValues":
            return True
        if op.set_op == "ForAnyValue":
            return False
        return op.negated
    if op.base == "Null":
        return any(v.lower() == "false" for v in values)
    negated = op.negated

    def one(c: str) -> bool:
        hit = any(_value_match(op.base, c, p) for p in values)
        return not hit if negated else hit

    if op.set_op == "ForAllValues":
        return all(one(c) for c in ctx)
    if op.set_op == "ForAnyValue":
        return any(one(c) for c in ctx)
    if negated:
        return all(one(c) for c in ctx)
    return any(one(c) for c in ctx)


def conditions_hold(conditions: Sequence[Condition], request: Request) -> Tri:
    out: Tri = True
    for c in conditions:
        out = _and(out, evaluate_condition(c, request))
        if out is False:
            return False
    return out


def statement_applies(st: Statement, request: Request, *, check_principal: bool = False) -> Tri:
    """Does this statement apply to the request (ignoring its Effect)?"""
    if st.actions is not None:
        if not action_matches(st.actions, request.action):
            return False
    elif action_matches(st.not_actions or (), request.action):
        return False
    res: Tri = True
    if st.resources is not None:
        res = _any_resource(st.resources, request)
    elif st.not_resources is not None:
        hit = _any_resource(st.not_resources, request)
        res = None if hit is None else not hit
    if res is False:
        return False
    if check_principal:
        if st.principal is not None:
            res = _and(res, principal_matches(st.principal, request.principal))
        elif st.not_principal is not None:
            pm = principal_matches(st.not_principal, request.principal)
            res = _and(res, None if pm is None else not pm)
        if res is False:
            return False
    return _and(res, conditions_hold(st.conditions, request))


PolicyInput = Policy | tuple[str, Policy]


def _named(policies: Iterable[PolicyInput] | None, kind: str) -> list[tuple[str, Policy]]:
    out = []
    for i, p in enumerate(policies or ()):
        if isinstance(p, tuple):
            out.append(p)
        else:
            out.append((f"{kind}[{i}]", p))
    return out


def _scan(policies, kind, request, check_principal, allows, denies) -> tuple[Tri, Tri]:
    allow: Tri = False
    deny: Tri = False
    for name, pol in policies:
        for st in pol.statements:
            hit = statement_applies(st, request, check_principal=check_principal)
            if hit is False:
                continue
            m = Match(policy=name, kind=kind, statement=st, certain=hit is True)
            if st.is_allow:
                allows.append(m)
                allow = _or(allow, hit)
            else:
                denies.append(m)
                deny = _or(deny, hit)
    return allow, deny


def _guardrails(org: Guardrails, request: Request, decision: Decision) -> tuple[Tri, Tri]:
    """The organization's layer: (allowed by every SCP level, denied by an SCP or RCP)."""
    allow: Tri = True
    deny: Tri = False
    for label, policies in org.scp_levels:
        level: Tri = False
        for name, pol in policies:
            for st in pol.statements:
                hit = statement_applies(st, request)
                if hit is False:
                    continue
                decision.guardrail_matches.append(Match(policy=name, kind="scp", statement=st, certain=hit is True))
                if st.is_allow:
                    level = _or(level, hit)
                else:
                    deny = _or(deny, hit)
        if level is False:
            decision.scp_unallowed.append(label)
        allow = _and(allow, level)
    if rcp_covers(request.action):
        policies, owner_known = org.rcps_for(request.resource)
        for name, pol in policies:
            for st in pol.statements:
                if st.is_allow:  # only RCPFullAWSAccess allows, and it is attached everywhere
                    continue
                hit = statement_applies(st, request, check_principal=True)
                if hit is False:
                    continue
                if not owner_known:  # the resource may belong to an account the RCP does not cover
                    hit = None
                decision.guardrail_matches.append(Match(policy=name, kind="rcp", statement=st, certain=hit is True))
                deny = _or(deny, hit)
    return allow, deny


def evaluate(
    request: Request,
    identity: Iterable[PolicyInput] = (),
    boundary: Iterable[PolicyInput] | PolicyInput | None = None,
    resource_policy: PolicyInput | None = None,
    org: Guardrails | None = None,
) -> Decision:
    """Decide one request. ``boundary`` may be one policy or several (all must allow).
    ``org``: the organization's SCPs and RCPs in force for the caller (None: none modelled)."""
    allows: list[Match] = []
    denies: list[Match] = []
    id_allow, id_deny = _scan(_named(identity, "identity"), "identity", request, False, allows, denies)
    deny = id_deny
    allowed = id_allow
    if boundary is not None:
        bset = [boundary] if isinstance(boundary, (Policy, tuple)) else list(boundary)
        b_allow, b_deny = _scan(_named(bset, "boundary"), "boundary", request, False, allows, denies)
        deny = _or(deny, b_deny)
        allowed = _and(allowed, b_allow)
    if resource_policy is not None:
        r_allow, r_deny = _scan(_named([resource_policy], "resource"), "resource", request, True, allows, denies)
        deny = _or(deny, r_deny)
        allowed = _or(allowed, r_allow)
    decision = Decision(result=Result.IMPLICIT_DENY, allows=allows, denies=denies)
    if org is not None and not org.empty:
        g_allow, g_deny = _guardrails(org, request, decision)
        denies.extend(m for m in decision.guardrail_matches if not m.statement.is_allow)
        deny = _or(deny, g_deny)
        allowed = _and(allowed, g_allow)
    if deny is True:
        result = Result.EXPLICIT_DENY
    elif allowed is False:
        result = Result.IMPLICIT_DENY
    elif allowed is True and deny is False:
        result = Result.ALLOW
    else:
        result = Result.CONDITIONAL
    decision.result = result
    return decision
