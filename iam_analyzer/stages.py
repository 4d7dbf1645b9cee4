"""The library API: one function per pipeline stage.

The command line, ``audit``, ``demo`` and the tests all call these; nothing here calls back
into the command line. Each stage takes plain data (a snapshot, a usage document, options)
and returns plain data; writing files is a separate, explicit step where a stage has one.

    scan      -> Snapshot                      (collect: AWS, read-only)
    usage     -> usage document                (collect: CloudTrail files, S3, LookupEvents)
    analyze   -> Analysis (findings)           (analyze: rule pack, graph)
    generate  -> list of generated policies    (analyze: generator)
    check     -> CheckResult                   (the CI gate: IaC in, verdict out)
    new_role  -> NewRole                       (a role for a function before its first deploy)
    report    -> report files                  (emit)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from iam_analyzer.model import Snapshot
from iam_analyzer.new_role import NewRoleRequest  # noqa: F401 - part of the library API
from iam_analyzer.outputs import make_folder, write_text

Say = Callable[[str], None]


def _iso(d: datetime | None) -> str | None:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if d else None


# -- scan ----------------------------------------------------------------------------------


def scan(clients, options, org_role: str | None = None, progress=None) -> Snapshot:
    """Inventory the account(s) behind ``clients`` into a snapshot (read-only)."""
    from iam_analyzer.collect.aws.inventory import scan as run_scan

    return run_scan(clients, options, org_role=org_role, progress=progress)


class AccountUnreachable(RuntimeError):
    """The scan could not identify any account: no credentials, a wrong endpoint, or STS denied."""


_HINTS = {
    "NoCredentialsError": "no AWS credentials found: set a profile (--profile), environment variables, or SSO login",
    "EndpointConnectionError": "cannot reach the endpoint: check --endpoint-url, --region and the network",
    "ConnectTimeoutError": "cannot reach the endpoint: check --endpoint-url, --region and the network",
    "ExpiredToken": "the AWS credentials have expired: log in again",
    "InvalidClientTokenId": "the AWS credentials are not valid",
    "UnrecognizedClientException": "the AWS credentials are not valid",
}


def account_problem(snapshot: Snapshot) -> str | None:
    """Why the scan saw no account at all (what to do about it), or None when it saw one."""
    if any(a.account_id for a in snapshot.accounts):
        return None
    gap = next((g for a in snapshot.accounts for g in a.coverage), None)
    if gap is None:
        return "could not identify the account"
    hint = _HINTS.get(gap.error_code)
    detail = f"{gap.service}.{gap.operation}: {gap.error_code}: {gap.message}"[:300]
    return f"could not identify the account ({detail})" + (f": {hint}" if hint else "")


def require_account(snapshot: Snapshot) -> None:
    problem = account_problem(snapshot)
    if problem:
        raise AccountUnreachable(problem)


# -- the organization's guardrails (--scp/--rcp files) ---------------------------------------


def read_guardrails(scp_files=(), rcp_files=()) -> tuple[list, list[str], dict]:
    """Read SCP/RCP files: (policies, one-line messages for the files skipped, facts)."""
    from iam_analyzer.collect.org_files import read_policy_files

    return read_policy_files(scp_files, rcp_files)


def apply_guardrails(snapshot: Snapshot, policies: list, facts: dict | None = None) -> None:
    """Put SCP/RCP files on every principal of the snapshot's account(s): every later stage
    (analyze, generate, graph, report, check) then evaluates with them (analyze/org.py)."""
    from iam_analyzer.analyze.org import attach_files

    attach_files(snapshot, policies, facts)


# -- usage ---------------------------------------------------------------------------------


@dataclass
class UsageRequest:
    """Where to read CloudTrail from, and the window."""

    locations: list[str] = field(default_factory=list)  # folders, files or s3:// URLs
    lookup_events: bool = False
    since: datetime | None = None
    until: datetime | None = None
    regions: list[str] = field(default_factory=list)  # for LookupEvents and the S3 client
    profile: str | None = None
    workers: int | None = None
    engine: str = "files"  # files | duckdb: how local folders are aggregated
    athena: str | None = None  # DATABASE.TABLE: aggregate in Athena instead of reading files
    athena_workgroup: str | None = None
    athena_output: str | None = None
    lake: str | None = None  # CloudTrail Lake event data store id
    max_scan_bytes: int | None = None  # SQL engines: refuse or stop a query scanning more
    accounts: tuple[str, ...] = ()  # SQL engines: only these accounts' events
    event_regions: tuple[str, ...] = ()  # SQL engines: only these regions' events

    def sql_filters(self):
        from iam_analyzer.collect.cloudtrail.sql import Filters

        return Filters(since=_iso(self.since), until=_iso(self.until), accounts=self.accounts,
                       regions=self.event_regions)


@dataclass
class UsageRun:
    document: dict
    units: int  # files, objects or pages found in the window
    files_read: int
    outside_window: int  # files found but outside the window
    messages: list[str] = field(default_factory=list)  # what a person must know about the input
    fatal: bool = False  # nothing could be read at all


def function_of(snapshot: Snapshot | None):
    """Lambda role sessions are named after the function: (role ARN, session) -> function ARN."""
    if snapshot is None:
        return None
    by_role_session = {(f.role_arn, f.name): f.arn for f in snapshot.functions()}
    return lambda principal, session: by_role_session.get((principal, session))


def usage(request: UsageRequest, clients=None, snapshot: Snapshot | None = None,
          progress: Callable[[int, int], None] | None = None, say: Say = lambda m: None) -> UsageRun:
    """Read CloudTrail into the usage document (docs/usage.md).

    ``clients`` is needed only for s3:// locations, LookupEvents, Athena and CloudTrail Lake.
    Raises FileNotFoundError or ValueError for a location that cannot be used, sql.ScanLimitExceeded
    past ``max_scan_bytes``, athena.QueryFailed, and botocore errors for AWS failures.
    """
    from iam_analyzer.collect.cloudtrail.pipeline import (
        Window,
        default_workers,
        input_messages,
        run,
        to_document,
    )
    from iam_analyzer.collect.cloudtrail.sources import FolderSource

    window = Window(since=_iso(request.since), until=_iso(request.until))
    if request.athena or request.lake:
        from iam_analyzer.collect.aws.athena import usage_from_sql

        region = request.regions[0] if request.regions else (clients.session.region_name or "us-east-1")
        agg, described = usage_from_sql(clients, region, request.sql_filters(), athena=request.athena,
                                        lake=request.lake, workgroup=request.athena_workgroup,
                                        output=request.athena_output, max_scan_bytes=request.max_scan_bytes, say=say)
        doc = to_document(agg, window, [described], function_of(snapshot))
        return UsageRun(document=doc, units=1, files_read=agg.files_read, outside_window=0)
    first = request.since.date() if request.since else None
    last = request.until.date() if request.until else None
    home = request.regions[0] if request.regions else (
        (clients.session.region_name if clients else None) or "us-east-1")
    units, sources, s3_factory, outside, outside_days = [], [], None, 0, []
    for loc in request.locations:
        if loc.startswith("s3://"):
            from iam_analyzer.collect.aws.cloudtrail import S3Source, s3_reader_factory

            src = S3Source(clients, loc, home, first, last)
            s3_factory = s3_reader_factory(clients.endpoint_url, home, request.profile)
        else:
            src = FolderSource(loc, first, last)
        units.extend(src.units())
        outside += src.outside_window
        days = sorted(outside_days + src.outside_days)
        outside_days = [days[0], days[-1]] if days else []
        sources.append(src.describe())
    if request.lookup_events:
        from iam_analyzer.collect.aws.cloudtrail import LookupEventsSource

        src = LookupEventsSource(clients, request.regions or [home], request.since, request.until)
        units.extend(src.units())
        sources.append(src.describe())
    if request.engine == "duckdb":
        from iam_analyzer.collect.cloudtrail import duckdb_engine

        agg = duckdb_engine.run(units, window, request.sql_filters(), threads=request.workers,
                                max_scan_bytes=request.max_scan_bytes)
    else:
        agg = run(units, window, workers=request.workers or default_workers(), s3_factory=s3_factory,
                  progress=(lambda i: progress(i, len(units))) if progress else None)
    doc = to_document(agg, window, sources, function_of(snapshot), outside_window_files=outside)
    messages, fatal = input_messages(len(units), agg, outside, outside_days, window)
    return UsageRun(document=doc, units=len(units), files_read=agg.files_read, outside_window=outside,
                    messages=messages, fatal=fatal)


# -- analyze -------------------------------------------------------------------------------


from iam_analyzer.analyze.rulepack import Analysis, analyze  # noqa: E402,F401  (the library API)


def analysis_from_document(doc: dict, where: str = "findings") -> Analysis:
    """An Analysis from a findings file written by ``analyze -o`` or ``audit`` (no rules re-run).

    Rule texts come from the shipped pack; a rule the pack does not know keeps the title,
    severity and category the file recorded. Raises ValueError naming the file and the place.
    """
    from iam_analyzer.emit.inputs import findings_from_document

    reported, suppressed, notes, rules = findings_from_document(doc, where)
    return Analysis(reported, suppressed, notes, rules)


# -- generate ------------------------------------------------------------------------------


def generate(snapshot: Snapshot, usage_doc: dict | None, options=None, functions: list[str] | None = None) -> list:
    """A tightened, verified policy per function (analyze/generate)."""
    from iam_analyzer.analyze.generate.deployed import Options, generate_all

    return generate_all(snapshot, usage_doc, options or Options(), functions or None)


def write_policies(results: list, out_dir: Path, fmt: str = "json") -> dict:
    """Write each function's policy and explanation, shared-role unions and summary.json
    (emit/policy_files.py); returns the summary document."""
    from iam_analyzer.emit.policy_files import write_policies as write

    return write(results, out_dir, fmt)


# -- report --------------------------------------------------------------------------------

REPORT_FILES = {"html": "report.html", "json": "report.json", "sarif": "report.sarif", "md": "report.md"}


def report(snapshot: Snapshot, usage_doc: dict | None, analysis: Analysis, results: list, out_dir: Path,
           formats=tuple(REPORT_FILES)) -> dict[str, str]:
    """Render the reports (one model, every format) into ``out_dir``; returns format -> path.

    The one way to make a report: audit, demo and ``iam-analyzer report`` all call this.
    ``analysis`` may come from ``analyze`` or from a findings file (``analysis_from_document``),
    ``results`` from ``generate`` or from a policies folder (``emit.inputs.load_policies``).
    """
    from iam_analyzer.analyze.checks.detect import Model
    from iam_analyzer.emit import report as report_mod

    m = Model(snapshot, usage_doc)
    admins = {arn for arn, p in m.analyzer.principals.items() if p.kind == "role" and m.analyzer.is_admin(p)}
    model = report_mod.build(snapshot, usage_doc, analysis.reported, analysis.rules, results,
                             m.escalations, analysis.notes, admins=admins)
    make_folder(out_dir)
    paths = {}
    for fmt in formats:
        path = out_dir / REPORT_FILES[fmt]
        write_text(path, report_mod.RENDERERS[fmt](model))
        paths[fmt] = str(path)
    return paths


# -- check (the CI gate) ---------------------------------------------------------------------

from iam_analyzer.check import (  # noqa: E402,F401
    CheckInputError, CheckRequest, CheckResult, read_baseline, template_like, write_baseline,
)


def check(req: CheckRequest) -> CheckResult:
    """Judge the IAM of templates and plans, and what changed against a base (the CI gate).

    Raises CheckInputError when nothing can be used, RuleError for a bad rule or configuration.
    See iam_analyzer/check.py and docs/commands/check.md."""
    from iam_analyzer.check import run

    return run(req)


def new_role(req):
    """A role for a function not yet deployed, from its code, template and intent
    (``iam_analyzer/new_role.py``). Returns (NewRole or None when nothing is usable, problems)."""
    from iam_analyzer.new_role import build

    return build(req)


# -- apply and rollback (the only stage that writes to an account) ---------------------------

from iam_analyzer.apply import ApplyError, ApplyInterrupted, Outcome  # noqa: E402,F401


def apply_plan(snapshot: Snapshot, policies_dir: Path, options):
    """What ``apply`` would change and what it refuses (pure: no AWS), for
    ``analyze.apply_plan.PlanOptions``. Returns (ApplyPlan, notes); raises ApplyError for a
    policies folder that cannot be used. See iam_analyzer/apply.py."""
    from iam_analyzer.apply import prepare

    return prepare(snapshot, Path(policies_dir), options)


def apply(clients, the_plan, backup_dir: Path, yes: bool = False, say: Say = lambda m: None) -> Outcome:
    """Write the planned roles after backing them up (only the plan without ``yes``).
    Permissions: docs/apply-policy.json."""
    from iam_analyzer.apply import run

    return run(clients, the_plan, Path(backup_dir), yes, say)


def rollback(clients, backup_path: Path, yes: bool = False, say: Say = lambda m: None) -> Outcome:
    """Restore every role of a backup written by ``apply`` (only the steps without ``yes``)."""
    from iam_analyzer.apply import rollback as run_rollback

    return run_rollback(clients, Path(backup_path), yes, say)


# -- template patches (generate --template) --------------------------------------------------


def patch_templates(results: list, snapshot: Snapshot, template: Path):
    """Each tightened function's policy written into the template that owns its role, every
    patch proved by the CI gate against the original (iam_analyzer/patching.py). Returns a
    PatchOutcome; nothing is written until ``write_patches``."""
    from iam_analyzer.patching import run

    return run(results, snapshot, Path(template))


def write_patches(outcome, patch_file: str | None, out_dir: Path) -> list[str]:
    """The patched templates in place, or one unified diff (``patch_file``); Terraform blocks
    under ``out_dir/terraform``."""
    from iam_analyzer.patching import write

    return write(outcome, patch_file, Path(out_dir))
