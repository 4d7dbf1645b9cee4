"""Principals of a snapshot with their effective policies, and the escalation methods (data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache


from iam_analyzer.iam.organizations import Guardrails
from iam_analyzer import yamlio
from iam_analyzer.iam.policy import Policy, parse_policy_lenient
from iam_analyzer.model import Account
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
    # the organization's layer (analyze/org.py): SCPs/RCPs in force, and what the request
    # context is known to hold or lack for their conditions
    guardrails: "Guardrails | None" = None
    org_context: dict = field(default_factory=dict)
    absent: frozenset = frozenset()

    _context: dict | None = field(default=None, repr=False, compare=False)

    @property
    def context(self) -> dict:
        """The request context (a fresh copy; computed once: "now" is the time of the analysis)."""
        if self._context is None:
            self._context = self._make_context()
        return dict(self._context)

    def _make_context(self) -> dict:
        now = datetime.now(timezone.utc)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        # what is known of a request an attacker makes now: who, and when (credentials they
        # would use are issued now too); anything else stays unknown -> conditional
        ctx = {"aws:PrincipalArn": self.arn, "aws:PrincipalAccount": self.account,
               "aws:CurrentTime": stamp, "aws:TokenIssueTime": stamp, "aws:EpochTime": str(int(now.timestamp())),
               "aws:PrincipalType": "User" if self.kind == "user" else "AssumedRole"}
        if self.kind == "user":
            ctx["aws:username"] = self.name
        ctx.update(self.org_context)
        return ctx


@lru_cache(maxsize=1)
def _escalation_data() -> dict:
    return yamlio.safe_load((rules_dir() / "escalation.yaml").read_text())


def escalation_methods() -> list[dict]:
    return _escalation_data()["methods"]


def escalation_chains() -> list[dict]:
    """Catalog paths that are two methods in a row (documentation and tests; the graph joins
    the steps by itself)."""
    return _escalation_data().get("chains", [])


def _doc(d):
    return parse_policy_lenient(d or {"Statement": []})[0]


def principals_from_account(acct: Account, view=None) -> dict[str, Principal]:
    """The account's principals; ``view`` (analyze.org.OrgView) adds the organization's layer."""
    out = _principals(acct)
    if view is not None and view.active:
        tags = {x.arn: x.tags for x in [*acct.roles, *acct.users]}
        for p in out.values():
            if p.kind == "group":
                continue
            po = view.for_principal(p.arn, p.account, tags.get(p.arn))
            p.guardrails, p.org_context, p.absent = po.guardrails, po.context, po.absent
    return out


def _principals(acct: Account) -> dict[str, Principal]:
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
