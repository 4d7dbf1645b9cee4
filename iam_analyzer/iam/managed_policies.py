"""AWS managed policies, known without credentials: documents shipped as dated data.

``data/managed_policies.json.gz`` holds every AWS managed policy's default document, its path
and version, with ``info()`` saying where the data came from and how fresh it is. It is rebuilt
by ``scripts/refresh_managed_policies.py`` (see docs/iac.md). Lookups accept an ARN in any
partition (``arn:aws-cn:iam::aws:policy/service-role/X``) or a bare policy name.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data" / "managed_policies.json.gz"
DATA_FILE = str(_DATA)  # the data file: caches derived from it name its state


@dataclass(frozen=True)
class AwsManagedPolicy:
    name: str
    path: str
    version: str
    updated: str  # date of the policy's last update, as the data source recorded it
    document: dict

    def arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::aws:policy{self.path}{self.name}"


@lru_cache(maxsize=1)
def _load() -> tuple[dict, dict[str, AwsManagedPolicy], dict[str, str]]:
    import msgspec  # several times faster than json on this 3 MB document

    raw = msgspec.json.decode(gzip.decompress(_DATA.read_bytes()))
    by_name = {}
    for name, p in raw["policies"].items():
        doc = p["document"]
        if isinstance(doc, str):
            doc = msgspec.json.decode(doc)
        by_name[name] = AwsManagedPolicy(name, p.get("path", "/"), p.get("version", ""), p.get("updated", ""), doc)
    lower = {n.lower(): n for n in by_name}
    return raw.get("info", {}), by_name, lower


def info() -> dict:
    """Where the documents come from: ``source``, ``generated`` (date), ``newest_policy_update``, ``count``."""
    return dict(_load()[0])


def is_aws_managed_arn(arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4] == "aws" \
        and parts[5].startswith("policy/")


def _name(arn_or_name: str) -> str:
    if arn_or_name.startswith("arn:"):
        return arn_or_name.rsplit("/", 1)[-1]
    return arn_or_name


def get(arn_or_name: str) -> AwsManagedPolicy | None:
    """The AWS managed policy with this ARN or name, or None when the data does not know it.

    An ARN must be an AWS managed one (account ``aws``) and its path must agree with the data."""
    if arn_or_name.startswith("arn:") and not is_aws_managed_arn(arn_or_name):
        return None
    _, by_name, lower = _load()
    name = _name(arn_or_name)
    pol = by_name.get(name) or by_name.get(lower.get(name.lower(), ""))
    if pol is None:
        return None
    if arn_or_name.startswith("arn:"):
        resource = arn_or_name.split(":", 5)[5]
        if resource != f"policy{pol.path}{pol.name}":
            return None
    return pol


def names_to_arns(partition: str = "aws") -> dict[str, str]:
    """Every policy name -> its ARN (what the SAM translator wants for ``Policies: [Name]``)."""
    return {n: p.arn(partition) for n, p in _load()[1].items()}
