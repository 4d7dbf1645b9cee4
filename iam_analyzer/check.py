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
from contextlib import contextmanager
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
    var_files: tuple = ()  # Terraform .tfvars files (for both head and base)
    account: str = "123456789012"
    region: str = "us-east-1"
    config_path: str | None = None
    rule_dirs: tuple = ()
    cwd: str = "."
    stack_name: str | None = None  # --stack-name: the stack every template deploys as
    config_env: str = "default"  # --config-env: the samconfig environment that names stacks
    baseline: set | None = None  # --baseline: fingerprints of findings accepted when the gate was adopted
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
        from iam_analyzer.analyze.gate import at_or_above, not_editable

        why = []
        # a finding on a statement the author cannot edit (made info) never blocks, even at --fail-on info
        hits = [f for f in self.findings if at_or_above(f.severity, fail_on) and not f.baseline
                and not (f.severity == "info" and not_editable(f.origin))]
        if hits:
            why.append(f"{len(hits)} finding(s) at or above {fail_on}")
        if self.would_break:
            why.append(f"{len(self.would_break)} permission(s) used in production would be removed")
        if fail_on_new_access and self.new_access:
            why.append(f"new access in {len({a.role for a in self.new_access})} role(s)")
        return why


BASELINE_KIND = "iam-analyzer-baseline"


def read_baseline(path: str) -> set[str]:
    """Fingerprints recorded by ``--write-baseline``. Raises ValueError (one line, naming the
    file and the place) for anything else."""
    from iam_analyzer.inputs import InputError, load_json

    try:
        doc = load_json(path, "findings")
    except InputError as e:
        raise ValueError(str(e)) from None
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e.strerror or e}") from None
    if not isinstance(doc, dict) or doc.get("kind") != BASELINE_KIND:
        raise ValueError(f"{path}: not a baseline written by check --write-baseline (no \"kind\": \"{BASELINE_KIND}\")")
    items = doc.get("findings")
    if not isinstance(items, list):
        raise ValueError(f"{path}: findings: expected a list")
    out = set()
    for i, it in enumerate(items):
        fp = it.get("fingerprint") if isinstance(it, dict) else None
        if not isinstance(fp, str):
            raise ValueError(f"{path}: findings[{i}].fingerprint: expected a string")
        out.add(fp)
    return out


def write_baseline(path: str, result: "CheckResult") -> None:
    """Today's findings by fingerprint (with rule, subject and place for a reader of the file)."""
    import json

    from iam_analyzer import __version__
    from iam_analyzer.emit.check_report import display_path
    from iam_analyzer.outputs import write_text

    items = sorted(({"fingerprint": f.fingerprint, "rule": f.rule, "subject": f.subject,
                     "path": display_path(f.path), "line": f.line} for f in result.findings),
                   key=lambda d: (d["path"] or "", d["line"] or 0, d["rule"], d["fingerprint"]))
    doc = {"kind": BASELINE_KIND, "version": 1, "tool": {"name": "iam-analyzer", "version": __version__},
           "findings": items}
    write_text(path, json.dumps(doc, indent=1) + "\n")


def template_like(paths: list[str]) -> list[str]:
    """The paths that are folders, Terraform files (each stands for its folder's module), or files
    that look like a template or a plan (for pre-commit, which passes every staged file)."""
    from iam_analyzer.collect.iac import _looks_relevant

    return [p for p in paths if os.path.isdir(p) or (os.path.isfile(p) and (p.endswith(".tf") or _looks_relevant(Path(p))))]


def _naming(req: CheckRequest, root: str, where=None):
    from iam_analyzer.collect.iac import StackNaming

    return StackNaming(root=root, stack_name=req.stack_name, config_env=req.config_env, where=where)


def _head_path(file: str, roots: list[str], head_paths: list[str]) -> str | None:
    """Where the head has the base's ``file``: the same place inside the matching input
    argument (a file given for a file, a folder's contents for a folder)."""
    from iam_analyzer.analyze.diff import place
    from iam_analyzer.model import SourceLocation

    pl = place(SourceLocation(file), roots)
    if pl is None or not head_paths:
        return None
    i, inner = pl
    head = head_paths[min(i, len(head_paths) - 1)]
    if not inner:
        return head
    if os.path.isdir(head):
        return os.path.join(head, inner)
    return head if os.path.basename(head) == inner else os.path.join(os.path.dirname(head), inner)


def _read_base(req: CheckRequest, managed, read_paths, head_paths: list[str], root: str, terraform: bool = False):
    """(IacResult, roots, kind) of the base, or (None, [], None) without one. The base's stacks
    get the names the head's have at the same place (collect/iac/identity.py), whatever
    folder the base is read from."""
    from iam_analyzer.collect import git_base

    if not req.base:
        return None, [], None
    local = req.base if os.path.isabs(req.base) else os.path.join(req.cwd, req.base)
    if os.path.exists(local):
        naming = _naming(req, root, lambda f: _head_path(f, [local], head_paths))
        return read_paths([local], req.params, req.account, req.region, managed, naming,
                          var_files=list(req.var_files)), [local], "path"
    # Terraform modules call local modules anywhere in the repository (../../modules/x): the
    # whole repository is exported then, so the base reads what the head reads.
    top = git_base.toplevel(req.cwd) if terraform else None
    wanted = list(req.paths) + ([top] if top else [])
    try:
        with git_base.exported(req.base, wanted, req.cwd) as (tmp, inside):
            inside = inside[:len(req.paths)]
            present = [p for p in inside if os.path.exists(p)]
            naming = _naming(req, root, lambda f: _head_path(f, inside, head_paths))
            res = read_paths(present, req.params, req.account, req.region, managed, naming,
                             var_files=list(req.var_files), file_roots=[tmp]) if present else None
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
    from iam_analyzer.analyze.rulepack import analyze as stage_analyze

    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now

    managed = {p.arn: p for a in req.snapshot.accounts for p in a.policies} if req.snapshot else None
    paths = [p if os.path.isabs(p) or req.cwd == "." else os.path.join(req.cwd, p) for p in req.paths]
    from iam_analyzer.collect import git_base

    root = git_base.toplevel(req.cwd) or os.path.abspath(req.cwd)
    naming = _naming(req, root)
    head = read_paths(paths, req.params, req.account, req.region, managed, naming, var_files=list(req.var_files))
    if not head.ok:
        raise CheckInputError("; ".join(e for i in head.inputs for e in i.errors) or "no template or plan found in "
                              + ", ".join(req.paths))
    notes = list(dict.fromkeys(naming.notes))  # a samconfig that could not be read
    if head.unknown_managed_policies:
        notes.append(f"document unknown for {len(head.unknown_managed_policies)} managed polic(ies) attached by ARN "
                     f"(give --snapshot of the account): {', '.join(head.unknown_managed_policies[:5])}")
    if head.unresolved:
        notes.append(f"{len(head.unresolved)} value(s) known only at deployment were read as \"*\" (see --param)")
    # What the readers could not follow (nested stacks outside the folder or in a loop, includes,
    # event types, budgets reached) is said, never dropped in silence; unknown managed policies
    # are summed up above.
    read_notes = list(dict.fromkeys([w for w in head.warnings if not w.startswith("managed policy ")]
                                    + [w for i in head.inputs for w in i.warnings]))
    notes.extend(read_notes[:20])
    if len(read_notes) > 20:
        notes.append(f"... and {len(read_notes) - 20} more reading note(s)")
    # Terraform configuration says what the plan beside it resolved, and where evaluation stopped
    # (its input warnings are among read_notes above).
    lap("read_head")
    base_res, base_roots, base_kind = _read_base(req, managed, read_paths, paths, root,
                                                 terraform=any(i.kind == "terraform" for i in head.inputs))
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
        gate.input_findings(head.inputs) + gate.lint_roles(snap, head.statement_line, head.statement_origin, head.statement_condition)
        + gate.locate_rule_findings(snap, head_rules.reported, head.statement_line, head.statement_origin,
                                    head.statement_condition), cfg)
    notes.extend(head_rules.notes + cfg_notes)
    lap("rules_head")
    existing = 0
    if base is not None:
        base_rules = stage_analyze(base, usage_doc, req.rule_dirs, req.config_path)
        base_found = gate.lint_roles(base, base_res.statement_line, base_res.statement_origin) + \
            gate.locate_rule_findings(base, base_rules.reported, base_res.statement_line, base_res.statement_origin)
        found, old = diff.new_by_fingerprint(base_found, found)
        existing = len(old)
        lap("rules_base")
        new_access, removed = diff.access_changes(base, snap, pairing)
        with _deployed_only(base_res, base), _deployed_only(head, snap):  # would-break: what deploys
            breaks = diff.would_break(base, snap, pairing, usage_doc)
        lap("access_diff")
    else:
        new_access, removed, breaks = [], [], []
    new_access, denied = _split_denied(snap, new_access, req.region)
    for ch in new_access + denied:
        ch.line = head.statement_line(ch.location, ch.policy, ch.statement)
        ch.condition = head.statement_condition(ch.location, ch.policy, ch.statement)
        if ch.condition is None and (role := snap.find_role(ch.role)) is not None:  # a managed ARN under Fn::If
            arn = next((a for a in role.managed_policy_arns if a == ch.policy or a.rsplit("/", 1)[-1] == ch.policy), None)
            ch.condition = head.statement_condition(role.location, arn, -1) if arn else None
    for ch in removed:
        ch.line = base_res.statement_line(ch.location, ch.policy, ch.statement) if base_res else None
        if base_kind == "git" and ch.location is not None:  # the temporary folder is gone: say where in the repo
            ch.location = _in_repo(ch.location, base_roots, paths)
    if req.baseline:
        for f in found:
            f.baseline = f.fingerprint in req.baseline
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


@contextmanager
def _deployed_only(res, snap: Snapshot):
    """For the length of the block, the roles of ``snap`` hold only what deploys with the
    given parameters: statements, policies and managed policy ARNs under an ``Fn::If`` branch
    the parameters do not select are set aside (collect/iac/branches.py). New access and
    escalation see every branch; would-break only this."""
    saved = []
    conds = res.statement_conditions if res is not None else {}
    if not conds:
        yield
        return
    for r in snap.roles():
        saved.append((r, r.inline_policies, r.managed_policy_arns))
        kept = []
        for p in r.inline_policies:
            loc = p.location or r.location
            sts = p.document.get("Statement") if isinstance(p.document, dict) else None
            if loc is None or not isinstance(sts, list):
                kept.append(p)
                continue
            live = [st for i, st in enumerate(sts)
                    if (conds.get((loc.path, loc.logical_id or "", p.name, i)) or {}).get("deploys", True)]
            kept.append(p if len(live) == len(sts) else replace(p, document={**p.document, "Statement": live}))
        r.inline_policies = kept
        if r.location is not None:
            r.managed_policy_arns = [a for a in r.managed_policy_arns if (conds.get(
                (r.location.path, r.location.logical_id or "", a, -1)) or {}).get("deploys", True)]
    try:
        yield
    finally:
        for r, inline, arns in saved:
            r.inline_policies, r.managed_policy_arns = inline, arns


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
    for root, path in zip(roots, paths):  # a file beside a template given (a nested stack)
        folder = os.path.dirname(root.rstrip(os.sep))
        if folder and loc.path.startswith(folder + os.sep):
            return replace(loc, path=os.path.join(os.path.dirname(path), loc.path[len(folder) + 1:]))
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
        from iam_analyzer.analyze.generate.deployed import Options, generate_all

        results = generate_all(snap, usage_doc, Options(), wanted or None)
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
