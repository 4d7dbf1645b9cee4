"""The rule pack's vocabulary and results: severities, categories, a rule as data and a
finding. Plain data, beneath the engine, the validator and the checks, so none of them imports
another back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
CATEGORIES = ("privilege-escalation", "data-exfiltration", "resource-exposure", "credentials-exposure",
              "infrastructure-modification", "unused-access", "unverifiable-access", "public-access",
              "misconfiguration", "hygiene")
REQUIRED = ("id", "title", "severity", "category", "why", "fix")


class RuleError(ValueError):
    pass


@dataclass
class Rule:
    id: str
    title: str
    severity: str
    category: str
    why: str
    fix: str
    enabled: bool = True
    references: list[str] = field(default_factory=list)
    example: dict = field(default_factory=dict)
    matcher: dict = field(default_factory=dict)
    path: str = ""
    overrides: bool = False  # replaces a built-in rule of the same id on purpose


@dataclass
class Finding:
    rule_id: str
    title: str
    severity: str
    category: str
    subject: str  # function / role / policy ARN, or template location
    message: str
    evidence: dict = field(default_factory=dict)
    remediation: str = ""
    fingerprint: str = ""
    suppressed: dict | None = None
    location: dict | None = None  # {"file", "line"} for IaC

    def as_dict(self) -> dict:
        d = {"rule_id": self.rule_id, "title": self.title, "severity": self.severity, "category": self.category,
             "subject": self.subject, "message": self.message, "evidence": self.evidence,
             "remediation": self.remediation, "fingerprint": self.fingerprint}
        if self.suppressed:
            d["suppressed"] = self.suppressed
        if self.location:
            d["location"] = self.location
        return d


def fingerprint(rule_id: str, subject: str, key: Any) -> str:
    """Stable while the problem stays the same: rule, subject and what identifies the problem
    (never timestamps or counts)."""
    raw = json.dumps([rule_id, subject, key], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
