"""CDK output (a cloud assembly, ``cdk.out``): the stacks its ``manifest.json`` lists.

Each artifact of type ``aws:cloudformation:stack`` names its template file, its stack name and
its environment (``aws://account/region``; "unknown-account" keeps the caller's defaults).
Nested stacks (``*.nested.template.json``) are read through the ``AWS::CloudFormation::Stack``
resources that point at them (``aws:asset:path`` metadata), with the parameters the parent
passes. Nested assemblies (CDK stages) are followed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iam_analyzer.iam import arn_builders as ab

from .loader import LoadError, load_file
from .result import InputReport, Parts
from .sam import SamError
from .templates import TemplateError, read_template

_STACK = "aws:cloudformation:stack"
_NESTED_ASSEMBLY = "cdk:cloud-assembly"


def is_manifest(path: Path) -> bool:
    return path.name == "manifest.json" and path.is_file() and is_cloud_assembly(path.parent)


def is_cloud_assembly(folder: Path) -> bool:
    m = folder / "manifest.json"
    if not m.is_file():
        return False
    try:
        with open(m, encoding="utf-8") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return '"artifacts"' in head or '"version"' in head and any(folder.glob("*.template.json"))


MAX_STACKS = 500  # stacks read from one cloud assembly (with its nested assemblies)
MAX_NESTING = 8  # CDK nests an assembly per stage: real ones are one or two deep


def read_assembly(folder: Path, parts: Parts, used: set[str], *, account: str, region: str, partition: str,
                  params: dict[str, Any], depth: int = 0, root: Path | None = None,
                  seen: set[Path] | None = None, count: list[int] | None = None) -> list[InputReport]:
    """Every stack of a cloud assembly. What the manifest names (templates, nested assemblies)
    must lie inside the assembly's folder after resolving links: a pull request writes
    ``cdk.out``, and what is read can reach the SARIF and the PR comment."""
    from iam_analyzer.inputs import load_json

    manifest = folder / "manifest.json"
    root = root or folder.resolve()
    seen = seen if seen is not None else set()
    seen.add(folder.resolve())
    count = count if count is not None else [0]
    try:
        data = load_json(manifest)
    except ValueError as e:  # InputError: size, depth, encoding, JSON, each with the place
        return [InputReport(str(manifest), "cdk", [f"unreadable manifest: {e}"])]
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    if not isinstance(artifacts, dict):
        return [InputReport(str(manifest), "cdk", [f"{manifest}: no artifacts in the manifest"])]
    reports: list[InputReport] = []
    said = len(parts.warnings)
    for art_id, art in sorted(artifacts.items()):
        if not isinstance(art, dict):
            continue
        props = art.get("properties") if isinstance(art.get("properties"), dict) else {}
        if art.get("type") == _NESTED_ASSEMBLY and not isinstance(props.get("directoryName"), str):
            parts.warnings.append(f"{manifest}: {art_id}: a nested assembly without a directoryName text: not read")
            continue
        if art.get("type") == _NESTED_ASSEMBLY:
            sub = folder / props["directoryName"]
            real = sub.resolve()
            if depth >= MAX_NESTING:
                parts.warnings.append(f"{manifest}: {art_id}: nested assembly {props['directoryName']} is nested "
                                      f"more than {MAX_NESTING} deep: not read")
            elif real in seen:
                parts.warnings.append(f"{manifest}: {art_id}: nested assembly {props['directoryName']} is already "
                                      "being read (a loop): not read again")
            elif not real.is_relative_to(root):
                parts.warnings.append(f"{manifest}: {art_id}: nested assembly {props['directoryName']} lies outside "
                                      f"{root}: not read")
            elif sub.is_dir() and (sub / "manifest.json").is_file():
                reports.extend(read_assembly(sub, parts, used, account=account, region=region, partition=partition,
                                             params=params, depth=depth + 1, root=root, seen=seen,
                                             count=count))
            else:
                parts.warnings.append(f"{manifest}: {art_id}: nested assembly {props['directoryName']} has no "
                                      "manifest.json: not read")
            continue
        if art.get("type") == _STACK and not isinstance(props.get("templateFile"), str):
            parts.warnings.append(f"{manifest}: {art_id}: a stack without a templateFile text: not read")
        if art.get("type") != _STACK or not isinstance(props.get("templateFile"), str):
            continue
        path = folder / props["templateFile"]
        if not path.resolve().is_relative_to(root):
            reports.append(InputReport(str(manifest), "cdk", [f"{manifest}: {art_id}: templateFile "
                                                               f"{props['templateFile']!r} lies outside {root}: not read"]))
            continue
        count[0] += 1
        if count[0] > MAX_STACKS:
            parts.warnings.append(f"{manifest}: more than {MAX_STACKS} stacks: {art_id} and the rest are not read")
            break
        acc, reg = _environment(art.get("environment"), account, region)
        name = str(props.get("stackName") or art.get("displayName") or art_id).replace("/", "-")
        base, n = name, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        rep = InputReport(str(path), "cdk", stacks=[name])
        stack_params = dict(params)
        if isinstance(props.get("parameters"), dict):
            stack_params.update({str(k): str(v) for k, v in props["parameters"].items()})
        local = Parts()
        try:
            tpl = load_file(path)
            read_template(str(path), tpl, name, local, account=acc, region=reg,
                          partition=ab.partition_of_region(reg) if reg != region else partition, params=stack_params,
                          root=root)
        except (LoadError, TemplateError, SamError) as e:
            rep.errors.append(f"{path}: {e}")
        except OSError as e:
            rep.errors.append(f"{path}: cannot read: {e.strerror or e}")
        except Exception as e:  # noqa: BLE001 - never a traceback for one bad stack
            rep.errors.append(f"{path}: could not be read ({type(e).__name__}: {e})")
        else:
            rep.warnings.extend(local.warnings)
            parts.extend(local)
        reports.append(rep)
    if not reports:  # with what was set aside, so an error alone still says why
        why = "; ".join(w.removeprefix(f"{manifest}: ") for w in parts.warnings[said:][:3])
        reports.append(InputReport(str(manifest), "cdk", [f"{manifest}: the manifest lists no CloudFormation stack"
                                                          + (f" it can read ({why})" if why else "")]))
    return reports


def _environment(env: Any, account: str, region: str) -> tuple[str, str]:
    """``aws://123456789012/eu-west-1`` -> (account, region); unknown parts keep the defaults."""
    if isinstance(env, str) and env.startswith("aws://"):
        acc, _, reg = env[len("aws://"):].partition("/")
        if acc.isdigit() and len(acc) == 12:
            account = acc
        if reg and not reg.startswith("unknown"):
            region = reg
    return account, region
