"""Usage statistics and S3 object keys: merging stats, and coarsening object keys to prefixes.

A stat is ``[count, denied, first_seen, last_seen, data_event]``. S3 object keys, the one
resource that grows without bound, are coarsened to prefixes (``bucket/logs/*``) past
``OBJECT_LIMIT`` per principal, action and bucket, level by level, in a way that does not
depend on the order keys arrive: merging partial tables in any order gives the same result.
"""

from __future__ import annotations

OBJECT_LIMIT = 64

Stat = list


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def merge_stat(table: dict, key, st: Stat) -> None:
    cur = table.get(key)
    if cur is None:
        table[key] = list(st)
        return
    cur[0] += st[0]
    cur[1] += st[1]
    if st[2] < cur[2]:
        cur[2] = st[2]
    if st[3] > cur[3]:
        cur[3] = st[3]
    cur[4] = cur[4] or st[4]


# -- S3 object coarsening -----------------------------------------------------------------

MAX_LEVEL = 4  # 0: exact keys, 1..3: prefixes of depth 3, 2, 1; 4: the whole bucket


def project(key: str, level: int) -> str:
    """An object key at a coarsening level (see module docstring)."""
    if level == 0:
        return key
    if level >= MAX_LEVEL:
        return "*"
    depth = 4 - level  # level 1 -> 3 segments, 2 -> 2, 3 -> 1
    parts = key.split("/", depth)
    if len(parts) > depth:  # at least `depth` slashes: keep the first `depth` segments
        return key[:len(key) - len(parts[-1])] + "*"
    cut = key.rfind("/")
    return key[:cut + 1] + "*" if cut >= 0 else "*"


def _reproject(items: dict, level: int) -> dict:
    out: dict = {}
    for k, st in items.items():
        merge_stat(out, project(k, level) if not k.endswith("*") or level >= MAX_LEVEL else _coarsen_pattern(k, level), st)
    return out


def _coarsen_pattern(pattern: str, level: int) -> str:
    # a pattern "a/b/c/*" is the key "a/b/c/" with a wildcard; project its directory part
    base = pattern[:-1]
    return project(base + "x", level) if base else "*"


def merge_objects(cur: list, level: int, items: dict) -> None:
    target = max(cur[0], level)
    mine = _reproject(cur[1], target) if target != cur[0] else cur[1]
    theirs = _reproject(items, target) if target != level else items
    for k, st in theirs.items():
        merge_stat(mine, k, st)
    while len(mine) > OBJECT_LIMIT and target < MAX_LEVEL:
        target += 1
        mine = _reproject(mine, target)
    cur[0], cur[1] = target, mine
