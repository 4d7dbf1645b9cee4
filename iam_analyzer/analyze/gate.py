"""The CI gate's findings: policy lint and the rule pack, pointed at template lines.

Everything here is pure: a snapshot read from templates (with its statement lines), the
rule pack's findings, and the lint module give one list of ``GateFinding`` with a file and
a line. ``stages.check`` composes these with ``analyze.diff``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from iam_analyzer.analyze.checks.engine import SEVERITIES, fingerprint, live_suppression
from iam_analyzer.iam import wildcard
from iam_analyzer.model import Role, Snapshot, SourceLocation

# lint severities on the rule pack's scale, so one --fail-on applies to both
LINT_SEVERITY = {"error": "high", "warning": "medium", "low": "low", "info": "info"}
TEMPLATE_ORIGIN = {"kind": "template", "name": None}
_STATEMENT = re.compile(r"^Statement\[(\d+)\]")

# (location, policy name, statement index) -> line
LineOf = Callable[[SourceLocation | None, str, int], "int | None"]
# (location, policy name, statement index) -> origin {"kind", "name"} (collect.iac.result.ORIGIN_KINDS)
OriginOf = Callable[[SourceLocation | None, str, int], dict]
# statements the template's author cannot edit: findings about their text are information
NOT_EDITABLE = ("sam-policy-template", "sam-generated", "aws-managed-policy", "cdk-generated", "serverless-generated")
_WHO = {"sam-policy-template": "SAM's policy template", "sam-generated": "a policy SAM generates",
        "aws-managed-policy": "the AWS managed policy", "cdk-generated": "a policy the CDK generates",
        "serverless-generated": "a policy the Serverless Framework generates"}


def _template_origin(_loc, _name, _idx) -> dict:
    return dict(TEMPLATE_ORIGIN)


def _no_condition(_loc, _name, _idx) -> None:
    return None


def not_editable(origin: dict) -> bool:
    return origin.get("kind") in NOT_EDITABLE


def who_wrote(origin: dict) -> str:
    """``SAM's policy template SQSPollerPolicy``: for a message."""
    if origin.get("kind") == "sam-generated" and origin.get("name"):
        return f"SAM's {origin['name']}"
    what = _WHO.get(origin.get("kind") or "", "the template")
    return f"{what} {origin['name']}" if origin.get("name") else what


@dataclass
class GateFinding:
    rule: str
    severity: str
    title: str
    category: str
    message: str
    subject: str
    path: str | None
    line: int | None
    fingerprint: str
    source: str  # lint | rules | input
    evidence: dict = field(default_factory=dict)
    origin: dict = field(default_factory=lambda: dict(TEMPLATE_ORIGIN))  # who wrote the statement (ORIGIN_KINDS)
    baseline: bool = False  # recorded in --baseline: reported apart, never blocks
    condition: dict | None = None  # the Fn::If branch the statement is under: {"condition", "branch", "deploys"}

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "title": self.title, "category": self.category,
                "message": self.message, "subject": self.subject,
                "location": {"path": self.path, "line": self.line}, "fingerprint": self.fingerprint,
                "source": self.source, "origin": dict(self.origin), "baseline": self.baseline,
                **({"condition": dict(self.condition)} if self.condition else {})}


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(threshold)


def _policy_index(snap: Snapshot) -> dict[str, tuple[SourceLocation | None, str]]:
    """The rule pack's policy labels (``inline:ROLE/NAME`` or a managed ARN) -> (where, name)."""
    out: dict[str, tuple[SourceLocation | None, str]] = {}
    for r in snap.roles():
        for p in r.inline_policies:
            out[f"inline:{r.name}/{p.name}"] = (p.location, p.name)
    for a in snap.accounts:
        for p in a.policies:
            out[p.arn] = (p.location, p.name)
    return out


def _statement_of(ev: dict) -> tuple[str | None, int | None]:
    """(policy label, statement index) a finding's evidence names: its own, or for an escalation
    path the first statement that allows the first hop."""
    if isinstance(ev.get("policy"), str) and isinstance(ev.get("statement"), int):
        return ev["policy"], ev["statement"]
    path = ev.get("path")
    if isinstance(path, list) and path and isinstance(path[0], dict):
        for req in path[0].get("requires") or []:
            for st in (req.get("statements") if isinstance(req, dict) else None) or []:
                if isinstance(st, dict) and isinstance(st.get("policy"), str) and isinstance(st.get("statement"), int):
                    return st["policy"], st["statement"]
    return None, None


def _stable_fingerprint(f, ev: dict) -> str:
    """A statement-level finding keyed by the statement's content rather than its index, so a
    statement inserted above it in a pull request does not make it look new."""
    import json

    doc, pol = ev.get("document"), ev.get("policy")
    if isinstance(doc, dict) and isinstance(pol, str):
        return fingerprint(f.rule_id, f.subject, [pol, json.dumps(doc, sort_keys=True, default=str)])
    return f.fingerprint


def locate_rule_findings(snap: Snapshot, findings: list, line_of: LineOf,
                         origin_of: OriginOf = _template_origin, condition_of=_no_condition) -> list[GateFinding]:
    """Rule pack findings with the file and line of the statement, else of the role or function.
    A rule judges what a role is granted, which is the author's choice even where SAM or AWS
    wrote the statement (attaching AmazonS3FullAccess, S3CrudPolicy on "*"): such findings
    keep their severity, carry the statement's ``origin`` and point at the author's line."""
    policies = _policy_index(snap)
    aws_managed = {p.arn: p.name for a in snap.accounts for p in a.policies if p.aws_managed}
    subjects: dict[str, tuple[SourceLocation | None, str]] = {}
    for r in snap.roles():
        subjects[r.arn] = (r.location, r.location.logical_id if r.location and r.location.logical_id else r.name)
    for f in snap.functions():
        generated = wildcard.has_wildcard(f.name) and f.location and f.location.logical_id
        subjects[f.arn] = (f.location, f.location.logical_id if generated else f.name)
    out = []
    for f in findings:
        loc, label = subjects.get(f.subject, (None, f.subject))
        path, line = (loc.path, loc.line) if loc else (None, None)
        ev = f.evidence or {}
        label_, index = _statement_of(ev)
        pol = policies.get(label_) if label_ else None
        origin, condition = dict(TEMPLATE_ORIGIN), None
        if pol and pol[0] is not None and index is not None:
            path = pol[0].path
            line = line_of(pol[0], pol[1], index) or pol[0].line
            origin, condition = origin_of(pol[0], pol[1], index), condition_of(pol[0], pol[1], index)
        elif label_ in aws_managed:
            # attached by SAM for the function's configuration (an event source, logs), or by the author
            by = origin_of(loc, label_, -1) if loc is not None else None
            origin = by if by and by.get("kind") != "template" else {"kind": "aws-managed-policy",
                                                                     "name": aws_managed[label_]}
            condition = condition_of(loc, label_, -1) if loc is not None else None
        severity, message = f.severity, f.message
        if origin.get("kind") in ("sam-generated", "cdk-generated", "serverless-generated"):
            # a policy the framework wrote for the configuration, not a grant the author chose
            severity, message = "info", f"{message} (granted by {who_wrote(origin)}: not editable here)"
        out.append(GateFinding(f.rule_id, severity, f.title, f.category, message, label, path, line,
                               _stable_fingerprint(f, ev), "rules", ev, origin, condition=condition))
    return out


def lint_roles(snap: Snapshot, line_of: LineOf, origin_of: OriginOf = _template_origin,
               condition_of=_no_condition) -> list[GateFinding]:
    """``lint`` on every policy a template declares, by the kind it is: ``inline``,
    ``managed`` (customer-managed), ``trust``. AWS-managed policies are AWS's to fix and are
    left out. Each policy is linted once. A finding about a statement the author cannot edit
    (a SAM policy template, a policy SAM or the CDK generates) is ``info``: it never blocks,
    and says who wrote it."""
    from iam_analyzer.analyze.lint import lint_document

    out: list[GateFinding] = []
    done: set[str] = set()

    def run(role_label: str, name: str, doc: dict, kind: str, loc: SourceLocation | None, key: str) -> None:
        if key in done:
            return
        done.add(key)
        findings, _ = lint_document(doc, kind=kind)
        for lf in findings:
            m = _STATEMENT.match(lf.location)
            idx = int(m.group(1)) if m else None
            line = (line_of(loc, name, idx) if idx is not None else None) or (loc.line if loc else None)
            origin = origin_of(loc, name, idx if idx is not None else 0)
            sev = LINT_SEVERITY.get(lf.severity, "info")
            msg = f"{name}: {lf.location}: {lf.message}"
            if not_editable(origin):
                sev = "info"
                msg += f" (written by {who_wrote(origin)}: not editable here)"
            out.append(GateFinding(lf.id, sev, lf.title, "policy-lint", msg, role_label,
                                   loc.path if loc else None, line,
                                   fingerprint(lf.id, key, [lf.message, _statement_json(doc, idx)]), "lint",
                                   origin=origin, condition=condition_of(loc, name, idx if idx is not None else 0)))

    for r in snap.roles():
        label = _label(r)
        for p in r.inline_policies:
            run(label, p.name, p.document, "inline", p.location or r.location, f"inline:{r.name}/{p.name}")
        if r.trust_policy:
            from iam_analyzer.collect.iac import TRUST_POLICY

            run(label, TRUST_POLICY, r.trust_policy, "trust", r.location, f"trust:{r.name}")
    for a in snap.accounts:
        for p in a.policies:
            if not p.aws_managed and p.location is not None:
                run(p.location.logical_id or p.name, p.name, p.document, "managed", p.location, p.arn)
    return out


def _statement_json(doc, idx: int | None) -> str | None:
    """The statement's content (not its index) for a fingerprint that survives reordering."""
    import json

    sts = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(sts, dict):
        sts = [sts]
    if idx is None or not isinstance(sts, list) or not 0 <= idx < len(sts):
        return None
    return json.dumps(sts[idx], sort_keys=True, default=str)


def _label(r: Role) -> str:
    return r.location.logical_id if r.location and r.location.logical_id else r.name


def input_findings(inputs) -> list[GateFinding]:
    """A file that could not be read is a finding too, critical: the gate cannot vouch for it,
    so it blocks at any --fail-on."""
    out = []
    for i in inputs:
        for e in i.errors:
            out.append(GateFinding("IA-INPUT", "critical", "input could not be read", "input", e, i.path, i.path, None,
                                   fingerprint("IA-INPUT", i.path, e), "input"))
    return out


def sort_findings(findings: list[GateFinding]) -> list[GateFinding]:
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.path or "", f.line or 0, f.rule, f.message))


def apply_config(findings: list[GateFinding], cfg, today=None) -> tuple[list[GateFinding], int, list[str]]:
    """The configuration for what the rule engine does not see: lint and input findings, and
    suppressions written against what the gate shows (a role's logical id, a function's name,
    or a file path), besides the ARNs the engine already matched. Returns (kept, suppressed, notes)."""
    from datetime import date

    today = today or date.today()
    kept, suppressed, notes = [], 0, []
    floor = SEVERITIES.index(cfg.min_severity)
    for f in findings:
        if f.source != "rules":
            if f.rule in cfg.ignore or f.category in cfg.ignore:
                continue
            if cfg.select and f.source == "lint" and f.rule not in cfg.select and f.category not in cfg.select:
                continue
            if f.rule in cfg.severity:
                f.severity = cfg.severity[f.rule]
            if SEVERITIES.index(f.severity) > floor:
                continue
        if live_suppression(cfg, f.rule, f.subject, (f.subject, f.path or ""), today, notes) is not None:
            suppressed += 1
            continue
        kept.append(f)
    return kept, suppressed, notes
