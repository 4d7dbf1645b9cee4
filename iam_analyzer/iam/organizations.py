"""AWS Organizations' authorization policies: service control policies (SCPs) and resource
control policies (RCPs), as facts the evaluator (``evaluate.py``) and ``lint`` share.

What AWS documents (Organizations user guide, checked 2025-12):

- An SCP limits the IAM users and roles of a member account. A request is allowed only if, at
  every level of the account's chain (root, each OU, the account), some attached SCP allows it
  and no attached SCP denies it. SCPs do not apply to the management account nor to
  service-linked roles. Since September 2025 SCPs accept the full IAM policy language
  (Allow with conditions, resource ARNs, NotAction and NotResource, wildcards anywhere in an
  action) except ``Principal`` and ``NotPrincipal``.
- An RCP limits access to the resources of a member account, for the services RCPs cover
  (``RCP_SERVICES``), whoever the caller is, except AWS service principals. Only the AWS
  managed ``RCPFullAWSAccess`` (attached everywhere, not detachable) may allow; customer RCPs
  deny, and need ``Principal: "*"``. For a request on no resource the caller's account's RCPs
  apply. RCPs do not affect the management account's resources.
- Both are at most 5,120 characters.

Nothing here imports the rest of the project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import arn as arnlib
from .policy import Policy

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
MAX_CHARS = 5120  # both kinds: every character counts, white space included

# Services whose resources RCPs protect (IAM prefixes). The Organizations user guide's list,
# checked 2025-12: S3, STS, KMS, SQS and Secrets Manager at launch (2024-11); ECR and
# OpenSearch Serverless (2025-06); Cognito user pools and CloudWatch Logs (2025).
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-idp", "logs"})

FULL_ACCESS_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
FULL_ACCESS_NAMES = {SCP: "FullAWSAccess", RCP: "RCPFullAWSAccess"}


def service_of(action: str) -> str:
    return action.split(":", 1)[0].lower()


def rcp_covers(action: str) -> bool:
    """Do RCPs apply to this action (its service is one RCPs cover)?"""
    return service_of(action) in RCP_SERVICES


def rcp_pattern_services(pattern: str) -> frozenset[str] | None:
    """The RCP-covered services an action pattern of an RCP can reach; None for a pattern
    with a wildcard in its service part (it may reach any of them)."""
    svc = service_of(pattern)
    if "*" in svc or "?" in svc:
        return None
    return frozenset({svc}) & RCP_SERVICES


def is_service_linked_role(role_arn: str) -> bool:
    """Service-linked roles live under the path /aws-service-role/: SCPs do not restrict them."""
    a = arnlib.try_parse(role_arn)
    return bool(a and a.service == "iam" and a.resource.startswith("role/aws-service-role/"))


# -- documents as AWS hands them out -----------------------------------------------------------


@dataclass(frozen=True)
class OrgPolicyText:
    """One SCP or RCP as read from a file or from DescribePolicy."""

    document: dict
    id: str = ""
    name: str = ""
    arn: str = ""
    aws_managed: bool = False
    type: str = ""  # SCP | RCP | "" when the file does not say
    text: str = ""  # the document as written (its size is what AWS limits)

    @property
    def label(self) -> str:
        if self.id and self.name and self.name != self.id:
            return f"{self.id} ({self.name})"
        return self.id or self.name or "(unnamed)"

    @property
    def organization_id(self) -> str | None:
        """o-... from the policy's ARN (arn:aws:organizations::MGMT:policy/o-x/type/p-y)."""
        a = arnlib.try_parse(self.arn)
        parts = a.resource.split("/") if a else []
        return parts[1] if len(parts) > 2 and parts[1].startswith("o-") else None

    @property
    def management_account(self) -> str | None:
        a = arnlib.try_parse(self.arn)
        return a.account if a and a.service == "organizations" and a.account else None


def read_org_policy(doc: Any) -> OrgPolicyText:
    """A policy document, or the JSON of ``aws organizations describe-policy`` (``Policy`` with
    ``PolicySummary`` and ``Content``, the document as a string). Raises ValueError naming the
    place of a wrong shape."""
    if not isinstance(doc, dict):
        raise ValueError("(document): want a JSON object (a policy, or describe-policy's output)")
    if "Statement" in doc:
        return OrgPolicyText(document=doc, text=json.dumps(doc))
    pol = doc.get("Policy", doc)
    if not isinstance(pol, dict) or "Content" not in pol:
        raise ValueError("(document): neither a policy document (Statement) nor describe-policy output (Policy.Content)")
    summary = pol.get("PolicySummary") or {}
    if not isinstance(summary, dict):
        raise ValueError("Policy.PolicySummary: want an object")
    content = pol["Content"]
    if isinstance(content, str):
        text = content
        try:
            content = json.loads(content)
        except (ValueError, RecursionError):
            raise ValueError("Policy.Content: not a JSON policy document") from None
    else:
        text = json.dumps(content)
    if not isinstance(content, dict) or "Statement" not in content:
        raise ValueError("Policy.Content: not a policy document (no Statement)")

    def s(key: str) -> str:
        v = summary.get(key)
        return v if isinstance(v, str) else ""

    kind = s("Type")
    return OrgPolicyText(document=content, id=s("Id"), name=s("Name"), arn=s("Arn"),
                         aws_managed=summary.get("AwsManaged") is True, type=kind if kind in (SCP, RCP) else "",
                         text=text)


# -- what the evaluator is given ---------------------------------------------------------------

Named = tuple[str, Policy]


@dataclass(frozen=True)
class Guardrails:
    """The organization's policies in force for one principal's requests.

    ``scp_levels``: (label, attached SCPs) per level of the principal's account, root first;
    empty when SCPs do not apply (no organization read, the management account, a
    service-linked role). ``rcps``: per resource-owning account of the organization, every
    RCP in force on its resources (the whole chain: only their Deny statements matter, since
    RCPFullAWSAccess allows everything at every level). ``own_account``: the principal's
    account, whose RCPs apply to requests on no resource and are the likely owner of a
    resource whose ARN names no account (then an RCP's deny is not certain).
    """

    scp_levels: tuple[tuple[str, tuple[Named, ...]], ...] = ()
    rcps: Mapping[str, tuple[Named, ...]] = field(default_factory=dict)
    own_account: str | None = None

    @property
    def empty(self) -> bool:
        return not self.scp_levels and not any(self.rcps.values())

    def rcps_for(self, resource: str) -> tuple[tuple[Named, ...], bool]:
        """The RCPs on the resource's owner, and whether that owner is certain."""
        if resource == "*":
            return self.rcps.get(self.own_account or "", ()), True
        a = arnlib.try_parse(resource)
        account = a.account if a else ""
        if account and "*" not in account and "?" not in account and "$" not in account:
            return self.rcps.get(account, ()), True
        return self.rcps.get(self.own_account or "", ()), False
