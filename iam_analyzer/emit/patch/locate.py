"""Which template declares a deployed function, and where its permissions are written.

A deployed function is found by the ``aws:cloudformation:logical-id`` tag the scanner records
(with ``aws:cloudformation:stack-name`` to choose between templates that declare the same
logical id), else by a literal ``FunctionName``. Its permissions live in the SAM function's
``Policies`` (a role SAM creates for it), or in the ``AWS::IAM::Role`` its ``Role`` points at
(``!GetAtt Role.Arn`` / ``!Ref Role``), plus any ``AWS::IAM::Policy`` / ``RolePolicy`` /
``ManagedPolicy`` resource that names that role.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from iam_analyzer.model import Function, Role
from iam_analyzer.role_state import LOGICAL_ID_TAG, STACK_NAME_TAG

SUFFIXES = (".yaml", ".yml", ".json", ".template")
SAM_FUNCTION = "AWS::Serverless::Function"
CFN_FUNCTION = "AWS::Lambda::Function"
ROLE = "AWS::IAM::Role"
_SKIP = {"node_modules", "cdk.out", "__pycache__"}


@dataclass
class Template:
    path: Path
    data: dict  # parsed (line-aware) template
    stack: str  # the stack name it deploys as, as far as the folder says


@dataclass
class Target:
    template: Template
    function_id: str | None  # logical id of the function (None: only its role is in the template)
    kind: str  # sam | cloudformation
    role_id: str | None = None  # the AWS::IAM::Role's logical id when the template declares it
    how: str = ""  # how it was found: "stack tags" | "function name"
    notes: list[str] = field(default_factory=list)


def template_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP and not d.startswith("."))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.lower().endswith(SUFFIXES))
    return out


def _samconfig_stack(folder: Path) -> str | None:
    cfg = folder / "samconfig.toml"
    if not cfg.is_file():
        return None
    try:
        import tomllib
    except ImportError:  # Python 3.10
        m = re.search(r'^\s*stack_name\s*=\s*"([^"]+)"', cfg.read_text(encoding="utf-8", errors="replace"), re.M)
        return m.group(1) if m else None
    try:
        doc = tomllib.loads(cfg.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    for env in doc.values():
        if isinstance(env, dict):
            for section in env.values():
                params = section.get("parameters") if isinstance(section, dict) else None
                if isinstance(params, dict) and isinstance(params.get("stack_name"), str):
                    return params["stack_name"]
    return None


def load_templates(root: Path, errors: list[str]) -> list[Template]:
    """Every CloudFormation/SAM template under ``root`` (a file or a folder); what cannot be
    read is one line in ``errors``."""
    from iam_analyzer.collect.iac.loader import LoadError, load_file

    out = []
    for path in template_files(root):
        try:
            data = load_file(path)
        except (LoadError, OSError) as e:
            errors.append(f"{path}: {e}")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
            continue
        stem = path.name.split(".")[0]
        stack = _samconfig_stack(path.parent) or (path.parent.name if stem in ("template", "packaged") else stem)
        out.append(Template(path, data, stack))
    return out


def _functions(t: Template) -> dict[str, dict]:
    return {k: v for k, v in t.data["Resources"].items()
            if isinstance(v, dict) and v.get("Type") in (SAM_FUNCTION, CFN_FUNCTION)}


def _ref_id(value) -> str | None:
    """The logical id a ``Role`` value points at: ``!GetAtt X.Arn``, ``Fn::GetAtt: [X, Arn]``, ``!Ref X``."""
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        if k == "Fn::GetAtt":
            target = v.split(".")[0] if isinstance(v, str) else v[0] if isinstance(v, list) and v else None
            return target if isinstance(target, str) else None
        if k == "Ref" and isinstance(v, str):
            return v
    return None


def _by_role_tags(role: Role | None, templates: list[Template]) -> Target | None:
    """The role's own stack tags, when the function was not found (declared elsewhere)."""
    logical = role.tags.get(LOGICAL_ID_TAG) if role else None
    if not logical:
        return None
    hits = [t for t in templates if isinstance(t.data["Resources"].get(logical), dict)
            and t.data["Resources"][logical].get("Type") == ROLE]
    if len(hits) > 1:
        hits = [t for t in hits if t.stack == role.tags.get(STACK_NAME_TAG)] or hits
    return Target(hits[0], None, "cloudformation", logical, "role stack tags") if len(hits) == 1 else None


def find(fn: Function, templates: list[Template], role: Role | None = None) -> Target | None:
    """The template and resources of a deployed function (``role``: its role, whose own stack
    tags are tried when the function is found in no template)."""
    logical = fn.tags.get(LOGICAL_ID_TAG)
    hits: list[tuple[Template, str, str]] = []
    if logical:
        hits = [(t, logical, "stack tags") for t in templates if logical in _functions(t)]
        if len(hits) > 1:
            stack = fn.tags.get(STACK_NAME_TAG)
            hits = [h for h in hits if h[0].stack == stack] or hits
    if not hits:
        hits = [(t, k, "function name") for t in templates for k, v in _functions(t).items()
                if isinstance(v.get("Properties"), dict) and v["Properties"].get("FunctionName") == fn.name]
    if len(hits) != 1:
        return _by_role_tags(role, templates)
    t, fid, how = hits[0]
    res = t.data["Resources"][fid]
    props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
    role_value = props.get("Role")
    if res["Type"] == SAM_FUNCTION and role_value is None:
        return Target(t, fid, "sam", None, how)
    role_id = _ref_id(role_value)
    roles = t.data["Resources"]
    if role_id and isinstance(roles.get(role_id), dict) and roles[role_id].get("Type") == ROLE:
        return Target(t, fid, "cloudformation", role_id, how)
    target = Target(t, fid, "cloudformation", None, how)
    target.notes.append(f"{t.path}: {fid}: its role is not declared in this template (Role: {role_value!r}); "
                        f"the role's own definition must be changed")
    return target
