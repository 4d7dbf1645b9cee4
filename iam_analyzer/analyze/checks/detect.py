"""Detection: declarative matchers and the checks written in Python, over one model.

``analyze(snapshot, usage, rules, config)`` returns findings. Every IAM question goes to
``iam_analyzer.iam`` (catalog, evaluator) or ``iam_analyzer.analyze.graph``; nothing here matches
action strings by itself except through those.
"""

from __future__ import annotations

from iam_analyzer.analyze.checks.engine import Config, Finding, Rule, apply_config
from iam_analyzer.analyze.checks.model import Model, Subject  # noqa: F401  (re-exported)
from iam_analyzer.analyze.checks.python_checks import CHECKS, _finding
from iam_analyzer.iam import wildcard
from iam_analyzer.iam.policy import Statement
from iam_analyzer.model import Snapshot


# -- declarative matchers -------------------------------------------------------------------------


def _items(model: Model, subject: str):
    if subject == "function":
        for f in model.snapshot.functions():
            yield f.arn, f, {"function": f.name}
    elif subject == "invoker":
        for f in model.snapshot.functions():
            for i in f.invokers:
                yield f.arn, i, {"function": f.name, "principal": i.principal}
    elif subject == "url":
        for f in model.snapshot.functions():
            for u in f.urls:
                yield f.arn, u, {"function": f.name, "url": u.url}
    elif subject == "env":
        for f in model.snapshot.functions():
            for v in f.environment:
                yield f.arn, v, {"function": f.name, "variable": v.name}
    elif subject == "statement":
        for s, name, st in model.statements(aws_managed=False):
            yield s.arn, st, {"role": s.name, "policy": name, "statement": st.index, "actions": ", ".join(st.action_patterns)}
    else:
        raise ValueError(f"unknown matcher subject {subject!r}")


def _field(item, name: str):
    if isinstance(item, Statement):
        return {
            "effect": item.effect,
            "actions": list(item.action_patterns) if item.actions is not None else [],
            "not_action": item.not_actions is not None,
            "not_resource": item.not_resources is not None,
            "resources": list(item.resource_patterns),
            "has_conditions": bool(item.conditions),
            "service_wildcard": item.grants_whole_service,
            "full_wildcard": item.grants_every_action,
        }[name]
    return getattr(item, name)


def _holds(item, cond: dict) -> bool:
    value = _field(item, cond["field"])
    if "equals" in cond:
        return value == cond["equals"]
    if "in" in cond:
        return value in cond["in"]
    if "not_in" in cond:
        return value not in cond["not_in"]
    if "is_null" in cond:
        return (value in (None, "", [], {})) == bool(cond["is_null"])
    if "contains" in cond:
        return cond["contains"] in (value or [])
    if "matches" in cond:
        return any(wildcard.matches(cond["matches"], str(v)) for v in (value if isinstance(value, list) else [value]))
    raise ValueError(f"unknown condition {cond}")


def _declarative(model: Model, rule: Rule) -> list[Finding]:
    m = rule.matcher
    out = []
    for subject, item, ctx in _items(model, m["subject"]):
        if all(_holds(item, c) for c in m.get("where", [])):
            message = m.get("message", rule.title).format(**ctx)
            evidence = ctx | ({"document": item.to_json()} if isinstance(item, Statement) else {})
            out.append(_finding(rule, subject, message, evidence, sorted(ctx.items())))
    return out


def analyze(snapshot: Snapshot, usage: dict | None, rules: dict[str, Rule], config: Config | None = None):
    """Run every active rule. Returns (reported, suppressed, notes)."""
    cfg = config or Config()
    model = Model(snapshot, usage)
    findings: list[Finding] = []
    for rule in rules.values():
        if not cfg.active(rule):
            continue
        if rule.matcher.get("check"):
            fn = CHECKS.get(rule.matcher["check"])
            if fn is None:
                raise ValueError(f"{rule.path}: unknown check {rule.matcher['check']!r}")
            findings.extend(fn(model, rule))
        else:
            findings.extend(_declarative(model, rule))
    return apply_config(findings, cfg)
