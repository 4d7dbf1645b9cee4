"""Wildcard minimisation against the catalog that never adds an action.

``minimize_actions(["s3:GetObject", "s3:GetObjectAcl", ...])`` returns the shortest list of
patterns we can find whose expansion against the catalog is *exactly* the input: a prefix
``s3:GetObject*`` is used only when every catalog action with that prefix was asked for.
Names the catalog does not know are passed through unchanged.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Iterable

from .catalog import Catalog, default_catalog


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

