"""Rules as data, findings, configuration, suppressions.

A rule is one YAML file (``rules/<ID>.yaml``, and any ``--rules DIR``): id, title,
severity, category, enabled, why, fix, references, example, and a matcher. A matcher is
either declarative (``subject`` plus ``where`` conditions over the model) or the name of a
check written in Python (``analyze/checks/python_checks.py``), for graph queries and the like.
Adding a simple rule needs no Python.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable

import yaml

from iam_analyzer import yamlio
from iam_analyzer.analyze.checks.validate import check_config_data, check_rule_data
from iam_analyzer.inputs import LIMITS, special_reason
from iam_analyzer.resources import rules_dir

from iam_analyzer.analyze.checks.findings import (  # noqa: F401  (re-exported: the engine's public names)
    CATEGORIES, REQUIRED, SEVERITIES, Finding, Rule, RuleError, fingerprint,
)


def load_rule(path: Path) -> Rule:
    data = _read_yaml(path, "rule")
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a rule file must be a mapping")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise RuleError(f"{path}: missing {', '.join(missing)}")
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"{path}: severity must be one of {', '.join(SEVERITIES)}")
    if data["category"] not in CATEGORIES:
        raise RuleError(f"{path}: category must be one of {', '.join(CATEGORIES)}")
    m = data.get("matcher") or {}
    if isinstance(m, dict):
        m = {k: v for k, v in m.items() if v is not None}  # "message: null" is no message
        data = {**data, "matcher": m}
    if not isinstance(m, dict) or not (m.get("check") or m.get("subject")):
        raise RuleError(f"{path}: matcher needs 'check' (a Python check) or 'subject' and 'where'")
    check_rule_data(data, path, rule_error)
    refs = data.get("references") or []  # `references:` left empty is none
    if not isinstance(refs, list):
        raise RuleError(f"{path}: references must be a list of links")
    return Rule(id=data["id"], title=data["title"], severity=data["severity"], category=data["category"],
               why=data["why"].strip(), fix=data["fix"].strip(), enabled=data.get("enabled", True),
               references=list(data.get("references") or []), example=data.get("example") or {}, matcher=m,
               path=str(path), overrides=bool(data.get("overrides", False)))


def rule_error(message: str):
    raise RuleError(message)


def _read_yaml(path: Path, kind: str):
    """A YAML file read like every input (regular file, bounded size, UTF-8): RuleError else."""
    from iam_analyzer.inputs import InputError, read_text

    # the shipped rule pack with libyaml (read by every analyze and check); the user's files with
    # PyYAML's own parser, whose errors are the one-line messages the hardening promises
    shipped = path.parent == rules_dir()
    try:
        text = read_text(path, LIMITS[kind])
        return yamlio.safe_load(text) if shipped else yaml.safe_load(text)
    except InputError as e:
        raise RuleError(str(e)) from None
    except yaml.YAMLError as e:
        raise RuleError(f"{path}: invalid YAML: {e}") from None
    except RecursionError:
        raise RuleError(f"{path}: YAML nested too deeply") from None
    except ValueError as e:  # a 5,000-digit integer: Python refuses to convert it
        raise RuleError(f"{path}: invalid value: {str(e).split(';')[0]}") from None


def load_rules(extra_dirs: Iterable[str | Path] = ()) -> dict[str, Rule]:
    """The built-in rules, then each folder's. A folder's rule with a built-in id is an error
    unless it says ``overrides: true``; two rules of the user's with one id are an error."""
    rules: dict[str, Rule] = {}
    for n, folder in enumerate([rules_dir(), *map(Path, extra_dirs)]):
        if not folder.is_dir():
            raise RuleError(f"{folder}: no such rules folder")
        why = special_reason(folder) if n > 0 else None
        if why:
            raise RuleError(f"{folder}: {why.replace('file, not a regular file', 'folder, not a rules folder')}")
        for path in sorted(folder.glob("*.yaml")):
            if path.name == "escalation.yaml":
                continue
            rule = load_rule(path)
            prior = rules.get(rule.id)
            if prior is not None and n > 0 and not rule.overrides:
                raise RuleError(f"{path}: rule id {rule.id} is already taken by {prior.path}; give your rule another "
                                f"id, or add 'overrides: true' to replace it on purpose")
            rules[rule.id] = rule
    return rules


# -- configuration ----------------------------------------------------------------------------


@dataclass
class Config:
    select: list[str] = field(default_factory=list)  # ids or categories; empty: every enabled rule
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)  # id -> severity
    suppressions: list[dict] = field(default_factory=list)  # {rule, subject, reason, expires}
    min_severity: str = "info"
    path: str | None = None  # the file it was read from

    @classmethod
    def load(cls, path: str | Path | None) -> "Config":
        if path is None:
            default = Path(".iam-analyzer.yaml")
            if not default.exists():
                return cls()
            path = default
        p = Path(path)
        data = _read_yaml(p, "config")
        if data is None:
            data = {}
        check_config_data(data, p, rule_error)
        cfg = cls(select=list(data.get("select") or []), ignore=list(data.get("ignore") or []),
                  severity=dict(data.get("severity") or {}), suppressions=list(data.get("suppressions") or []),
                  min_severity=data.get("min_severity") or "info", path=str(p))
        for i, s in enumerate(cfg.suppressions):
            if not s.get("reason"):
                raise RuleError(f"{p}: suppressions[{i}]: a suppression needs a reason")
            if not s.get("rule") and not s.get("subject"):
                raise RuleError(f"{p}: suppressions[{i}]: give a rule, a subject pattern, or both")
        for k, v in cfg.severity.items():
            if v not in SEVERITIES:
                raise RuleError(f"{p}: severity.{k}: must be one of {', '.join(SEVERITIES)}")
        if cfg.min_severity not in SEVERITIES:
            raise RuleError(f"{p}: min_severity must be one of {', '.join(SEVERITIES)}")
        return cfg

    def active(self, rule: Rule) -> bool:
        if rule.id in self.ignore or rule.category in self.ignore:
            return False
        if self.select:
            return rule.id in self.select or rule.category in self.select
        return rule.enabled


def live_suppression(cfg: Config, rule_id: str, subject: str, names: Iterable[str], today: date,
                     notes: list[str]) -> dict | None:
    """The first suppression for this rule whose subject pattern matches one of ``names``, if it
    has not expired. An expired one stops suppressing and says so in ``notes``."""
    for s in cfg.suppressions:
        if s.get("rule") and s["rule"] != rule_id:
            continue
        pattern = s.get("subject")
        if pattern and not any(fnmatch.fnmatchcase(n, pattern) for n in names if n):
            continue
        expires = s.get("expires")
        if expires and date.fromisoformat(str(expires)) < today:
            notes.append(f"suppression of {s.get('rule') or '*'} for {pattern or '*'} expired on "
                         f"{expires}: {rule_id} on {subject} is reported again")
            return None
        return s
    return None


def apply_config(findings: list[Finding], cfg: Config, today: date | None = None) -> tuple[list[Finding], list[Finding], list[str]]:
    """(reported, suppressed, notes). Expired suppressions stop suppressing and say so."""
    today = today or date.today()
    reported, suppressed, notes = [], [], []
    floor = SEVERITIES.index(cfg.min_severity)
    for f in findings:
        if f.rule_id in cfg.severity:
            f.severity = cfg.severity[f.rule_id]
        if SEVERITIES.index(f.severity) > floor:
            continue
        match = live_suppression(cfg, f.rule_id, f.subject, (f.subject,), today, notes)
        if match is not None:
            expires = match.get("expires")
            f.suppressed = {"reason": match["reason"], "expires": str(expires) if expires else None}
            suppressed.append(f)
            continue
        reported.append(f)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    reported.sort(key=lambda f: (order[f.severity], f.rule_id, f.subject))
    return reported, suppressed, notes
