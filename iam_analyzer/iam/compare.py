"""What a candidate policy allows that a reference does not (the "never widen" check).

``new_access(candidate, reference)`` is exact at action level (both sides are expanded
against the catalog, NotAction included) and conservative at resource level: a candidate
grant counts as covered only when a reference Allow provably contains its resource pattern,
with no more conditions than the candidate's statement, and no reference Deny could cut
into it that the candidate does not also carry. Anything not proven covered is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from . import arn as arnlib
from . import wildcard
from .catalog import Catalog, default_catalog
from .policy import Policy, Statement


@dataclass(frozen=True)
class NewAccess:
    action: str  # canonical casing
    resource: str  # the candidate's resource pattern (or "NotResource:[...]")
    statement: int  # index of the candidate statement that grants it
    sid: str | None
    reason: str

    def as_dict(self) -> dict:
        return {
            "action": self.action,
            "resource": self.resource,
            "statement": self.statement,
            "sid": self.sid,
            "reason": self.reason,
        }


def _policies(p: Policy | Sequence[Policy]) -> list[Policy]:
    return [p] if isinstance(p, Policy) else list(p)


class _ActionSet:
    """The actions a statement covers: catalog keys plus literal names the catalog lacks."""

    def __init__(self, st: Statement, cat: Catalog):
        self.catalog_keys = cat.actions
        self.negated = st.not_actions is not None
        self.patterns = st.actions if st.actions is not None else st.not_actions or ()
        keys: set[str] = set()
        for p in self.patterns:
            keys.update(cat.expand_keys(p))
        self.keys = frozenset(keys)

    def covers(self, key: str) -> bool:
        if key in self.catalog_keys:  # catalog names: the expansion is exact
            hit = key in self.keys
        else:  # a name the catalog lacks: match it against the patterns as written
            hit = any(wildcard.matches(p, key, ignore_case=True) for p in self.patterns)
        return not hit if self.negated else hit


def _statement_actions(st: Statement, cat: Catalog) -> list[str]:
    """Lower-cased action keys a statement grants; unknown literal names are kept as written."""
    if st.actions is not None:
        keys: set[str] = set()
        for p in st.actions:
            exp = cat.expand_keys(p)
            if exp:
                keys.update(exp)
            elif not wildcard.has_wildcard(p):
                keys.add(p.lower())
        return sorted(keys)
    excluded = set()
    for p in st.not_actions or ():
        excluded.update(cat.expand_keys(p))
    return sorted(k for k in cat.actions if k not in excluded)


def _conditions_implied(ref: Statement, cand: Statement) -> bool:
    """The candidate statement carries every condition the reference statement has."""
    return set(ref.conditions) <= set(cand.conditions)


def _resource_covered(ref: Statement, cand: Statement, resource: str) -> bool:
    if cand.not_resources is not None:
        # The candidate grants everything but some patterns: only a reference with
        # Resource "*" or with fewer exclusions covers it.
        if ref.resources is not None:
            return "*" in ref.resources
        if ref.not_resources is not None:
            return all(any(arnlib.contains(c, r) for c in cand.not_resources) for r in ref.not_resources)
        return True
    if ref.resources is not None:
        return any(arnlib.contains(r, resource) for r in ref.resources)
    if ref.not_resources is not None:
        return not any(arnlib.intersects(r, resource) for r in ref.not_resources)
    return True


def _deny_carried(deny: Statement, cand_denies: list[Statement]) -> bool:
    """The candidate has its own Deny (covering the action) at least as broad as this one."""
    for st in cand_denies:
        if not set(st.conditions) <= set(deny.conditions):
            continue
        if st.not_resources is not None:
            # "deny all but X" is at least as broad as "deny all but Y" when X lies within Y
            if deny.not_resources is not None and all(
                any(arnlib.contains(d, c) for d in deny.not_resources) for c in st.not_resources
            ):
                return True
            continue
        d_res = deny.resources if deny.resources is not None else ("*",)
        c_res = st.resources if st.resources is not None else ("*",)
        if deny.not_resources is not None and "*" not in c_res:
            continue
        if all(any(arnlib.contains(c, d) for c in c_res) for d in d_res):
            return True
    return False


def _deny_fully_covers(st: Statement, resource: str) -> bool:
    if st.conditions or st.not_resources is not None:
        return False
    res = st.resources if st.resources is not None else ("*",)
    return any(arnlib.contains(r, resource) for r in res)


def _verdict(st, res, sig, ref_allows, ref_denies, cand_denies, by_resource=None) -> str | None:
    """Why (action group, resource) of candidate statement ``st`` is new, or None if covered.

    ``by_resource`` (resource text -> indices of reference allows naming it) lets the common
    case, a reference statement naming the very same resource, be decided without scanning
    every reference statement (a role of 2,000 statements is otherwise quadratic)."""
    allow_idx, deny_idx, cand_deny_idx = sig
    raw_res = "*" if res.startswith("NotResource:") else res
    if st.not_resources is None and any(
        _deny_fully_covers(cand_denies[i][0], raw_res) for i in cand_deny_idx
    ):
        return None

    def covers(i: int) -> bool:
        return _resource_covered(ref_allows[i][0], st, raw_res) and _conditions_implied(ref_allows[i][0], st)

    likely = by_resource.get(raw_res, ()) if by_resource is not None else ()
    allowed = set(allow_idx) if likely else ()
    covered = any(covers(i) for i in likely if i in allowed) or any(covers(i) for i in allow_idx)
    if not covered:
        if not allow_idx:
            return "not allowed by the reference"
        return "reference allows this action on narrower resources or with conditions"
    carried = [cand_denies[i][0] for i in cand_deny_idx]
    for i in deny_idx:
        d = ref_denies[i][0]
        d_res = d.resources if d.resources is not None else ("*",)
        touches = d.not_resources is not None or any(arnlib.intersects(x, raw_res) for x in d_res)
        if touches and not _deny_carried(d, carried):
            return f"reference denies it (statement {d.sid or d.index})"
    return None


class Reference:
    """A reference policy set prepared once (action sets expanded) for many comparisons."""

    def __init__(self, reference: Policy | Sequence[Policy], catalog: Catalog | None = None):
        self.cat = catalog or default_catalog()
        refs = _policies(reference)
        self.allows = [(st, _ActionSet(st, self.cat)) for p in refs for st in p.statements if st.is_allow]
        self.denies = [(st, _ActionSet(st, self.cat)) for p in refs for st in p.statements if not st.is_allow]
        self.by_resource: dict[str, list[int]] = {}
        for i, (st, _) in enumerate(self.allows):
            for r in st.resources or ():
                self.by_resource.setdefault(r, []).append(i)

    def new_access(self, candidate: Policy | Sequence[Policy]) -> list[NewAccess]:
        """Every (action, resource pattern) the candidate allows that this reference does not."""
        cat = self.cat
        cands = _policies(candidate)
        ref_allows, ref_denies = self.allows, self.denies
        cand_denies = [(st, _ActionSet(st, cat)) for p in cands for st in p.statements if not st.is_allow]
        out: list[NewAccess] = []
        seen: set[tuple[str, str, int]] = set()
        sigs: dict[str, tuple] = {}  # an action's covering statements do not depend on the candidate statement
        for pol in cands:
            for st in pol.statements:
                if not st.is_allow:
                    continue
                resources: Iterable[str]
                if st.not_resources is not None:
                    resources = ["NotResource:" + ",".join(st.not_resources)]
                else:
                    resources = st.resources if st.resources is not None else ("*",)
                # Actions that the same reference and candidate statements cover share one
                # verdict per resource: decide each such group once (a "*" has ~20,000 actions).
                verdicts: dict[tuple, str | None] = {}
                for key in _statement_actions(st, cat):
                    sig = sigs.get(key)
                    if sig is None:
                        sig = sigs[key] = (
                            tuple(i for i, (_, a) in enumerate(ref_allows) if a.covers(key)),
                            tuple(i for i, (_, a) in enumerate(ref_denies) if a.covers(key)),
                            tuple(i for i, (_, a) in enumerate(cand_denies) if a.covers(key)),
                        )
                    name = None
                    for res in resources:
                        vk = (sig, res)
                        if vk not in verdicts:
                            verdicts[vk] = _verdict(st, res, sig, ref_allows, ref_denies, cand_denies,
                                                    self.by_resource)
                        reason = verdicts[vk]
                        if reason:
                            name = name or cat.canonical(key)
                            k = (name, res, st.index)
                            if k not in seen:
                                seen.add(k)
                                out.append(NewAccess(name, res, st.index, st.sid, reason))
        return out

    def allowing_statements(self, action: str) -> list[Statement]:
        """Allow statements of the reference that cover an action (on some resource)."""
        key = action.lower()
        return [st for st, acts in self.allows if acts.covers(key)]


def new_access(
    candidate: Policy | Sequence[Policy],
    reference: Policy | Sequence[Policy],
    catalog: Catalog | None = None,
) -> list[NewAccess]:
    """Every (action, resource pattern) the candidate allows that the reference does not."""
    return Reference(reference, catalog).new_access(candidate)


def allowed_actions(policies: Policy | Sequence[Policy], catalog: Catalog | None = None) -> set[str]:
    """Catalog keys any Allow statement grants on some resource (Deny ignored): for counts."""
    cat = catalog or default_catalog()
    out: set[str] = set()
    for p in _policies(policies):
        for st in p.statements:
            if st.is_allow:
                out.update(_statement_actions(st, cat))
    return out
