"""Which functions of a package one handler can run: a conservative reachability by name.

Module-level code of every file read runs (the handler's module and what it imports), and so
does the handler function. From there, a function is reachable when its name is used in
reachable code, called or not (a callback, a dispatch table, ``module.func``); a method when
its class is used and its name is, or it is a dunder (``__init__``, ``__call__``, ...);
a decorated function always (decorators register routes, handlers, tasks). Code that looks
names up at run time (``getattr`` with a computed name, ``globals()``, ``locals()``) makes
every function reachable. Only functions nothing refers to are left out, so a role never
loses a call the handler can make.
"""

from __future__ import annotations

import ast

_DYNAMIC = {"getattr", "globals", "locals", "vars", "__import__", "import_module"}


def _names(nodes) -> tuple[set[str], bool]:
    out: set[str] = set()
    dynamic = False
    for top in nodes:
        for n in ast.walk(top):
            if isinstance(n, ast.Name):
                out.add(n.id)
            elif isinstance(n, ast.Attribute):
                out.add(n.attr)
            elif isinstance(n, ast.Call):
                fn = n.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
                if name in _DYNAMIC and not (name == "getattr" and len(n.args) > 1 and isinstance(n.args[1], ast.Constant)):
                    dynamic = True
    return out, dynamic


def reachable(units, entry_path: str, handler: str) -> set[tuple[str, str]] | None:
    """(module, qualified name) of the functions the handler can run; None: all of them."""
    top: list = []
    funcs: dict[tuple[str, str], ast.AST] = {}
    roots: set[tuple[str, str]] = set()
    for u in units:
        for st in u.tree.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                top.extend(st.decorator_list)
                top.extend(st.args.defaults + st.args.kw_defaults)
            elif isinstance(st, ast.ClassDef):
                top.extend(st.decorator_list + st.bases + st.keywords)
                top.extend(m for m in st.body if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)))
                for m in st.body:
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        top.extend(m.decorator_list)
            else:
                top.append(st)
        for qual, fn in u.functions.items():
            funcs[(u.module, qual)] = fn
            if fn.decorator_list:
                roots.add((u.module, qual))
            if u.path == entry_path and qual == handler:
                roots.add((u.module, qual))
    if not any(u.path == entry_path for u in units):
        return None
    used, dynamic = _names(top)
    done: set[tuple[str, str]] = set()
    todo = list(roots)
    while True:
        while todo:
            key = todo.pop()
            if key in done:
                continue
            done.add(key)
            more, dyn = _names(funcs[key].body)
            used |= more
            dynamic = dynamic or dyn
        if dynamic:
            return None
        new = []
        for key in funcs:
            if key in done:
                continue
            qual = key[1]
            if "." in qual:
                cls, name = qual.split(".", 1)
                if cls in used and (name in used or (name.startswith("__") and name.endswith("__"))):
                    new.append(key)
            elif qual in used:
                new.append(key)
        if not new:
            return done
        todo = new
