"""What IAM accepts inside a policy's values: condition values for their operator, and principal
values. Used by ``lint`` to report, as errors, documents IAM would refuse."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .policy import ConditionOperator

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?"
                   r"(Z|[+-](\d{2}):?(\d{2}))?)?")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_EPOCH_MAX = 253402300799  # 9999-12-31T23:59:59Z


# IAM reads dates with a lenient ISO 8601 parser (it accepts what Joda-Time's dateTimeParser
# does): a signed year of 1 to 9 digits, optional month and day (or day of year, or week and
# weekday), a `T` in either case that may stand alone, one-digit fields, a fraction after any
# time field, and an offset of hours alone. Such values work, but nobody writes them on purpose.
_LENIENT_DATE = re.compile(
    r"(?:(?P<y>[+-]?\d{1,9})(?:-(?:(?P<mo>\d{1,2})(?:-(?P<d>\d{1,2}))?|(?P<doy>\d{3})|[Ww](?P<w>\d{1,2})(?:-(?P<wd>\d))?))?)?"
    r"(?:(?P<t>[Tt])(?:(?P<hh>\d{1,2})(?::(?P<mi>\d{1,2})(?::(?P<ss>\d{1,2}))?)?(?:[.,]\d+)?)?"
    r"(?P<tz>[Zz]|[+-](?P<tzh>\d{2})(?::?(?P<tzm>\d{2}))?)?)?")
_YEAR_MIN, _YEAR_MAX = -292275054, 292278993  # the parser's range of years


def _lenient_date_error(v: str) -> str | None:
    """None when IAM's parser accepts the value (an unusual spelling), else why not."""
    m = _LENIENT_DATE.fullmatch(v)
    if not m or not v or (m["y"] is None and m["t"] is None) or (m["y"] is None and m["hh"] is None):
        return f"{v!r} is not a date (want ISO 8601, such as 2026-01-31T00:00:00Z, or epoch seconds)"
    from datetime import date

    if m["y"] is not None:
        y = int(m["y"])
        if not _YEAR_MIN <= y <= _YEAR_MAX:
            return f"{v!r} is out of range for a date"
        try:  # the calendar checks on a year of the same cycle (date() stops at 9999)
            cy = 2000 + y % 400
            if m["mo"] is not None:
                date(cy, int(m["mo"]), int(m["d"] or 1))
            elif m["doy"] is not None and not 1 <= int(m["doy"]) <= (366 if date(cy, 12, 31).timetuple().tm_yday == 366 else 365):
                raise ValueError
            elif m["w"] is not None and not (1 <= int(m["w"]) <= 53 and 1 <= int(m["wd"] or 1) <= 7):
                raise ValueError
        except ValueError:
            return f"{v!r} is not a valid calendar date"
    if m["hh"] is not None and (int(m["hh"]) > 23 or int(m["mi"] or 0) > 59 or int(m["ss"] or 0) > 59):
        return f"{v!r} has an invalid time of day"
    if m["tzh"] is not None and (int(m["tzh"]) > 23 or int(m["tzm"] or 0) > 59):
        return f"{v!r} has an invalid time zone offset"
    return None


def lenient_date(v: str):
    """The instant of a date only IAM's lenient parser reads (``01T``, ``2016-12-13t2:00+23``), as
    a timezone-aware datetime; None when it does not parse or lies outside years 1 to 9999."""
    from datetime import datetime, timedelta, timezone

    m = _LENIENT_DATE.fullmatch(v)
    if not m or _lenient_date_error(v) or m["y"] is None or not 1 <= int(m["y"]) <= 9999:
        return None
    try:
        if m["doy"] is not None:
            day = datetime(int(m["y"]), 1, 1) + timedelta(days=int(m["doy"]) - 1)
        elif m["w"] is not None:
            day = datetime.fromisocalendar(int(m["y"]), int(m["w"]), int(m["wd"] or 1))
        else:
            day = datetime(int(m["y"]), int(m["mo"] or 1), int(m["d"] or 1))
        when = day.replace(hour=int(m["hh"] or 0), minute=int(m["mi"] or 0), second=int(m["ss"] or 0))
        off = timedelta(hours=int(m["tzh"] or 0), minutes=int(m["tzm"] or 0)) * (-1 if (m["tz"] or "+")[0] == "-" else 1)
        return when.replace(tzinfo=timezone(off))
    except (ValueError, OverflowError):
        return None


def _date_error(v: str) -> str | None:
    if re.fullmatch(r"[+-]?\d+", v):
        n = int(v)
        if 0 <= n <= _EPOCH_MAX:
            return None
        if _YEAR_MIN <= n < 0:  # read as a (negative) year
            return None
        return f"{v!r} is out of range for a date (epoch seconds)"
    m = _DATE.fullmatch(v)
    if not m:
        return _lenient_date_error(v)
    y, mo, d, hh, mi, ss, tz, tzh, tzm = m.groups()
    from datetime import date

    try:
        date(int(y), int(mo), int(d))
    except ValueError:
        return f"{v!r} is not a valid calendar date"
    if hh is not None and (int(hh) > 23 or int(mi) > 59 or (ss is not None and int(ss) > 59)):
        return f"{v!r} has an invalid time of day"
    if tzh is not None and (int(tzh) > 14 or int(tzm) > 59):
        return f"{v!r} has an invalid time zone offset"
    return None


def condition_value_note(op: ConditionOperator, value: str) -> str | None:
    """Why a value IAM accepts for its operator is unusual (a lenient spelling that may not mean
    what its author thinks), or None. Only asked of values without an error."""
    if "${" in value or not op.base.startswith("Date"):
        return None
    if re.fullmatch(r"[+-]?\d+", value):
        return None if int(value) >= 0 else f"{value!r} is a negative number (read as a year or as seconds before 1970)"
    if _DATE.fullmatch(value):
        return None
    return f"{value!r} is an unusual date (IAM reads it leniently; want ISO 8601, such as 2026-01-31T00:00:00Z)"


def condition_value_error(op: ConditionOperator, value: str) -> str | None:
    """Why a condition value cannot be read for its operator (IAM rejects such a policy), or
    None. Values with policy variables are not judged (they are resolved at request time)."""
    if "${" in value:
        return None
    base = op.base
    if base.startswith("Date"):
        return _date_error(value)
    if base.startswith("Numeric"):
        if not _NUMBER.fullmatch(value):
            return f"{value!r} is not a number"
        if abs(float(value)) > 2 ** 63:
            return f"{value!r} is out of range for a number"
        return None
    if base in ("Bool", "Null"):
        return None if value.lower() in ("true", "false") else f"{value!r} is not true or false"
    if base.endswith("IpAddress"):
        import ipaddress

        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"{value!r} is not an IP address or CIDR range"
        return None
    if base.startswith("Arn"):
        if value == "*" or (value.startswith("arn:") and value.count(":") >= 5):
            return None
        return f"{value!r} is not an ARN (want arn:partition:service:region:account:resource)"
    if base == "BinaryEquals":
        import base64
        import binascii

        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return f"{value!r} is not base64"
    return None


_ACCOUNT = re.compile(r"\d{12}")
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{15,127}")  # AIDA..., AROA...: what IAM shows for a deleted principal
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::(\d{12}|aws|cloudfront):.+")  # cloudfront: legacy OAI users
_CANONICAL_USER = re.compile(r"[0-9a-fA-F]{64}")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|api\.aws|amazon\.com|c2s\.ic\.gov|sc2s\.sgov\.gov)")
_FEDERATED = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(saml-provider|oidc-provider)/.+|[a-z0-9.-]+\.[a-z]{2,}(/.*)?")


def principal_value_error(kind: str, value: str) -> str | None:
    """Why IAM refuses a Principal value (it is not an account, an IAM/STS ARN, a service
    name, an identity provider or a canonical user), or None."""
    if value == "*":
        return None
    if kind == "AWS":
        ok = _ACCOUNT.fullmatch(value) or _PRINCIPAL_ARN.fullmatch(value) or _UNIQUE_ID.fullmatch(value)
        return None if ok else f"{value!r} is not an account ID, an IAM or STS ARN, or a unique ID"
    if kind == "Service":
        return None if _SERVICE.fullmatch(value) else f"{value!r} is not a service principal (such as lambda.amazonaws.com)"
    if kind == "Federated":
        return None if _FEDERATED.fullmatch(value) else f"{value!r} is not an identity provider ARN or name"
    if kind == "CanonicalUser":
        return None if _CANONICAL_USER.fullmatch(value) else f"{value!r} is not a canonical user ID"
    return None


# actions a role trust policy may name (IAM refuses others in AssumeRolePolicyDocument)
TRUST_ACTION_PREFIXES = ("sts:",)
