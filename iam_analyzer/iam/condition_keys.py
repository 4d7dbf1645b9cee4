"""Condition keys: AWS's global keys, and service keys from the catalog.

Keys are case-insensitive. Keys of identity providers in trust policies
(``token.actions.githubusercontent.com:sub``, ``accounts.google.com:aud``, ...) have a host
name for a prefix; they are accepted when the prefix is not a service prefix.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import wildcard
from .catalog import Catalog

# AWS global condition context keys (IAM User Guide, "AWS global condition context keys").
# A trailing "/*" stands for a tag key or other suffix.
GLOBAL_KEYS = tuple(
    """aws:CalledVia aws:CalledViaFirst aws:CalledViaLast aws:CurrentTime aws:EpochTime
    aws:FederatedProvider aws:MultiFactorAuthAge aws:MultiFactorAuthPresent aws:PrincipalAccount
    aws:PrincipalArn aws:PrincipalIsAWSService aws:PrincipalOrgID aws:PrincipalOrgPaths
    aws:PrincipalServiceName aws:PrincipalServiceNamesList aws:PrincipalTag/* aws:PrincipalType
    aws:Referer aws:RequestedRegion aws:RequestTag/* aws:ResourceAccount aws:ResourceOrgID
    aws:ResourceOrgPaths aws:ResourceTag/* aws:SecureTransport aws:SourceAccount aws:SourceArn
    aws:SourceIdentity aws:SourceIp aws:SourceOrgID aws:SourceOrgPaths aws:SourceVpc
    aws:SourceVpcArn aws:SourceVpce aws:TagKeys aws:TokenIssueTime aws:UserAgent aws:userid
    aws:username aws:ViaAWSService aws:VpcSourceIp aws:Ec2InstanceSourceVpc
    aws:Ec2InstanceSourcePrivateIPv4 aws:VpceAccount aws:VpceOrgID aws:VpceOrgPaths
    aws:AssumedRoot aws:ChatbotSourceArn aws:RequestAttribute/* aws:IsMcpServiceAction
    aws:SourceOwner aws:ServiceName""".split()
)


@lru_cache(maxsize=1)
def _global_patterns() -> tuple[str, ...]:
    return tuple(k.lower() for k in GLOBAL_KEYS)


@lru_cache(maxsize=512)
def _service_patterns(cat: Catalog, service: str) -> tuple[str, ...]:
    keys = cat.condition_keys.get(service, {})
    out = []
    for canonical in keys.values():
        out.append(re.sub(r"(\$\{[^}]*\}|<[^>]*>)", "*", canonical).lower())
    return tuple(out)


def is_known_condition_key(key: str, cat: Catalog) -> bool:
    lk = key.lower()
    if ":" not in lk:
        return False
    prefix = lk.split(":", 1)[0]
    if prefix == "aws":
        return any(wildcard.matches(p, lk) for p in _global_patterns())
    if prefix in cat.other_condition_prefixes:
        return True
    if not cat.has_service(prefix):
        # an identity provider's key (host name prefix) or a service the catalog lacks
        return "." in prefix or prefix in ("saml", "cognito-identity", "sts")
    return any(wildcard.matches(p, lk) for p in _service_patterns(cat, prefix))
