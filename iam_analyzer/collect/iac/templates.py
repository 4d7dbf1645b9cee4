"""One CloudFormation, SAM or CDK template (with its nested stacks) -> ``Parts``.

SAM templates go through the translator first; what it generates is located back in the
source: a generated resource points at the SAM resource whose logical id prefixes its own
(``FnRole`` -> ``Fn``), and the inline policy ``FnRolePolicy<i>`` at item ``i`` of the
function's ``Policies`` (each of its statements at their own line when written inline).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from iam_analyzer.model import SourceLocation

from . import sam
from .cfn import StackReader
from .includes import expand_foreach, has_foreach, inline_local
from .loader import LDict, LoadError, line_of, load_file, plain
from .resolve import Stack
from .result import Parts

MAX_NESTING = 5
MAX_NESTED_STACKS = 200  # nested stacks read under one top-level template (CloudFormation allows 2,500 in a tree)


class TemplateError(ValueError):
    pass


class _Locator:
    def __init__(self, path: str, source: dict, translated: bool):
        self.path = path
        res = source.get("Resources")
        self.res = res if isinstance(res, dict) else {}
        self.translated = translated
        self._ids = sorted(self.res, key=len, reverse=True)

    def owner(self, logical: str) -> str | None:
        if logical in self.res:
            return logical
        if self.translated:
            return next((s for s in self._ids if logical.startswith(s)), None)
        return None

    def __call__(self, logical: str) -> SourceLocation:
        own = self.owner(logical)
        return SourceLocation(self.path, line_of(self.res, own) if own else None, logical)

    def generated(self, logical: str) -> bool:
        """Did SAM generate this resource (a function's role, a connector's policy)?"""
        return self.translated and logical not in self.res and self.owner(logical) is not None

    def policy_origin(self, logical: str, policy_name: str, src: Any, resource: Any = None) -> dict | None:
        """Who wrote a policy read at ``logical`` (None: the template's author). ``src`` is the
        source node of a SAM-generated inline policy (``source_policy``), ``resource`` the
        translated resource that holds the policy."""
        if self.translated:
            name = sam_template_name(src)
            if name:
                return {"kind": "sam-policy-template", "name": name}
            if src is None and self.generated(logical):
                meta = resource.get("Metadata") if isinstance(resource, dict) else None
                connectors = meta.get("aws:sam:connectors") if isinstance(meta, dict) else None
                if isinstance(connectors, dict) and connectors:
                    return {"kind": "sam-generated", "name": "connector " + ", ".join(sorted(map(str, connectors)))}
                return {"kind": "sam-generated", "name": policy_name}
            return None
        return cdk_origin(self.construct_path(logical))

    def attached_by_sam(self, role_logical: str, arn: str) -> bool:
        """Did SAM attach this managed policy to a role it generated, without the author naming
        it (AWSLambdaBasicExecutionRole, the event sources' execution roles, tracing, VPC)?"""
        if not self.generated(role_logical) or not role_logical.endswith("Role"):
            return False
        src = self.res.get(role_logical[: -len("Role")])
        props = src.get("Properties") if isinstance(src, dict) else None
        pols = props.get("Policies") if isinstance(props, dict) else None
        named = [p for p in (pols if isinstance(pols, list) else [pols]) if isinstance(p, str)]
        name = arn.rsplit("/", 1)[-1]
        return not any(p == arn or p.rsplit("/", 1)[-1] == name for p in named)

    def construct_path(self, logical: str) -> str | None:
        r = self.res.get(logical)
        meta = r.get("Metadata") if isinstance(r, dict) else None
        cp = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
        return cp if isinstance(cp, str) else None

    def source_policy(self, role_logical: str, policy_name: str) -> Any:
        """The source node of a SAM-generated inline policy (item i of the function's Policies)."""
        if not self.translated or not role_logical.endswith("Role") or not policy_name.startswith(role_logical + "Policy"):
            return None
        owner = role_logical[: -len("Role")]
        idx = policy_name[len(role_logical) + len("Policy"):]
        src = self.res.get(owner)
        props = src.get("Properties") if isinstance(src, dict) else None
        pols = props.get("Policies") if isinstance(props, dict) else None
        if not idx.isdigit() or pols is None:
            return None
        pols = pols if isinstance(pols, list) else [pols]
        i = int(idx)
        return pols[i] if i < len(pols) else None


_INTRINSIC_KEYS = {"Ref", "Condition"}
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def sam_template_name(src: Any) -> str | None:
    """``{"SQSPollerPolicy": {...}}`` (also under ``Fn::If``) -> ``SQSPollerPolicy``; None for
    a policy the author wrote (``Statement``) or anything else."""
    if not isinstance(src, dict) or len(src) != 1:
        return None
    (key, value), = src.items()
    if key == "Fn::If" and isinstance(value, list) and len(value) == 3:
        return sam_template_name(value[1]) or sam_template_name(value[2])
    if not isinstance(key, str) or key in _INTRINSIC_KEYS or key.startswith("Fn::") or key in ("Statement", "Version"):
        return None
    return key if key.endswith("Policy") or isinstance(value, dict) else None


def cdk_origin(construct_path: str | None) -> dict | None:
    """A resource the CDK framework itself adds (custom resource providers, log retention,
    bucket notifications, auto-delete: singletons whose construct id ends in a 32-hex uuid, or
    ``Custom::`` providers): ``cdk-generated``. Grants written with ``grant*()`` stay the author's."""
    if not construct_path:
        return None
    for seg in construct_path.split("/"):
        if seg.startswith("Custom::") or (len(seg) > 32 and _HEX_ID.fullmatch(seg[-32:])):
            return {"kind": "cdk-generated", "name": seg}
    return None


def _has_local_refs(data: dict) -> bool:
    """Cheap test before copying: anything for ``inline_local`` to do?"""
    res = data.get("Resources")
    for r in (res.values() if isinstance(res, dict) else ()):
        if not isinstance(r, dict):
            continue
        props = r.get("Properties") if isinstance(r.get("Properties"), dict) else {}
        if isinstance(props.get("DefinitionUri"), str) or (props.get("PackageType") == "Image" and "ImageUri" not in props):
            return True
        if "Fn::Transform" in repr(props):
            return True
    return False


def template_kind(data: Any) -> str | None:
    """cloudformation | sam, or None when the document is not a template."""
    if not isinstance(data, dict):
        return None
    res = data.get("Resources")
    if not isinstance(res, dict) or not res:
        return None
    if not any(isinstance(r, dict) and isinstance(r.get("Type"), str) or str(k).startswith("Fn::ForEach::")
               for k, r in res.items()):
        return None
    return "sam" if sam.is_sam(data) else "cloudformation"


def read_template(path: str, data: dict, stack_name: str, parts: Parts, *, account: str, region: str,
                  partition: str, params: dict[str, Any], depth: int = 0, chain: tuple[Path, ...] = (),
                  root: Path | None = None) -> str:
    """Read one template into ``parts``; returns its kind. Raises ``TemplateError``/``SamError``.

    ``chain`` holds the templates above this one (a nested stack that names one of them is a
    loop, refused); nested templates must lie inside ``root`` (the top template's folder by
    default), after resolving links, so a template cannot make the reader open files outside it."""
    kind = template_kind(data)
    if kind is None:
        raise TemplateError("no Resources with a Type: not a CloudFormation template")
    if has_foreach(data.get("Resources")) or has_foreach(data.get("Conditions")):
        notes = []
        data = expand_foreach(plain(data), params, notes)
        parts.warnings.extend(f"{path}: {n}" for n in notes)
    if _has_local_refs(data):
        notes: list[str] = []
        data = inline_local(plain(data), Path(path).parent, notes)
        parts.warnings.extend(f"{path}: {n}" for n in notes)
    source = data
    if kind == "sam":
        declared = data.get("Parameters") if isinstance(data.get("Parameters"), dict) else {}
        sam_params = {k: v for k, v in params.items() if k in declared}
        data = sam.transform(plain(data), sam_params, region, partition, account)
    declared = data.get("Parameters") if isinstance(data.get("Parameters"), dict) else {}
    stack = Stack(path=path, name=stack_name, template=data, account=account, region=region, partition=partition,
                  overrides={k: v for k, v in params.items() if k in declared or k == "AWS::StackName"})
    locate = _Locator(path, source, kind == "sam")
    reader = StackReader(stack, locate, parts)
    reader.read()
    here = Path(path).resolve()
    _nested(path, stack, parts, locate, account=account, region=region, partition=partition, depth=depth,
            chain=chain + (here,), root=root or here.parent)
    parts.unresolved.extend(stack.unresolved)
    return kind


def _nested(path: str, stack: Stack, parts: Parts, locate: _Locator, *, account: str, region: str, partition: str,
            depth: int, chain: tuple[Path, ...], root: Path) -> None:
    for logical, res in stack.resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::CloudFormation::Stack":
            continue
        meta = res.get("Metadata") if isinstance(res.get("Metadata"), dict) else {}
        props = stack.props(logical)
        child = meta.get("aws:asset:path") if isinstance(meta.get("aws:asset:path"), str) else None
        url = stack.resolve(props.get("TemplateURL"), line_of(props, "TemplateURL"))
        if child is None and isinstance(url, str) and not url.startswith(("http://", "https://", "s3://", "*")):
            child = url
        line = locate(logical).line
        if url == sam.SAR_PLACEHOLDER:
            stack.note(line, f"serverless application {logical} comes from the Serverless Application Repository: not read")
            continue
        if child is None:
            stack.note(line, f"nested stack {logical} ({url}) is not available locally")
            continue
        child_path = (Path(path).parent / child)
        if depth >= MAX_NESTING:
            parts.warnings.append(f"{path}: line {line}: nested stack {logical} is nested more than {MAX_NESTING} deep: not read")
            continue
        if not child_path.is_file():
            parts.warnings.append(f"{path}: line {line}: nested stack {logical}: {child} not found")
            continue
        real = child_path.resolve()
        if real in chain:
            parts.warnings.append(f"{path}: line {line}: nested stack {logical}: {child} is a template above it "
                                  "(a loop): not read")
            continue
        if not real.is_relative_to(root):
            parts.warnings.append(f"{path}: line {line}: nested stack {logical}: {child} lies outside {root}: not read")
            continue
        parts.nested_read += 1
        if parts.nested_read > MAX_NESTED_STACKS:
            if parts.nested_read == MAX_NESTED_STACKS + 1:
                parts.warnings.append(f"{path}: line {line}: more than {MAX_NESTED_STACKS} nested stacks: "
                                      "the rest are not read")
            continue
        values = stack.resolve(props.get("Parameters") or {}, line)
        child_params = {str(k): v for k, v in values.items()} if isinstance(values, dict) else {}
        try:
            data = load_file(child_path)
            read_template(str(child_path), data, f"{stack.name}-{logical}-*", parts, account=account, region=region,
                          partition=partition, params=child_params, depth=depth + 1, chain=chain, root=root)
        except (LoadError, TemplateError, sam.SamError, OSError) as e:
            parts.warnings.append(f"{child_path}: {e}")


__all__ = ["LDict", "read_template", "template_kind", "TemplateError"]
