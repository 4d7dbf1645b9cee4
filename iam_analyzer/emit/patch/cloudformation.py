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


def _yaml(text: str):
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, seq_indent, offset = load_yaml_guess_indent(text)
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long line that was not folded
    y.indent(mapping=_mapping_indent(text), sequence=seq_indent or 2, offset=offset or 0)
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


def _detach_policy_resources(resources: dict, role_id: str, notes: list[str]) -> None:
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
                    del resources[pid]
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
            del resources[pid]
            notes.append(f"{pid}: removed (its grants are in the generated policy where still needed)")
            continue
        for i in range(len(roles) - 1, -1, -1):
            if _points_to(roles[i], role_id):
                del roles[i]
        if not roles:
            del props["Roles"]
        notes.append(f"{pid}: no longer attached to {role_id}")


def _apply(data: dict, target: Target, documents: list[dict], keep: set[int], policy_name: str) -> list[str]:
    notes: list[str] = []
    resources = data["Resources"]
    if target.kind == "sam":
        fn = resources[target.function_id]
        props = fn.setdefault("Properties", {})
        old = props.get("Policies")
        old_list = old if isinstance(old, list) else [] if old is None else [old]
        kept = [p for i, p in enumerate(old_list) if i in keep]
        if len(kept) < len(old_list):
            notes.append(f"{target.function_id}: {len(old_list) - len(kept)} of {len(old_list)} Policies entries replaced")
        props["Policies"] = kept + [dict(d, Version=d.get("Version", "2012-10-17")) for d in documents]
        return notes
    if target.role_id is None:
        raise PatchError(f"{target.function_id}: its role is not declared in the template")
    role = resources[target.role_id]
    props = role.setdefault("Properties", {})
    names = [policy_name if len(documents) == 1 else f"{policy_name}-{i + 1}" for i in range(len(documents))]
    props["Policies"] = [{"PolicyName": n, "PolicyDocument": d} for n, d in zip(names, documents)]
    if "ManagedPolicyArns" in props:
        del props["ManagedPolicyArns"]
        notes.append(f"{target.role_id}: ManagedPolicyArns removed")
    _detach_policy_resources(resources, target.role_id, notes)
    return notes


def patch_text(text: str, target: Target, documents: list[dict], keep: set[int], policy_name: str) -> tuple[str, list[str]]:
    """The template's new text and what was removed besides the replaced policies."""
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        notes = _apply(data, target, documents, keep, policy_name)
        indent = _json_indent(text)
        return json.dumps(data, indent=indent, ensure_ascii=False) + ("\n" if text.endswith("\n") else ""), notes
    y = _yaml(text)
    data = y.load(text)
    notes = _apply(data, target, documents, keep, policy_name)
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue(), notes


def _json_indent(text: str) -> int | None:
    m = re.search(r"\n( +)\S", text)
    return len(m.group(1)) if m else None
