"""The organization part of the snapshot: SCPs and RCPs and where each account sits.

``scan --organization`` fills it from AWS Organizations; ``--scp``/``--rcp`` files on the
analysis commands add to it (``analyze/org.py``). Plain dataclasses, like ``model.py``,
which imports this module (so nothing here imports ``model``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OrgPolicy:
    id: str  # p-... (a file's policy: its file name when the file does not say)
    name: str
    type: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    document: dict
    arn: str = ""
    aws_managed: bool = False
    source: str = "organizations"  # organizations | a file path


@dataclass
class OrgLevel:
    """One level of an account's chain: the root, an OU, the account itself."""

    id: str  # r-..., ou-..., the account id, or "files" for --scp/--rcp
    kind: str  # root | ou | account | files
    name: str = ""
    scps: list[str] = field(default_factory=list)  # policy ids attached here
    rcps: list[str] = field(default_factory=list)


@dataclass
class OrgAccount:
    account_id: str
    name: str = ""
    chain: list[OrgLevel] = field(default_factory=list)  # root first (kept in order)


@dataclass
class Organization:
    id: str = ""  # o-...
    management_account_id: str = ""
    # policy types enabled on the root; a type not enabled restricts nothing
    scp_enabled: bool = True
    rcp_enabled: bool = True
    policies: list[OrgPolicy] = field(default_factory=list)
    accounts: list[OrgAccount] = field(default_factory=list)

    def policy(self, policy_id: str) -> OrgPolicy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def account(self, account_id: str) -> OrgAccount | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)
