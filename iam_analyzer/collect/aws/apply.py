"""The only code that writes to IAM: read a role's grants as IAM holds them, and make them a
target state (``role_state.RoleChange``). ``apply`` and ``rollback`` both go through
``write``; the scanner (``inventory.py``) stays read-only. Permissions: docs/apply-policy.json.

Documents are read as the exact text IAM stores (botocore's JSON decoding of policy
documents is switched off on this module's client), so a rollback writes back the same bytes.
New grants are written before old ones are removed: a run stopped half way leaves the role
with both, never with less than it needs.
"""

from __future__ import annotations

import urllib.parse

import botocore.exceptions
import botocore.handlers

from iam_analyzer.iam.managed_policies import is_aws_managed_arn
from iam_analyzer.role_state import Document, RoleChange, RoleState


AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def describe(e: BaseException) -> str:
    if isinstance(e, botocore.exceptions.ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code', 'ClientError')}: {err.get('Message', '')}"
    return f"{type(e).__name__}: {e}"


def iam_client(clients):
    """An IAM client whose policy documents come back as text, not parsed JSON."""
    c = clients.session.client("iam", region_name=clients.session.region_name or "us-east-1",
                               endpoint_url=clients.endpoint_url, config=clients.config)
    c.meta.events.unregister("after-call.iam", botocore.handlers.json_decode_policies)
    c.meta.events.register("before-call", clients._before_call)  # the call log and hooks see these calls too
    return c


def _text(raw) -> str:
    if isinstance(raw, str):
        return urllib.parse.unquote(raw)
    import json

    return json.dumps(raw)  # a client that decoded it anyway: the parsed form, still comparable


def _pages(paginator, key: str, **kw) -> list:
    return [x for page in paginator.paginate(**kw) for x in page[key]]


def read_state(client, role_name: str) -> RoleState:
    """The role's grants as IAM holds them now (inline texts, attachments, boundary,
    attached customer managed documents). Raises botocore errors (NoSuchEntity ...)."""
    role = client.get_role(RoleName=role_name)["Role"]
    inline = {}
    for name in _pages(client.get_paginator("list_role_policies"), "PolicyNames", RoleName=role_name):
        inline[name] = Document(_text(client.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]))
    attached = [a["PolicyArn"] for a in _pages(client.get_paginator("list_attached_role_policies"), "AttachedPolicies",
                                                     RoleName=role_name)]
    managed = {}
    for arn in attached:
        if is_aws_managed_arn(arn):  # not the account's to change: not compared
            continue
        version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        managed[arn] = Document(_text(client.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]))
    boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    created = role.get("CreateDate")
    return RoleState(arn=role["Arn"], name=role_name, inline=inline, attached=attached, boundary=boundary,
                     managed=managed, create_date=created.isoformat() if hasattr(created, "isoformat") else str(created or ""),
                     tags={t["Key"]: t["Value"] for t in role.get("Tags") or []})


def policy_exists(client, arn: str) -> bool:
    try:
        client.get_policy(PolicyArn=arn)
        return True
    except client.exceptions.NoSuchEntityException:
        return False


def write(client, current: RoleState, change: RoleChange, exact: bool = False) -> None:
    """Make the role's grants ``change.target``: add first, then remove. An inline policy
    whose document is already the target's is left alone, unless ``exact`` (rollback) asks
    for the same text too."""
    t, name = change.target, change.role
    for p in change.create:
        if not policy_exists(client, p.arn):
            client.create_policy(PolicyName=p.name, Path=p.path, PolicyDocument=p.document.text,
                              Description="least-privilege policy written by iam-analyzer apply")
    for k, doc in t.inline.items():
        have = current.inline.get(k)
        if have is None or have.document != doc.document or (exact and have.text != doc.text):
            client.put_role_policy(RoleName=name, PolicyName=k, PolicyDocument=doc.text)
    for arn in t.attached:
        if arn not in current.attached:
            client.attach_role_policy(RoleName=name, PolicyArn=arn)
    for arn in current.attached:
        if arn not in t.attached:
            client.detach_role_policy(RoleName=name, PolicyArn=arn)
    for k in current.inline:
        if k not in t.inline:
            client.delete_role_policy(RoleName=name, PolicyName=k)
    if t.boundary != current.boundary:
        if t.boundary:
            client.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=t.boundary)
        else:
            client.delete_role_permissions_boundary(RoleName=name)
    for arn in change.delete:
        delete_policy(client, arn)


def delete_policy(client, arn: str) -> None:
    """Delete a customer managed policy this tool created, once nothing uses it (its
    non-default versions first, as IAM requires). A policy still attached elsewhere stays."""
    if not policy_exists(client, arn):
        return
    if client.get_policy(PolicyArn=arn)["Policy"].get("AttachmentCount", 0):
        return
    for v in client.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not v["IsDefaultVersion"]:
            client.delete_policy_version(PolicyArn=arn, VersionId=v["VersionId"])
    client.delete_policy(PolicyArn=arn)
