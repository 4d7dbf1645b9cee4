"""Escalation findings by reachability, not by enumerating paths.

The steps of every principal (``Escalations.edges_from``) form a graph whose privileged nodes
are administrators and principals that can grant themselves any permission. One backward
breadth-first search per *tier* (from the privileged nodes, over the reversed steps) gives
every node its nearest privileged principal and the next step towards it, in time linear in
the size of the graph; a principal's findings are then read off its own first steps: per
method, how many targets it has, the most powerful principal it reaches, and one shortest
example path. Tiers rank what is reached: an administrator by complete steps, a
self-escalator by complete steps, then the same through steps that need something the
input cannot show (``Hop.needs``: a conditional path).
"""

from __future__ import annotations

from collections import deque

import networkx as nx

from iam_analyzer.analyze.graph.methods import ACT_AS, CLASS_PREFIX, CONTROL, METHOD_YIELDS, POLICY_WRITE, Hop
from iam_analyzer.analyze.graph.principals import Principal

# the finding's ``requires`` when a step is conditional on policy conditions (not on something missing)
UNEVALUATED = "conditions that could not be evaluated hold"
MAX_PATH = 6  # steps in an example path (a guard; shortest paths are short)


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _traversable(h: Hop) -> bool:
    # writing a principal's policies does not make one that principal
    return h.method not in POLICY_WRITE and h.target != h.source


def find(esc) -> tuple[list[dict], nx.MultiDiGraph]:
    an = esc.an
    g = nx.MultiDiGraph()
    hops_by: dict[str, list[Hop]] = {}
    rev: dict[str, list[tuple[str, Hop | None]]] = {}
    classes: dict[str, tuple[str, ...]] = {}
    edges: list[tuple] = []
    for arn, p in an.principals.items():
        hops = hops_by[arn] = [] if esc.admin.get(arn) else esc.edges_from(p)
        for h in hops:
            edges.append((h.source, h.target, h.method, {"hop": h}))
            if not _traversable(h):
                continue
            rev.setdefault(h.target, []).append((arn, h))
            if h.members and h.target not in classes:
                classes[h.target] = h.members
                for m in h.members:
                    rev.setdefault(m, []).append((h.target, None))
    g.add_edges_from(edges)
    # a principal that can grant itself any permission is as good as an administrator
    self_escalators = {arn for arn, hops in hops_by.items()
                       if any(h.target == arn and h.method != "AssumeRole" and not h.needs for h in hops)}
    rank = {a: 2 for a, v in esc.admin.items() if v}
    for a in sorted(self_escalators):  # sorted: the same input gives the same paths
        rank.setdefault(a, 1)

    # tiers: 0 admin/complete, 1 self-escalator/complete, 2 admin/any, 3 self-escalator/any
    reach: dict[str, tuple[int, Hop | None, str, int]] = {}  # node -> (tier, next step, next node, steps left)
    for tier, (min_rank, complete) in enumerate(((2, True), (1, True), (2, False), (1, False))):
        seeds = [n for n, r in rank.items() if r >= min_rank]
        seeds += [n for n, (t, _, _, _) in reach.items() if _tier_ok(t, min_rank, complete)]
        queue = deque(dict.fromkeys(seeds))
        seen = set(queue)
        while queue:
            x = queue.popleft()
            for u, h in rev.get(x, ()):
                if u in seen or u in rank:
                    continue
                if complete and h is not None and (h.needs or False):
                    continue
                seen.add(u)
                if u not in reach:
                    reach[u] = (tier, h, x, (reach[x][3] if x in reach else 0) + (h is not None))
                queue.append(u)

    def tier_of(node: str) -> int | None:
        r = rank.get(node)
        if r is not None:
            return 0 if r == 2 else 1
        got = reach.get(node)
        return got[0] if got else None

    def follow(node: str) -> tuple[list[Hop], str]:
        path: list[Hop] = []
        seen = {node}
        while node not in rank and node in reach and len(path) < MAX_PATH:
            _, h, nxt, _ = reach[node]
            if h is not None:
                path.append(h)
            if nxt in seen:
                break
            seen.add(nxt)
            node = nxt
        return path, node

    findings: list[dict] = []
    for arn, p in sorted(an.principals.items()):
        if p.kind == "group" or esc.admin.get(arn):
            continue
        hops = hops_by[arn]
        for h in hops:
            if h.target == arn:
                findings.append(_finding(p, [h], METHOD_YIELDS.get(h.method, "any permission"), h.target, 1))
        findings.extend(_write_findings(p, hops, an))
        best: dict[str, tuple[int, int, Hop, str]] = {}  # method -> (tier, steps, first hop, target node)
        counts: dict[str, int] = {}
        for h in hops:
            if not _traversable(h):
                continue
            counts[h.method] = counts.get(h.method, 0) + (len(h.members) or 1)
            t = tier_of(h.target)
            if t is None:
                continue
            if h.needs and t in (0, 1):
                t += 2
            steps = reach[h.target][3] if h.target in reach and h.target not in rank else 0
            cur = best.get(h.method)
            if cur is None or (t, steps) < cur[:2]:
                best[h.method] = (t, steps, h, h.target)
        for method, (t, _, h, target) in sorted(best.items()):
            rest, final = follow(target)
            if final.startswith(CLASS_PREFIX) or final == arn:
                continue
            path = _through_members([h] + rest, final)
            if any(x.target == arn for x in rest):
                continue  # back to where it started: nothing gained
            yields = "administrator" if rank.get(final) == 2 else "a principal that can escalate itself"
            findings.append(_finding(p, path, f"{yields}: {final}", final, counts[method]))
    return findings, g


def _through_members(path: list[Hop], final: str) -> list[Hop]:
    """A step to a class (any role a service may be passed ...) shown to the member the path
    goes through: the next step's source, or the principal reached. Class nodes are the
    graph's shorthand and never appear in a finding."""
    out = []
    for i, h in enumerate(path):
        if h.target.startswith(CLASS_PREFIX):
            member = path[i + 1].source if i + 1 < len(path) else final
            requires = h.requires
            shown = h.witness.get(member)
            if shown:  # the evidence names a resource that yields this member (its function)
                first = requires[0]["resource"]
                requires = [dict(r, resource=shown) if r["resource"] == first else r for r in requires]
            h = Hop(h.source, member, h.method, requires, h.conditional,
                    h.needs.format(name=_name(member)) if h.needs else None, h.members)
        out.append(h)
    return out


def _tier_ok(t: int, min_rank: int, complete: bool) -> bool:
    reached_rank = 2 if t in (0, 2) else 1
    return reached_rank >= min_rank and (t < 2 or not complete)


def _write_findings(p: Principal, hops: list[Hop], an) -> list[dict]:
    """Principals whose policies this one can rewrite: worth everything once it can act as
    them (a complete path), and one step away otherwise (a conditional path)."""
    out = []
    writes: dict[str, list[Hop]] = {}
    for h in hops:
        if h.method in POLICY_WRITE and h.target != p.arn:
            writes.setdefault(h.method, []).append(h)
    if not writes:
        return out
    control = {h.target: h for h in hops if h.method in CONTROL and h.target != p.arn}
    on_self = {h.method for h in hops if h.target == p.arn}
    self_complete = any(h.target == p.arn and not h.conditional and not h.needs and h.method in POLICY_WRITE for h in hops)
    for method, ws in sorted(writes.items()):
        count = sum(len(w.members) or 1 for w in ws)
        done = None
        for w in ws:
            # a class step (every user or role) reaches each principal it can control
            hits = [t for t in control if t in set(w.members)] if w.members else ([w.target] if w.target in control else [])
            if hits:
                done = (w, control[hits[0]], hits[0])
                break
        if done:
            w, c, t = done
            w2 = Hop(w.source, t, w.method, w.requires, w.conditional)
            out.append(_finding(p, [w2, c], f"any permission: it can rewrite the policies of {t} and act as it", t, count))
            continue
        if method in on_self or self_complete:
            continue  # it can already write its own policies (or escalate itself): nothing to add
        w = ws[0]
        t = next((a for a in w.members if a != p.arn), w.target) if w.members else w.target
        target = an.principals.get(t)
        needs = ACT_AS[target.kind if target else "role"].format(name=_name(t))
        w2 = Hop(w.source, t, w.method, w.requires, True, needs)
        out.append(_finding(p, [w2], f"any permission, once it can act as {t}", t, count))
    return out


def _guardrail_text(path: list[Hop]) -> str | None:
    names = [f"{g['kind'].upper()} {g['policy']} Statement[{g['statement']}]" + (f" ({g['sid']})" if g.get("sid") else "")
             for h in path for r in h.requires for g in r.get("guardrails", ())]
    if not names:
        return None
    return ("conditional on the organization's " + ", ".join(dict.fromkeys(names))
            + ": its conditions cannot be decided with what is known of the request")


def _finding(p: Principal, path: list[Hop], yields: str, target: str, targets: int) -> dict:
    needs = [h.needs for h in path if h.needs]
    guard = _guardrail_text(path)
    if guard:
        needs_or_guard = needs + [guard]
    else:
        needs_or_guard = needs
    return {"principal": p.arn, "principal_type": p.kind,
            "method": path[-1].method if len(path) == 1 else "+".join(h.method for h in path),
            "path": [h.as_dict() for h in path], "yields": yields,
            "conditional": any(h.conditional for h in path) or bool(needs),
            "requires": "; ".join(needs_or_guard) if needs_or_guard else
            (UNEVALUATED if any(h.conditional for h in path) else None),
            "complete": not needs, "hops": len(path), "target": target, "targets": targets}
