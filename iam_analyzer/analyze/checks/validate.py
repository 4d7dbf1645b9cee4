"""Rules and configuration checked when they are loaded, never half-way through ``analyze``.

A typo must not silently disable checks: ``select: [IAM0O1]`` selecting nothing, a severity
given as a list, ``expires: next tuesday``, a custom rule whose check, subject or field does
not exist, a custom rule quietly replacing a built-in one. Each is a ``RuleError`` naming the
file and the place (exit 2).
"""

from __future__ import annotations

import dataclasses
import string
from datetime import date
from pathlib import Path
from typing import Any

# keys a rule file may have; a key outside these is most likely a typo
RULE_KEYS = {"id", "title", "severity", "category", "enabled", "why", "fix", "references", "example", "matcher",
             "overrides"}
MATCHER_KEYS = {"check", "subject", "where", "message"}
OPERATORS = ("equals", "in", "not_in", "is_null", "contains", "matches")
# the configuration file's keys and their types (other commands add theirs here)
CONFIG_KEYS: dict[str, type | tuple] = {"select": list, "ignore": list, "severity": dict, "suppressions": list,
                                        "min_severity": str}
SUPPRESSION_KEYS = {"rule", "subject", "reason", "expires"}

# declarative subjects -> (model class or statement fields, message placeholders)
STATEMENT_FIELDS = {"effect", "actions", "not_action", "not_resource", "resources", "has_conditions",
                    "service_wildcard", "full_wildcard"}


def _subjects() -> dict[str, tuple[set[str], set[str]]]:
    from iam_analyzer.model import EnvVar, Function, FunctionUrl, Invoker

    def fields(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    return {
        "function": (fields(Function), {"function"}),
        "invoker": (fields(Invoker), {"function", "principal"}),
        "url": (fields(FunctionUrl), {"function", "url"}),
        "env": (fields(EnvVar), {"function", "variable"}),
        "statement": (STATEMENT_FIELDS, {"role", "policy", "statement", "actions"}),
    }


def _type_name(v: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false",
            type(None): "empty"}.get(type(v), type(v).__name__)


def check_rule_data(data: dict, path: Path, error) -> None:
    """Everything ``Rule.load`` does not already check. ``error(message)`` raises."""
    unknown = sorted(set(data) - RULE_KEYS)
    if unknown:
        error(f"{path}: unknown field(s) {', '.join(map(str, unknown))} (a rule has {', '.join(sorted(RULE_KEYS))})")
    for key in ("id", "title", "why", "fix"):
        if not isinstance(data[key], str) or not data[key].strip():
            error(f"{path}: {key} must be text, not {_type_name(data[key])}")
    for key in ("enabled", "overrides"):
        if key in data and not isinstance(data[key], bool):
            error(f"{path}: {key} must be true or false, not {_type_name(data[key])}")
    refs = data.get("references", [])
    if refs is not None and (not isinstance(refs, list) or not all(isinstance(r, str) for r in refs)):
        error(f"{path}: references must be a list of text")
    if data.get("example") is not None and not isinstance(data["example"], dict):
        error(f"{path}: example must be a mapping")
    m = data.get("matcher")
    if not isinstance(m, dict):
        error(f"{path}: matcher must be a mapping, not {_type_name(m)}")
    unknown = sorted(set(m) - MATCHER_KEYS)
    if unknown:
        error(f"{path}: matcher: unknown field(s) {', '.join(map(str, unknown))}")
    if m.get("check") is not None:
        from iam_analyzer.analyze.checks.python_checks import CHECKS

        if not isinstance(m["check"], str) or m["check"] not in CHECKS:
            error(f"{path}: matcher.check: no check named {m['check']!r} (known: {', '.join(sorted(CHECKS))})")
        return
    subjects = _subjects()
    subject = m.get("subject")
    if not isinstance(subject, str) or subject not in subjects:
        error(f"{path}: matcher.subject: {subject!r} is not one of {', '.join(subjects)}")
    fields, placeholders = subjects[subject]
    where = m.get("where", [])
    if not isinstance(where, list):
        error(f"{path}: matcher.where must be a list of conditions")
    for i, cond in enumerate(where):
        at = f"{path}: matcher.where[{i}]"
        if not isinstance(cond, dict):
            error(f"{at}: a condition is a mapping with 'field' and one of {', '.join(OPERATORS)}")
        if not isinstance(cond.get("field"), str) or cond["field"] not in fields:
            error(f"{at}: {subject} has no field {cond.get('field')!r} (fields: {', '.join(sorted(fields))})")
        ops = [k for k in cond if k != "field"]
        if len(ops) != 1 or ops[0] not in OPERATORS:
            error(f"{at}: give exactly one of {', '.join(OPERATORS)} (got {', '.join(map(str, ops)) or 'none'})")
        if ops[0] in ("in", "not_in") and not isinstance(cond[ops[0]], list):
            error(f"{at}: {ops[0]} needs a list")
        if ops[0] == "matches" and not isinstance(cond["matches"], str):
            error(f"{at}: matches needs a pattern (text)")
    message = m.get("message")
    if message is not None:
        if not isinstance(message, str):
            error(f"{path}: matcher.message must be text")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}
        except ValueError as e:
            error(f"{path}: matcher.message: {e}")
        bad = sorted(n for n in names if n not in placeholders)
        if bad:
            error(f"{path}: matcher.message: unknown placeholder(s) {', '.join('{' + b + '}' for b in bad)} "
                  f"(for {subject}: {', '.join('{' + p + '}' for p in sorted(placeholders))})")
        try:
            message.format(**{p: "x" for p in placeholders})
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as e:
            error(f"{path}: matcher.message: {type(e).__name__}: {e}")


def check_config_data(data: Any, path: Path, error) -> None:
    """Types and keys of the configuration file, before it is used."""
    if not isinstance(data, dict):
        error(f"{path}: the configuration must be a mapping (select, ignore, severity, min_severity, "
              f"suppressions), not {_type_name(data)}")
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            error(f"{path}: unknown setting {key!r} (settings: {', '.join(CONFIG_KEYS)})")
        if value is not None and not isinstance(value, CONFIG_KEYS[key]):
            want = {list: "a list", dict: "a mapping", str: "text"}.get(CONFIG_KEYS[key], "another type")
            error(f"{path}: {key} must be {want}, not {_type_name(value)}")
    for key in ("select", "ignore"):
        for i, item in enumerate(data.get(key) or []):
            if not isinstance(item, str):
                error(f"{path}: {key}[{i}] must be a rule id or a category, not {_type_name(item)}")
    for rule_id, sev in (data.get("severity") or {}).items():
        if not isinstance(sev, str):
            error(f"{path}: severity.{rule_id} must be one severity (text), not {_type_name(sev)}")
    for i, s in enumerate(data.get("suppressions") or []):
        at = f"{path}: suppressions[{i}]"
        if not isinstance(s, dict):
            error(f"{at}: a suppression is a mapping (rule, subject, reason, expires)")
        unknown = sorted(map(str, set(s) - SUPPRESSION_KEYS))
        if unknown:
            error(f"{at}: unknown field(s) {', '.join(unknown)}")
        for key in ("rule", "subject", "reason"):
            if s.get(key) is not None and not isinstance(s[key], str):
                error(f"{at}: {key} must be text, not {_type_name(s[key])}")
        expires = s.get("expires")
        if expires is not None and not isinstance(expires, date):
            try:
                date.fromisoformat(str(expires))
            except ValueError:
                error(f"{at}: expires must be a date such as 2027-01-31, not {str(expires)[:40]!r}")


# The CI gate's own verdicts, which a configuration may select, ignore or suppress like rules.
GATE_RULE_IDS = ("IA-INPUT", "IA-NEW-ACCESS", "IA-WOULD-BREAK")


def check_config_ids(cfg, rules: dict, path: str | Path | None, error) -> None:
    """Every id or category the configuration names exists: a typo must not select nothing.

    Known ids: the rule pack's, the policy linter's (PL...; the CI gate reports them beside the
    rules) and the gate's own."""
    from iam_analyzer.analyze.checks.findings import CATEGORIES
    from iam_analyzer.analyze.lint import checks as lint_checks

    where = path or ".iam-analyzer.yaml"
    rules = {**{cid: None for cid in lint_checks()}, **{cid: None for cid in GATE_RULE_IDS}, **rules}
    known = set(rules) | set(CATEGORIES)
    for key in ("select", "ignore"):
        for item in getattr(cfg, key):
            if item not in known:
                error(f"{where}: {key}: no rule or category {item!r}; see 'iam-analyzer rules list'")
    for rule_id in cfg.severity:
        if rule_id not in rules:
            error(f"{where}: severity: no rule {rule_id!r}; see 'iam-analyzer rules list'")
    for i, s in enumerate(cfg.suppressions):
        if s.get("rule") and s["rule"] not in rules:
            error(f"{where}: suppressions[{i}].rule: no rule {s['rule']!r}; see 'iam-analyzer rules list'")
