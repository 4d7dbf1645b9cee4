"""tree-sitter plumbing for the JavaScript/TypeScript reader: grammars, parsers, node queries
and small helpers over nodes."""

from __future__ import annotations

from functools import lru_cache

_WRAPPERS = {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression",
             "type_assertion", "await_expression"}


@lru_cache(maxsize=None)
def _language(kind: str):
    import tree_sitter as ts

    if kind == "js":
        import tree_sitter_javascript as lang

        return ts.Language(lang.language())
    import tree_sitter_typescript as lang

    return ts.Language(lang.language_tsx() if kind == "tsx" else lang.language_typescript())


@lru_cache(maxsize=None)
def _parser(kind: str):
    import tree_sitter as ts

    return ts.Parser(_language(kind))


_BIND_TYPES = ("import_statement", "variable_declarator", "assignment_expression", "field_definition",
               "public_field_definition", "function_declaration", "method_definition", "generator_function_declaration")
_CALL_TYPES = ("call_expression", "new_expression")


@lru_cache(maxsize=None)
def _query(kind: str, types: tuple[str, ...]):
    """One query for the node types of interest (those the grammar has): tree-sitter finds them
    in C instead of a walk over every node in Python."""
    import tree_sitter as ts

    patterns = []
    for t in types:
        try:
            ts.Query(_language(kind), f"({t}) @n")
            patterns.append(f"({t}) @n")
        except Exception:  # noqa: BLE001 - a node type this grammar does not have
            continue
    return ts.Query(_language(kind), " ".join(patterns))


def _nodes(kind: str, root, types: tuple[str, ...]) -> list:
    import tree_sitter as ts

    found = ts.QueryCursor(_query(kind, types)).captures(root).get("n", [])
    return sorted(found, key=lambda n: n.start_byte)


def _kind(path: str) -> str:
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "ts"
    return "js"


def _t(node) -> str:
    return node.text.decode("utf-8", "replace")



def _callee(n):
    """The function a call calls. ``await c.send<T>(x)`` (TypeScript type arguments) parses as
    a call of ``await c.send``: the ``await`` (and parentheses, ``!``) around it are dropped."""
    fn = n.child_by_field_name("function")
    while fn is not None and fn.type in _WRAPPERS and fn.named_children:
        fn = fn.named_children[0]
    return fn


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def _param_name(p) -> str | None:
    if p.type == "identifier":
        return _t(p)
    for c in p.named_children:  # required_parameter / optional_parameter (TypeScript)
        if c.type == "identifier":
            return _t(c)
    return None


def _target_key(target) -> str | None:
    if target.type == "identifier":
        return _t(target)
    if target.type == "member_expression":
        obj, prop = target.child_by_field_name("object"), target.child_by_field_name("property")
        if obj is not None and prop is not None and obj.type == "this":
            return "this." + _t(prop)
    return None


def _first_error_line(root) -> int:
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            return n.start_point[0] + 1
        stack.extend(reversed(n.children))
    return 0
