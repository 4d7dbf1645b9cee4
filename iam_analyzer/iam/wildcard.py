"""IAM wildcard patterns: `*` (any run of characters) and `?` (one character).

Three questions are answered here, and nowhere else in the project:

* ``matches(pattern, text)``: does the pattern match a concrete string?
* ``contains(outer, inner)``: does every string ``inner`` can match also match ``outer``?
  (sound: a True answer is always right; a rare False may be conservative)
* ``intersects(a, b)``: is there at least one string both patterns match? (exact)

A pattern may also carry a *segment star* (``SEGMENT_STAR``): like ``*`` but it never
spans a ``/``. It is used internally for catalog ARN formats (a bucket name has no slash)
and never appears in user input.
"""

from __future__ import annotations

import re
from functools import lru_cache

SEGMENT_STAR = "\x00"  # a star that does not cross "/"; only built from catalog formats
_STARS = ("*", SEGMENT_STAR)


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern or SEGMENT_STAR in pattern


@lru_cache(maxsize=65536)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == SEGMENT_STAR:
            out.append("[^/]*")
        else:
            out.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(out), flags)


def matches(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """True when ``pattern`` matches the whole of ``text``."""
    if pattern == "*":
        return True
    if not has_wildcard(pattern):
        return pattern.lower() == text.lower() if ignore_case else pattern == text
    return _compile(pattern, ignore_case).fullmatch(text) is not None


def compile_pattern(pattern: str, ignore_case: bool = False) -> re.Pattern:
    return _compile(pattern, ignore_case)


def _char_ok(star: str, ch: str) -> bool:
    """Can a star of this kind produce the (literal or '?') token ``ch``?"""
    return not (star == SEGMENT_STAR and ch == "/")


@lru_cache(maxsize=65536)
def intersects(a: str, b: str, ignore_case: bool = False) -> bool:
    """True when some string is matched by both patterns."""
    if ignore_case:
        a, b = a.lower(), b.lower()
    if a == "*" or b == "*" or a == b:
        return True
    n, m = len(a), len(b)
    # reachable[i][j]: a[:i] and b[:j] can produce the same string.
    seen = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == n and j == m:
            return True
        ca = a[i] if i < n else None
        cb = b[j] if j < m else None
        if ca in _STARS:
            stack.append((i + 1, j))  # star produces nothing more
            if cb is not None and cb not in _STARS and _char_ok(ca, cb):
                stack.append((i, j + 1))  # star produces cb's character
        if cb in _STARS:
            stack.append((i, j + 1))
            if ca is not None and ca not in _STARS and _char_ok(cb, ca):
                stack.append((i + 1, j))
        if ca is not None and cb is not None and ca not in _STARS and cb not in _STARS:
            if ca == cb or ca == "?" or cb == "?":
                stack.append((i + 1, j + 1))
    return False


@lru_cache(maxsize=65536)
def contains(outer: str, inner: str, ignore_case: bool = False) -> bool:
    """True when every string matched by ``inner`` is matched by ``outer``.

    ``inner`` is read as text in which its own ``*`` and ``?`` are opaque symbols: an
    inner ``*`` may only be absorbed by an outer ``*``; an inner ``?`` by an outer ``?`` or
    ``*``. That is sound; it can miss exotic inclusions (never the reverse).
    """
    if ignore_case:
        outer, inner = outer.lower(), inner.lower()
    if outer == "*" or outer == inner:
        return True
    if not has_wildcard(inner):
        return matches(outer, inner)
    n, m = len(outer), len(inner)
    seen = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == n and j == m:
            return True
        co = outer[i] if i < n else None
        ci = inner[j] if j < m else None
        if co in _STARS:
            stack.append((i + 1, j))
            if ci is not None:
                if co == "*" or (ci != "/" and ci != "*" and ci != SEGMENT_STAR):
                    stack.append((i, j + 1))
                elif co == SEGMENT_STAR and ci == SEGMENT_STAR:
                    stack.append((i, j + 1))
            continue
        if co is None or ci is None:
            continue
        if co == "?":
            if ci not in _STARS:
                stack.append((i + 1, j + 1))
        elif ci == co:
            stack.append((i + 1, j + 1))
    return False
