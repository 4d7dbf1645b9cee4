"""What the report's pictures show, as plain data (kept in report.json too).

- ``overview``: the account at a glance: functions grouped by the role they run as, roles
  shared by several functions, roles with administrator access, public entry points
  (function URLs with auth NONE, resource policies open to everyone) and the escalation
  edges between principals.
- ``reach``: per function, what its role grants counted per service, split into used,
  kept by the generated policy, and reachable but never used.
- ``policy_diff``: the role's policies before and the generated policy after, one short
  line per statement, as a diff.

Layout (coordinates) lives in ``emit/svg.py``; markup in ``reports/partials/``.
"""

from __future__ import annotations

from collections import Counter

from iam_analyzer.analyze.graph.escalation import CLASS_PREFIX
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.catalog import Catalog
from iam_analyzer.model import Snapshot

OVERVIEW_ROWS = 30  # roles drawn in the overview; the rest are counted
DIFF_LINES = 12  # statement lines shown per side of a policy diff


def is_class(node) -> bool:
    """A class node of the escalation graph (``class:passable:lambda.amazonaws.com``: any role
    Lambda can be passed): the graph's shorthand for many principals, never a principal."""
    return isinstance(node, str) and node.startswith(CLASS_PREFIX)


def class_label(node: str) -> str:
    """What a class node stands for, in words: 'any role passable to lambda' ..."""
    kind, _, rest = node[len(CLASS_PREFIX):].partition(":")
    if kind == "passable":
        return f"any role passable to {rest.split('.', 1)[0] or 'a service'}"
    if kind == "lambda-roles":
        return "any role Lambda may assume"
    if kind == "functions":
        return "any function's role"
    if kind == "existing":  # class:existing:<service>:<account>: an existing resource's role
        return f"any role an existing {rest.split('.', 1)[0] or 'service'} resource may run as"
    if kind in ("users", "roles", "groups"):
        return f"any {kind[:-1]}"
    return "any of several principals"


def resolved_path(esc: dict) -> list[dict]:
    """The finding's steps, a step to a class node shown to the principal the path goes
    through (the next step's source, or the finding's ``target`` for the last step); the
    class is kept as ``via``. A class that cannot be resolved stays, and is drawn in words."""
    path = [h for h in (esc.get("path") or []) if isinstance(h, dict)]
    out = []
    for i, hop in enumerate(path):
        to = hop.get("to")
        if is_class(to):
            member = path[i + 1].get("from") if i + 1 < len(path) else esc.get("target")
            if member and not is_class(member):
                hop = dict(hop, to=member, via=to)
        out.append(hop)
    return out


def short(name: str) -> str:
    """The readable end of an ARN (role/service-role/x -> x); a class node in words;
    anything else unchanged."""
    if is_class(name):
        return class_label(name)
    a = arnlib.try_parse(name or "")
    if a is None:
        return name or ""
    return a.resource_id.rsplit("/", 1)[-1] or a.resource or name


# -- the overview -----------------------------------------------------------------------------


def escalation_edges(escalations: list[dict]) -> list[dict]:
    """Each distinct step of every escalation path: from, to, method, conditional."""
    seen: dict[tuple, dict] = {}
    for e in escalations or []:
        for hop in resolved_path(e):
            key = (hop.get("from") or e.get("principal"), hop.get("to"), hop.get("method"))
            if None in key or is_class(key[0]) or is_class(key[1]):
                continue  # a class node is not a principal: no row, no edge
            edge = seen.setdefault(key, {"from": key[0], "to": key[1], "method": key[2], "conditional": True})
            edge["conditional"] = edge["conditional"] and bool(hop.get("conditional") or e.get("conditional"))
    return sorted(seen.values(), key=lambda d: (d["from"], d["to"], d["method"]))


def overview(snapshot: Snapshot, escalations: list[dict], admins: set[str]) -> dict:
    """Rows (one per role, the most telling first) and escalation edges between them."""
    by_role: dict[str, list] = {}
    for fn in sorted(snapshot.functions(), key=lambda f: (f.account_id, f.region, f.name)):
        by_role.setdefault(fn.role_arn, []).append(fn)
    edges = escalation_edges(escalations)
    sources = {e["from"] for e in edges}
    on_path = sources | {e["to"] for e in edges}
    rows = []
    # without functions (a GAAD file) every role is a row; with them, roles that run a function
    everyone = {r.arn for a in snapshot.accounts for r in a.roles} if not by_role else set()
    for role_arn in set(by_role) | on_path | everyone:
        fns = by_role.get(role_arn, [])
        public = []
        for fn in fns:
            kinds = sorted({"URL auth NONE" for u in fn.urls if u.auth_type == "NONE"} |
                           {"policy: *" for i in fn.invokers if i.effect == "Allow" and i.principal_type == "everyone"})
            if kinds:
                public.append({"function": fn.name, "how": kinds})
        rows.append({"arn": role_arn, "name": short(role_arn), "kind": kind_of(role_arn),
                     "functions": [f.name for f in fns], "admin": role_arn in admins,
                     "shared": len(fns) > 1, "public": public, "escalation": role_arn in on_path,
                     "escalates": role_arn in sources})
    rows.sort(key=lambda r: (not r["admin"], not r["escalation"], not r["public"], not r["shared"],
                             -len(r["functions"]), r["name"], r["arn"]))
    shown, hidden = rows[:OVERVIEW_ROWS], rows[OVERVIEW_ROWS:]
    drawn = {r["arn"] for r in shown}
    return {
        "rows": shown,
        "edges": [e for e in edges if e["from"] in drawn and e["to"] in drawn],
        "more_roles": len(hidden),
        "more_functions": sum(len(r["functions"]) for r in hidden),
        "counts": {"functions": sum(len(v) for v in by_role.values()), "roles": len(by_role),
                   "shared_roles": sum(1 for v in by_role.values() if len(v) > 1),
                   "admin_roles": sum(1 for a in by_role if a in admins),
                   "public_functions": sum(len(r["public"]) for r in rows),
                   "escalation_edges": len(edges)},
    }


def kind_of(principal: str) -> str:
    """role, user, group ... from an IAM ARN; "principal" otherwise."""
    if is_class(principal):
        return "class of principals"
    a = arnlib.try_parse(principal)
    return (a.resource_type or "principal") if a else "principal"


def path_text(esc: dict) -> str:
    """One line per escalation path: 'ci —AssumeRole→ ops —PassRoleLambdaInvoke→ admin-role'."""
    parts = [short(esc.get("principal", "?"))]
    for hop in resolved_path(esc):
        to = hop.get("to", "?")
        on = _acted_on(hop)
        parts.append(f"\u2014{hop.get('method', '?')}{' on ' + short(on) if on else ''}\u2192 "
                     + ("itself" if to == hop.get("from") else short(to)))
    return " ".join(parts)


def _acted_on(hop: dict) -> str | None:
    """The one resource a step acts on when it is not the principal it reaches (the function
    whose code is replaced): the evidence that the step yields its target."""
    reqs = [r for r in hop.get("requires") or [] if isinstance(r, dict)]
    res = reqs[0].get("resource") if reqs else None
    if not isinstance(res, str) or "*" in res or "?" in res or res == hop.get("to") or arnlib.try_parse(res) is None:
        return None
    return res


# -- per function -----------------------------------------------------------------------------


def _by_service(keys, cat: Catalog) -> dict[str, int]:
    counts: Counter = Counter()
    for k in keys:
        act = cat.get(k)
        counts[act.service if act else "other"] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def reach(granted: set[str], used: set[str], required: set[str], generated, cat: Catalog) -> dict:
    """Counts per service: used (or required), kept by the generated policy, never used."""
    kept = {e.action.lower() for e in generated.entries} & granted if generated is not None else set()
    useful = (used | required) & granted
    unused = granted - useful - kept
    return {"used": _by_service(useful, cat), "kept": _by_service(kept, cat), "unused": _by_service(unused, cat),
            "unused_total": len(unused)}


def _listing(values, limit: int) -> str:
    values = [str(v) for v in values]
    head = ", ".join(values[:limit])
    return head + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _as_list(v) -> list:
    return v if isinstance(v, list) else ([] if v is None else [v])


def statement_line(st: dict) -> str:
    """One statement in one line: 'Allow s3:GetObject, s3:PutObject on arn:...:bucket/*'."""
    if not isinstance(st, dict):
        return "(malformed statement)"
    effect = st.get("Effect", "?")
    if "NotAction" in st:
        actions = "everything except " + _listing(_as_list(st["NotAction"]), 3)
    else:
        actions = _listing(_as_list(st.get("Action")), 4)
    if "NotResource" in st:
        where = "everything except " + _listing(_as_list(st["NotResource"]), 2)
    else:
        where = _listing(_as_list(st.get("Resource")), 2)
    cond = st.get("Condition")
    keys = sorted({k for ops in cond.values() if isinstance(ops, dict) for k in ops}) if isinstance(cond, dict) else []
    return f"{effect} {actions} on {where}" + (f" if {_listing(keys, 3)}" if keys else "")


def _statements(docs) -> list[str]:
    out = []
    for d in docs:
        sts = d.get("Statement") if isinstance(d, dict) else None
        for st in _as_list(sts):
            line = statement_line(st)
            if line not in out:
                out.append(line)
    return out


def policy_diff(before_docs: list[dict], after_docs: list[dict] | None) -> dict | None:
    """The role's statements before and the generated statements after, as '-', '+' and ' ' lines."""
    if after_docs is None:
        return None
    before, after = _statements(before_docs), _statements(after_docs)
    removed = [("-", s) for s in before if s not in after]
    added = [("+", s) for s in after if s not in before]
    same = [(" ", s) for s in before if s in after]
    lines = same[:DIFF_LINES] + removed[:DIFF_LINES] + added[:DIFF_LINES]
    return {"lines": [{"sign": s, "text": t} for s, t in lines],
            "more": max(0, len(same) - DIFF_LINES) + max(0, len(removed) - DIFF_LINES) + max(0, len(added) - DIFF_LINES),
            "removed": len(removed), "added": len(added)}
