"""``Fn::If`` in IAM lists, read in both branches.

Elsewhere a template's ``Fn::If`` resolves to the branch its condition picks with the given
parameters. For IAM that is not enough: a policy (or a policy template, a statement, a
managed policy ARN) under ``Fn::If`` deploys in one environment and not in another, and the
gate must judge both. Here each branch of an ``Fn::If`` item of a role's ``Policies``,
``ManagedPolicyArns`` or a document's ``Statement`` is read, marked with its condition:

    {"condition": "IsProd", "branch": true, "deploys": false}

``deploys`` says whether the branch is the one the parameters select. New access and
escalation take every branch (the worst case); would-break takes only what deploys
(``check.py`` filters by ``deploys`` through ``IacResult.statement_conditions``).
"""

from __future__ import annotations

from typing import Any

from .constants import NOVALUE
from .loader import line_of
from .resolve import Stack

Marker = dict  # {"condition": str, "branch": bool, "deploys": bool}


def _is_if(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and isinstance(node.get("Fn::If"), list) \
        and len(node["Fn::If"]) == 3 and isinstance(node["Fn::If"][0], str)


def items(stack: Stack, raw: Any, line: int | None = None) -> list[tuple[Any, Any, Marker | None]]:
    """(resolved item, raw item, marker) for each item of a raw list, both branches of an
    ``Fn::If`` item (a branch that is ``AWS::NoValue`` gives nothing). None when ``raw`` is
    not a list (the caller resolves it as a whole)."""
    out: list[tuple[Any, Any, Marker | None]] = []
    for node in raw:
        here = line_of(node) or line
        if not _is_if(node):
            r = stack.resolve(node, here)
            if r is not NOVALUE:
                out.append((r, node, None))
            continue
        cond, then, other = node["Fn::If"]
        chosen = stack.condition(cond, here)
        for branch, value in ((True, then), (False, other)):
            r = stack.resolve(value, line_of(value) or here)
            if r is NOVALUE or r is None:
                continue
            out.append((r, value, {"condition": cond, "branch": branch, "deploys": branch == chosen}))
    return out


def document(stack: Stack, raw: Any, resolved: Any, line: int | None = None) -> tuple[Any, dict[int, Marker]]:
    """A policy document whose ``Statement`` list holds ``Fn::If`` items, with both branches
    of each: (document, statement index -> marker). Without such items, ``resolved`` as it is."""
    sts = raw.get("Statement") if isinstance(raw, dict) else None
    if not isinstance(sts, list) or not any(_is_if(s) for s in sts) or not isinstance(resolved, dict):
        return resolved, {}
    markers: dict[int, Marker] = {}
    statements = []
    for r, _raw, marker in items(stack, sts, line_of(raw) or line):
        if isinstance(r, list):  # a branch holding several statements
            for one in r:
                if marker is not None:
                    markers[len(statements)] = dict(marker)
                statements.append(one)
            continue
        if marker is not None:
            markers[len(statements)] = dict(marker)
        statements.append(r)
    doc = type(resolved)(resolved)
    if hasattr(resolved, "line"):
        doc.line = resolved.line  # type: ignore[attr-defined]
        doc.key_lines = dict(getattr(resolved, "key_lines", {}))  # type: ignore[attr-defined]
    doc["Statement"] = statements
    return doc, markers
