"""ARNs: parsing, wildcard matching, containment, and which catalog resource type an ARN is.

An ARN has six colon-separated parts: ``arn:partition:service:region:account:resource``.
The resource part may itself contain ``:`` and ``/``. Policy patterns are matched part by
part for the first five, and as one wildcard string for the resource part, which is how IAM
reads ``arn:aws:logs:*:*:log-group:*`` as covering ``log-group:x:log-stream:y``.
Patterns with fewer than six parts (rare, sloppy) are matched as one string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import wildcard
from .catalog import Catalog, ResourceType, default_catalog

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_VARIABLE = re.compile(r"\$\{[^}]*\}")


class ArnError(ValueError):
    pass


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> "Arn":
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ArnError(f"not an ARN (want arn:partition:service:region:account:resource): {text!r}")
        if not parts[2]:
            raise ArnError(f"ARN has an empty service: {text!r}")
        return cls(*parts[1:])

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The leading word of the resource part (``function``, ``table``, ...), or ``""``."""
        m = re.match(r"([^:/]+)[:/]", self.resource)
        return m.group(1) if m else ""

    @property
    def resource_id(self) -> str:
        m = re.match(r"[^:/]+[:/](.*)", self.resource)
        return m.group(1) if m else self.resource


def try_parse(text: str) -> Arn | None:
    try:
        return Arn.parse(text)
    except ArnError:
        return None


def is_arn(text: str) -> bool:
    return try_parse(text) is not None


def _split(pattern: str) -> list[str] | None:
    parts = pattern.split(":", 5)
    return parts if len(parts) == 6 else None


def _blank_variables(pattern: str) -> str:
    """Policy variables (``${aws:username}``) stand for unknown text: read them as ``*``."""
    if "${" not in pattern:
        return pattern
    # ${*}, ${?} and ${$} are escapes for the literal characters.
    pattern = pattern.replace("${*}", "\x01").replace("${?}", "\x02").replace("${$}", "$")
    pattern = _VARIABLE.sub("*", pattern)
    return pattern.replace("\x01", "*").replace("\x02", "?")


def has_variables(pattern: str) -> bool:
    return bool(_VARIABLE.search(pattern.replace("${*}", "").replace("${?}", "").replace("${$}", "")))


@lru_cache(maxsize=131072)
def matches(pattern: str, arn: str) -> bool:
    """Does the resource pattern match this concrete ARN (or ``*``)?"""
    if pattern == "*":
        return True
    pattern = _blank_variables(pattern)
    p, a = _split(pattern), _split(arn)
    if p is None or a is None:
        return wildcard.matches(pattern, arn)
    return all(wildcard.matches(x, y) for x, y in zip(p, a))


@lru_cache(maxsize=131072)
def contains(outer: str, inner: str) -> bool:
    """Every ARN matched by ``inner`` is matched by ``outer`` (sound, conservative)."""
    if outer == "*" or outer == inner:
        return True
    if inner == "*":
        return False
    if has_variables(inner):
        return False  # an unknown value: cannot prove containment
    outer = _blank_variables(outer)
    po, pi = _split(outer), _split(inner)
    if po is None or pi is None:
        return wildcard.contains(outer, inner)
    return all(wildcard.contains(x, y) for x, y in zip(po, pi))


@lru_cache(maxsize=131072)
def intersects(a: str, b: str) -> bool:
    """Some ARN is matched by both patterns (variables read as ``*``)."""
    if a == "*" or b == "*" or a == b:
        return True
    a, b = _blank_variables(a), _blank_variables(b)
    pa, pb = _split(a), _split(b)
    if pa is None or pb is None:
        return wildcard.intersects(a, b)
    return all(wildcard.intersects(x, y) for x, y in zip(pa, pb))


def arn_services(catalog: Catalog | None = None) -> frozenset[str]:
    """The service words that appear in the catalog's ARN formats (``s3``, ``execute-api`` ...)."""
    cat = catalog or default_catalog()
    return _arn_services(cat)


@lru_cache(maxsize=4)
def _arn_services(cat: Catalog) -> frozenset[str]:
    out = set()
    for types in cat.resource_types.values():
        for rt in types.values():
            parts = rt.arn_format.split(":", 5)
            if len(parts) == 6:
                out.add(parts[2])
    return frozenset(out)


@lru_cache(maxsize=4)
def _types_by_arn_service(cat: Catalog) -> dict[str, list[ResourceType]]:
    out: dict[str, list[ResourceType]] = {}
    for types in cat.resource_types.values():
        for rt in types.values():
            parts = rt.arn_format.split(":", 5)
            if len(parts) == 6:
                out.setdefault(parts[2], []).append(rt)
    return out


def _type_matches(rt: ResourceType, pattern: str) -> bool:
    """Segment by segment: partition, service, region and account are compared on their own
    (a format's variable never holds a colon, so ``arn:*:sns:...`` cannot swallow
    ``aws:sqs:...``); the resource part as one string. A pattern segment that ends in ``*``
    may run past the colon (IAM's rule), so from there on the rest is compared whole."""
    p, g = _blank_variables(pattern), rt.glob
    ps, gs = p.split(":", 5), g.split(":", 5)
    if len(ps) < 6 or len(gs) < 6:
        return wildcard.intersects(g, p)
    for i in range(5):
        if ps[i].endswith("*"):
            return wildcard.intersects(":".join(gs[i:]), ":".join(ps[i:]))
        if not wildcard.intersects(gs[i], ps[i]):
            return False
    return wildcard.intersects(gs[5], ps[5])


def resource_types_for(pattern: str, catalog: Catalog | None = None) -> list[ResourceType]:
    """Catalog resource types this ARN (or ARN pattern) can be, most specific first."""
    cat = catalog or default_catalog()
    if pattern == "*":
        return []
    parts = pattern.split(":", 5)
    if len(parts) < 3:
        return []
    candidates = _types_by_arn_service(cat).get(parts[2], [])
    if wildcard.has_wildcard(parts[2]):
        candidates = [rt for lst in _types_by_arn_service(cat).values() for rt in lst]
    hits = [rt for rt in candidates if _type_matches(rt, pattern)]
    hits.sort(key=lambda rt: (-rt.literal_weight, rt.service != parts[2]))
    return hits


def identify(arn: str, catalog: Catalog | None = None) -> ResourceType | None:
    """The single most specific catalog resource type of a concrete ARN, if any."""
    cat = catalog or default_catalog()
    parts = arn.split(":", 5)
    if len(parts) < 3:
        return None
    hits = [rt for rt in _types_by_arn_service(cat).get(parts[2], []) if wildcard.matches(rt.glob, arn)]
    # most literal text first; on a tie, the type the ARN's own service defines
    # (other services repeat formats such as iam's role in their own tables)
    hits.sort(key=lambda rt: (-rt.literal_weight, rt.service != parts[2]))
    return hits[0] if hits else None


def pattern_applies_to_action(pattern: str, action_types: list[ResourceType]) -> bool:
    """Could this resource pattern name a resource of one of the action's resource types?

    For an action with no resource types only ``*`` applies.
    """
    if pattern == "*":
        return True
    return any(_type_matches(rt, pattern) for rt in action_types)


def container(resource: str) -> str:
    """The resource data events are recorded for: an S3 object's bucket, a DynamoDB index's
    or stream's table; anything else is its own container."""
    parsed = try_parse(resource)
    if parsed is None:
        return resource
    if parsed.service == "s3" and not parsed.region and not parsed.account:
        return f"arn:{parsed.partition}:s3:::{parsed.resource.split('/', 1)[0]}"
    if parsed.service == "dynamodb":
        for part in ("/index/", "/stream/"):
            if part in parsed.resource:
                return f"arn:{parsed.partition}:dynamodb:{parsed.region}:{parsed.account}:{parsed.resource.split(part, 1)[0]}"
    return resource
