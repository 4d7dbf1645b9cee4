"""Which base object a head object is, for the CI gate (built by ``diff.match``, read by
``diff`` and ``breakage``; its own module so that neither imports the other back)."""

from __future__ import annotations

from dataclasses import dataclass, field

from iam_analyzer.model import Function, Role


@dataclass
class Pairing:
    """Head object -> base object, for functions, roles and customer-managed policies."""

    functions: dict = field(default_factory=dict)  # id(head Function) -> base Function
    roles: dict = field(default_factory=dict)  # id(head Role) -> base Role
    policies: dict = field(default_factory=dict)  # id(head ManagedPolicy) -> base ManagedPolicy

    def base_function(self, fn: Function) -> Function | None:
        return self.functions.get(id(fn))

    def base_role(self, role: Role) -> Role | None:
        return self.roles.get(id(role))
