"""Is a resource-policy statement open to anyone?

A statement whose principal is everyone (``"*"``, ``{"AWS": "*"}`` or a ``NotPrincipal``) is
open to every caller in every account unless a condition pins the caller down. Only some
condition keys can do that: those AWS sets from who the caller is or where the call comes
from (its account, organisation, ARN, user id, network, or the resource that triggered it).
A caller chooses the value of every other key (``aws:UserAgent``, ``aws:Referer``, the
time ...), so a condition on those keys limits nobody.

A condition pins the caller down when its operator asks for a match (not a negated one:
``StringNotEquals`` on an account still lets every other account in) and at least one of
its values does not match everyone: not ``*``, not an ARN with a wildcard account (an ARN
without an account field, as an S3 bucket's, names a global resource and does pin), not
``0.0.0.0/0``.
"""

from __future__ import annotations

import ipaddress

from . import arn as arnlib
from .policy import Condition, Statement

# key (lower case) -> what kind of value pins the caller
CALLER_KEYS = {
    "aws:sourcearn": "arn",
    "aws:principalarn": "arn",
    "aws:sourceaccount": "id",
    "aws:sourceowner": "id",
    "aws:principalaccount": "id",
    "aws:principalorgid": "id",
    "aws:principalorgpaths": "id",
    "aws:sourceorgid": "id",
    "aws:sourceorgpaths": "id",
    "aws:userid": "userid",
    "aws:sourceip": "cidr",
    "aws:sourcevpc": "id",
    "aws:sourcevpce": "id",
    "kms:calleraccount": "id",
}

_MATCHING_BASES = {"StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike", "IpAddress"}


def _pins(kind: str, value: str) -> bool:
    """Does this one value leave some caller out?"""
    if kind == "cidr":
        try:
            return ipaddress.ip_network(value, strict=False).prefixlen > 0
        except ValueError:
            return True  # IAM rejects it; nobody matches a value that is not a network
    if kind == "userid":
        star = value.find("*")
        return bool(value) and "?" not in value and star in (-1, len(value) - 1) and value != "*"
    if kind == "arn":
        if value.strip() in ("*", ""):
            return False
        parsed = arnlib.try_parse(value)
        if parsed is None:
            return "*" not in value and "?" not in value
        if parsed.account:
            return "*" not in parsed.account and "?" not in parsed.account
        return parsed.resource not in ("*", "") and not parsed.resource.startswith(("*", "?"))
    return bool(value) and "*" not in value and "?" not in value


def pins_caller(condition: Condition) -> bool:
    """Does this condition limit who can call, whatever the caller sets?"""
    kind = CALLER_KEYS.get(condition.key.lower())
    if kind is None or condition.operator.base not in _MATCHING_BASES or condition.operator.set_op == "ForAllValues":
        return False
    return bool(condition.values) and all(_pins(kind, v) for v in condition.values)


def open_to_anyone(statement: Statement) -> bool:
    """An Allow for every caller in every account, not pinned down by a condition."""
    if not statement.is_allow:
        return False
    everyone = statement.not_principal is not None or (
        statement.principal is not None and statement.principal.is_everyone)
    return everyone and not any(pins_caller(c) for c in statement.conditions)
