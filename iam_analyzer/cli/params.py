"""Option values checked at parse time, so a bad argument is a usage error (exit 2), not a
traceback after the work has started."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import click

# aws partition regions (us-east-1, eu-central-2), GovCloud (us-gov-west-1), China (cn-north-1),
# ISO (us-iso-east-1, us-isob-east-1, eu-isoe-west-1), and local-zone style names
_REGION = re.compile(r"[a-z]{2}(-[a-z]+){1,3}-\d{1,2}")


def region(ctx, param, value):
    values = value if isinstance(value, tuple) else (value,) if value else ()
    for v in values:
        if not _REGION.fullmatch(v or ""):
            raise click.BadParameter(f"{v!r} is not an AWS region name (such as us-east-1 or eu-west-2)")
    return value


def endpoint_url(ctx, param, value):
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL (such as http://127.0.0.1:5000)")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise click.BadParameter(f"{value!r}: the port is not a number from 0 to 65535") from None
    return value


def since(ctx, param, value):
    """Check a --since/--until value now; the command converts it again with ``parse_since``."""
    if value is None:
        return None
    from iam_analyzer.cli.common import parse_since

    parse_since(value)
    return value
