"""Deterministic layout of the report's inline SVG pictures (no JavaScript library, nothing fetched).

Each function turns report data into boxes, lines and labels with coordinates; the markup is
written by the templates in ``reports/partials/*.svg.j2`` with autoescaping on. Every label
passes through ``label``, which also removes control characters (they are not allowed in
XML, and an SVG saved from the page must stay well formed). ``escape`` is for the rare SVG
text assembled in Python.
"""

from __future__ import annotations

import re

from iam_analyzer.analyze.graph.reach import UNEVALUATED
from iam_analyzer.emit.pictures import class_label, kind_of, resolved_path, short

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|[\t\r\n]")


def label(text, limit: int = 40) -> str:
    """Printable, one line, at most ``limit`` characters (ends with … when cut)."""
    s = _CONTROL.sub(" ", "" if text is None else str(text)).strip()
    return s if len(s) <= limit else s[: max(1, limit - 1)] + "\u2026"


def escape(text) -> str:
    """XML-escape a label for SVG text or attributes built in Python."""
    return (label(text, 10_000).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


# -- escalation paths -----------------------------------------------------------------------

BOX_W, BOX_H, GAP, TOP_ESC = 210, 46, 250, 26


def _power(yields: str) -> str:
    y = yields or "more permissions"
    return "administrator" if y.startswith("administrator") else y.split(":", 1)[0]


def _describe(req: dict) -> str:
    if not isinstance(req, dict):
        return str(req)
    res = req.get("resource")
    return f"{req.get('action', '?')}" + (f" on {short(res)}" if res and res != "*" else (" on *" if res else ""))


def _completion(hop: dict, esc: dict) -> str:
    """What would complete a conditional or missing step, from what the analysis recorded:
    the step's own ``needs`` (something the input cannot show), else the finding's
    ``requires`` (the needs of its steps, joined), else the step's conditional grants."""
    if isinstance(hop.get("needs"), str) and hop["needs"]:
        return hop["needs"]
    wanted = esc.get("requires")
    if isinstance(wanted, str) and wanted and wanted != UNEVALUATED:
        return wanted
    if isinstance(wanted, (list, tuple)) and wanted:
        return "needs " + "; ".join(_describe(w) for w in wanted[:3])
    weak = [r for r in hop.get("requires") or [] if isinstance(r, dict) and str(r.get("result", "")).upper() != "ALLOW"]
    if weak:
        parts = [(f"the condition on {r.get('action')} to hold" if str(r.get("result", "")).upper() == "CONDITIONAL"
                  else f"a grant of {_describe(r)}") for r in weak[:2]]
        return "needs " + " and ".join(parts)
    return "needs conditions that could not be evaluated to hold"


def _wrap(words: list[str], width: int, max_lines: int) -> list[str]:
    """Words joined by ' + ' into at most ``max_lines`` lines of ``width`` characters."""
    lines: list[str] = []
    for w in words:
        if lines and len(lines[-1]) + 3 + len(w) <= width:
            lines[-1] += " + " + w
        else:
            lines.append(w if not lines else "+ " + w)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1:])]
    return [label(x, width) for x in lines]


def _lines(text: str, width: int, max_lines: int) -> list[str]:
    """Text wrapped at spaces into at most ``max_lines`` lines (the last one cut with …)."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > max_lines:
        out = out[: max_lines - 1] + [" ".join(out[max_lines - 1:])]
    return [label(x, width) for x in out]


def ordered(escalations: list[dict]) -> list[dict]:
    """Paths to administrator first, certain before conditional, shorter first (stable otherwise)."""
    return sorted(escalations or [], key=lambda e: (_power(e.get("yields", "")) != "administrator",
                                                    bool(e.get("conditional")), len(e.get("path") or [])))


def escalation(esc: dict) -> dict:
    """A path drawn left to right: principal -> each step's target -> the power it yields."""
    path = resolved_path(esc)  # a step to a class node is drawn to the principal it reaches
    principal = esc.get("principal", "?")
    nodes = [{"label": label(short(principal), 28), "sub": label(esc.get("principal_type") or "principal", 28),
              "full": label(principal, 500), "cls": "start"}]
    dashed_any = any(h.get("conditional") or h.get("needs") for h in path)
    steps = []
    for i, hop in enumerate(path):
        to = hop.get("to", "?")
        self_hop = to == hop.get("from", principal)
        # how many principals this step could have gone to (the finding counts its first step's)
        count = esc.get("targets") if i == 0 else hop.get("targets")
        sub = short(to) if self_hop else kind_of(to)
        if isinstance(count, int) and count > 1 and not self_hop:
            sub = f"{sub}, 1 of {count} targets"
        via = f" (one of {class_label(hop['via'])})" if hop.get("via") else ""
        nodes.append({"label": label("itself" if self_hop else short(to), 28), "sub": label(sub, 28),
                      "full": label(f"{to}{via}", 500), "cls": "mid"})
        conditional = bool(hop.get("conditional") or hop.get("needs")) or (
            bool(esc.get("conditional")) and not dashed_any and i == len(path) - 1)
        reqs = [r for r in hop.get("requires") or [] if isinstance(r, dict)]
        first = next((r.get("resource") for r in reqs if r.get("resource")), None)
        steps.append({"method": label(hop.get("method", "?"), 30),
                      "lines": _wrap([str(r.get("action", "?")) for r in reqs], 40, 2) + (
                          [label(f"on {short(first)}" if first != "*" else "on *", 40)] if first else []),
                      "full": label("; ".join(_describe(r) for r in reqs), 600),
                      "dashed": conditional,
                      "completion": label(_completion(hop, esc), 300) if conditional else ""})
        steps[-1]["completion_lines"] = _lines(steps[-1]["completion"], 44, 3)
    nodes.append({"label": label(_power(esc.get("yields", "")), 32), "sub": "what it yields",
                  "full": label(esc.get("yields", ""), 500), "cls": "end"})
    steps.append({"method": "yields", "lines": [], "full": "", "dashed": False, "completion": "", "completion_lines": []})
    for i, n in enumerate(nodes):
        n["x"], n["y"] = 6 + i * (BOX_W + GAP), TOP_ESC
    for i, s in enumerate(steps):
        s["x1"], s["x2"], s["y"] = nodes[i]["x"] + BOX_W, nodes[i + 1]["x"] - 4, TOP_ESC + BOX_H // 2
        s["mid"] = (s["x1"] + s["x2"]) // 2
    title = (f"Escalation path: {short(principal)} can reach {_power(esc.get('yields', ''))} in {len(path)} step(s)"
             + (" if conditions hold" if esc.get("conditional") else ""))
    caption = f"{principal}: {esc.get('yields', '')}"
    if isinstance(esc.get("targets"), int) and esc["targets"] > 1:
        first = path[0].get("method", "?") if path else "?"
        caption += f" (its first step, {first}, has {esc['targets']} targets: one example path is drawn)"
    return {"title": label(title, 160), "caption": label(caption, 600), "nodes": nodes, "steps": steps, "box_w": BOX_W, "box_h": BOX_H,
            "width": nodes[-1]["x"] + BOX_W + 6, "height": TOP_ESC + BOX_H + 20 + 13 * max(len(s["lines"]) + len(s["completion_lines"]) for s in steps), "conditional": bool(esc.get("conditional"))}


# -- the overview ---------------------------------------------------------------------------

ROW_H, TOP = 46, 34
X_ENTRY, W_ENTRY, X_FN, W_FN, X_ROLE, W_ROLE = 6, 210, 260, 380, 690, 250
X_ARC = X_ROLE + W_ROLE
ARC_LIMIT = 16  # escalation edges drawn in the overview; the rest are counted


def overview(data: dict) -> dict:
    rows = []
    index = {}
    for i, r in enumerate(data.get("rows", [])):
        y = TOP + i * ROW_H
        index[r["arn"]] = i
        fns = r.get("functions") or []
        names = ", ".join(fns[:3]) + (f" +{len(fns) - 3} more" if len(fns) > 3 else "")
        badges = (["administrator"] if r.get("admin") else []) + (["can escalate"] if r.get("escalates") else []) + (
            [f"shared by {len(fns)} functions"] if r.get("shared") else [])
        if not fns:
            badges.append(f"{r.get('kind', 'principal')}, runs no function")
        public = r.get("public") or []
        entry = ""
        if public:
            how = sorted({h for p in public for h in p["how"]})
            entry = ", ".join(how)
        rows.append({"y": y, "cy": y + 16, "role": label(r["name"], 34), "role_full": label(r["arn"], 500),
                     "badges": label(", ".join(badges), 40), "admin": bool(r.get("admin")),
                     "functions": label(names, 58) if fns else "", "functions_full": label(", ".join(fns), 2000),
                     "entry": label(entry, 32), "entry_full": label("; ".join(f"{p['function']}: {', '.join(p['how'])}" for p in public), 2000)})
    arcs, labels = [], []
    edges = [e for e in data.get("edges", []) if e["from"] in index and e["to"] in index]
    # each principal's edges into administrators first, then into other roles, its own escalation
    # last; taken in turns across principals, so every escalating row shows at least one arc
    edges.sort(key=lambda e: (not rows[index[e["to"]]]["admin"], e["from"] == e["to"], index[e["from"]], index[e["to"]]))
    turn: dict[str, int] = {}
    ranked = []
    for e in edges:
        turn[e["from"]] = turn.get(e["from"], -1) + 1
        ranked.append((turn[e["from"]], e))
    edges = [e for _, e in sorted(ranked, key=lambda te: te[0])]
    more_arcs = max(0, len(edges) - ARC_LIMIT)
    for k, e in enumerate(edges[:ARC_LIMIT]):
        a, b = index[e["from"]], index[e["to"]]
        ya, yb = rows[a]["cy"], rows[b]["cy"]
        cx = X_ARC + 40 + 26 * (k % 8)
        if a == b:
            d = f"M{X_ARC},{ya - 6} C{cx},{ya - 30} {cx},{ya + 30} {X_ARC + 4},{ya + 6}"
            ly = ya
        else:
            d = f"M{X_ARC},{ya} C{cx},{ya} {cx},{yb} {X_ARC + 6},{yb}"
            ly = (ya + yb) // 2
        # one label per place: arcs that share a method and a spot are read from the first one
        crowded = any(abs(ly - y) < 14 and abs(cx - x) < 150 for x, y in labels)
        if not crowded:
            labels.append((cx, ly))
        arcs.append({"d": d, "lx": cx + 4, "ly": ly + 4, "method": "" if crowded else label(e["method"], 26),
                     "dashed": bool(e.get("conditional")),
                     "title": label(f"{short(e['from'])} -> {short(e['to'])}: {e['method']}", 200)})
    n = len(rows)
    notes = []
    if data.get("more_roles"):
        notes.append(f"and {data['more_roles']} more role(s) running {data['more_functions']} function(s): "
                     "see the Functions table")
    if more_arcs:
        notes.append(f"{more_arcs} more escalation edge(s) not drawn: see Escalation paths")
    more = "; ".join(notes)
    height = TOP + n * ROW_H + (28 if more else 6)
    counts = data.get("counts", {})
    title = (f"Account overview: {counts.get('functions', 0)} functions, {counts.get('roles', 0)} roles, "
             f"{counts.get('admin_roles', 0)} administrator role(s), {counts.get('public_functions', 0)} public function(s), "
             f"{counts.get('escalation_edges', 0)} escalation edge(s)")
    return {"rows": rows, "arcs": arcs, "width": X_ARC + 40 + 26 * 8 + 170, "height": max(height, 80), "more": more,
            "more_y": TOP + n * ROW_H + 14, "title": label(title, 200),
            "x": {"entry": X_ENTRY, "w_entry": W_ENTRY, "fn": X_FN, "w_fn": W_FN, "role": X_ROLE, "w_role": W_ROLE}}


# -- what a function's role reaches --------------------------------------------------------

REACH_ROWS = 8


def reach(data: dict | None) -> dict | None:
    if not data:
        return None
    cols = []
    for i, (key, title) in enumerate((("used", "used or required"), ("kept", "kept by the generated policy"),
                                      ("unused", "reachable, never used"))):
        items = list((data.get(key) or {}).items())
        top = max([n for _, n in items] or [1])
        rows = [{"y": 40 + j * 18, "text": label(f"{svc} {n}", 30), "w": max(2, round(110 * n / top))}
                for j, (svc, n) in enumerate(items[:REACH_ROWS])]
        more = len(items) - REACH_ROWS
        cols.append({"x": 6 + i * 318, "key": key, "title": f"{title}: {sum(n for _, n in items)}", "rows": rows,
                     "more": f"+{more} more services" if more > 0 else "", "more_y": 40 + REACH_ROWS * 18})
    depth = max(len(c["rows"]) for c in cols) + (1 if any(c["more"] for c in cols) else 0)
    return {"cols": cols, "width": 960, "height": 44 + max(depth, 1) * 18}
