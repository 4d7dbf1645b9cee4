"""Infrastructure as code -> the same model ``scan`` produces (see docs/iac.md).

    from iam_analyzer.collect.iac import read_paths
    result = read_paths(["template.yaml", "cdk.out", "plan.json"], params={"Stage": "prod"})
    result.snapshot          # model.Snapshot, source={"kind": "iac", ...}
    result.inputs            # one InputReport per file: kind and errors (with lines)
    result.statement_lines   # (path, logical id, policy name, statement index) -> line
    result.unresolved        # (path, line, what) values only known at deployment, read as "*"

A path is a file or a folder (walked for *.yaml, *.yml, *.json, *.template; ``cdk.out``
folders are read through their manifest; a Serverless Framework service's ``serverless.yml`` is
read before the other files of its folder, and the files it pulls in with ``${file()}`` are
part of it, not templates of their own). Files that are neither templates nor plans are
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

from . import cdk, serverless, terraform, tf_config
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
    """cloudformation | sam | terraform-plan | serverless, or None for anything else."""
    if terraform.is_plan(data):
        return "terraform-plan"
    if serverless.is_service(data):
        return "serverless"
    return template_kind(data)


def _walk(root: Path) -> tuple[list[tuple[Path, bool]], list[Path]]:
    """(file or cdk.out folder, is_cdk) under a folder, sorted, skipping vendored folders; and
    the folders holding .tf files (Terraform modules)."""
    out: list[tuple[Path, bool]] = []
    modules: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        if cdk.is_cloud_assembly(d):
            out.append((d, True))
            dirnames[:] = []
            continue
        dirnames[:] = sorted(x for x in dirnames if x not in _SKIP_DIRS and not x.startswith("."))
        out.extend((d / f, False) for f in sorted(filenames)
                   if f.lower().endswith(SUFFIXES) or f.lower() in serverless.CODE_SERVICE_FILES)
        if any(f.endswith(".tf") for f in filenames):
            modules.append(d)
    # services first: the files they pull in are then known, and not read again on their own
    return sorted(out, key=lambda t: (not (not t[1] and serverless.is_service_file(t[0])),)), modules


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
               naming: StackNaming | None = None, var_files: list[str] | None = None,
               file_roots: list[str] | None = None) -> IacResult:
    """Read templates, plans and Terraform configurations. ``params`` are template parameters
    and Terraform root variables (``-var``). ``naming`` (``identity.StackNaming``) decides stack
    names (``--stack-name``, samconfig, the path relative to the repository root); without it a
    template's stack is named after its file (or folder, for ``template.yaml``-like names).
    ``var_files`` are Terraform ``.tfvars`` files; ``file_roots`` are folders Terraform's
    ``file()`` may read under besides the module folders (default: the working folder)."""
    params = dict(params or {})
    partition = ab.partition_of_region(region)
    parts = Parts()
    inputs: list[InputReport] = []
    used: set[str] = set()
    seen: set[Path] = set()
    tf_modules: list[Path] = []
    plan_addresses: dict[Path, set[str]] = {}  # folder -> addresses a plan in it resolves
    # a service named beside its own fragments (pre-commit passes both) is read first
    for raw in sorted(paths, key=lambda r: not serverless.is_service_file(Path(r))):
        p = Path(raw)
        if p.is_dir():
            targets, found = _walk(p)
            tf_modules.extend(found)
            explicit = False
        elif cdk.is_manifest(p):
            targets, explicit = [(p.parent, True)], True
        elif p.suffix == ".tf" and p.is_file():
            tf_modules.append(p.parent)  # a .tf file is part of its folder's module
            continue
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
            rep = _read_file(target, explicit, parts, used, account, region, partition, params, naming,
                             plan_addresses, seen)
            if rep is not None:
                inputs.append(rep)
    inputs.extend(_read_modules(tf_modules, seen, parts, account, region, partition, params,
                                list(var_files or []), plan_addresses, file_roots))
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
               partition: str, params: dict[str, Any], naming: StackNaming | None = None,
               plan_addresses: dict[Path, set[str]] | None = None,
               seen: set[Path] | None = None) -> InputReport | None:
    name = str(path)
    if path.name.lower() in serverless.CODE_SERVICE_FILES:
        if any((path.parent / f).is_file() for f in serverless.SERVICE_FILES):
            return None  # the service's serverless.yml is read
        return InputReport(name, "unknown", warnings=[
            f"{name}: a Serverless Framework service written as code: not read (only serverless.yml, "
            ".yaml and .json are read; nothing is run)"])
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
            return InputReport(name, "unknown",
                               [f"{name}: not a CloudFormation/SAM template, a Serverless Framework service or a Terraform plan"])
        return None
    rep = InputReport(name, kind)
    local = Parts()
    try:
        if kind == "terraform-plan":
            plan = terraform.read_plan(name, data, local, account=account, region=region, partition=partition)
            if plan_addresses is not None:
                plan_addresses.setdefault(path.parent.resolve(), set()).update(i.address for i in plan.instances)
        elif kind == "serverless":
            service = serverless.read(name, data, local, account=account, region=region, partition=partition,
                                      params=params)
            rep.stacks.append(_unique(service.stack, used))
            if seen is not None:
                seen.update(Path(p) for p in service.included)
        else:
            stack = (naming.name_for(path) if naming else None) or _stack_name(path, used)
            if naming is not None:
                params = {**naming.parameters_for(path), **params}
            rep.stacks.append(stack)
            read_template(name, data, stack, local, account=account, region=region, partition=partition, params=params)
    except (TemplateError, SamError, LoadError, serverless.ServiceError) as e:
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


def _unique(name: str, used: set[str]) -> str:
    out, n = name, 2
    while out in used:
        out, n = f"{name}-{n}", n + 1
    used.add(out)
    return out


def _looks_relevant(path: Path) -> bool:
    """Could this file be a template or a plan? Every template has "Resources" and every plan
    "format_version" or "planned_values": a byte search decides before any parsing, so files
    found by walking that are neither cost almost nothing and their syntax errors are not ours.
    A Serverless Framework service is known by its file name."""
    if serverless.is_service_file(path):
        return True
    try:
        raw = read_bounded(path)
    except (OSError, LoadError):
        return True  # let the reader report it
    return any(h in raw for h in _HINTS)


def _read_modules(folders: list[Path], seen: set[Path], parts: Parts, account: str, region: str, partition: str,
                  params: dict[str, Any], var_files: list[str], plan_addresses: dict[Path, set[str]],
                  file_roots: list[str] | None) -> list[InputReport]:
    """Each root module once: a folder of .tf files that no other folder read here calls as a
    local module. Where a plan was read from the same folder, the plan wins for every address it
    resolves and the configuration adds only what the plan lacks (said in the report)."""
    unique: list[Path] = []
    for f in folders:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append(f)
    called = tf_config.called_modules(unique)
    reports = []
    for folder in unique:
        if folder.resolve() in called:
            continue
        name = str(folder)
        rep = InputReport(name, "terraform")
        local = Parts()
        skip = plan_addresses.get(folder.resolve())
        try:
            errors, warnings = tf_config.read_config(folder, local, account=account, region=region,
                                                     partition=partition, params=params, var_files=var_files,
                                                     skip=skip, file_roots=file_roots)
        except tf_config.ConfigError as e:
            rep.errors.append(str(e))  # names the file (and line)
            reports.append(rep)
            continue
        except RecursionError:
            rep.errors.append(f"{name}: nested too deeply to read: refused")
            reports.append(rep)
            continue
        except Exception as e:  # noqa: BLE001 - one bad module never stops the others, never a traceback
            rep.errors.append(f"{name}: could not be read ({type(e).__name__}: {e})")
            reports.append(rep)
            continue
        for e in errors:  # a file that does not parse, a bad variables file: its own report, the rest is read
            reports.append(InputReport(e.split(": ", 1)[0], "terraform", [e]))
        if errors and not (local.functions or local.roles or local.policies or local.attachments):
            rep.errors.append(f"{name}: nothing could be read from this module")
        rep.warnings.extend(warnings + local.warnings)
        if skip:
            rep.warnings.append(f"{name}: a plan in this folder resolves {len(skip)} resource instances: the plan "
                                "wins for those, the configuration adds only what the plan does not have")
        parts.extend(local)
        reports.append(rep)
    return reports
