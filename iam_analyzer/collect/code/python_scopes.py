"""Names the Python reader binds before it reads the functions: attributes set in a class
body (``client = boto3.client(...)``, read as ``self.client``) and module globals a function
sets (``global s3`` then ``s3 = boto3.client(...)``, a lazily made client)."""

from __future__ import annotations

import ast

from .libraries import LibObj
from .python_model import ResObj, ServiceResource, Transfer, _Scope
from .values import Client

SDK_OBJECTS = (Client, ServiceResource, ResObj, Transfer, LibObj)


def bind_class_attributes(a, u) -> None:
    for cls, body in u.class_bodies.items():
        scope = _Scope(u.globals, None)
        for st in body:
            v = a._ev(u, st.value, scope, cls, 0) if st.value is not None else None
            target = st.targets[0] if isinstance(st, ast.Assign) and len(st.targets) == 1 else getattr(st, "target", None)
            if isinstance(target, ast.Name) and v is not None:
                u.classes[cls][target.id] = v
                scope.set(target.id, v)


def bind_declared_globals(a, u) -> None:
    for fn in u.functions.values():
        declared = {n for g in ast.walk(fn) if isinstance(g, ast.Global) for n in g.names}
        for st in ast.walk(fn) if declared else ():
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) \
                    and st.targets[0].id in declared:
                v = a._ev(u, st.value, _Scope(u.globals, None), None, 0)
                if isinstance(v, SDK_OBJECTS):
                    u.globals[st.targets[0].id] = v
