"""Patch a CloudFormation or SAM template so a function's role holds its generated policy.

YAML goes through ruamel.yaml's round trip: comments, key order, quoting, short-form tags
(``!Ref``, ``!GetAtt``, ``!Sub``) and the layout of everything not replaced stay as written
(indentation is measured from the file). JSON templates keep their key order and indentation.

- SAM function with no ``Role``: its ``Policies`` become the policy templates the orchestrator
  found still fully used (``keep``, by index), then the generated documents.
- A function whose ``Role`` is an ``AWS::IAM::Role`` of the template: the role's ``Policies``
  become the generated documents and its ``ManagedPolicyArns`` go; ``AWS::IAM::Policy`` and
  ``AWS::IAM::RolePolicy`` resources attached only to that role are removed (unless something
  else refers to them), and the role is taken off the ``Roles`` of any other policy resource.
"""

from __future__ import annotations

import io
import json
import re

from iam_analyzer.emit.patch.locate import Target

POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy")


class PatchError(ValueError):
    pass


def _yaml(text: str, mapping: int | None = None):
    """A round-trip YAML set to the file's indentation (``mapping``: this step for block mappings)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, seq_indent, offset = load_yaml_guess_indent(text)
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long line that was not folded
    y.indent(mapping=mapping or _mapping_indent(text), sequence=seq_indent or 2, offset=offset or 0)
    return y


def _mapping_indent(text: str) -> int:
    """The indentation step of block mappings, from the first key nested under another."""
    prev = None
    for line in text.splitlines():
        s = line.lstrip(" ")
        if not s or s.startswith("#") or s.startswith("-"):
            continue
        depth = len(line) - len(s)
        if prev is not None and depth > prev and re.match(r"[^\s:]+:", s):
            return depth - prev
        prev = depth if re.match(r"[^\s:]+:(\s|$)", s) else prev
    return 2


def _points_to(node, logical_id: str) -> bool:
    """Is this value ``!Ref X`` / ``!GetAtt X.Arn`` (either form) for ``logical_id``?"""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag in ("!Ref", "!GetAtt"):
        v = getattr(node, "value", None)
        if isinstance(v, str):
            return v.split(".")[0] == logical_id
        if isinstance(node, list) and node:
            return node[0] == logical_id
    if isinstance(node, dict) and len(node) == 1:
        (k, v), = node.items()
        if k == "Ref":
            return v == logical_id
        if k == "Fn::GetAtt":
            first = v.split(".")[0] if isinstance(v, str) else v[0] if isinstance(v, list) and v else None
            return first == logical_id
    return False


def _mentions(value, logical_id: str) -> bool:
    """Does anything in ``value`` name ``logical_id`` (Ref, GetAtt, Sub, DependsOn)? Errs towards yes."""
    if _points_to(value, logical_id):
        return True
    if isinstance(value, dict):
        return any(_mentions(k, logical_id) or _mentions(v, logical_id) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions(v, logical_id) for v in value)
    text = getattr(value, "value", value)
    return isinstance(text, str) and re.search(rf"(^|[^A-Za-z0-9]){re.escape(logical_id)}([^A-Za-z0-9]|$)", text) is not None


def _referenced_elsewhere(resources: dict, logical_id: str) -> bool:
    return any(_mentions(v, logical_id) for k, v in resources.items() if k != logical_id)


class Editor:
    """Every change to the template goes through here: JSON changes the data; YAML also
    records where each changed key was in the original text, so only those lines are
    rewritten (``splice``)."""

    def __init__(self):
        self.edits: list[tuple[object, object, object]] = []  # (mapping, key, new value or DELETE)

    def set(self, mapping, key, value) -> None:
        self.edits.append((mapping, key, value))
        mapping[key] = value

    def delete(self, mapping, key) -> None:
        self.edits.append((mapping, key, DELETE))
        del mapping[key]


DELETE = object()


def _detach_policy_resources(resources: dict, role_id: str, notes: list[str], ed: Editor) -> None:
    for pid in list(resources):
        res = resources[pid]
        if not isinstance(res, dict) or res.get("Type") not in POLICY_TYPES or not isinstance(res.get("Properties"), dict):
            continue
        props = res["Properties"]
        if res["Type"] == "AWS::IAM::RolePolicy":
            if _points_to(props.get("RoleName"), role_id):
                if _referenced_elsewhere(resources, pid):
                    notes.append(f"{pid}: kept: another resource refers to it (it still grants the role)")
                else:
                    ed.delete(resources, pid)
                    notes.append(f"{pid}: removed (its grants are in the generated policy where still needed)")
            continue
        roles = props.get("Roles")
        if not isinstance(roles, list) or not any(_points_to(r, role_id) for r in roles):
            continue
        rest = [r for r in roles if not _points_to(r, role_id)]
        if res["Type"] == "AWS::IAM::Policy" and not rest and not props.get("Users") and not props.get("Groups"):
            if _referenced_elsewhere(resources, pid):
                notes.append(f"{pid}: kept: another resource refers to it (it still grants the role)")
                continue
            ed.delete(resources, pid)
            notes.append(f"{pid}: removed (its grants are in the generated policy where still needed)")
            continue
        if rest:
            ed.set(props, "Roles", _same_style(roles, rest))
        else:
            ed.delete(props, "Roles")
        notes.append(f"{pid}: no longer attached to {role_id}")


def _same_style(old, items: list):
    """A new list for ``old``'s place, in its flow or block style."""
    try:
        from ruamel.yaml.comments import CommentedSeq
    except ImportError:  # pragma: no cover - a dependency
        return items
    if isinstance(old, CommentedSeq):
        new = CommentedSeq(items)
        if old.fa.flow_style():
            new.fa.set_flow_style()
        return new
    return items


def _apply(data: dict, target: Target, documents: list[dict], keep: set[int], policy_name: str,
           ed: Editor) -> list[str]:
    notes: list[str] = []
    resources = data["Resources"]
    if target.kind == "sam":
        fn = resources[target.function_id]
        if not isinstance(fn.get("Properties"), dict):
            ed.set(fn, "Properties", {})
        props = fn["Properties"]
        old = props.get("Policies")
        old_list = old if isinstance(old, list) else [] if old is None else [old]
        kept = [p for i, p in enumerate(old_list) if i in keep]
        if len(kept) < len(old_list):
            notes.append(f"{target.function_id}: {len(old_list) - len(kept)} of {len(old_list)} Policies entries replaced")
        ed.set(props, "Policies", kept + [{"Version": d.get("Version", "2012-10-17"),
                                           **{k: v for k, v in d.items() if k != "Version"}} for d in documents])
        return notes
    if target.role_id is None:
        raise PatchError(f"{target.function_id}: its role is not declared in the template")
    role = resources[target.role_id]
    if not isinstance(role.get("Properties"), dict):
        ed.set(role, "Properties", {})
    props = role["Properties"]
    names = [policy_name if len(documents) == 1 else f"{policy_name}-{i + 1}" for i in range(len(documents))]
    ed.set(props, "Policies", [{"PolicyName": n, "PolicyDocument": d} for n, d in zip(names, documents)])
    if "ManagedPolicyArns" in props:
        ed.delete(props, "ManagedPolicyArns")
        notes.append(f"{target.role_id}: ManagedPolicyArns removed")
    _detach_policy_resources(resources, target.role_id, notes, ed)
    return notes


def patch_text(text: str, target: Target, documents: list[dict], keep: set[int], policy_name: str) -> tuple[str, list[str]]:
    """The template's new text and what was removed besides the replaced policies."""
    ed = Editor()
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        notes = _apply(data, target, documents, keep, policy_name, ed)
        indent = _json_indent(text)
        return json.dumps(data, indent=indent, ensure_ascii=False) + ("\n" if text.endswith("\n") else ""), notes
    y = _yaml(text)
    data = y.load(text)
    spots = _Spots(text)
    ed.set = spots.recording(ed.set)
    ed.delete = spots.recording(ed.delete)
    notes = _apply(data, target, documents, keep, policy_name, ed)
    spliced = spots.splice(lambda step: _yaml(text, step))
    if spliced is not None:
        return spliced, notes
    out = io.StringIO()  # a change spots cannot place (flow style, overlapping edits): ruamel's round trip
    y.explicit_start = text.lstrip().startswith("---")
    y.dump(data, out)
    return out.getvalue(), notes


class _Spots:
    """Where each edited key sits in the original text, and the edits spliced into its lines:
    the lines of a replaced key's value are rewritten, everything else is kept byte for byte
    (entries of a replaced list that stay, a kept policy template, keep their own lines too)."""

    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        self.edits: list[tuple[int, int, object]] = []  # (first line, end line, block(make_yaml, newline))
        self.unplaceable = False

    def recording(self, fn):
        def wrapper(mapping, key, value=DELETE):
            self._record(mapping, key, value)
            return fn(mapping, key) if value is DELETE else fn(mapping, key, value)
        return wrapper

    def _record(self, mapping, key, value) -> None:
        lc = getattr(mapping, "lc", None)
        fa = getattr(mapping, "fa", None)
        if lc is None or fa is None or fa.flow_style() or not len(mapping):
            self.unplaceable = True
            return
        if key not in mapping:  # a new key: after the mapping's last key
            last = list(mapping)[-1]
            line, col = lc.key(last)
            end = self._end(line, col, mapping[last])
            step = self._step(line, col)
            self.edits.append((end, end, lambda make, nl: _render(make(step), key, value, col, nl)))
            return
        line, col = lc.key(key)
        end = self._end(line, col, mapping[key])
        step = self._step(line, col)
        if value is DELETE:
            self.edits.append((line, end, lambda make, nl: []))
            return
        old = mapping[key]
        kept = {id(x) for x in old} if isinstance(old, list) else set()
        if isinstance(value, list) and kept & {id(x) for x in value} and not old.fa.flow_style():
            self.edits.append((line, end, self._list_block(line, end, old, value, step)))
            return
        self.edits.append((line, end, lambda make, nl: _render(make(step), key, value, col, nl)))

    def _list_block(self, line: int, end: int, old, value: list, step: int):
        """A replaced block list whose kept entries keep their original lines."""
        starts = [old.lc.item(i)[0] for i in range(len(old))]
        ranges = {id(x): (starts[i], self._trim(starts[i], starts[i + 1] if i + 1 < len(old) else end))
                  for i, x in enumerate(old)}
        first_item, content_col = old.lc.item(0)
        head = self.lines[line:first_item]
        dash = len(self.lines[first_item][:content_col].rstrip()) - 1

        def block(make, nl):
            out = list(head)
            for x in value:
                if id(x) in ranges:
                    a, b = ranges[id(x)]
                    out.extend(self.lines[a:b])
                else:
                    y = make(step)
                    buf = io.StringIO()
                    y.dump([x], buf)
                    pad = " " * max(dash - (y.sequence_dash_offset or 0), 0)
                    out.extend(pad + ln + nl for ln in buf.getvalue().split("\n")[:-1])
            return out
        return block

    def _step(self, line: int, col: int) -> int:
        """How far this mapping is indented from its parent: the indentation step to write with."""
        for i in range(line - 1, -1, -1):
            s = self.lines[i].rstrip("\r\n")
            stripped = s.lstrip(" ")
            if stripped and not stripped.startswith("#") and len(s) - len(stripped) < col:
                return col - (len(s) - len(stripped))
        return 2

    def _trim(self, first: int, end: int) -> int:
        while end > first + 1 and (not self.lines[end - 1].strip() or self.lines[end - 1].lstrip().startswith("#")):
            end -= 1
        return end

    def _end(self, line: int, col: int, value) -> int:
        """The line after a key's value: the first line after ``line`` at or left of ``col``
        (a sequence's dashes may sit at the key's column), trailing blank and comment lines left out."""
        dash_seq = False
        lines = self.lines
        i = line + 1
        while i < len(lines):
            s = lines[i].rstrip("\r\n")
            stripped = s.lstrip(" ")
            indent = len(s) - len(stripped)
            if stripped and not stripped.startswith("#"):
                if indent > col:
                    pass
                elif indent == col and stripped.startswith("-") and isinstance(value, list) and (dash_seq or i == line + 1):
                    dash_seq = True
                else:
                    break
            i += 1
        return self._trim(line, i)

    def splice(self, make_yaml) -> str | None:
        if self.unplaceable:
            return None
        edits = sorted(self.edits, key=lambda e: (e[0], e[1]))
        for a, b in zip(edits, edits[1:]):
            if b[0] < a[1]:
                return None  # overlapping: let the round trip write it
        lines = list(self.lines)
        newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += newline
        for first, end, block in reversed(edits):
            lines[first:end] = block(make_yaml, newline)
        return "".join(lines)


def _render(y, key, value, col: int, newline: str) -> list[str]:
    out = io.StringIO()
    y.dump({key: value}, out)
    pad = " " * col
    return [pad + line + newline if line else newline for line in out.getvalue().split("\n")[:-1]]


def _json_indent(text: str) -> int | None:
    m = re.search(r"\n( +)\S", text)
    return len(m.group(1)) if m else None
