"""Terraform plans (``terraform show -json``) -> Parts. (Being written.)"""

from __future__ import annotations

from typing import Any

from .result import Parts


def is_plan(data: Any) -> bool:
    return isinstance(data, dict) and "format_version" in data and (
        "planned_values" in data or "resource_changes" in data or "terraform_version" in data)


def read_plan(path: str, data: dict, parts: Parts, *, account: str, region: str, partition: str) -> None:
    return None
