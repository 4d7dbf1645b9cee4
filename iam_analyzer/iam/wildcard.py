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

from functools import lru_cache

SEGMENT_STAR = "\x00"  # a star that does not cross "/"; only built from catalog formats
_STARS = ("*", SEGMENT_STAR)


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern or SEGMENT_STAR in pattern


class Matcher:
    """A compiled pattern. Matching is bounded: O(len(pattern) * len(text)) at worst, with no
    backtracking, so a policy pattern like ``a*a*a*a*...b`` cannot hang the analysis (a
    translated regular expression would backtrack exponentially on it)."""

    __slots__ = ("pattern", "ignore_case", "_parts", "_nfa")

    def __init__(self, pattern: str, ignore_case: bool = False):
        self.pattern = pattern
        self.ignore_case = ignore_case
        p = pattern.lower() if ignore_case else pattern
        self._nfa = SEGMENT_STAR in p
        self._parts = p if self._nfa else p.split("*")

    def fullmatch(self, text: str) -> bool:
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
    """Patterns with segment stars: a set-of-states simulation, O(len(p) * len(text))."""
    m = len(p)

    def close(states: set[int]) -> set[int]:
        out = set(states)
        stack = list(states)
        while stack:
            s = stack.pop()
            if s < m and p[s] in _STARS and s + 1 not in out:
                out.add(s + 1)
                stack.append(s + 1)
        return out

    states = close({0})
    for ch in text:
        nxt = set()
        for s in states:
            if s >= m:
                continue
            tok = p[s]
            if tok == "*" or (tok == SEGMENT_STAR and ch != "/"):
                nxt.add(s)
            elif tok == "?" or tok == ch:
                nxt.add(s + 1)
        if not nxt:
            return False
        states = close(nxt)
    return m in states


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
