"""Which top-level functions of a handler's JavaScript/TypeScript files it can run (the same
conservative rule as ``python_reach``): top-level statements of every file run (imports
aside), and so does the handler's export; a top-level function, arrow function or class is
reachable when its name is used in reachable code (called, passed, put in an object or in
``module.exports``). Only what nothing refers to is left out."""

from __future__ import annotations

from bisect import bisect_left

from .js_parse import _nodes, _t

_FUNCTION_VALUES = {"arrow_function", "function_expression", "function", "generator_function"}
_DECLS = {"function_declaration", "generator_function_declaration", "class_declaration", "abstract_class_declaration"}
_NAME_TYPES = ("identifier", "property_identifier", "shorthand_property_identifier", "type_identifier")


def _units(root):
    """(roots, declarations): top-level nodes that run, and (name, node) that run when used."""
    roots, decls = [], []
    for st in root.named_children:
        node = st
        if st.type == "export_statement":
            node = st.child_by_field_name("declaration") or st.child_by_field_name("value")
            if node is None:
                roots.append(st)  # export { a, b } / export default x: uses them
                continue
        if node.type == "import_statement" or node.type == "comment":
            continue
        if node.type in _DECLS:
            name = node.child_by_field_name("name")
            if name is not None:
                decls.append((_t(name), node))
                continue
        if node.type in ("lexical_declaration", "variable_declaration"):
            for d in node.named_children:
                if d.type != "variable_declarator":
                    continue
                name, value = d.child_by_field_name("name"), d.child_by_field_name("value")
                if name is not None and name.type == "identifier" and value is not None and value.type in _FUNCTION_VALUES:
                    decls.append((_t(name), d))
                else:
                    roots.append(d)
            continue
        roots.append(node)
    return roots, decls


def dead_ranges(files: list[tuple[str, str, object]], entry_path: str, handler: str) -> dict[str, list[tuple[int, int]]] | None:
    """Per file, the byte ranges of top-level functions the handler cannot reach; None when
    the handler's file is not among ``files`` (then every function counts)."""
    if not any(p == entry_path for p, _, _ in files):
        return None
    names: dict[str, tuple[list[int], list[str]]] = {}
    units = []  # (path, name, node)
    todo = []
    for path, kind, root in files:
        found = _nodes(kind, root, _NAME_TYPES)
        names[path] = ([n.start_byte for n in found], [_t(n) for n in found])
        roots, decls = _units(root)
        todo += [(path, r) for r in roots]
        for name, node in decls:
            if path == entry_path and name == handler:
                todo.append((path, node))
            else:
                units.append((path, name, node))
    used: set[str] = set()

    def scan(path, node) -> None:
        starts, texts = names[path]
        i = bisect_left(starts, node.start_byte)
        while i < len(starts) and starts[i] < node.end_byte:
            used.add(texts[i])
            i += 1

    while True:
        for path, node in todo:
            scan(path, node)
        todo = [(p, n) for p, name, n in units if name in used]
        if not todo:
            break
        units = [u for u in units if u[1] not in used]
    out: dict[str, list[tuple[int, int]]] = {}
    for path, _, node in units:
        out.setdefault(path, []).append((node.start_byte, node.end_byte))
    return out
