"""Which stack a template deploys as: one name for the base and the head of a pull request.

Names built from ``AWS::StackName`` (``!Sub "${AWS::StackName}-uploads"``, and every name
CloudFormation generates, ``<stack>-<LogicalId>-*``) are only comparable between the base
and the head when both sides read the template under the same stack name, whatever folder
each side is read from (the base of a git ref is exported into a temporary folder). The name
of a template's stack, in order:

1. ``--stack-name NAME`` (``StackNaming.stack_name``);
2. ``stack_name`` in ``samconfig.toml`` / ``samconfig.yaml`` / ``samconfig.yml`` next to the
   template, for the ``--config-env`` environment (``deploy.parameters``, then
   ``global.parameters``), as ``sam deploy`` reads it;
3. (CDK cloud assemblies: the manifest's ``stackName``, in ``cdk.py``);
4. a name derived from the template's path relative to the repository root
   (``services/orders/template.yaml`` -> ``services-orders``), the same for both sides
   because ``where`` maps a base file to the place the head has it.

A reader for another format (Serverless Framework's ``service``/``stage``, a Terraform
configuration's module path) asks ``name_for(path)`` for the same answer, or keeps its own
identity (a Terraform address needs no stack). Pairing across base and head is by logical
id or address (``analyze/diff.py``), never by ARN text.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .loader import LoadError, load_file, read_bounded

SAMCONFIG_FILES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
_GENERIC_STEMS = {"template", "main", "packaged", "stack", "cloudformation", "cfn", "sam", "serverless", "index",
                  "infra", "infrastructure", "plan", "tfplan"}
_SUFFIXES = (".template.json", ".json", ".yaml", ".yml", ".template")
_MAX_CONFIG = 1 << 20  # a samconfig larger than 1 MiB is not read


@dataclass
class SamConfig:
    """What one samconfig file says for one environment."""

    path: str
    stack_name: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def _parse_overrides(value: Any) -> dict[str, str]:
    """``parameter_overrides``: ``"A=1 B='x y'"`` or a list of ``"A=1"`` items."""
    items: list[str] = []
    if isinstance(value, str):
        try:
            items = shlex.split(value)
        except ValueError:
            items = value.split()
    elif isinstance(value, list):
        items = [str(v) for v in value]
    out = {}
    for it in items:
        k, sep, v = it.partition("=")
        if sep and k:
            out[k.strip()] = v
    return out


def read_samconfig(folder: Path, env: str = "default") -> SamConfig | None:
    """The samconfig next to a template, for environment ``env``; None when there is none.
    A malformed file gives a ``SamConfig`` with ``error`` set (one line) and no values."""
    for name in SAMCONFIG_FILES:
        p = folder / name
        if not p.is_file():
            continue
        try:
            if name.endswith(".toml"):
                try:
                    import tomllib
                except ImportError:  # Python 3.10: the same parser as the tomli package
                    import tomli as tomllib  # type: ignore[no-redef]
                data = tomllib.loads(read_bounded(p, _MAX_CONFIG).decode("utf-8-sig"))
            else:
                data = load_file(p, max_bytes=_MAX_CONFIG)  # bounded depth and alias expansion
        except (LoadError, OSError, UnicodeDecodeError, ValueError) as e:  # TOMLDecodeError is a ValueError
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            return SamConfig(str(p), error=f"{p}: not read ({why})")
        cfg = SamConfig(str(p))
        section = data.get(env) if isinstance(data, dict) else None
        if not isinstance(section, dict):
            return cfg
        for command in ("deploy", "global"):
            params = (section.get(command) or {}).get("parameters") if isinstance(section.get(command), dict) else None
            if not isinstance(params, dict):
                continue
            if cfg.stack_name is None and isinstance(params.get("stack_name"), str) and params["stack_name"]:
                cfg.stack_name = params["stack_name"]
            for k, v in _parse_overrides(params.get("parameter_overrides")).items():
                cfg.parameters.setdefault(k, v)
        return cfg
    return None


def derived_name(rel: str) -> str:
    """A stack name from a path relative to the repository root: its folders and its file
    stem (left out when it is a generic one such as ``template``), joined with ``-``."""
    parts = [p for p in rel.replace(os.sep, "/").split("/") if p not in ("", ".")]
    stem = parts[-1] if parts else "stack"
    for suffix in _SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    folders = parts[:-1]
    words = folders if folders and stem.lower() in _GENERIC_STEMS else folders + [stem]
    name = re.sub(r"[^A-Za-z0-9]+", "-", "-".join(words)).strip("-") or "stack"
    if not name[0].isalpha():
        name = "s-" + name
    return name[:128]


@dataclass
class StackNaming:
    """How ``read_paths`` names the stacks of the templates it reads (see the module doc).

    ``root``: the repository root (or the folder the paths are relative to) of this side.
    ``where``: for the base, maps a file read from elsewhere (a temporary export, a copy in
    another folder) to the path the head has it at, so both sides derive the same name."""

    root: str | None = None
    stack_name: str | None = None
    config_env: str = "default"
    where: Callable[[str], str | None] | None = None
    notes: list[str] = field(default_factory=list)
    _configs: dict[str, SamConfig | None] = field(default_factory=dict)

    def samconfig(self, path: Path) -> SamConfig | None:
        folder = str(path.parent)
        if folder not in self._configs:
            cfg = read_samconfig(path.parent, self.config_env)
            self._configs[folder] = cfg
            if cfg is not None and cfg.error:
                self.notes.append(cfg.error)
        return self._configs[folder]

    def name_for(self, path: Path) -> str | None:
        if self.stack_name:
            return self.stack_name
        cfg = self.samconfig(path)
        if cfg is not None and cfg.stack_name:
            return cfg.stack_name
        target = self.where(str(path)) if self.where else None
        if target is None:
            if self.root is None:
                return None
            target = str(path)
        rel = os.path.relpath(os.path.abspath(target), os.path.abspath(self.root)) if self.root else target
        if rel.startswith(".."):
            rel = os.path.basename(target)
        return derived_name(rel)

    def parameters_for(self, path: Path) -> dict[str, str]:
        """``parameter_overrides`` of the samconfig next to ``path`` (``--param`` wins over them)."""
        cfg = self.samconfig(path)
        return dict(cfg.parameters) if cfg is not None else {}
