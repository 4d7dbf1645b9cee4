"""The escalation search's vocabulary: what each method yields (from rules/escalation.yaml),
the kinds of step, and one step of a path (``Hop``). Beneath ``escalation`` (which finds the
steps) and ``reach`` (which joins them into paths), so neither imports the other back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iam_analyzer.analyze.graph.principals import escalation_methods

CLASS_PREFIX = "class:"
METHOD_YIELDS = {m["id"]: m["yields"] for m in escalation_methods()}
# Writing another principal's policies yields everything once one can also act as it.
POLICY_WRITE = {"AttachUserPolicy", "PutUserPolicy", "AttachRolePolicy", "PutRolePolicy",
                "AttachGroupPolicy", "PutGroupPolicy", "CreatePolicyVersion"}
CONTROL = {"AssumeRole", "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "UpdateAssumeRolePolicy"}
# What completes a path through a principal whose policies one can write but cannot act as.
ACT_AS = {"user": "credentials of {name} (an access key or console password, e.g. leaked or issued by someone else)",
          "role": "a way to act as {name}: a trust policy naming the principal, or code that runs as it",
          "group": "credentials of a member of {name}"}


@dataclass
class Hop:
    source: str
    target: str
    method: str
    requires: list[dict]  # [{action, resource, result, statements}]
    conditional: bool = False
    needs: str | None = None  # what the input cannot show but the step needs (a conditional path)
    members: tuple[str, ...] = field(default=(), repr=False)  # the principals of a class target
    # per member of a class target, the resource that yields it (a function running as that role)
    witness: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict:
        out = {"from": self.source, "to": self.target, "method": self.method, "conditional": self.conditional,
               "requires": self.requires}
        if self.needs:
            out["needs"] = self.needs
        if self.members:
            out["targets"] = len(self.members)
        return out
