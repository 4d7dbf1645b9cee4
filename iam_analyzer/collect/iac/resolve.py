"""CloudFormation intrinsic functions, resolved offline into plain values.

``Stack.resolve(value)`` evaluates ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` (both forms),
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::If`` with the template's
Conditions, ``Fn::Base64``, ``Fn::GetAZs``, ``Fn::Cidr``, ``Fn::Length``, ``Fn::ToJsonString``,
pseudo parameters and parameters (defaults, then overrides). Resources resolve to the names
and ARNs they would get (``iam.arn_builders``); a resource without an explicit name gets the
deterministic placeholder ``<stack>-<LogicalId>-*``, as CloudFormation names it
``<stack>-<LogicalId>-<random>``.

What cannot be known offline (``Fn::ImportValue``, ``{{resolve:...}}`` dynamic references, SSM
parameter types without an override, a parameter without a default) becomes ``*``, a wildcard
segment that IAM matching reads conservatively, and is recorded in ``unresolved`` with its line.
Mappings and lists keep their line numbers (``LDict``/``LList``) through resolution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from iam_analyzer.iam import arn_builders as ab

from .constants import NOVALUE, WILDCARD
from .constants import text as _text
from .loader import LDict, LList, line_of
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC = re.compile(r"\{\{resolve:([a-z-]+):[^}]*\}\}")


@dataclass
class Unresolved:
    path: str
    line: int | None
    what: str

    def __iter__(self):  # so callers can unpack (path, line, what)
        return iter((self.path, self.line, self.what))


# Budgets against templates shaped to explode (an attacker's pull request is read by the gate):
# CloudFormation itself takes at most 1 MB of template, so no real value is longer than that,
# and no real chain of names (a name built from another resource's name ...) is 64 deep.
MAX_VALUE_CHARS = 1024 * 1024
MAX_NAME_CHAIN = 64
# Values visited while resolving one template: a 1 MB template has some 100,000 nodes, each read
# a few times; Fn::FindInMap and Ref fanning out (a value built of four copies of the next, thirty
# deep) would visit 4**30 (Terraform evaluation has the same budget). Past the budget every
# value still to resolve is "*", said once.
MAX_STEPS = 2_000_000


@dataclass
class Stack:
    """One template being read: its parameters, conditions and resources."""

    path: str
    name: str
    template: dict
    account: str
    region: str
    partition: str = "aws"
    overrides: dict = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # budgets reached: said as reading notes

    def __post_init__(self) -> None:
        t = self.template
        self.resources: dict = t.get("Resources") or {}
        if not isinstance(self.resources, dict):
            self.resources = {}
        self.mappings: dict = t.get("Mappings") if isinstance(t.get("Mappings"), dict) else {}
        self.condition_defs: dict = t.get("Conditions") if isinstance(t.get("Conditions"), dict) else {}
        self._conditions: dict[str, bool] = {}
        self._cond_stack: set[str] = set()
        self._names: dict[str, str] = {}
        self._name_depth = 0
        self._seen_unresolved: set[tuple] = set()
        self._steps = 0
        self.maps_open: set[tuple] = set()  # Fn::FindInMap lookups being resolved (a loop is cut)
        self.params = self._parameters()

    # -- bookkeeping ------------------------------------------------------------------------

    def note(self, line: int | None, what: str) -> None:
        key = (line, what)
        if key not in self._seen_unresolved:
            self._seen_unresolved.add(key)
            self.unresolved.append(Unresolved(self.path, line, what))

    def limit(self, line: int | None, what: str) -> None:
        """A value cut at a budget (read as "*"): unresolved, and said once as a reading note."""
        before = len(self.unresolved)
        self.note(line, what)
        if len(self.unresolved) > before:
            self.warnings.append(f"line {line}: {what}" if line else what)

    def pseudo(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": self.partition,
            "AWS::StackName": self.name, "AWS::URLSuffix": ab.url_suffix(self.partition),
            "AWS::StackId": ab.stack_id(self.name, self.region, self.account, self.partition),
            "AWS::NotificationARNs": [], "AWS::NoValue": NOVALUE,
        }

    def _parameters(self) -> dict[str, Any]:
        """Parameter values; one that is not known offline is noted where it is used."""
        out: dict[str, Any] = {}
        self._param_notes: dict[str, tuple[int | None, str]] = {}
        defs = self.template.get("Parameters") or {}
        if not isinstance(defs, dict):
            return out
        for name, spec in defs.items():
            spec = spec if isinstance(spec, dict) else {}
            ptype = str(spec.get("Type", "String"))
            line = line_of(defs, name)
            if name in self.overrides:
                value: Any = self.overrides[name]
            elif ptype.startswith("AWS::SSM::Parameter::Value"):
                self._param_notes[name] = (line, f"parameter {name} is read from SSM at deploy time")
                value = WILDCARD
            elif "Default" in spec:
                value = spec["Default"]
            else:
                self._param_notes[name] = (line, f"parameter {name} has no default and no value was given")
                value = WILDCARD
            if isinstance(value, bool):  # YAML's true/false: CloudFormation passes text
                value = "true" if value else "false"
            if ("List" in ptype or ptype == "CommaDelimitedList") and isinstance(value, str):
                value = [v.strip() for v in value.split(",")] if value != WILDCARD else [WILDCARD]
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            out[name] = value
        return out

    # -- resources: names, Ref, GetAtt -------------------------------------------------------

    def resource_type(self, logical: str) -> str:
        r = self.resources.get(logical)
        return str(r.get("Type", "")) if isinstance(r, dict) else ""

    def props(self, logical: str) -> dict:
        r = self.resources.get(logical)
        p = r.get("Properties") if isinstance(r, dict) else None
        return p if isinstance(p, dict) else {}

    def physical_name(self, logical: str) -> str:
        """The resource's name: its name property resolved, else ``<stack>-<LogicalId>-*``."""
        if logical in self._names:
            return self._names[logical]
        self._names[logical] = f"{self.name}-{logical}-*"  # guards against a name that refers to itself
        kind = ab.CFN.get(self.resource_type(logical))
        props = self.props(logical)
        name = None
        if self._name_depth >= MAX_NAME_CHAIN:
            self.note(line_of(self.resources, logical),
                      f"the name of {logical} is built from a chain of more than {MAX_NAME_CHAIN} names: not followed")
            props = {}
        self._name_depth += 1
        try:
            for prop in kind.names if kind else ("Name",):
                if prop in props:
                    v = self.resolve(props[prop], line_of(props, prop))
                    if isinstance(v, str) and v:
                        name = v
                        break
        finally:
            self._name_depth -= 1
        if name is None:
            name = f"{self.name}-{logical}-*"
            if kind and kind.lower:
                name = name.lower()
        self._names[logical] = name
        return name

    def _iam_path(self, logical: str, kind: ab.Kind) -> str | None:
        if not kind.path_prop:
            return None
        props = self.props(logical)
        p = self.resolve(props.get(kind.path_prop), line_of(props, kind.path_prop)) if kind.path_prop in props else None
        return p if isinstance(p, str) else None

    def arn_of(self, logical: str, line: int | None = None) -> str:
        rtype = self.resource_type(logical)
        kind = ab.CFN.get(rtype)
        name = self.physical_name(logical)
        if kind is None:
            self.note(line, f"ARN of {logical} ({rtype or 'unknown type'}) is not known offline")
            return ab.any_resource_of(_service_of(rtype), self.region, self.account, self.partition)
        props = self.props(logical)
        extra: dict[str, str] = {}
        if rtype == "AWS::Lambda::Alias" or rtype == "AWS::Lambda::Version":
            fn = self.resolve(props.get("FunctionName"), line_of(props, "FunctionName"))
            fn_name, _ = ab.function_name_and_qualifier(fn if isinstance(fn, str) else WILDCARD)
            qual = name if rtype == "AWS::Lambda::Alias" else WILDCARD
            return ab.build(kind, fn_name, self.partition, self.region, self.account, Alias=qual, Version=qual) or WILDCARD
        if rtype == "AWS::Events::Rule":
            bus = self.resolve(props.get("EventBusName"), None) if "EventBusName" in props else None
            if isinstance(bus, str) and bus and bus != "default":
                bus_name = bus.rsplit("/", 1)[-1]
                return ab.build(ab.Kind("events", "rule-on-custom-event-bus"), name, self.partition, self.region,
                                self.account, EventBusName=bus_name, RuleName=name) or WILDCARD
        if rtype == "AWS::Scheduler::Schedule":
            group = self.resolve(props.get("GroupName"), None) if "GroupName" in props else "default"
            extra = {"GroupName": group if isinstance(group, str) else WILDCARD, "ScheduleName": name}
        if rtype == "AWS::Logs::LogGroup":
            extra = {"LogGroupName": name}
        path = self._iam_path(logical, kind)
        if kind.path_prop:
            name = ab.iam_name_with_path(name, path)
        return ab.build(kind, name, self.partition, self.region, self.account, **extra) or WILDCARD

    def _value(self, logical: str, what: str, line: int | None) -> Any:
        rtype = self.resource_type(logical)
        if what == "arn":
            return self.arn_of(logical, line)
        if what == "name":
            return self.physical_name(logical)
        if what == "url" and rtype == "AWS::SQS::Queue":
            return ab.queue_url(self.physical_name(logical), self.region, self.account, self.partition)
        if what == "stream":
            return ab.stream_arn(self.arn_of(logical, line))
        if what in ("id", "url", "domain"):
            return f"{self.name}-{logical}-*"  # ids and endpoints are made at deployment
        return WILDCARD

    def ref(self, target: str, line: int | None) -> Any:
        if target in self.params:
            if target in self._param_notes:
                self.note(line or self._param_notes[target][0], self._param_notes[target][1])
            return self.params[target]
        pseudo = self.pseudo()
        if target in pseudo:
            return pseudo[target]
        if target in self.resources:
            kind = ab.CFN.get(self.resource_type(target))
            return self._value(target, kind.ref if kind else "name", line)
        self.note(line, f"Ref to unknown name {target}")
        return WILDCARD

    def getatt(self, logical: str, attr: str, line: int | None) -> Any:
        if logical not in self.resources:
            self.note(line, f"GetAtt of unknown resource {logical}")
            return WILDCARD
        rtype = self.resource_type(logical)
        kind = ab.CFN.get(rtype)
        what = (kind.attrs.get(attr) if kind else None) or ("arn" if attr.endswith("Arn") else None)
        if what is None:
            if attr in ("Name",) or attr.endswith("Name"):
                what = "name"
            else:
                self.note(line, f"{logical}.{attr} ({rtype}) is only known after deployment")
                return WILDCARD
        value = self._value(logical, what, line)
        return ab.getatt_arn(kind, value) if what == "arn" and isinstance(value, str) else value

    # -- conditions ---------------------------------------------------------------------------

    def condition(self, name: str, line: int | None = None) -> bool:
        if name in self._conditions:
            return self._conditions[name]
        if name not in self.condition_defs or name in self._cond_stack:
            self.note(line, f"condition {name} is not defined" if name not in self.condition_defs
                      else f"condition {name} refers to itself")
            return True
        self._cond_stack.add(name)
        value = self._truth(self.condition_defs[name], line_of(self.condition_defs, name))
        self._cond_stack.discard(name)
        self._conditions[name] = value
        return value

    def _truth(self, node: Any, line: int | None) -> bool:
        if isinstance(node, bool):
            return node
        if isinstance(node, str):
            return node.lower() == "true"
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            line = line_of(node) or line
            if fn == "Condition":
                return self.condition(str(arg), line)
            if fn == "Fn::Not" and isinstance(arg, list) and arg:
                return not self._truth(arg[0], line)
            if fn == "Fn::And" and isinstance(arg, list):
                return all(self._truth(a, line) for a in arg)
            if fn == "Fn::Or" and isinstance(arg, list):
                return any(self._truth(a, line) for a in arg)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                a, b = (self.resolve(x, line) for x in arg)
                if WILDCARD in (a, b) or _has_placeholder(a) or _has_placeholder(b):
                    self.note(line, "a condition compares a value not known offline: taken as true")
                    return True
                return _norm(a) == _norm(b)
        self.note(line, "a condition could not be evaluated: taken as true")
        return True

    # -- values --------------------------------------------------------------------------------

    def resolve(self, node: Any, line: int | None = None) -> Any:
        """The plain value of a template node (mappings/lists keep their lines)."""
        if isinstance(node, str):
            return self._dynamic(node, line) if "{{resolve:" in node else node
        if isinstance(node, (list, dict)):
            self._steps += 1
            if self._steps > MAX_STEPS:
                if self._steps == MAX_STEPS + 1:
                    self.limit(line, f"values fan out past {MAX_STEPS:,} steps of resolution "
                                    "(Fn::FindInMap, Ref or Fn::Sub reused): the rest read as \"*\"")
                return WILDCARD
        if isinstance(node, list):
            out = LList()
            out.line = line_of(node) or line
            for v in node:
                r = self.resolve(v, out.line)
                if r is not NOVALUE:
                    out.append(r)
            return out
        if not isinstance(node, dict):
            return node
        here = line_of(node) or line
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")) or key == "Condition":
                return self._intrinsic(key, arg, here)
        out = LDict()
        out.line = here
        for k, v in node.items():
            r = self.resolve(v, line_of(node, k))
            if r is not NOVALUE:
                out[k] = r
                if isinstance(node, LDict) and k in node.key_lines:
                    out.key_lines[k] = node.key_lines[k]
        return out

    def _dynamic(self, text: str, line: int | None) -> str:
        def repl(m: re.Match) -> str:
            self.note(line, f"dynamic reference {{{{resolve:{m.group(1)}:...}}}} is read at deploy time")
            return WILDCARD
        return _DYNAMIC.sub(repl, text)

    def _intrinsic(self, fn: str, arg: Any, line: int | None) -> Any:
        handler = _handlers().get(fn)
        if handler is None:
            if fn == "Condition":
                return {"Condition": arg}
            self.note(line, f"{fn} is not supported offline")
            return WILDCARD
        out = handler(self, arg, line)
        if isinstance(out, str) and len(out) > MAX_VALUE_CHARS:
            self.limit(line, f"{fn} makes a value of {len(out):,} characters (over {MAX_VALUE_CHARS:,}): read as \"*\"")
            return WILDCARD
        if isinstance(out, list) and len(out) > MAX_VALUE_CHARS // 16:
            self.limit(line, f"{fn} makes a list of {len(out):,} items: read as \"*\"")
            return WILDCARD
        return out

    def sub(self, arg: Any, line: int | None) -> Any:
        if isinstance(arg, list) and arg:
            text, variables = arg[0], (arg[1] if len(arg) > 1 and isinstance(arg[1], dict) else {})
        else:
            text, variables = arg, {}
        text = self.resolve(text, line)
        if not isinstance(text, str):
            self.note(line, "Fn::Sub of a value that is not text")
            return WILDCARD
        local = {k: self.resolve(v, line) for k, v in variables.items()}
        made = [len(text)]  # characters made so far: "${a}" a million times over a long value is cut

        def repl(m: re.Match) -> str:
            if made[0] > MAX_VALUE_CHARS:
                return ""
            expr = m.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            expr = expr.strip()
            if expr in local:
                v = local[expr]
            elif "." in expr and expr.split(".", 1)[0] in self.resources:
                logical, attr = expr.split(".", 1)
                v = self.getatt(logical, attr, line)
            else:
                v = self.ref(expr, line)
            out = _text(v)
            made[0] += len(out)
            return out

        out = _SUB_VAR.sub(repl, text)
        if made[0] > MAX_VALUE_CHARS:
            self.limit(line, f"Fn::Sub makes a value over {MAX_VALUE_CHARS:,} characters: read as \"*\"")
            return WILDCARD
        return self._dynamic(out, line) if "{{resolve:" in text else out


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _has_placeholder(v: Any) -> bool:
    return isinstance(v, str) and v == WILDCARD


def _service_of(rtype: str) -> str:
    parts = rtype.split("::")
    return parts[1].lower() if len(parts) == 3 else "*"


def _handlers() -> dict:
    from .intrinsics import HANDLERS
    return HANDLERS
