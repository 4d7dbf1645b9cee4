"""The organization's layer for each principal: which SCPs and RCPs are in force for its
requests (``iam.organizations.Guardrails``) and what its request context is known to hold for
their conditions. Every verdict (escalation, effective permissions, generation, the gate)
gets its guardrails from here and hands them to the one evaluator.

SCPs apply to a member account's users and roles, not to the management account nor to
service-linked roles; a policy type the root has not enabled restricts nothing; an account the
organization does not list (or a snapshot without an organization) has no guardrails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iam_analyzer.iam.organizations import (FULL_ACCESS_DOC, FULL_ACCESS_NAMES, RCP, SCP, Guardrails, Named,
                                            is_service_linked_role)
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.model import Snapshot
from iam_analyzer.model_org import OrgAccount, OrgLevel, OrgPolicy, Organization

# Keys a direct call by an IAM user or role never carries (lower case; "/" ends a prefix).
_ABSENT_DIRECT = frozenset({"aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:principalservicename",
                            "aws:principalservicenameslist"})


@dataclass
class PrincipalOrg:
    guardrails: Guardrails | None = None
    context: dict = field(default_factory=dict)
    absent: frozenset[str] = frozenset()


class OrgView:
    """The organization of a snapshot, parsed once."""

    def __init__(self, org: Organization | None):
        self.org = org
        self.docs: dict[str, Named] = {}
        if org is None:
            return
        for p in org.policies:
            label = f"{p.id} ({p.name})" if p.name and p.name != p.id else p.id
            self.docs[p.id] = (label, parse_policy_lenient(p.document or {"Statement": []})[0])
        self._rcps: dict[str, tuple[Named, ...]] = {}
        if org.rcp_enabled:
            for acct in org.accounts:
                if acct.account_id == org.management_account_id:
                    continue  # RCPs do not affect the management account's resources
                named = [self.docs[i] for lvl in acct.chain for i in lvl.rcps if i in self.docs]
                self._rcps[acct.account_id] = tuple(dict.fromkeys(named))

    @property
    def active(self) -> bool:
        return bool(self.org and self.org.accounts)

    def _levels(self, chain: list[OrgLevel]) -> tuple[tuple[str, tuple[Named, ...]], ...]:
        out = []
        for lvl in chain:
            named = tuple(self.docs[i] for i in lvl.scps if i in self.docs)
            if not named:
                # no policy known at this level (not read, or the read failed): AWS never leaves
                # a level without an SCP, so unknown is not "nothing allowed"
                continue
            label = f"{lvl.kind} {lvl.id}" + (f" ({lvl.name})" if lvl.name and lvl.name != lvl.id else "")
            out.append((label, named))
        return tuple(out)

    def for_principal(self, arn: str, account_id: str, tags: dict | None = None) -> PrincipalOrg:
        org = self.org
        if org is None:
            return PrincipalOrg()
        acct = org.account(account_id)
        if acct is None:
            return PrincipalOrg()
        scp_applies = org.scp_enabled and account_id != org.management_account_id and not is_service_linked_role(arn)
        levels = self._levels(acct.chain) if scp_applies else ()
        g = Guardrails(scp_levels=levels, rcps=self._rcps, own_account=account_id)
        ctx: dict = {"aws:PrincipalIsAWSService": "false"}
        if org.id:
            ctx["aws:PrincipalOrgID"] = org.id
            path = [lvl.id for lvl in acct.chain if lvl.kind in ("root", "ou")]
            if path and path[0].startswith("r-"):
                ctx["aws:PrincipalOrgPaths"] = ["/".join([org.id, *path]) + "/"]
        absent = set(_ABSENT_DIRECT)
        if tags is not None:
            for k, v in tags.items():
                ctx[f"aws:PrincipalTag/{k}"] = v
            absent.add("aws:principaltag/")
        return PrincipalOrg(g, ctx, frozenset(absent))


def org_view(snapshot: Snapshot) -> OrgView:
    """The snapshot's organization view, computed once per snapshot object."""
    got = snapshot.__dict__.get("_org_view")
    if got is None or got.org is not snapshot.organization:
        got = OrgView(snapshot.organization)
        snapshot.__dict__["_org_view"] = got
    return got


def denied_actions(snapshot: Snapshot, role_arn: str, account_id: str, region: str | None, actions: set[str]) -> set[str]:
    """Which of these actions the organization's guardrails deny a role on every resource
    (effective permissions for the report); computed once per role and region."""
    from iam_analyzer.iam.guardrail_grants import blocked_grant, requested_region

    if not org_view(snapshot).active or not actions:
        return set()
    cache = snapshot.__dict__.setdefault("_denied_actions", {})
    key = (role_arn, region, len(actions))
    got = cache.get(key)
    if got is None:
        po = role_guardrails(snapshot, role_arn, account_id)
        got = set()
        if po.guardrails is not None:
            for a in actions:
                ctx = dict(po.context)
                reg = requested_region(a, "*", region)
                if reg:
                    ctx["aws:RequestedRegion"] = reg
                if blocked_grant(po.guardrails, a, "*", ctx, po.absent):
                    got.add(a)
        cache[key] = got
    return set(got)


def role_guardrails(snapshot: Snapshot, role_arn: str, account_id: str, region: str | None = None) -> PrincipalOrg:
    """The guardrails and context of a role's requests (a function's: ``region`` is where it runs)."""
    role = snapshot.find_role(role_arn)
    po = org_view(snapshot).for_principal(role_arn, account_id, role.tags if role else None)
    if po.guardrails is not None:
        po.context.update({"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": account_id})
        if region:
            po.context["aws:RequestedRegion"] = region
    return po


def attach_files(snapshot: Snapshot, policies: list[OrgPolicy], facts: dict | None = None) -> None:
    """Apply SCP/RCP files to every principal of the account(s) read: one more level ("files")
    in each account's chain, below what a scan of the organization recorded. When no SCP file
    allows anything (deny-list SCPs), the level also holds FullAWSAccess, as AWS attaches it
    by default; give the allow-list SCP itself to model an allow-list strategy."""
    if not policies:
        return
    org = snapshot.organization or Organization()
    facts = facts or {}
    org.id = org.id or facts.get("organization_id", "")
    org.management_account_id = org.management_account_id or facts.get("management_account_id", "")
    scps = [p for p in policies if p.type == SCP]
    rcps = [p for p in policies if p.type == RCP]
    known = {p.id for p in org.policies}
    org.policies.extend(p for p in policies if p.id not in known)
    level = OrgLevel(id="files", kind="files", name="--scp/--rcp files", scps=[p.id for p in scps],
                     rcps=[p.id for p in rcps])
    if scps and not any(st.is_allow for p in scps for st in parse_policy_lenient(p.document)[0].statements):
        if org.policy(FULL_ACCESS_ID) is None:
            org.policies.append(OrgPolicy(id=FULL_ACCESS_ID, name=FULL_ACCESS_NAMES[SCP], type=SCP,
                                          document=FULL_ACCESS_DOC, aws_managed=True, source="assumed"))
        level.scps.insert(0, FULL_ACCESS_ID)
    ids = [a.account_id for a in snapshot.accounts if a.account_id] + [a.account_id for a in org.accounts]
    for account_id in dict.fromkeys(ids):
        acct = org.account(account_id)
        if acct is None:
            acct = OrgAccount(account_id=account_id)
            org.accounts.append(acct)
        acct.chain.append(OrgLevel(level.id, level.kind, level.name, list(level.scps), list(level.rcps)))
    snapshot.organization = org
    for cached in ("_org_view", "_denied_actions"):  # answers computed before the files came
        snapshot.__dict__.pop(cached, None)


FULL_ACCESS_ID = "p-FullAWSAccess"
