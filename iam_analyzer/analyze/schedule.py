"""How often a schedule runs: EventBridge and EventBridge Scheduler ``rate()`` and ``cron()``.

``longest_gap(expression)`` is the longest time, in days, between two runs, or ``None`` when
the expression is not a recurring schedule we can read (``at(...)``, a typo). Evidence needs
the longest gap, not the average: a window must hold two runs wherever it falls.

Cron fields are ``minutes hours day-of-month month day-of-week year``. The answer is an
upper bound computed field by field: exact for the common shapes (every N minutes, hourly,
daily, weekly, monthly, yearly, lists and ranges), conservative for the rest.
"""

from __future__ import annotations

import re

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.I)
_CRON = re.compile(r"cron\(\s*(.+?)\s*\)", re.I)
_UNIT_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0}
_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                          "NOV", "DEC"))}


def _values(field: str, lo: int, hi: int, names: dict[str, int] | None = None) -> list[int] | None:
    """The values a cron field selects, or None for every value (``*``, ``?``)."""
    field = field.upper()
    if field in ("*", "?"):
        return None
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, _, s = part.partition("/")
            step = int(s) if s.isdigit() and int(s) > 0 else 1
        if part in ("*", ""):
            a, b = lo, hi
        elif "-" in part:
            x, _, y = part.partition("-")
            a, b = _num(x, names), _num(y, names)
            if a is None or b is None:
                raise ValueError(part)
            if b < a:  # a range that wraps (FRI-MON)
                out.update(range(a, hi + 1, step))
                a = lo
        else:
            a = _num(part, names)
            if a is None:
                raise ValueError(part)
            b = a if "/" not in field else hi
        out.update(range(a, b + 1, step))
    return sorted(v for v in out if lo <= v <= hi)


def _num(text: str, names: dict[str, int] | None) -> int | None:
    text = re.sub(r"[LW#].*$", "", text) or ""
    if text.isdigit():
        return int(text)
    return (names or {}).get(text[:3])


def _gap(values: list[int] | None, period: int) -> int:
    """Longest gap between selected values on a circle of ``period``."""
    if values is None or len(values) == 0:
        return 1
    if len(values) == 1:
        return period
    gaps = [b - a for a, b in zip(values, values[1:])]
    gaps.append(values[0] + period - values[-1])
    return max(gaps)


def longest_gap(expression: str | None) -> float | None:
    """Longest time in days between two runs of ``expression``; None if not recurring."""
    if not expression:
        return None
    m = _RATE.fullmatch(expression.strip())
    if m:
        unit = m.group(2).lower().rstrip("s")
        return int(m.group(1)) * _UNIT_DAYS[unit]
    m = _CRON.fullmatch(expression.strip())
    if not m:
        return None
    fields = m.group(1).split()
    if len(fields) != 6:
        return None
    minutes, hours, dom, month, dow, year = fields
    special_dom = any(c in dom.upper() for c in "LW")
    special_dow = any(c in dow.upper() for c in "L#")
    try:
        mins = _values(minutes, 0, 59)
        hrs = _values(hours, 0, 23)
        days = None if special_dom else _values(dom, 1, 31)
        months = _values(month, 1, 12, _MONTHS)
        weekdays = None if special_dow else _values(dow, 1, 7, _DOW)
        years = _values(year, 1970, 2199)
    except ValueError:
        return None
    if years is not None:
        return None if len(years) <= 1 else 366.0 * _gap(years, 10_000)  # rare: a few given years
    if months is not None:
        return 31.0 * _gap(months, 12)  # at least one run in each selected month
    if special_dom or special_dow or (days is not None and dom != "?"):
        return 31.0 if special_dom or special_dow or len(days or []) == 1 else float(_gap(days, 31))
    if weekdays is not None:
        return float(_gap(weekdays, 7))
    if hrs is not None:
        return _gap(hrs, 24) / 24
    return _gap(mins, 60) / 1440


def function_rhythm(triggers) -> tuple[float, str] | None:
    """The longest gap between runs among a function's schedule triggers, with the expression,
    or None when no trigger is a readable recurring schedule."""
    best: tuple[float, str] | None = None
    for t in triggers:
        expr = (t.details or {}).get("schedule") if t.type in ("eventbridge-rule", "eventbridge-schedule") else None
        gap = longest_gap(expr)
        if gap is not None and (best is None or gap > best[0]):
            best = (gap, expr)
    return best
