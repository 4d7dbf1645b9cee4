"""Policy documents: parse every valid form, normalise, serialise deterministically.

Covers identity, resource and trust policies: string-or-list values, Action/NotAction,
Resource/NotResource, Principal/NotPrincipal (including ``"*"``), Condition with every
operator, ``...IfExists``, ``ForAllValues:``/``ForAnyValue:`` and policy variables.

Errors name where they are (``Statement[2].Action[0]``) so a user can find them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_KEYS = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
)
BASE_OPERATORS = frozenset(
    """StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase
    StringLike StringNotLike NumericEquals NumericNotEquals NumericLessThan
    NumericLessThanEquals NumericGreaterThan NumericGreaterThanEquals DateEquals
    DateNotEquals DateLessThan DateLessThanEquals DateGreaterThan DateGreaterThanEquals
    Bool BinaryEquals IpAddress NotIpAddress ArnEquals ArnLike ArnNotEquals ArnNotLike
    Null""".split()
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_ACTION_RE = re.compile(r"^(\*|[A-Za-z0-9*?_.-]+:[A-Za-z0-9*?_.-]*[A-Za-z0-9*?_-])$")


class PolicyError(ValueError):
    """A policy that AWS would not accept, or that cannot be read, with where it is."""

    def __init__(self, message: str, location: str = ""):
        super().__init__(f"{location}: {message}" if location else message)
        self.message = message
        self.location = location


@dataclass(frozen=True)
class ConditionOperator:
    """``ForAnyValue:StringLikeIfExists`` -> set_op='ForAnyValue', base='StringLike', if_exists."""

    text: str
    base: str
    if_exists: bool = False
    set_op: str | None = None  # "ForAllValues" | "ForAnyValue" | None

    @classmethod
    def parse(cls, text: str) -> "ConditionOperator":
        set_op = None
        rest = text
        for prefix in ("ForAllValues:", "ForAnyValue:"):
            if text.startswith(prefix):
                set_op, rest = prefix[:-1], text[len(prefix):]
                break
        if_exists = False
        if rest.endswith("IfExists") and rest != "IfExists":
            rest, if_exists = rest[: -len("IfExists")], True
        if rest not in BASE_OPERATORS or (if_exists and rest == "Null"):
            raise PolicyError(f"unknown condition operator {text!r}")
        return cls(text=text, base=rest, if_exists=if_exists, set_op=set_op)

    @property
    def negated(self) -> bool:
        return "Not" in self.base and self.base != "Null"


@dataclass(frozen=True)
class Condition:
    operator: ConditionOperator
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Principal:
    """Either everyone (``"*"`` as written) or a map of principal type to values."""

    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
    star: bool = False  # written as the bare string "*"

    def values(self, kind: str) -> tuple[str, ...]:
        for k, v in self.entries:
            if k == kind:
                return v
        return ()

    @property
    def is_everyone(self) -> bool:
        return self.star or "*" in self.values("AWS")

    def all_values(self) -> list[tuple[str, str]]:
        if self.star:
            return [("AWS", "*")]
        return [(k, v) for k, vs in self.entries for v in vs]

    def to_json(self) -> Any:
        if self.star:
            return "*"
        return {k: list(v) for k, v in self.entries}


@dataclass(frozen=True)
class Statement:
    effect: str
    sid: str | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    conditions: tuple[Condition, ...] = ()
    index: int = field(default=0, compare=False)

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def action_patterns(self) -> tuple[str, ...]:
        return self.actions if self.actions is not None else (self.not_actions or ())

    @property
    def grants_every_action(self) -> bool:
        """Action "*" (or "*:*")."""
        return any(a in ("*", "*:*") for a in self.actions or ())

    @property
    def grants_whole_service(self) -> bool:
        """An Action such as "s3:*": every action of one service."""
        return any(re.fullmatch(r"[a-z0-9-]+:\*", a.lower()) for a in self.actions or ())

    @property
    def resource_patterns(self) -> tuple[str, ...]:
        if self.resources is not None:
            return self.resources
        if self.not_resources is not None:
            return self.not_resources
        return ("*",)

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.sid is not None:
            out["Sid"] = self.sid
        out["Effect"] = self.effect
        if self.principal is not None:
            out["Principal"] = self.principal.to_json()
        if self.not_principal is not None:
            out["NotPrincipal"] = self.not_principal.to_json()
        if self.actions is not None:
            out["Action"] = list(self.actions)
        if self.not_actions is not None:
            out["NotAction"] = list(self.not_actions)
        if self.resources is not None:
            out["Resource"] = list(self.resources)
        if self.not_resources is not None:
            out["NotResource"] = list(self.not_resources)
        if self.conditions:
            cond: dict[str, dict[str, list[str]]] = {}
            for c in self.conditions:
                cond.setdefault(c.operator.text, {})[c.key] = list(c.values)
            out["Condition"] = cond
        return out


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.version is not None:
            out["Version"] = self.version
        if self.id is not None:
            out["Id"] = self.id
        out["Statement"] = [s.to_json() for s in self.statements]
        return out

    def dumps(self, indent: int | None = 2) -> str:
        """Deterministic JSON text (the same policy always gives the same bytes)."""
        return json.dumps(self.to_json(), indent=indent, separators=None if indent else (",", ":"))

    @property
    def has_principals(self) -> bool:
        return any(s.principal is not None or s.not_principal is not None for s in self.statements)

    def with_statements(self, statements: Iterable[Statement]) -> "Policy":
        return replace(self, statements=tuple(replace(s, index=i) for i, s in enumerate(statements)))


# -- parsing --------------------------------------------------------------------------------


def _scalar(value: Any, loc: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    raise PolicyError(f"expected a string, got {type(value).__name__}", loc)


def _string_list(value: Any, loc: str, *, allow_empty: bool = False, skip_null: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list):
        # IAM accepts (and ignores) a null in a Resource list; lint warns about it
        items = [v for v in value if v is not None] if skip_null and any(v is not None for v in value) else value
    else:
        raise PolicyError(f"expected a string or a list of strings, got {type(value).__name__}", loc)
    if not items and not allow_empty:
        raise PolicyError("must not be an empty list", loc)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise PolicyError(f"expected a string, got {type(item).__name__}", f"{loc}[{i}]")
        if not item:
            raise PolicyError("must not be an empty string", f"{loc}[{i}]")
        out.append(item)
    return tuple(out)


def _parse_actions(value: Any, loc: str) -> tuple[str, ...]:
    items = _string_list(value, loc)
    for i, a in enumerate(items):
        if not _ACTION_RE.match(a):
            raise PolicyError(f"invalid action {a!r} (want service:Action)", f"{loc}[{i}]")
    return items


def _parse_principal(value: Any, loc: str) -> Principal:
    if value == "*":
        return Principal(star=True)
    if not isinstance(value, dict):
        raise PolicyError('expected "*" or an object such as {"AWS": ...}', loc)
    if not value:
        raise PolicyError("must not be empty", loc)
    entries = []
    for kind, vals in value.items():
        if kind not in PRINCIPAL_TYPES:
            raise PolicyError(f"unknown principal type {kind!r} (want one of {', '.join(PRINCIPAL_TYPES)})", f"{loc}.{kind}")
        entries.append((kind, _string_list(vals, f"{loc}.{kind}")))
    return Principal(entries=tuple(entries))


def _parse_conditions(value: Any, loc: str) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise PolicyError("expected an object of operator -> {key: values}", loc)
    out = []
    for op_text, block in value.items():
        op_loc = f"{loc}.{op_text}"
        try:
            op = ConditionOperator.parse(op_text)
        except PolicyError as e:
            raise PolicyError(e.message, op_loc) from None
        if not isinstance(block, dict):
            raise PolicyError("expected an object of condition key -> values", op_loc)
        # an empty block ({"DateGreaterThan": {}}) is accepted by IAM and tests nothing
        for key, raw in block.items():
            key_loc = f"{op_loc}.{key}"
            if isinstance(raw, list):
                values = tuple(_scalar(v, f"{key_loc}[{i}]") for i, v in enumerate(raw))
            else:
                values = (_scalar(raw, key_loc),)
            out.append(Condition(operator=op, key=key, values=values))
    return tuple(out)


def parse_statement(raw: Any, index: int, loc: str | None = None) -> Statement:
    loc = loc if loc is not None else f"Statement[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"a statement must be an object, got {type(raw).__name__}", loc)
    for key in raw:
        if key not in STATEMENT_KEYS:
            raise PolicyError(f"unknown element {key!r}", f"{loc}.{key}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(
            "Effect is missing" if effect is None else f'Effect must be "Allow" or "Deny", not {effect!r}',
            f"{loc}.Effect",
        )
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError("Sid must be a string", f"{loc}.Sid")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError("a statement needs exactly one of Action or NotAction", loc)
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("a statement may not have both Resource and NotResource", loc)
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError("a statement may not have both Principal and NotPrincipal", loc)
    return Statement(
        effect=effect,
        sid=sid,
        actions=_parse_actions(raw["Action"], f"{loc}.Action") if "Action" in raw else None,
        not_actions=_parse_actions(raw["NotAction"], f"{loc}.NotAction") if "NotAction" in raw else None,
        resources=_string_list(raw["Resource"], f"{loc}.Resource", skip_null=True) if "Resource" in raw else None,
        not_resources=_string_list(raw["NotResource"], f"{loc}.NotResource", skip_null=True)
        if "NotResource" in raw else None,
        principal=_parse_principal(raw["Principal"], f"{loc}.Principal") if "Principal" in raw else None,
        not_principal=_parse_principal(raw["NotPrincipal"], f"{loc}.NotPrincipal") if "NotPrincipal" in raw else None,
        conditions=_parse_conditions(raw["Condition"], f"{loc}.Condition") if "Condition" in raw else (),
        index=index,
    )


def parse_policy_lenient(doc: Any) -> tuple[Policy, list[PolicyError]]:
    """Parse what can be parsed; return the good statements and every error found."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as e:
            return Policy(statements=()), [PolicyError(f"invalid JSON: {e.msg}", f"line {e.lineno} column {e.colno}")]
    errors: list[PolicyError] = []
    if not isinstance(doc, dict):
        return Policy(statements=()), [PolicyError("a policy must be a JSON object", "(document)")]
    for key in doc:
        if key not in ("Version", "Id", "Statement"):
            errors.append(PolicyError(f"unknown top-level element {key!r}", key))
    version = doc.get("Version")
    if version is not None and version not in VERSIONS:
        errors.append(PolicyError(f"Version must be one of {', '.join(VERSIONS)}, not {version!r}", "Version"))
        version = None
    pid = doc.get("Id")
    if pid is not None and not isinstance(pid, str):
        errors.append(PolicyError("Id must be a string", "Id"))
        pid = None
    if "Statement" not in doc:
        errors.append(PolicyError("Statement is missing", "Statement"))
        raw_statements: list = []
        single = False
    else:
        raw = doc["Statement"]
        single = isinstance(raw, dict)
        raw_statements = [raw] if single else raw
        if not isinstance(raw_statements, list):
            errors.append(PolicyError("Statement must be an object or a list of objects", "Statement"))
            raw_statements = []
    statements = []
    for i, raw_st in enumerate(raw_statements):
        try:
            statements.append(parse_statement(raw_st, i, "Statement" if single else None))
        except PolicyError as e:
            errors.append(e)
    return Policy(statements=tuple(statements), version=version, id=pid), errors


def parse_policy(doc: Any) -> Policy:
    """Parse a policy document (dict or JSON text); raise PolicyError on the first problem."""
    policy, errors = parse_policy_lenient(doc)
    if errors:
        raise errors[0]
    return policy


def loads_document(text: str) -> Any:
    """JSON text -> object, with AWS's URL-encoded documents (from some APIs) decoded too."""
    text = text.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        from urllib.parse import unquote

        text = unquote(text)
    from iam_analyzer.inputs import check_bounds  # hostile text: bounded depth and number length first

    check_bounds(text.encode("utf-8", "surrogatepass"), "policy document")  # InputError is a ValueError
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("policy document: JSON nested too deeply") from None


def normalise(policy: Policy, canonical_action=None) -> Policy:
    """A normal form: actions in catalog casing (when a mapper is given), sorted, deduplicated."""

    def acts(values):
        if values is None:
            return None
        mapped = [canonical_action(v) if canonical_action else v for v in values]
        return tuple(sorted(set(mapped), key=str.lower))

    def res(values):
        return None if values is None else tuple(sorted(set(values)))

    def princ(p: Principal | None):
        if p is None or p.star:
            return p
        return Principal(entries=tuple(sorted((k, tuple(sorted(set(v)))) for k, v in p.entries)))

    out = []
    for s in policy.statements:
        conds = tuple(
            sorted(
                (Condition(c.operator, c.key, tuple(sorted(set(c.values)))) for c in s.conditions),
                key=lambda c: (c.operator.text, c.key.lower()),
            )
        )
        out.append(
            replace(
                s,
                actions=acts(s.actions),
                not_actions=acts(s.not_actions),
                resources=res(s.resources),
                not_resources=res(s.not_resources),
                principal=princ(s.principal),
                not_principal=princ(s.not_principal),
                conditions=conds,
            )
        )
    return replace(policy, statements=tuple(out), version=policy.version or "2012-10-17")


def extract_document(obj: Any) -> Any:
    """Find the policy document inside common wrappers (CLI outputs, CloudFormation)."""
    if isinstance(obj, dict) and "Statement" not in obj:
        for path in (("PolicyDocument",), ("PolicyVersion", "Document"), ("Document",),
                     ("AssumeRolePolicyDocument",), ("Policy",), ("Policy", "Content")):
            cur: Any = obj
            for key in path:
                cur = cur.get(key) if isinstance(cur, dict) else None
            if isinstance(cur, str):
                try:
                    cur = loads_document(cur)
                except ValueError:
                    continue
            if isinstance(cur, dict) and "Statement" in cur:
                return cur
    return obj
