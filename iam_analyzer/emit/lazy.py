"""Keeping report.html bounded: which function details are drawn up front, and packing the rest.

With up to ``DRAW_ALL`` functions every function's details are in the page as HTML. Above
that, details are drawn up front only for the functions that matter most (a critical
finding, or a role on an escalation path; at most ``DRAWN_LIMIT``); the others are rendered
by the same template, marked ``<!--lazy:N-->...<!--/lazy:N-->``, cut out here and embedded
once as gzip-compressed JSON (base64) in ``<script id="lazy-details">``. The page unpacks
a function's details in the browser when it is first opened (DecompressionStream; no
network). The markers cannot come from data: autoescaping turns every ``<`` in a name or
policy into ``&lt;``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re

from iam_analyzer.emit.pictures import resolved_path

DRAW_ALL = 100  # functions: up to this many, every detail is drawn in the page
DRAWN_LIMIT = 100  # above it, at most this many functions are drawn up front
ESCALATIONS_DRAWN = 60  # escalation paths drawn; the rest are listed in report.json and the findings

_LAZY = re.compile(r"<!--lazy:(\d+)-->(.*?)<!--/lazy:\1-->", re.S)


def drawn(model: dict) -> set[str]:
    """ARNs of the functions whose details are drawn in the page itself."""
    fns = model.get("functions", [])
    if len(fns) <= DRAW_ALL:
        return {f["arn"] for f in fns}
    severity = {f["fingerprint"]: f["severity"] for f in model.get("findings", [])}
    on_path = {h.get("to") for e in model.get("escalations", []) for h in resolved_path(e)} | {
        e.get("principal") for e in model.get("escalations", [])}

    def rank(f: dict) -> tuple:
        sevs = {severity.get(fp) for fp in f.get("findings", [])}
        return (f["role"] not in on_path and f["arn"] not in on_path, "critical" not in sevs, f["name"])

    chosen = [f for f in sorted(fns, key=rank) if rank(f)[:2] != (True, True)]
    return {f["arn"] for f in chosen[:DRAWN_LIMIT]}


def pack(html: str) -> str:
    """Cut the marked details out of the page and embed them once, compressed."""
    bodies: dict[str, str] = {}

    def cut(m: re.Match) -> str:
        bodies[m.group(1)] = m.group(2)
        return (f'<div class="lazy-body" data-lazy-slot="{m.group(1)}"><p class="muted">Unpacked when opened '
                "(in this page, no network).</p></div>")

    html = _LAZY.sub(cut, html)
    if not bodies:
        return html
    raw = json.dumps(bodies, separators=(",", ":")).encode()
    packed = base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()
    blob = f'<script type="application/octet-stream" id="lazy-details">{packed}</script>\n'
    head, sep, tail = html.rpartition("</body>")
    return head + blob + sep + tail if sep else html + blob
