"""Terraform plans (``terraform show -json plan.out``) -> Parts.

Resource instances come from ``planned_values`` (root module and child modules, ``count`` and
``for_each`` instances with their index) and data sources from ``prior_state``. A value Terraform
only knows after apply (``after_unknown`` in ``resource_changes``) is found through the
``configuration``'s ``references`` when it points at another resource of the plan (a role's ARN
built from its name, a policy document built from its statements); otherwise it becomes ``*``
and is recorded as unresolved. Locations: the plan file, the line of the resource object, and
the resource address as logical id.
"""

from __future__ import annotations

import json
import re
from typing import Any

from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.model import SourceLocation

from . import tf_map
from .resolve import WILDCARD, Unresolved
from .result import Parts
from .tf_types import _MODULE_KEYS, Instance  # noqa: F401  (Instance re-exported: plans and configuration share it)

_REF = re.compile(r"^(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(\[[^\]]*\])?(?:\.([A-Za-z0-9_]+))?")


def is_plan(data: Any) -> bool:
    """``terraform show -json`` of a plan (or of a state: ``values.root_module``)."""
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("planned_values"), dict) or isinstance(data.get("resource_changes"), list):
        return True
    return "format_version" in data and "terraform_version" in data and isinstance(data.get("values"), dict)


class Plan:
    def __init__(self, path: str, data: dict, account: str, region: str, partition: str):
        self.path, self.account, self.region, self.partition = path, account, region, partition
        self.unresolved: list[Unresolved] = []
        unknown = {}
        for rc in _l(data.get("resource_changes")):
            if isinstance(rc, dict) and isinstance(rc.get("change"), dict):
                unknown[str(rc.get("address"))] = rc["change"].get("after_unknown") or {}
        self.instances: list[Instance] = []
        planned = data.get("planned_values") if isinstance(data.get("planned_values"), dict) else data.get("values")
        self._walk((planned if isinstance(planned, dict) else {}).get("root_module"), unknown)
        seen = {i.address for i in self.instances}
        prior = _d(_d(_d(data.get("prior_state")).get("values")).get("root_module"))
        for inst in self._collect(prior, {}):
            if inst.address not in seen and inst.mode == "data":
                self.instances.append(inst)
        # deferred data sources (read during apply) exist only in resource_changes
        seen = {i.address for i in self.instances}
        for rc in _l(data.get("resource_changes")):
            if isinstance(rc, dict) and rc.get("mode") == "data" and str(rc.get("address")) not in seen:
                ch = rc.get("change") if isinstance(rc.get("change"), dict) else {}
                raw = dict(rc, values=_d(ch.get("after")))
                self.instances.append(Instance(raw, str(rc.get("module_address", "")), ch.get("after_unknown")))
                seen.add(str(rc.get("address")))
        self.by_address = {i.address: i for i in self.instances}
        self.by_base: dict[str, list[Instance]] = {}  # address without its instance key
        self.by_type_name: dict[tuple[str, str], Instance] = {}
        for i in self.instances:
            self.by_base.setdefault(_base(i.address), []).append(i)
            if isinstance(i.values.get("name"), str):
                self.by_type_name.setdefault((i.type, i.values["name"]), i)
        self.config, self.module_calls = _config_index(_d(data.get("configuration")).get("root_module"), "")

    def _collect(self, module: Any, unknown: dict, out: list | None = None) -> list[Instance]:
        out = [] if out is None else out
        stack = [module] if isinstance(module, dict) else []
        while stack:
            m = stack.pop()
            addr = str(m.get("address", ""))
            for r in _l(m.get("resources")):
                if isinstance(r, dict):
                    out.append(Instance(r, addr, unknown.get(str(r.get("address")))))
            stack.extend(c for c in _l(m.get("child_modules")) if isinstance(c, dict))
        return out

    def _walk(self, module: Any, unknown: dict) -> None:
        self.instances.extend(self._collect(module, unknown))

    def note(self, inst: Instance, what: str) -> None:
        self.unresolved.append(Unresolved(self.path, inst.line, f"{inst.address}: {what}"))

    def location(self, inst: Instance) -> SourceLocation:
        return SourceLocation(self.path, inst.line, inst.address)

    # -- values -------------------------------------------------------------------------------

    def get(self, inst: Instance, attr: str, default: Any = None) -> Any:
        """A known value, or what the configuration's references give, or ``*`` (recorded)."""
        if attr in inst.values and inst.values[attr] is not None and inst.unknown.get(attr) is not True:
            return inst.values[attr]  # known (blocks with some unknown parts: the known parts)
        if inst.unknown.get(attr) is True or _partially_unknown(inst.unknown.get(attr)):
            if self.config and inst.config_address in self.config and not self.expression(inst, attr):
                return default  # not set in the configuration: a value the provider computes
            v = self.from_reference(inst, attr)
            if v is not None:
                return v
            self.note(inst, f"{attr} is known only after apply")
            return WILDCARD
        return default

    def expression_blocks(self, inst: Instance, attr: str) -> Any:
        """The configuration of a nested block attribute (a list of blocks), as written."""
        cfg = self.config.get(inst.config_address) or {}
        return _d(cfg.get("expressions")).get(attr)

    def expression(self, inst: Instance, attr: str) -> dict:
        cfg = self.config.get(inst.config_address) or {}
        exprs = cfg.get("expressions") if isinstance(cfg.get("expressions"), dict) else {}
        e = exprs.get(attr)
        return e if isinstance(e, dict) else {}

    def from_reference(self, inst: Instance, attr: str, expr: dict | None = None) -> Any:
        want = _wanted_attribute(inst.type, attr)
        refs = [str(r) for r in _l(_d(expr if expr is not None else self.expression(inst, attr)).get("references"))]
        # Terraform lists "a.b.attr" and then "a.b": the bare form adds nothing, unless it is
        # the only one (an index known at apply, "a.b[each.key].arn", drops the attribute).
        with_attr = {r.rsplit(".", 1)[0] for r in refs if _REF.match(r) and _REF.match(r).group(5)}
        for ref in refs:
            if ref in with_attr:
                continue
            v = self.resolve_reference(inst, ref, want=want)
            if v is not None:
                return v
        return None

    def block_value(self, inst: Instance, block: str, index: int, key: str) -> Any:
        """A value inside a nested block (``lambda_function[0].lambda_function_arn``)."""
        blocks = [b for b in (inst.values.get(block) or []) if isinstance(b, dict)] if isinstance(inst.values.get(block), list) else []
        if index < len(blocks) and blocks[index].get(key) not in (None, ""):
            return blocks[index][key]
        cfg = self.config.get(inst.config_address) or {}
        exprs = _d(cfg.get("expressions")).get(block)
        if isinstance(exprs, list) and index < len(exprs) and isinstance(exprs[index], dict) and isinstance(exprs[index].get(key), dict):
            v = self.from_reference(inst, key, exprs[index][key])
            if v is not None:
                return v
        self.note(inst, f"{block}.{key} is known only after apply")
        return WILDCARD

    def resolve_reference(self, inst: Instance, ref: str, depth: int = 0, want: str = "arn") -> Any:
        if ref.startswith("var.") and inst.module and depth < 8:
            return self._variable(inst, ref[4:].split(".", 1)[0].split("[", 1)[0], depth)
        found = self.target(inst, ref)
        if found is None:
            return None
        target, attr = found
        # "aws_iam_role.fn[each.key].arn" is referenced as "aws_iam_role.fn": the attribute is implied
        attr = attr or (None if target.type == "aws_iam_policy_document" else want)
        if not attr:
            attr = "json"
        if target.type == "aws_iam_policy_document" and attr == "json":
            return json.dumps(tf_map.policy_document(self, target))
        return self.attribute(target, attr)

    def target(self, inst: Instance, ref: str) -> tuple[Instance, str | None] | None:
        """The one instance a reference names (in the referencing module), and the attribute."""
        m = _REF.match(ref)
        if not m or m.group(2) in ("var", "local", "module", "each", "count", "path", "terraform", "self"):
            return None
        data, rtype, name, idx, attr = m.groups()
        base = f"{'data.' if data else ''}{rtype}.{name}"
        prefix = f"{inst.module}." if inst.module else ""
        cands = list(self.by_base.get(prefix + base, ()))
        if idx:
            cands = [i for i in cands if i.address == prefix + base + idx] or cands
        if len(cands) > 1 and inst.index is not None:
            cands = [i for i in cands if i.index == inst.index] or cands
        return (cands[0], attr) if len(cands) == 1 else None

    def referenced(self, inst: Instance, attr: str) -> Instance | None:
        for ref in _l(self.expression(inst, attr).get("references")):
            found = self.target(inst, str(ref))
            if found is not None:
                return found[0]
        return None

    def _variable(self, inst: Instance, var: str, depth: int) -> Any:
        """A module input: the module call's expression, resolved in the calling module."""
        parent, _, call = inst.module.rpartition(".module.") if ".module." in inst.module else ("", "", inst.module)
        call_name = _MODULE_KEYS.sub("", call.removeprefix("module."))
        parent_cfg = _MODULE_KEYS.sub("", parent)
        expr = _d(_d(_d(self.module_calls.get(f"{parent_cfg}.module.{call_name}" if parent_cfg else f"module.{call_name}"))
                     .get("expressions")).get(var))
        if "constant_value" in expr:
            return expr["constant_value"]
        caller = Instance({"address": "", "index": None}, parent, None)
        for ref in _l(expr.get("references")):
            v = self.resolve_reference(caller, str(ref), depth + 1)
            if v is not None:
                return v
        return None

    def attribute(self, inst: Instance, attr: str) -> Any:
        if attr in inst.values and inst.unknown.get(attr) is not True and inst.values[attr] is not None:
            return inst.values[attr]
        mapping = ab.TERRAFORM.get(inst.type)
        if mapping is None:
            return None
        cfn_type, name_attr = mapping
        kind = ab.CFN[cfn_type]
        name = inst.values.get(name_attr)
        if not isinstance(name, str) or inst.unknown.get(name_attr) is True:
            name = WILDCARD
        if attr in (name_attr, "name"):
            return name if name != WILDCARD else None
        if attr == "invoke_arn" and inst.type == "aws_lambda_function":
            fn_arn = self.attribute(inst, "arn")
            return ab.lambda_invoke_arn(fn_arn, self.region, self.partition) if isinstance(fn_arn, str) else None
        if attr == "execution_arn":  # an API's id is made at apply: any API of the account
            return ab.build(kind, WILDCARD, self.partition, self.region, self.account)
        if attr == "id":  # what Terraform's id holds depends on the type, as CloudFormation's Ref does
            attr = {"url": "url", "arn": "arn", "name": "name"}.get(kind.ref, "key" if name_attr == "key_id" else "")
            if attr == "name" or attr == "key":
                return name if name != WILDCARD else None
        if attr == "arn":
            if kind.path_prop:
                name = ab.iam_name_with_path(name, inst.values.get("path"))
            return ab.build(kind, name, self.partition, self.region, self.account)
        if attr == "url" and cfn_type == "AWS::SQS::Queue":
            return ab.queue_url(name, self.region, self.account, self.partition)
        return None

    def arn_of(self, inst: Instance) -> str:
        v = inst.values.get("arn")
        if isinstance(v, str) and v and inst.unknown.get("arn") is not True:
            return v
        built = self.attribute(inst, "arn")
        return built if isinstance(built, str) else WILDCARD


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else []


def _base(address: str) -> str:
    """``module.m["k"].aws_x.y["a"]`` -> ``module.m["k"].aws_x.y`` (the instance key dropped)."""
    if address.endswith("]"):
        depth = 0
        for i in range(len(address) - 1, -1, -1):
            c = address[i]
            if c == "]":
                depth += 1
            elif c == "[":
                depth -= 1
                if depth == 0:
                    return address[:i]
    return address


def _wanted_attribute(rtype: str, attr: str) -> str:
    """What an attribute holds when its reference names no attribute: an ARN or a name."""
    if attr.endswith("arn") or (attr == "role" and rtype == "aws_lambda_function"):
        return "arn"
    return "name"


def _partially_unknown(u: Any) -> bool:
    if isinstance(u, dict):
        return any(v is True or _partially_unknown(v) for v in u.values())
    if isinstance(u, list):
        return any(v is True or _partially_unknown(v) for v in u)
    return False


def _config_index(module: Any, prefix: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """Configuration resources by address, and module calls by module path (without keys)."""
    out: dict[str, dict] = {}
    calls: dict[str, dict] = {}
    stack = [(module, prefix)]
    while stack:
        m, pre = stack.pop()
        if not isinstance(m, dict):
            continue
        for r in _l(m.get("resources")):
            if isinstance(r, dict) and r.get("address"):
                out[f"{pre}.{r['address']}" if pre else str(r["address"])] = r
        for name, call in _d(m.get("module_calls")).items():
            if isinstance(call, dict):
                path = f"{pre}.module.{name}" if pre else f"module.{name}"
                calls[path] = call
                stack.append((call.get("module"), path))
    return out, calls


def read_plan(path: str, data: dict, parts: Parts, *, account: str, region: str, partition: str) -> "Plan":
    plan = Plan(path, data, account, region, partition)
    tf_map.read(plan, parts)
    parts.links[:] = [(ref, action, where or path) for ref, action, where in parts.links]
    parts.unresolved.extend(plan.unresolved)
    return plan
