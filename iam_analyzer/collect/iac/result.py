"""What reading templates and plans gives back, and the parts each reader hands to the linker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from iam_analyzer.model import (
    Function, Group, ManagedPolicy, Role, Snapshot, SourceLocation, User,
)

from .resolve import Unresolved

KINDS = ("cloudformation", "sam", "cdk", "terraform-plan", "terraform", "serverless", "unknown")

# (path, logical id or Terraform address, policy name, statement index) -> line
StatementKey = tuple[str, str, str, int]
TRUST_POLICY = "AssumeRolePolicyDocument"  # the policy name used for a role's trust policy

# Who wrote a statement, so findings follow who can change it (issue #22). ``kind`` is one of
# ORIGIN_KINDS; ``name`` names the template or managed policy where there is one
# (``{"kind": "sam-policy-template", "name": "SQSPollerPolicy"}``). A statement with no entry in
# ``statement_origins`` is the author's own (``template``).
ORIGIN_KINDS = ("template", "sam-policy-template", "sam-generated", "aws-managed-policy", "cdk-generated",
                "serverless-generated", "terraform")


@dataclass
class InputReport:
    """One input file: what kind it is and what went wrong reading it (one line each)."""

    path: str
    kind: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)  # stack names (CloudFormation) read from it


@dataclass
class IacResult:
    snapshot: Snapshot
    inputs: list[InputReport] = field(default_factory=list)
    # Line of each policy statement: key (path, logical_id, policy name, statement index), where
    # path and logical_id are those of the policy's SourceLocation (an InlinePolicy's or a
    # ManagedPolicy's ``location``, or the role's for its trust policy, named TRUST_POLICY).
    statement_lines: dict[StatementKey, int] = field(default_factory=dict)
    # Origin of a statement that is not the author's own text, by the same key as statement_lines
    statement_origins: dict[StatementKey, dict] = field(default_factory=dict)
    # A statement under Fn::If (its own or its policy's), read in both branches, by the same key:
    # {"condition", "branch", "deploys"} (branches.py); index -1 with a managed policy ARN as the
    # policy name: an ARN of ManagedPolicyArns under Fn::If (the key's logical id is the role's)
    statement_conditions: dict[StatementKey, dict] = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. managed policies whose document is unknown
    unknown_managed_policies: list[str] = field(default_factory=list)
    # CDK: (path, logical id) -> construct path from the aws:cdk:path metadata ("Stack/Handler/Resource")
    construct_paths: dict[tuple[str, str], str] = field(default_factory=dict)

    def statement_line(self, location: SourceLocation | None, policy_name: str, index: int) -> int | None:
        """The line of statement ``index`` of a policy read at ``location``, else the policy's line."""
        if location is None:
            return None
        line = self.statement_lines.get((location.path, location.logical_id or "", policy_name, index))
        return line or location.line

    def statement_origin(self, location: SourceLocation | None, policy_name: str, index: int) -> dict:
        """Who wrote statement ``index`` of a policy read at ``location`` (see ORIGIN_KINDS)."""
        if location is None:
            return {"kind": "template", "name": None}
        return self.statement_origins.get((location.path, location.logical_id or "", policy_name, index),
                                          {"kind": "template", "name": None})

    def statement_condition(self, location: SourceLocation | None, policy_name: str, index: int) -> dict | None:
        """The ``Fn::If`` condition statement ``index`` of a policy read at ``location`` is under, if any."""
        if location is None:
            return None
        return self.statement_conditions.get((location.path, location.logical_id or "", policy_name, index))

    @property
    def ok(self) -> bool:
        """Was anything usable read?"""
        return any(not i.errors for i in self.inputs if i.kind != "unknown")


@dataclass
class Parts:
    """What one template or plan declares, before functions and roles are linked across files."""

    functions: list[Function] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    policies: list[ManagedPolicy] = field(default_factory=list)
    # (principal kind role|user|group, principal name, "inline"|"managed", payload, line-key info)
    attachments: list[tuple[str, str, str, Any]] = field(default_factory=list)
    # (function reference as written: name, ARN or qualified ARN; action on the Function; the
    # file it was written in, whose own function wins when several files declare the name)
    links: list[tuple[str, Callable[[Function], None], str]] = field(default_factory=list)
    # function -> environment variables resolved (values kept in memory only until inspected)
    env: list[tuple[Function, dict[str, str]]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # resource name -> ARN (for env var references)
    statement_lines: dict[StatementKey, int] = field(default_factory=dict)
    statement_origins: dict[StatementKey, dict] = field(default_factory=dict)
    statement_conditions: dict[StatementKey, dict] = field(default_factory=dict)
    construct_paths: dict[tuple[str, str], str] = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    nested_read: int = 0  # nested stacks read into these parts (bounded: templates.MAX_NESTED_STACKS)

    def extend(self, other: "Parts") -> None:
        for f in ("functions", "roles", "users", "groups", "policies", "attachments", "links", "env",
                  "unresolved", "warnings"):
            getattr(self, f).extend(getattr(other, f))
        self.names.update(other.names)
        self.statement_lines.update(other.statement_lines)
        self.statement_origins.update(other.statement_origins)
        self.statement_conditions.update(other.statement_conditions)
        self.construct_paths.update(other.construct_paths)
