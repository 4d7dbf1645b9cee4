"""Values shared by the resolver and its intrinsic function handlers."""

from __future__ import annotations

from typing import Any

WILDCARD = "*"  # a value known only at deployment: a wildcard segment wherever it lands


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NOVALUE = _NoValue()  # AWS::NoValue: the key or item is removed


def text(v: Any) -> str:
    """A resolved value as text, the way Fn::Sub and Fn::Join write it."""
    if v is NOVALUE:
        return ""
    if isinstance(v, (list, tuple)):
        return ",".join(text(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return WILDCARD
    return str(v)
