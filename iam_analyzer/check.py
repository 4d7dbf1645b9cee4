"""The CI gate (``iam-analyzer check``), orchestrated: read head and base, match them, run
lint and the rule pack on both, compare access, judge usage, suggest policies.

``stages.check(CheckRequest)`` is the library entry; the pure parts live in
``analyze/diff.py`` (matching, new and removed access), ``analyze/breakage.py`` (would break),
``analyze/gate.py`` (lint and findings at template lines); ``collect/git_base.py`` exports
a git ref; ``emit/check_report.py`` renders.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from iam_analyzer.model import Snapshot


class CheckInputError(ValueError):
    """The input cannot be used at all (exit 2): no template read, a base that is no path or ref."""


@dataclass
class CheckRequest:
    paths: list[str]
    base: str | None = None  # a folder, a file, or a git ref
    usage: dict | None = None  # usage document from the deployed account
    snapshot: Snapshot | None = None  # deployed snapshot: documents of customer-managed policies
    params: dict = field(default_factory=dict)
    account: str = "123456789012"
    region: str = "us-east-1"
    config_path: str | None = None
    rule_dirs: tuple = ()
    cwd: str = "."
    # SCP/RCP files already read (collect/org_files.py): (policies, facts), applied to both sides
    org_policies: tuple = ()


@dataclass
class CheckResult:
    head: object  # collect.iac.IacResult
    base_result: object | None
    base: str | None
    base_kind: str | None  # path | git | None
    findings: list  # analyze.gate.GateFinding: new ones when there is a base, else all
    existing_findings: int
    suppressed: int
    new_access: list  # analyze.diff.AccessChange
    removed_access: list
    would_break: list  # analyze.diff.WouldBreak
    suggestions: dict  # function name -> {"documents", "before", "after", "reduction_percent", "verified"}
    notes: list[str]
    timings: dict = field(default_factory=dict)  # phase -> seconds (for benchmarks)
    new_access_denied: list = field(default_factory=list)  # new access the organization's guardrails deny

    def blocking(self, fail_on: str = "high", fail_on_new_access: bool = False) -> list[str]:
        """Why the gate blocks (empty: it passes)."""
        from iam_analyzer.analyze.gate import at_or_above

        why = []
        hits = [f for f in self.findings if at_or_above(f.severity, fail_on)]
        if hits:
            why.append(f"{len(hits)} finding(s) at or above {fail_on}")
        if self.would_break:
            why.append(f"{len(self.would_break)} permission(s) used in production would be removed")
        if fail_on_new_access and self.new_access:
            why.append(f"new access in {len({a.role for a in self.new_access})} role(s)")
        return why


def template_like(paths: list[str]) -> list[str]:
    """The paths that are folders, or files that look like a template or a plan (for pre-commit,
    which passes every staged .yaml/.json file)."""
    from iam_analyzer.collect.iac import _looks_relevant

    return [p for p in paths if os.path.isdir(p) or (os.path.isfile(p) and _looks_relevant(Path(p)))]


def _read_base(req: CheckRequest, managed, read_paths):
    """(IacResult, roots, kind) of the base, or (None, [], None) without one."""
    from iam_analyzer.collect import git_base

    if not req.base:
        return None, [], None
    local = req.base if os.path.isabs(req.base) else os.path.join(req.cwd, req.base)
    if os.path.exists(local):
        return read_paths([local], req.params, req.account, req.region, managed), [local], "path"
    try:
        with git_base.exported(req.base, req.paths, req.cwd) as (_tmp, inside):
            present = [p for p in inside if os.path.exists(p)]
            res = read_paths(present, req.params, req.account, req.region, managed) if present else None
            roots = inside
    except git_base.GitError as e:
        raise CheckInputError(f"--base {req.base}: not a file, a folder or a git ref ({e})") from None
    if res is None:
        from iam_analyzer.collect.iac import IacResult

        res = IacResult(Snapshot())
    return res, roots, "git"


def run(req: CheckRequest) -> CheckResult:
    """Judge the IAM of templates/plans (and what changed against a base). Raises
    CheckInputError when nothing can be used, RuleError for a bad rule or configuration."""
    from iam_analyzer.analyze import diff, gate
    from iam_analyzer.analyze.checks.engine import Config
    from iam_analyzer.collect.iac import read_paths
    from iam_analyzer.stages import analyze as stage_analyze

    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now

    managed = {p.arn: p for a in req.snapshot.accounts for p in a.policies} if req.snapshot else None
    paths = [p if os.path.isabs(p) or req.cwd == "." else os.path.join(req.cwd, p) for p in req.paths]
    head = read_paths(paths, req.params, req.account, req.region, managed)
    if not head.ok:
        raise CheckInputError("; ".join(e for i in head.inputs for e in i.errors) or "no template or plan found in "
                              + ", ".join(req.paths))
    notes = []
    if head.unknown_managed_policies:
        notes.append(f"document unknown for {len(head.unknown_managed_policies)} managed polic(ies) attached by ARN "
                     f"(give --snapshot of the account): {', '.join(head.unknown_managed_policies[:5])}")
    if head.unresolved:
        notes.append(f"{len(head.unresolved)} value(s) known only at deployment were read as \"*\" (see --param)")
    lap("read_head")
    base_res, base_roots, base_kind = _read_base(req, managed, read_paths)
    lap("read_base")
    snap, base = head.snapshot, base_res.snapshot if base_res else None
    _apply_guardrails(req, snap, base)
    pairing = None
    if base is not None:
        pairing = diff.match(base, snap, base_roots, paths)
        diff.align(base, snap, pairing)
        for i in base_res.inputs:
            notes.extend(f"base: {e}" for e in i.errors)
    usage_doc = diff.usage_for_snapshot(req.usage, snap) if req.usage else None
    if req.usage:
        notes.extend(_usage_notes(req.usage, snap, req.account))
    lap("match")

    cfg = Config.load(req.config_path)
    head_rules = stage_analyze(snap, usage_doc, req.rule_dirs, req.config_path)
    found, gate_suppressed, cfg_notes = gate.apply_config(
        gate.input_findings(head.inputs) + gate.lint_roles(snap, head.statement_line)
        + gate.locate_rule_findings(snap, head_rules.reported, head.statement_line), cfg)
    notes.extend(head_rules.notes + cfg_notes)
    lap("rules_head")
    existing = 0
    if base is not None:
        base_rules = stage_analyze(base, usage_doc, req.rule_dirs, req.config_path)
        base_found = gate.lint_roles(base, base_res.statement_line) + gate.locate_rule_findings(
            base, base_rules.reported, base_res.statement_line)
        found, old = diff.new_by_fingerprint(base_found, found)
        existing = len(old)
        lap("rules_base")
        new_access, removed = diff.access_changes(base, snap, pairing)
        breaks = diff.would_break(base, snap, pairing, usage_doc)
        lap("access_diff")
    else:
        new_access, removed, breaks = [], [], []
    new_access, denied = _split_denied(snap, new_access, req.region)
    for ch in new_access + denied:
        ch.line = head.statement_line(ch.location, ch.policy, ch.statement)
    for ch in removed:
        ch.line = base_res.statement_line(ch.location, ch.policy, ch.statement) if base_res else None
        if base_kind == "git" and ch.location is not None:  # the temporary folder is gone: say where in the repo
            ch.location = _in_repo(ch.location, base_roots, paths)
    suggestions = _suggest(snap, usage_doc, notes) if usage_doc else {}
    lap("suggest")
    return CheckResult(head, base_res, req.base, base_kind, gate.sort_findings(found), existing,
                       len(head_rules.suppressed) + gate_suppressed, new_access, removed, breaks, suggestions, notes, timings,
                       denied)


def _apply_guardrails(req: CheckRequest, snap: Snapshot, base: Snapshot | None) -> None:
    """The organization of --snapshot (scan --organization) and the --scp/--rcp files, on both sides."""
    import copy

    from iam_analyzer.analyze.org import attach_files

    for side in (snap, base):
        if side is None:
            continue
        if req.snapshot is not None and req.snapshot.organization is not None:
            side.organization = copy.deepcopy(req.snapshot.organization)
        if req.org_policies:
            policies, facts = req.org_policies
            attach_files(side, list(policies), facts)


def _split_denied(snap: Snapshot, changes: list, region: str) -> tuple[list, list]:
    from iam_analyzer.analyze.org_gate import split_denied

    return split_denied(snap, changes, region)


def _usage_notes(usage: dict, snap: Snapshot, account: str) -> list[str]:
    """Say when the usage cannot apply: another account than --account, or no function matched
    (then nothing can be found to break, and that must not pass silently as "nothing breaks")."""
    from iam_analyzer.analyze.diff import functions_with_usage
    from iam_analyzer.iam import arn as arnlib

    accounts = {a.account for p in usage.get("principals", []) if (a := arnlib.try_parse(p.get("arn") or ""))}
    out = []
    if accounts and account not in accounts:
        out.append(f"the usage is from account(s) {', '.join(sorted(accounts))} but the templates were read with "
                   f"--account {account}: pass --account so that would-break can match")
    if snap.functions() and not functions_with_usage(usage, snap):
        out.append("no function of the templates matched a principal of the usage: would-break and suggested "
                   "policies have nothing to work on")
    return out


def _in_repo(loc, roots: list[str], paths: list[str]):
    for root, path in zip(roots, paths):
        if loc.path == root or loc.path.startswith(root.rstrip(os.sep) + os.sep):
            return replace(loc, path=path + loc.path[len(root):])
    return loc


def _suggest(snap: Snapshot, usage_doc: dict, notes: list[str]) -> dict:
    """A tightened policy for each function with usage whose grants are wider than it needs,
    with the never-break evidence verdict behind it (analyze/evidence.py, through the
    generator) in ``evidence``. Where the verdict is insufficient the generator writes no
    policy, and the entry says so (``suggested: false``, ``not_suggested``) with the reasons
    and what to do, rather than leaving the function silently without a suggestion.

    HOOK(code): calls found in the function's code (collect/code) can be passed to the
    generator here as another source of required permissions once they exist."""
    from iam_analyzer.analyze.diff import functions_with_usage
    from iam_analyzer.analyze.evidence import INSUFFICIENT

    wanted = functions_with_usage(usage_doc, snap)
    if not wanted:
        return {}
    out = {}
    try:
        from iam_analyzer.stages import generate

        results = generate(snap, usage_doc, functions=wanted)
    except Exception as e:  # noqa: BLE001 - a suggestion never fails the gate
        notes.append(f"no suggested policies: the generator failed ({type(e).__name__}: {e})")
        return {}
    for r in results:
        evidence = r.evidence_dict()
        if r.role is not None and evidence["verdict"] == INSUFFICIENT:
            out[r.function.name] = {"suggested": False, "not_suggested": "insufficient evidence", "documents": [],
                                    "before": r.before, "after": r.before, "reduction_percent": 0.0,
                                    "verified": False, "evidence": evidence}
        elif r.documents and r.after < r.before:
            out[r.function.name] = {"suggested": True, "documents": r.documents, "before": r.before, "after": r.after,
                                    "reduction_percent": r.reduction, "verified": bool(r.verification.get("ok")),
                                    "evidence": evidence}
    return out
