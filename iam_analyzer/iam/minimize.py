"""Wildcard minimisation against the catalog that never adds an action.

``minimize_actions(["s3:GetObject", "s3:GetObjectAcl", ...])`` returns the shortest list of
patterns we can find whose expansion against the catalog is *exactly* the input: a prefix
``s3:GetObject*`` is used only when every catalog action with that prefix was asked for.
Names the catalog does not know are passed through unchanged.

``drop_covered_statements`` removes a statement another statement of the same policy
covers entirely; ``covered_permissions`` does the same for single permissions.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Iterable

from . import arn as arnlib
from . import wildcard
from .catalog import Catalog, default_catalog
from .policy import Statement, parse_statement


def _prefix_count(sorted_names: list[str], prefix: str) -> int:
    lo = bisect_left(sorted_names, prefix)
    hi = bisect_left(sorted_names, prefix + "\U0010ffff")
    return hi - lo


def minimize_actions(
    actions: Iterable[str], catalog: Catalog | None = None, *, min_prefix: int = 1
) -> list[str]:
    """Patterns that cover exactly the given actions (in catalog terms), sorted."""
    cat = catalog or default_catalog()
    by_service: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for a in actions:
        act = cat.get(a)
        if act is None:
            unknown.add(a)
        else:
            by_service.setdefault(act.service, set()).add(act.name.lower())
    out: list[str] = []
    for svc, chosen in sorted(by_service.items()):
        catalog_actions = cat.service_actions(svc)
        all_names = [a.name.lower() for a in catalog_actions]  # sorted by lower name
        canonical = {a.name.lower(): a.name for a in catalog_actions}
        if len(chosen) == len(all_names):
            out.append(f"{svc}:*")
            continue
        chosen_sorted = sorted(chosen)
        stars: set[str] = set()  # prefixes p where every catalog action starting with p is chosen
        literals: set[str] = set()  # names that must stand alone (another action extends them)
        for name in chosen_sorted:
            for n in range(max(min_prefix, 1), len(name) + 1):
                p = name[:n]
                if _prefix_count(all_names, p) == _prefix_count(chosen_sorted, p):
                    stars.add(p)
                    break
            else:
                literals.add(name)
        mark = len(out)
        kept = [p for p in stars if not any(p != k and p.startswith(k) for k in stars)]
        for p in sorted(kept):
            first = next(n for n in chosen_sorted if n.startswith(p))
            if _prefix_count(all_names, p) == 1:
                out.append(f"{svc}:{canonical[first]}")  # one action: its name reads better
            else:
                out.append(f"{svc}:{canonical[first][:len(p)]}*")
        for name in sorted(literals):
            if not any(name.startswith(k) for k in kept):
                out.append(f"{svc}:{canonical[name]}")
        out[mark:] = sorted(out[mark:], key=str.lower)
    out.extend(sorted(unknown))
    return out



# -- statements covered by other statements ----------------------------------------------------


def _action_subset(inner: tuple[str, ...], outer: tuple[str, ...], cat: Catalog) -> bool:
    outer_keys: set[str] = set()
    for p in outer:
        outer_keys.update(cat.expand_keys(p))
    for p in inner:
        keys = cat.expand_keys(p)
        if keys:
            if not set(keys) <= outer_keys:
                return False
        elif not any(wildcard.contains(o, p, ignore_case=True) for o in outer):
            return False  # a name the catalog lacks: only a pattern covering it as written will do
    return True


def statement_covers(outer: Statement, inner: Statement, catalog: Catalog | None = None) -> bool:
    """Does the Allow statement ``outer`` grant everything ``inner`` grants, whatever the request?

    Sound and conservative: both must be plain Allow statements (Action and Resource, no
    NotAction/NotResource/Principal), ``outer`` may carry only conditions ``inner`` also
    carries, every action of ``inner`` is one of ``outer`` (in catalog terms) and every
    resource pattern of ``inner`` lies within one of ``outer``'s."""
    cat = catalog or default_catalog()
    for st in (outer, inner):
        if (not st.is_allow or st.actions is None or st.resources is None or st.principal is not None
                or st.not_principal is not None):
            return False
    if not set(outer.conditions) <= set(inner.conditions):
        return False
    if not all(any(arnlib.contains(o, i) for o in outer.resources) for i in inner.resources):
        return False
    return _action_subset(inner.actions, outer.actions, cat)


def drop_covered_statements(statements: list[dict], catalog: Catalog | None = None) -> list[dict]:
    """The statements, less each one another statement of the list covers entirely (of two
    equal statements the first stays). Deny statements are never dropped."""
    parsed = [parse_statement(s, i) for i, s in enumerate(statements)]
    out = []
    for i, st in enumerate(parsed):
        covered = any(j != i and statement_covers(other, st, catalog)
                      and (j < i or not statement_covers(st, other, catalog))
                      for j, other in enumerate(parsed))
        if not covered:
            out.append(statements[i])
    return out


def covered_permissions(perms: list[tuple[str, str, tuple]]) -> set[int]:
    """Indexes of ``(action, resource, conditions)`` permissions another one of the list
    covers: same action, a resource pattern containing this one, no condition this one
    lacks. Of two equal permissions the first stays."""
    by_action: dict[str, list[int]] = {}
    for i, (action, _, _) in enumerate(perms):
        by_action.setdefault(action.lower(), []).append(i)
    out: set[int] = set()
    for idxs in by_action.values():
        for i in idxs:
            _, res, conds = perms[i]
            for j in idxs:
                if j == i:
                    continue
                _, ores, oconds = perms[j]
                if set(oconds) <= set(conds) and arnlib.contains(ores, res):
                    mutual = set(conds) <= set(oconds) and arnlib.contains(res, ores)
                    if not mutual or j < i:
                        out.add(i)
                        break
    return out
