import re

from hypothesis import given, settings
from hypothesis import strategies as st

from iam_analyzer.iam import wildcard

ALPHA = "ab/:"
patterns = st.text(alphabet=ALPHA + "*?", max_size=7)
texts = st.text(alphabet=ALPHA, max_size=7)


def brute_strings(max_len=5):
    out = [""]
    frontier = [""]
    for _ in range(max_len):
        frontier = [s + c for s in frontier for c in ALPHA]
        out.extend(frontier)
    return out


ALL = brute_strings(5)


def test_star_and_question_mark():
    assert wildcard.matches("s3:Get*", "s3:GetObject")
    assert not wildcard.matches("s3:Get*", "s3:PutObject")
    assert wildcard.matches("ec2:Describe?pcs", "ec2:DescribeVpcs")
    assert wildcard.matches("S3:GETOBJECT", "s3:GetObject", ignore_case=True)
    assert not wildcard.matches("S3:GETOBJECT", "s3:GetObject")
    # regular-expression characters are literal
    assert not wildcard.matches("a.c", "abc")
    assert wildcard.matches("a+c(", "a+c(")


@given(patterns, texts)
def test_matches_agrees_with_a_reference_regex(p, t):
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p)
    assert wildcard.matches(p, t) == (re.fullmatch(rx, t, re.DOTALL) is not None)


@settings(max_examples=300)
@given(patterns, patterns)
def test_intersects_is_exact_on_short_strings(a, b):
    # If some short string matches both, intersects must say so; if it says so, a
    # witness exists (we look among strings up to the combined length).
    witness = any(wildcard.matches(a, s) and wildcard.matches(b, s) for s in ALL if len(s) <= 5)
    if witness:
        assert wildcard.intersects(a, b)
    if wildcard.intersects(a, b) and len(a.replace("*", "")) + len(b.replace("*", "")) <= 4:
        assert witness


@settings(max_examples=300)
@given(patterns, patterns)
def test_contains_is_sound(outer, inner):
    if wildcard.contains(outer, inner):
        for s in ALL:
            if wildcard.matches(inner, s):
                assert wildcard.matches(outer, s), (outer, inner, s)


def test_contains_examples():
    assert wildcard.contains("*", "anything*")
    assert wildcard.contains("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/*")
    assert not wildcard.contains("arn:aws:s3:::b/x/*", "arn:aws:s3:::b/*")
    assert wildcard.contains("a?c", "abc")
    assert not wildcard.contains("abc", "a?c")
    assert wildcard.contains("a*", "a?")


# -- adversarial patterns: matching must stay bounded (no backtracking over policy text) -------


def test_many_wildcards_do_not_hang():
    import time

    pattern = "arn:aws:s3:::" + "a*" * 60 + "b"
    text = "arn:aws:s3:::" + "a" * 5000
    t0 = time.perf_counter()
    assert not wildcard.matches(pattern, text)
    assert not wildcard.matches("*a" * 200 + "?" * 50 + "c", "a" * 20000)
    assert wildcard.matches(pattern, text + "b")
    # containment and intersection of two long adversarial patterns (lint's redundancy check)
    a, b = "a*" * 1500 + "b", "*a" * 1500 + "c"
    assert not wildcard.contains(a, b) and not wildcard.intersects(a, b)
    assert wildcard.intersects(a, "*a" * 1500 + "b") and wildcard.contains("*", b)
    # a translated regex takes minutes on the first one; the bound is loose because the test
    # machine may be busy (benchmarks/ measures the real time)
    assert time.perf_counter() - t0 < 10.0


@settings(max_examples=200, deadline=5000)
@given(st.integers(min_value=1, max_value=80), st.integers(min_value=1, max_value=4000),
       st.sampled_from(["a*", "*a", "a?*", "?*a*", "*" + wildcard.SEGMENT_STAR + "a"]))
def test_adversarial_patterns_are_bounded(stars, length, piece):
    # hypothesis' deadline fails the test when one example takes more than 5 s (a backtracking
    # matcher takes minutes; the linear one about a millisecond, see benchmarks/)
    pattern = piece * stars + "b"
    assert not wildcard.matches(pattern, "a" * length)
    assert not wildcard.matches(pattern, "a" * length, ignore_case=True)


SEG_ALPHA = "ab/"


@given(st.text(alphabet=SEG_ALPHA + "*?" + wildcard.SEGMENT_STAR, max_size=7), st.text(alphabet=SEG_ALPHA, max_size=7))
def test_segment_star_agrees_with_a_reference_regex(p, t):
    rx = "".join(".*" if c == "*" else "." if c == "?" else "[^/]*" if c == wildcard.SEGMENT_STAR else re.escape(c)
                 for c in p)
    assert wildcard.matches(p, t) == (re.fullmatch(rx, t, re.DOTALL) is not None)


def _ref_intersects(a: str, b: str) -> bool:
    """Reference: search over pairs of positions (exact, quadratic)."""
    seen, stack = set(), [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        if ca == "*":
            stack.append((i + 1, j))
            if cb is not None and cb != "*":
                stack.append((i, j + 1))
        if cb == "*":
            stack.append((i, j + 1))
            if ca is not None and ca != "*":
                stack.append((i + 1, j))
        if ca not in (None, "*") and cb not in (None, "*") and (ca == cb or "?" in (ca, cb)):
            stack.append((i + 1, j + 1))
    return False


def _ref_contains(outer: str, inner: str) -> bool:
    seen, stack = set(), [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(outer) and j == len(inner):
            return True
        co = outer[i] if i < len(outer) else None
        ci = inner[j] if j < len(inner) else None
        if co == "*":
            stack.append((i + 1, j))
            if ci is not None:
                stack.append((i, j + 1))
        elif co is not None and ci is not None and (ci == co or (co == "?" and ci != "*")):
            stack.append((i + 1, j + 1))
    return False


@settings(max_examples=500)
@given(st.text(alphabet="ab*?", max_size=9), st.text(alphabet="ab*?", max_size=9))
def test_fast_intersection_and_containment_agree_with_a_search(a, b):
    assert wildcard.intersects(a, b) == _ref_intersects(a, b)
    if wildcard.has_wildcard(b):
        assert wildcard.contains(a, b) == _ref_contains(a, b)
