"""What the generator produces per function, its options, and the inputs it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from iam_analyzer.analyze.evidence import DEFAULT_MIN_WINDOW_DAYS, Evidence
from iam_analyzer.iam.policy import Condition
from iam_analyzer.model import Function, Role, Snapshot


def conditions_json(conds: Iterable[Condition]) -> dict:
    out: dict = {}
    for c in conds:
        out.setdefault(c.operator.text, {})[c.key] = list(c.values)
    return out


@dataclass
class Entry:
    action: str
    resource: str
    origin: str  # observed | required | unverified
    evidence: dict
    conditions: tuple[Condition, ...] = ()

    def as_dict(self) -> dict:
        d = {"action": self.action, "resource": self.resource, "origin": self.origin, "evidence": self.evidence}
        if self.conditions:
            d["conditions"] = conditions_json(self.conditions)
        return d


@dataclass
class Dropped:
    actions: list[str]
    resource: str
    reason: str
    add_back: dict  # the statement that would restore it

    def as_dict(self) -> dict:
        return {"actions": self.actions, "resource": self.resource, "reason": self.reason, "add_back": self.add_back}


@dataclass
class Result_:
    function: Function
    role: Role | None
    documents: list[dict] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    not_granted: list[dict] = field(default_factory=list)
    denied_calls: list[dict] = field(default_factory=list)
    unused_by_service: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    verification: dict = field(default_factory=dict)
    evidence: Evidence | None = None
    before: int = 0
    after: int = 0

    @property
    def tightened(self) -> bool:
        """Was a tightened policy written? Not when the evidence was insufficient."""
        return bool(self.documents) and (self.evidence is None or self.evidence.tightens)

    @property
    def reduction(self) -> float:
        return 0.0 if not self.before or not self.tightened else round(100.0 * (self.before - self.after) / self.before, 1)

    def evidence_dict(self) -> dict:
        return self.evidence.as_dict() if self.evidence else {"verdict": "insufficient", "reasons": [], "what_to_do": []}

    def explanation(self) -> dict:
        return {
            "function": self.function.arn,
            "role": self.function.role_arn,
            "evidence": self.evidence_dict(),
            "granted_actions_before": self.before,
            "granted_actions_after": self.after,
            "reduction_percent": self.reduction,
            "verification": self.verification,
            "kept": [e.as_dict() for e in self.entries],
            "dropped_unverified": [d.as_dict() for d in self.dropped],
            "dropped_unused_by_service": self.unused_by_service,
            "not_granted_today": self.not_granted,
            "denied_calls": self.denied_calls,
            "warnings": self.warnings,
        }


@dataclass
class Options:
    unverified: str = "referenced"  # referenced | keep | drop
    since: str | None = None  # usage entries last seen before this are ignored
    min_prefix: int = 3  # shortest action prefix the minimiser may use when a policy is too large
    min_window_days: float = DEFAULT_MIN_WINDOW_DAYS  # shorter evidence: nothing is tightened


def role_documents(snapshot: Snapshot, role: Role) -> list[tuple[str, dict]]:
    docs = [(f"inline:{p.name}", p.document) for p in role.inline_policies]
    for arn in role.managed_policy_arns:
        mp = snapshot.find_policy(arn)
        if mp is not None:
            docs.append((arn, mp.document))
    return docs


def usage_for(usage: dict | None, fn: Function, since: str | None) -> list[dict]:
    """Usage entries of a function: its role session (or its ARN, when usage knew it)."""
    if not usage:
        return []
    out = []
    for p in usage.get("principals", []):
        if p.get("arn") != fn.role_arn:
            continue
        if p.get("function") == fn.arn or p.get("session") == fn.name:
            out.extend(a for a in p.get("actions", []) if since is None or (a.get("last_seen") or "") >= since)
    return out
