"""HCL (``.tf``, ``.tfvars``) parsed with tree-sitter-hcl into blocks and attributes with lines.

Measured against python-hcl2 8.x before choosing (docs/iac.md): tree-sitter keeps a line on
every node, reads a heredoc whose closer has trailing spaces (as Terraform does), and leaves
``jsonencode({...})`` bodies as syntax to evaluate. Expressions stay tree-sitter nodes; the
evaluator (``tf_expr``) walks them. A file with a syntax error is refused with the line of the
first error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .loader import LoadError, read_bounded

MAX_TF_BYTES = 8 * 1024 * 1024  # one .tf file; a larger one is not hand-written configuration


class HclError(LoadError):
    """A file that is not valid HCL (the message names the line)."""


@dataclass
class Attr:
    name: str
    expr: Any  # tree-sitter node of the expression
    line: int
    file: str


@dataclass
class Block:
    type: str
    labels: list[str]
    body: "Body"
    line: int
    file: str


@dataclass
class Body:
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.type == kind]


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter_hcl
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_hcl.language()))


def _first_error(node) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return node


def parse_bytes(data: bytes, file: str) -> Body:
    """The body of one HCL file. Raises ``HclError`` naming the line."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HclError(f"not UTF-8 text (byte {e.start})", data[: e.start].count(b"\n") + 1) from None
    tree = _parser().parse(data)
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        line = bad.start_point.row + 1
        if bad.is_missing:
            raise HclError(f"invalid HCL: {bad.type!r} missing", line)
        # the place only, never the text: a broken line may hold a value that must not be printed
        raise HclError(f"invalid HCL (column {bad.start_point.column + 1})", line)
    body = next((c for c in root.children if c.type == "body"), None)
    return _body(body, file) if body is not None else Body()


# Real configurations nest blocks a few levels (resource > dynamic > content > ...); the walk
# below recurses once per level, so a file of thousands is refused before Python's limit.
MAX_BLOCK_DEPTH = 64

_CACHE: dict[tuple[str, str], Body] = {}


def parse_file(path: str) -> Body:
    """One file's body, cached by path and content (the gate reads base and head, mostly the same)."""
    raw = read_bounded(path, MAX_TF_BYTES)
    key = (path, hashlib.sha256(raw).hexdigest())
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) >= 4096:
            _CACHE.clear()
        hit = _CACHE[key] = parse_bytes(raw, path)
    return hit


def parse_expression(text: str, file: str) -> Any:
    """One expression (a ``-var`` value that is not a plain string), as a node; None if invalid."""
    try:
        body = parse_bytes(f"v = {text}\n".encode(), file)
    except HclError:
        return None
    a = body.attrs.get("v")
    return a.expr if a is not None else None


def _label(node) -> str:
    if node.type == "identifier":
        return node.text.decode()
    lit = next((c for c in node.children if c.type == "template_literal"), None)
    return lit.text.decode() if lit is not None else ""


def _body(node, file: str, depth: int = 1) -> Body:
    if depth > MAX_BLOCK_DEPTH:
        raise HclError(f"blocks nested more than {MAX_BLOCK_DEPTH} levels deep: refused", node.start_point.row + 1)
    out = Body()
    for c in node.children:
        if c.type == "attribute":
            name = c.children[0].text.decode()
            expr = next((x for x in c.children if x.type == "expression"), None)
            if expr is not None:
                out.attrs[name] = Attr(name, expr, c.start_point.row + 1, file)
        elif c.type == "block":
            kind = c.children[0].text.decode()
            labels = [_label(x) for x in c.children[1:] if x.type in ("string_lit", "identifier")]
            inner = next((x for x in c.children if x.type == "body"), None)
            out.blocks.append(Block(kind, labels, _body(inner, file, depth + 1) if inner is not None else Body(),
                                    c.start_point.row + 1, file))
    return out


__all__ = ["Attr", "Block", "Body", "HclError", "parse_bytes", "parse_file", "parse_expression"]
