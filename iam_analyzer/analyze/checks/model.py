"""What the checks read: a snapshot with usage, its principals' parsed policies, effective
permissions and escalation paths, computed once per run (``Model``), and the subjects of the
declarative matchers (``Subject``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


from iam_analyzer.analyze.graph.effective import Analyzer
from iam_analyzer.analyze.graph.escalation import Escalations
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.policy import Policy, Statement
from iam_analyzer.model import Function, Role, Snapshot


INLINE_LIMIT = 10_240


@dataclass
class Subject:
    """A principal the rules look at: a function's execution role (or, without functions, every principal)."""

    arn: str
    name: str
    kind: str
    policies: list[tuple[str, Policy]]
    boundary: Policy | None
    functions: list[Function]
    role: Role | None


class Model:
    def __init__(self, snapshot: Snapshot, usage: dict | None = None):
        self.snapshot = snapshot
        self.usage = usage
        self.cat = default_catalog()

    @cached_property
    def analyzer(self) -> Analyzer:
        return Analyzer(self.snapshot)

    @cached_property
    def escalations(self) -> list[dict]:
        found, _ = Escalations(self.analyzer).find()
        return found

    @cached_property
    def subjects(self) -> list[Subject]:
        by_role: dict[str, list[Function]] = {}
        for f in self.snapshot.functions():
            by_role.setdefault(f.role_arn, []).append(f)
        out = []
        for arn, p in sorted(self.analyzer.principals.items()):
            if p.kind == "group":
                continue
            if by_role and arn not in by_role:
                continue  # with functions in the input, look at their execution roles
            out.append(Subject(arn, p.name, p.kind, p.policies, p.boundary, by_role.get(arn, []),
                               self.snapshot.find_role(arn)))
        return out

    def statements(self, aws_managed: bool = True):
        """(subject, policy name, statement). AWS-managed policies can be left out for hygiene
        rules: their owner cannot edit them, and the generator replaces them anyway."""
        for s in self.subjects:
            for name, pol in s.policies:
                if not aws_managed and ":aws:policy/" in name:
                    continue
                for st in pol.statements:
                    yield s, name, st

    def usage_for(self, role_arn: str) -> list[dict]:
        if not self.usage:
            return []
        return [a for p in self.usage.get("principals", []) if p.get("arn") == role_arn for a in p.get("actions", [])]

    def expand(self, st: Statement) -> set[str]:
        keys: set[str] = set()
        for p in st.action_patterns:
            keys.update(self.cat.expand_keys(p))
        if st.not_actions is not None:
            keys = set(self.cat.actions) - keys
        return keys
