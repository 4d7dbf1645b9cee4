"""What the Terraform readers share without importing each other: a resource instance as a
plan holds it (``Instance``), and the shapes the plan mapper (``tf_map``) needs of a plan and the
configuration evaluator needs of its reader (``PlanLike``, ``ReaderLike``: protocols, so the
modules that build them and the modules that read them do not import each other back).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from .loader import line_of

_MODULE_KEYS = re.compile(r"\[[^\]]*\]")


class Instance:
    def __init__(self, raw: dict, module: str, unknown: dict | None):
        self.raw = raw
        self.address = str(raw.get("address", ""))
        self.type = str(raw.get("type", ""))
        self.name = str(raw.get("name", ""))
        self.mode = str(raw.get("mode", "managed"))
        self.index = raw.get("index")
        self.module = module  # "" or "module.a[\"k\"].module.b"
        self.values = raw.get("values") if isinstance(raw.get("values"), dict) else {}
        self.unknown = unknown if isinstance(unknown, dict) else {}
        self.line = line_of(raw)

    @property
    def config_address(self) -> str:
        mod = _MODULE_KEYS.sub("", self.module)
        base = f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"
        return f"{mod}.{base}" if mod else base


class PlanLike(Protocol):
    """A plan (``terraform.Plan``) or a configuration evaluated into one (``tf_config.ConfigPlan``)."""

    path: str
    account: str
    region: str
    partition: str
    instances: list
    config: Any
    arn_of: Any
    attribute: Any
    block_value: Any
    by_type_name: Any
    expression_blocks: Any
    get: Any
    location: Any
    note: Any
    referenced: Any
    resolve_reference: Any


class ReaderLike(Protocol):
    """The configuration reader (``tf_config.Reader``) as modules and documents use it."""

    account: str
    region: str
    partition: str
    root: Any
    plan: Any
    stack: Any
    reads: Any
    active: Any
    local_active: Any
    allowed: Any
    blocks: Any
    child: Any
    current_line: Any
    ev: Any
    expand: Any
    file_functions: Any
    note: Any
    path_of: Any
    policy_document: Any
    record_reference: Any
    safe_eval: Any
