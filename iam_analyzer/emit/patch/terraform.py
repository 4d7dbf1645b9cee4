"""Terraform: the generated policy as a ``data "aws_iam_policy_document"`` and an
``aws_iam_role_policy`` addressed to the role's resource, with the lines that grant the role
today listed for removal (``aws_iam_role_policy`` and ``aws_iam_role_policy_attachment``
blocks naming the role, and the role's own ``inline_policy`` blocks and
``managed_policy_arns``).

The ``.tf`` files are scanned for blocks, not evaluated: a role is found by its literal
``name``, and a block names it by ``aws_iam_role.X.<attr>`` or by that literal name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

_BLOCK = re.compile(r'^[ \t]*(resource|data)\s+"([A-Za-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"\s*\{', re.M)


@dataclass
class Block:
    path: Path
    kind: str  # resource | data
    type: str
    name: str
    start: int  # first line (1-based)
    end: int  # last line
    body: str

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}" if self.kind == "resource" else f"data.{self.type}.{self.name}"


@dataclass
class TerraformPatch:
    role_address: str | None  # aws_iam_role.X, when the configuration declares the role
    text: str  # the blocks to add
    remove: list[str] = field(default_factory=list)  # "path:start-end  what", for a reviewer


def _end_of_block(text: str, open_brace: int) -> int:
    """Index of the brace closing the one at ``open_brace`` (strings and comments skipped)."""
    depth, i, n = 0, open_brace, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("<<", i):  # heredoc: skip to its marker line
            m = re.match(r"<<-?([A-Za-z_]+)\n", text[i:])
            if m:
                end = re.compile(rf"^\s*{m.group(1)}\s*$", re.M).search(text, i + m.end())
                i = end.end() if end else n
                continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return n - 1


def blocks(path: Path, text: str) -> list[Block]:
    out = []
    for m in _BLOCK.finditer(text):
        end = _end_of_block(text, m.end() - 1)
        out.append(Block(path, m.group(1), m.group(2), m.group(3), text.count("\n", 0, m.start()) + 1,
                         text.count("\n", 0, end) + 1, text[m.start():end + 1]))
    return out


def _attr(body: str, name: str) -> str | None:
    m = re.search(rf'^\s*{name}\s*=\s*(.+?)\s*$', body, re.M)
    return m.group(1) if m else None


def _names_role(value: str | None, role: Block | None, role_name: str) -> bool:
    if value is None:
        return False
    if value.strip('"') == role_name:
        return True
    return role is not None and re.fullmatch(rf"aws_iam_role\.{re.escape(role.name)}\.(id|name|arn)", value) is not None


def _hcl_string(s: str) -> str:
    """A Terraform string literal that keeps IAM policy variables (``${aws:username}``) literal:
    inside aws_iam_policy_document they are written ``&{...}``."""
    return json.dumps(s.replace("${", "&{").replace("%{", "%%{"))


def _list(v) -> list[str]:
    return [v] if isinstance(v, str) else list(v or [])


def policy_document_block(ident: str, doc: dict) -> str:
    lines = [f'data "aws_iam_policy_document" "{ident}" {{']
    for st in doc.get("Statement", []):
        lines.append("  statement {")
        if st.get("Sid"):
            lines.append(f"    sid       = {_hcl_string(st['Sid'])}")
        lines.append(f'    effect    = "{st.get("Effect", "Allow")}"')
        for key, attr in (("Action", "actions"), ("NotAction", "not_actions"), ("Resource", "resources"),
                          ("NotResource", "not_resources")):
            if key in st:
                lines.append(f"    {attr:<9} = [{', '.join(_hcl_string(x) for x in _list(st[key]))}]")
        for op, pairs in (st.get("Condition") or {}).items():
            for key, values in pairs.items():
                lines += ["    condition {", f"      test     = {_hcl_string(op)}", f"      variable = {_hcl_string(key)}",
                          f"      values   = [{', '.join(_hcl_string(str(x)) for x in _list(values))}]", "    }"]
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ident(text: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return ident if ident[:1].isalpha() else f"r_{ident}"


def patch(role_name: str, documents: list[dict], files: dict[Path, str], header: str) -> TerraformPatch:
    """The blocks to add for ``role_name`` and the lines to remove, from ``files`` (path -> text)."""
    all_blocks = [b for p, t in files.items() for b in blocks(p, t)]
    role = next((b for b in all_blocks if b.type == "aws_iam_role" and b.kind == "resource"
                 and (_attr(b.body, "name") or "").strip('"') == role_name), None)
    remove = []
    if role is not None:
        for m in re.finditer(r"^[ \t]*inline_policy\s*\{", role.body, re.M):
            first = role.start + role.body.count("\n", 0, m.start())
            last = role.start + role.body.count("\n", 0, _end_of_block(role.body, m.end() - 1))
            remove.append(f"{role.path}:{first}-{last}  inline_policy of {role.address}")
        m = re.search(r"^[ \t]*managed_policy_arns\s*=", role.body, re.M)
        if m:
            first = role.start + role.body.count("\n", 0, m.start())
            rest = role.body[m.end():]
            close = rest.find("]") if rest.lstrip().startswith("[") else rest.find("\n")
            last = first + rest.count("\n", 0, max(close, 0))
            remove.append(f"{role.path}:{first}-{last}  managed_policy_arns of {role.address}")
    for b in all_blocks:
        if b.kind == "resource" and b.type in ("aws_iam_role_policy", "aws_iam_role_policy_attachment") \
                and _names_role(_attr(b.body, "role"), role, role_name):
            remove.append(f"{b.path}:{b.start}-{b.end}  {b.address}")
    ident = _ident(f"{role_name}_least_privilege")
    role_ref = f"aws_iam_role.{role.name}.id" if role is not None else json.dumps(role_name)
    out = [header]
    for i, doc in enumerate(documents):
        name = ident if len(documents) == 1 else f"{ident}_{i + 1}"
        out.append(policy_document_block(name, doc))
        out.append(f'resource "aws_iam_role_policy" "{name}" {{\n  name   = {json.dumps(name.replace("_", "-"))}\n'
                   f"  role   = {role_ref}\n  policy = data.aws_iam_policy_document.{name}.json\n}}\n")
    if remove:
        out.append("# Remove what the policy above replaces:\n" + "".join(f"#   {r}\n" for r in remove))
    elif role is None:
        out.append(f"# The role {role_name} is not declared in these files: remove its other policies where it is.\n")
    return TerraformPatch(role.address if role else None, "\n".join(out), remove)
