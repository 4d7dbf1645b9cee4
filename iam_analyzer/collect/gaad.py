"""IAM ``GetAccountAuthorizationDetails`` output -> the model's roles, users, groups, policies.

Used by the scanner (on the API's pages) and by ``--gaad`` (on the file
``aws iam get-account-authorization-details`` writes), so both read IAM the same way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.policy import loads_document
from iam_analyzer.model import Account, Group, InlinePolicy, ManagedPolicy, Role, User


def document(value: Any) -> dict:
    """A policy document as AWS returns it: an object, JSON text, or URL-encoded JSON text."""
    return loads_document(value) if isinstance(value, str) else (value or {})


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


def tags(items) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or ()}


def _inline(items) -> list[InlinePolicy]:
    return [InlinePolicy(p["PolicyName"], document(p["PolicyDocument"])) for p in items or ()]


def _managed(items) -> list[str]:
    return sorted(p["PolicyArn"] for p in items or ())


def _boundary(item: dict) -> str | None:
    return (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def fill_account(acct: Account, details: dict) -> Account:
    """Add the roles, users, groups and managed policies of GAAD ``details`` to ``acct``."""
    for r in details.get("RoleDetailList", []):
        last = r.get("RoleLastUsed") or {}
        acct.roles.append(Role(
            arn=r["Arn"], name=r["RoleName"], path=r.get("Path", "/"), role_id=r.get("RoleId", ""),
            create_date=_iso(r.get("CreateDate")) or "", trust_policy=document(r.get("AssumeRolePolicyDocument")),
            inline_policies=_inline(r.get("RolePolicyList")), managed_policy_arns=_managed(r.get("AttachedManagedPolicies")),
            permissions_boundary_arn=_boundary(r), last_used=_iso(last.get("LastUsedDate")),
            last_used_region=last.get("Region"), tags=tags(r.get("Tags")),
        ))
    for u in details.get("UserDetailList", []):
        acct.users.append(User(
            arn=u["Arn"], name=u["UserName"], path=u.get("Path", "/"), inline_policies=_inline(u.get("UserPolicyList")),
            managed_policy_arns=_managed(u.get("AttachedManagedPolicies")), groups=sorted(u.get("GroupList", [])),
            permissions_boundary_arn=_boundary(u), tags=tags(u.get("Tags")),
        ))
    for g in details.get("GroupDetailList", []):
        acct.groups.append(Group(
            arn=g["Arn"], name=g["GroupName"], path=g.get("Path", "/"), inline_policies=_inline(g.get("GroupPolicyList")),
            managed_policy_arns=_managed(g.get("AttachedManagedPolicies")),
        ))
    for p in details.get("Policies", []):
        default = next((v for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
        acct.policies.append(ManagedPolicy(
            arn=p["Arn"], name=p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1], path=p.get("Path", "/"),
            default_version_id=p.get("DefaultVersionId", ""), document=document(default["Document"]) if default else {},
            aws_managed=":aws:policy/" in p["Arn"],
        ))
    return acct


def account_id_of(details: dict) -> str:
    for key in ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies"):
        for item in details.get(key, []):
            parsed = arnlib.try_parse(item.get("Arn") or "")
            if parsed and parsed.account not in ("", "aws"):
                return parsed.account
    return ""
