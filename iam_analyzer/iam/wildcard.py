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


# A translated regular expression is fastest for the common patterns, and with at most this
# many stars its backtracking is linear (one star: a prefix and a suffix); beyond it a*a*...b would
# backtrack exponentially, so the bounded matchers below take over.
_REGEX_MAX_STARS = 1


class Matcher:
    """A compiled pattern. Matching is bounded: O(len(pattern) * len(text)) at worst for the
    bounded matchers, linear for the regular expression used with one star, so a
    policy pattern like ``a*a*a*a*...b`` cannot hang the analysis."""

    __slots__ = ("pattern", "ignore_case", "_parts", "_nfa", "_rx")

    def __init__(self, pattern: str, ignore_case: bool = False):
        self.pattern = pattern
        self.ignore_case = ignore_case
        self._rx = None
        if pattern.count("*") + pattern.count(SEGMENT_STAR) <= _REGEX_MAX_STARS:
            out = [".*" if ch == "*" else "." if ch == "?" else "[^/]*" if ch == SEGMENT_STAR else re.escape(ch)
                   for ch in pattern]
            self._rx = re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
        p = pattern.lower() if ignore_case else pattern
        self._nfa = SEGMENT_STAR in p
        self._parts = p if self._nfa else p.split("*")

    def fullmatch(self, text: str) -> bool:
        if self._rx is not None:
            return self._rx.fullmatch(text) is not None
        if self.ignore_case:
            text = text.lower()
        if self._nfa:
            return _nfa_match(self._parts, text)
        return _glob_match(self._parts, text)


def _seg_at(seg: str, text: str, pos: int) -> bool:
    if "?" not in seg:
        return text.startswith(seg, pos)
    if pos + len(seg) > len(text):
        return False
    return all(c == "?" or c == text[pos + i] for i, c in enumerate(seg))


def _find(seg: str, text: str, start: int, end: int) -> int:
    if "?" not in seg:
        return text.find(seg, start, end)
    for i in range(start, end - len(seg) + 1):
        if _seg_at(seg, text, i):
            return i
    return -1


def _compat_at(seg: str, text: str, pos: int, ok) -> bool:
    if pos + len(seg) > len(text):
        return False
    return all(ok(c, text[pos + i]) for i, c in enumerate(seg))


def _glob_pred(parts: list[str], text: str, ok) -> bool:
    """Like ``_glob_match`` with a per-character test ``ok(pattern_char, text_char)``:
    leftmost placement of the fixed-length pieces stays exact."""
    if len(parts) == 1:
        return len(parts[0]) == len(text) and _compat_at(parts[0], text, 0, ok)
    first, last = parts[0], parts[-1]
    if len(first) + len(last) > len(text):
        return False
    if not _compat_at(first, text, 0, ok) or not _compat_at(last, text, len(text) - len(last), ok):
        return False
    pos, end = len(first), len(text) - len(last)
    for seg in parts[1:-1]:
        if seg:
            i = next((k for k in range(pos, end - len(seg) + 1) if _compat_at(seg, text, k, ok)), -1)
            if i < 0:
                return False
            pos = i + len(seg)
    return True


def _both_ok(c: str, t: str) -> bool:  # two patterns' characters can be the same character
    return c == t or c == "?" or t == "?"


def _covers_ok(c: str, t: str) -> bool:  # an outer character covers an inner one ("?" not a "*")
    return c == t or (c == "?" and t != "*")


def _fast_intersects(a: str, b: str) -> bool | None:
    """Exact answer without a search for patterns with ``*``/``?`` only, else None."""
    if SEGMENT_STAR in a or SEGMENT_STAR in b:
        return None
    sa, sb = "*" in a, "*" in b
    if sa and sb:
        # both have a star: only the pieces before the first and after the last star constrain
        # (the middle pieces of each fit in the other's stars)
        pa, pb = a.split("*", 1)[0], b.split("*", 1)[0]
        qa, qb = a.rsplit("*", 1)[1], b.rsplit("*", 1)[1]
        n = min(len(pa), len(pb))
        m = min(len(qa), len(qb))
        return all(_both_ok(x, y) for x, y in zip(pa[:n], pb[:n])) and \
            all(_both_ok(x, y) for x, y in zip(qa[len(qa) - m:], qb[len(qb) - m:]))
    if sa or sb:
        g, t = (a, b) if sa else (b, a)
        return _glob_pred(g.split("*"), t, _both_ok)
    return len(a) == len(b) and all(_both_ok(x, y) for x, y in zip(a, b))


def _glob_match(parts: list[str], text: str) -> bool:
    """``*`` and ``?`` only: the pieces between stars are matched leftmost-first, which is
    exact for globs (a later piece can always use whatever an earlier one left)."""
    if len(parts) == 1:
        return len(parts[0]) == len(text) and _seg_at(parts[0], text, 0)
    first, last = parts[0], parts[-1]
    if len(first) + len(last) > len(text):
        return False
    if not _seg_at(first, text, 0) or not _seg_at(last, text, len(text) - len(last)):
        return False
    pos, end = len(first), len(text) - len(last)
    for seg in parts[1:-1]:
        if seg:
            i = _find(seg, text, pos, end)
            if i < 0:
                return False
            pos = i + len(seg)
    return True


def _nfa_match(p: str, text: str) -> bool:
    """Patterns with segment stars: a bit-parallel state simulation (bit i: the first i
    pattern characters are matched), O(len(text)) big-integer steps."""
    m = len(p)
    lit: dict[str, int] = {}
    star = seg = q = 0
    for i, c in enumerate(p):
        bit = 1 << i
        if c == "*":
            star |= bit
        elif c == SEGMENT_STAR:
            seg |= bit
        elif c == "?":
            q |= bit
        else:
            lit[c] = lit.get(c, 0) | bit
    stars = star | seg

    def close(st: int) -> int:
        while True:
            nxt = st | ((st & stars) << 1)
            if nxt == st:
                return st
            st = nxt

    state = close(1)
    for ch in text:
        state = close((((state & (lit.get(ch, 0) | q)) << 1) | (state & star) | (0 if ch == "/" else state & seg)))
        if not state:
            return False
    return bool(state >> m & 1)


@lru_cache(maxsize=65536)
def _compile(pattern: str, ignore_case: bool) -> Matcher:
    return Matcher(pattern, ignore_case)


def matches(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """True when ``pattern`` matches the whole of ``text`` (bounded time, see ``Matcher``)."""
    if pattern == "*":
        return True
    if not has_wildcard(pattern):
        return pattern.lower() == text.lower() if ignore_case else pattern == text
    return _compile(pattern, ignore_case).fullmatch(text)


def compile_pattern(pattern: str, ignore_case: bool = False) -> Matcher:
    """A reusable matcher with a ``fullmatch(text) -> bool`` method."""
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
    fast = _fast_intersects(a, b)
    if fast is not None:
        return fast
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
    if SEGMENT_STAR not in outer and SEGMENT_STAR not in inner:
        # inner read as text whose "*" and "?" are symbols: glob matching, bounded
        return _glob_pred(outer.split("*"), inner, _covers_ok)
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
