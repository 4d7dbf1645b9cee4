"""Which resources of a template refer to which (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
``DependsOn``): what a new reference may not close into a circular dependency."""

from __future__ import annotations

import re

_SUB_VAR = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")
MAX_NODES = 200_000


def _refs(node, out: set[str]) -> None:
    stack, seen = [node], 0
    while stack and seen < MAX_NODES:
        n = stack.pop()
        seen += 1
        if isinstance(n, dict):
            for k, v in n.items():
                if k == "Ref" and isinstance(v, str):
                    out.add(v)
                elif k == "Fn::GetAtt":
                    if isinstance(v, list) and v and isinstance(v[0], str):
                        out.add(v[0])
                    elif isinstance(v, str):
                        out.add(v.split(".", 1)[0])
                elif k == "Fn::Sub":
                    text = v[0] if isinstance(v, list) and v else v
                    if isinstance(text, str):
                        out.update(m.group(1) for m in _SUB_VAR.finditer(text) if not text[m.start():].startswith("${!"))
                stack.append(v)
        elif isinstance(n, list):
            stack.extend(n)


def dependencies(resources: dict) -> dict[str, set[str]]:
    """Logical id -> the logical ids it refers to or depends on."""
    out: dict[str, set[str]] = {}
    for logical, res in resources.items():
        deps: set[str] = set()
        if isinstance(res, dict):
            _refs(res.get("Properties"), deps)
            dep = res.get("DependsOn")
            deps.update([dep] if isinstance(dep, str) else [d for d in dep if isinstance(d, str)] if isinstance(dep, list) else [])
        out[logical] = {d for d in deps if d in resources and d != logical}
    return out


def reaches(deps: dict[str, set[str]], start: str, targets: set[str]) -> bool:
    """Does ``start`` depend, directly or through others, on one of ``targets``?"""
    seen, todo = {start}, [start]
    while todo:
        for d in deps.get(todo.pop(), ()):
            if d in targets:
                return True
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return False
