"""Infrastructure as code -> the same model ``scan`` produces (see docs/iac.md).

    from iam_analyzer.collect.iac import read_paths
    result = read_paths(["template.yaml", "cdk.out", "plan.json"], params={"Stage": "prod"})
    result.snapshot          # model.Snapshot, source={"kind": "iac", ...}
    result.inputs            # one InputReport per file: kind and errors (with lines)
    result.statement_lines   # (path, logical id, policy name, statement index) -> line
    result.unresolved        # (path, line, what) values only known at deployment, read as "*"

A path is a file or a folder (walked for *.yaml, *.yml, *.json, *.template; ``cdk.out``
folders are read through their manifest). Files that are neither templates nor plans are
skipped quietly; a broken file gets errors in its report and the others are still read.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from iam_analyzer import __version__
from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.iam import managed_policies
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.model import ManagedPolicy, Snapshot

from . import cdk, terraform
from .link import link
from .loader import LoadError, load_file, read_bounded
from .resolve import Unresolved
from .identity import StackNaming
from .result import TRUST_POLICY, IacResult, InputReport, Parts
from .sam import SamError
from .templates import TemplateError, read_template, template_kind

__all__ = ["read_paths", "IacResult", "InputReport", "Unresolved", "TRUST_POLICY", "detect_kind", "StackNaming"]

SUFFIXES = (".yaml", ".yml", ".json", ".template")
_SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".terraform", ".aws-sam", ".serverless"}
_GENERIC_STEMS = {"template", "main", "packaged", "stack", "cloudformation", "cfn", "sam", "serverless", "index",
                  "infra", "infrastructure", "plan", "tfplan"}
_HINTS = (b"Resources", b"format_version", b"planned_values")


def detect_kind(data: Any) -> str | None:
    """cloudformation | sam | terraform-plan, or None for anything else."""
    if terraform.is_plan(data):
        return "terraform-plan"
    return template_kind(data)


def _walk(root: Path) -> list[tuple[Path, bool]]:
    """(file or cdk.out folder, is_cdk) under a folder, sorted, skipping vendored folders."""
    out: list[tuple[Path, bool]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        if cdk.is_cloud_assembly(d):
            out.append((d, True))
            dirnames[:] = []
            continue
        dirnames[:] = sorted(x for x in dirnames if x not in _SKIP_DIRS and not x.startswith("."))
        out.extend((d / f, False) for f in sorted(filenames) if f.lower().endswith(SUFFIXES))
    return out


def _stack_name(path: Path, used: set[str]) -> str:
    stem = path.name
    for suffix in (".template.json", ".json", ".yaml", ".yml", ".template"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.lower() in _GENERIC_STEMS and path.parent.name:
        stem = path.parent.name
    name, n = stem or "stack", 2
    while name in used:
        name, n = f"{stem}-{n}", n + 1
    used.add(name)
    return name


def read_paths(paths: list[str | Path], params: dict[str, str] | None = None, account: str = "123456789012",
               region: str = "us-east-1", managed: dict[str, ManagedPolicy] | None = None,
               naming: StackNaming | None = None) -> IacResult:
    """Read templates and plans. ``naming`` (``identity.StackNaming``) decides stack names
    (``--stack-name``, samconfig, the path relative to the repository root); without it a
    template's stack is named after its file (or folder, for ``template.yaml``-like names)."""
    params = dict(params or {})
    partition = ab.partition_of_region(region)
    parts = Parts()
    inputs: list[InputReport] = []
    used: set[str] = set()
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            targets = _walk(p)
            explicit = False
        elif cdk.is_manifest(p):
            targets, explicit = [(p.parent, True)], True
        else:
            targets, explicit = [(p, False)], True
        if not p.exists():
            inputs.append(InputReport(str(p), "unknown", [f"{p}: no such file or folder"]))
            continue
        for target, is_cdk in targets:
            key = target.resolve()
            if key in seen:
                continue  # a file named twice (a folder and a file in it) is read once
            seen.add(key)
            if is_cdk:
                inputs.extend(cdk.read_assembly(target, parts, used, account=account, region=region,
                                                partition=partition, params=params))
                continue
            rep = _read_file(target, explicit, parts, used, account, region, partition, params, naming)
            if rep is not None:
                inputs.append(rep)
    acct, warnings, unknown = link(parts, account, region, partition, managed)
    if naming is not None:
        warnings = list(dict.fromkeys(naming.notes)) + warnings
    snap = Snapshot(
        accounts=[acct],
        created_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        tool={"name": "iam-analyzer", "version": __version__},
        catalog=default_catalog().info.as_dict(),
        source={"kind": "iac", "paths": [str(p) for p in paths], "inputs": [{"path": i.path, "kind": i.kind} for i in inputs],
                "account": account, "region": region, "params": sorted(params),
                "managed_policies": managed_policies.info()},
    )
    return IacResult(snapshot=snap, inputs=inputs, statement_lines=parts.statement_lines,
                     statement_origins=parts.statement_origins, statement_conditions=parts.statement_conditions,
                     unresolved=parts.unresolved,
                     warnings=parts.warnings + warnings, unknown_managed_policies=unknown,
                     construct_paths=parts.construct_paths)


def _read_file(path: Path, explicit: bool, parts: Parts, used: set[str], account: str, region: str,
               partition: str, params: dict[str, Any], naming: StackNaming | None = None) -> InputReport | None:
    name = str(path)
    if not explicit and not _looks_relevant(path):
        return None  # package.json, tsconfig, OpenAPI documents ...: not parsed at all
    try:
        data = load_file(path)
    except LoadError as e:
        return InputReport(name, "unknown", [f"{name}: {e}"])
    except OSError as e:
        return InputReport(name, "unknown", [f"{name}: cannot read: {e.strerror or e}"])
    kind = detect_kind(data)
    if kind is None:
        if explicit:
            return InputReport(name, "unknown", [f"{name}: not a CloudFormation/SAM template or a Terraform plan"])
        return None
    rep = InputReport(name, kind)
    local = Parts()
    try:
        if kind == "terraform-plan":
            terraform.read_plan(name, data, local, account=account, region=region, partition=partition)
        else:
            stack = (naming.name_for(path) if naming else None) or _stack_name(path, used)
            if naming is not None:
                params = {**naming.parameters_for(path), **params}
            rep.stacks.append(stack)
            read_template(name, data, stack, local, account=account, region=region, partition=partition, params=params)
    except (TemplateError, SamError, LoadError) as e:
        rep.errors.append(f"{name}: {e}")
        return rep
    except RecursionError:
        rep.errors.append(f"{name}: nested too deeply to read: refused")
        return rep
    except Exception as e:  # noqa: BLE001 - one bad file never stops the others, never a traceback
        rep.errors.append(f"{name}: could not be read ({type(e).__name__}: {e})")
        return rep
    rep.warnings.extend(local.warnings)
    parts.extend(local)
    return rep


def _looks_relevant(path: Path) -> bool:
    """Could this file be a template or a plan? Every template has "Resources" and every plan
    "format_version" or "planned_values": a byte search decides before any parsing, so files
    found by walking that are neither cost almost nothing and their syntax errors are not ours."""
    try:
        raw = read_bounded(path)
    except (OSError, LoadError):
        return True  # let the reader report it
    return any(h in raw for h in _HINTS)
