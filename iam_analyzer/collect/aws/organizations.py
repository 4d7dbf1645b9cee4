"""AWS Organizations (``scan --organization``): the organization's SCPs and RCPs and, per
account, its chain root -> OUs -> account with the policies attached at each level.

Run from the management account or a delegated administrator. Read-only: ``ListRoots``,
``ListOrganizationalUnitsForParent``, ``ListAccountsForParent``, ``ListPolicies`` (one filter
per policy type), ``DescribePolicy`` and ``ListTargetsForPolicy`` per policy, ``ListParents``
for an account the walk from the root did not reach (the caller's own, when it cannot list
everything). A call that fails becomes a coverage gap; what was read is still recorded, and a
level whose policies could not be read is left without them (``analyze/org.py`` then does not
restrict at that level: unknown is not "nothing allowed").
"""

from __future__ import annotations

import logging
from collections import defaultdict

import botocore.exceptions

from iam_analyzer.collect.aws.session import Clients, error_code
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.organizations import RCP, SCP, read_org_policy
from iam_analyzer.model import CoverageGap
from iam_analyzer.model_org import OrgAccount, OrgLevel, OrgPolicy, Organization

log = logging.getLogger("iam_analyzer.collect.aws")

MAX_DEPTH = 6  # AWS allows five levels of OUs under the root


class OrgReader:
    def __init__(self, clients: Clients, region: str):
        self.client = clients.client("organizations", region)
        self.region = region
        self.gaps: list[CoverageGap] = []

    def _gap(self, operation: str, exc: BaseException, resource: str | None = None) -> None:
        code, message = error_code(exc)
        log.warning("organizations.%s failed: %s", operation, code)
        self.gaps.append(CoverageGap("organizations", operation, code, message[:500], self.region, None, resource))

    def _pages(self, operation: str, key: str, resource: str | None = None, **kwargs) -> list | None:
        out: list = []
        try:
            if self.client.can_paginate(operation):
                for page in self.client.get_paginator(operation).paginate(**kwargs):
                    out.extend(page.get(key, []))
            else:
                out.extend(getattr(self.client, operation)(**kwargs).get(key, []))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self._gap(operation, e, resource)
            return None
        return out

    def read(self, own_account: str | None = None) -> Organization:
        org = Organization()
        roots = self._pages("list_roots", "Roots")
        if not roots:
            return org
        root = roots[0]
        parsed = arnlib.try_parse(root.get("Arn", ""))
        if parsed:
            org.management_account_id = parsed.account
            parts = parsed.resource.split("/")
            org.id = parts[1] if len(parts) > 1 else ""
        enabled = {t.get("Type") for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"}
        org.scp_enabled = SCP in enabled
        org.rcp_enabled = RCP in enabled
        attached = self._policies(org)
        root_level = OrgLevel(root["Id"], "root", root.get("Name", ""))
        self._walk(org, [root_level], attached, 0)
        if own_account and org.account(own_account) is None:
            self._by_parents(org, own_account, attached)
        for acct in org.accounts:
            for lvl in acct.chain:
                lvl.scps = sorted(attached[(lvl.id, SCP)])
                lvl.rcps = sorted(attached[(lvl.id, RCP)])
        return org

    def _policies(self, org: Organization) -> dict[tuple[str, str], set[str]]:
        """Every SCP and RCP with its document and targets: (target id, type) -> policy ids."""
        attached: dict[tuple[str, str], set[str]] = defaultdict(set)
        for kind, on in ((SCP, org.scp_enabled), (RCP, org.rcp_enabled)):
            if not on:
                continue
            for summary in self._pages("list_policies", "Policies", None, Filter=kind) or []:
                pid = summary["Id"]
                try:
                    got = self.client.describe_policy(PolicyId=pid)
                    text = read_org_policy(got)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    self._gap("describe_policy", e, pid)
                    continue
                except ValueError as e:
                    self.gaps.append(CoverageGap("organizations", "describe_policy", "InvalidContent", str(e)[:500],
                                                 self.region, None, pid))
                    continue
                org.policies.append(OrgPolicy(id=pid, name=summary.get("Name", text.name), type=kind,
                                              document=text.document, arn=summary.get("Arn", ""),
                                              aws_managed=bool(summary.get("AwsManaged"))))
                for t in self._pages("list_targets_for_policy", "Targets", pid, PolicyId=pid) or []:
                    attached[(t["TargetId"], kind)].add(pid)
        return attached

    def _walk(self, org: Organization, chain: list[OrgLevel], attached, depth: int) -> None:
        parent = chain[-1].id
        for a in self._pages("list_accounts_for_parent", "Accounts", parent, ParentId=parent) or []:
            levels = [OrgLevel(lvl.id, lvl.kind, lvl.name) for lvl in chain]
            org.accounts.append(OrgAccount(a["Id"], a.get("Name", ""), levels + [OrgLevel(a["Id"], "account", a.get("Name", ""))]))
        if depth >= MAX_DEPTH:
            return
        for ou in self._pages("list_organizational_units_for_parent", "OrganizationalUnits", parent, ParentId=parent) or []:
            self._walk(org, chain + [OrgLevel(ou["Id"], "ou", ou.get("Name", ""))], attached, depth + 1)

    def _by_parents(self, org: Organization, account_id: str, attached) -> None:
        """The chain of one account read upwards (ListParents), for a caller that cannot walk."""
        chain = [OrgLevel(account_id, "account")]
        child = account_id
        for _ in range(MAX_DEPTH + 1):
            parents = self._pages("list_parents", "Parents", child, ChildId=child)
            if not parents:
                return
            p = parents[0]
            kind = "root" if p.get("Type") == "ROOT" else "ou"
            chain.insert(0, OrgLevel(p["Id"], kind))
            if kind == "root":
                org.accounts.append(OrgAccount(account_id, "", chain))
                return
            child = p["Id"]


def read_organization(clients: Clients, region: str, own_account: str | None = None) -> tuple[Organization, list[CoverageGap]]:
    reader = OrgReader(clients, region)
    org = reader.read(own_account)
    return org, reader.gaps


def organization_accounts(clients: Clients, home: str) -> list[dict]:
    """Active member accounts (for ``--org-role``)."""
    accounts = []
    for page in clients.client("organizations", home).get_paginator("list_accounts").paginate():
        accounts.extend(a for a in page.get("Accounts", []) if a.get("Status", "ACTIVE") == "ACTIVE")
    return accounts
