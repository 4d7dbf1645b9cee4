"""Command line: thin wrappers from arguments to the core and on to a renderer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from iam_analyzer import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def _echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="iam-analyzer")
def main() -> None:
    """Least-privilege AWS Lambda execution roles, with evidence.

    \b
    Start with:
      iam-analyzer demo                      the whole audit on an embedded demo account
      iam-analyzer audit -o DIR              the whole audit on your account (read-only)
      iam-analyzer lint policy.json          validate IAM policies
      iam-analyzer actions 's3:Get*'         expand action patterns
    """


# -- lint --------------------------------------------------------------------------------------


def _collect_paths(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.json") if q.is_file()))
        else:
            out.append(p)
    return out


@main.command()
@click.argument("policy_files", nargs=-1, required=True, metavar="POLICY_FILE...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Output format. markdown suits a pull-request comment.")
@click.option("--kind", type=click.Choice(["auto", "identity", "resource", "trust"]), default="auto", show_default=True,
              help="Kind of policy. auto: a policy with Principal is a resource or trust policy.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="info", show_default=True,
              help="Exit 1 when a finding at or above this severity is found.")
def lint(policy_files: tuple[str, ...], fmt: str, kind: str, fail_on: str) -> None:
    """Validate IAM policy documents.

    POLICY_FILE may be a policy document, a folder (every *.json below it is linted), or a
    file that wraps one (PolicyDocument, PolicyVersion.Document, AssumeRolePolicyDocument).
    A malformed file is reported with its location and the other files are still linted.

    Exit codes: 0 no finding, 1 findings, 2 a file could not be read.
    """
    from iam_analyzer.iam.catalog import default_catalog
    from iam_analyzer.analyze.lint import SEVERITIES, FileResult, lint_file, make_finding

    cat = default_catalog()
    results: list[FileResult] = []
    unreadable = False
    for path in _collect_paths(policy_files):
        if not path.is_file():
            unreadable = True
            click.echo(f"iam-analyzer: {path}: cannot read: no such file", err=True)
            results.append(FileResult(str(path), [make_finding("PL001", "cannot read: no such file", "(file)")]))
            continue
        try:
            res = lint_file(path, cat, kind)
        except OSError as e:
            unreadable = True
            click.echo(f"iam-analyzer: {path}: cannot read: {e.strerror}", err=True)
            res = FileResult(str(path), [make_finding("PL001", f"cannot read: {e.strerror}", "(file)")])
        results.append(res)
        if fmt != "text":
            for f in res.findings:
                if f.id in ("PL001", "PL002"):
                    click.echo(f"iam-analyzer: {path}: {f.location}: {f.message}", err=True)
    if fmt == "json":
        _echo_json({"catalog": cat.info.as_dict(), "files": [r.as_dict() for r in results]})
    elif fmt == "markdown":
        from iam_analyzer.emit.render import render_template

        click.echo(render_template("lint.md.j2", results=results, catalog=cat.info, version=__version__), nl=False)
    else:
        for r in results:
            for f in r.findings:
                click.echo(f"{r.path}: {f.location}: {f.severity} {f.id} {f.message}")
        total = sum(len(r.findings) for r in results)
        click.echo(f"{len(results)} file(s), {total} finding(s); catalog {cat.info.version} ({cat.info.date})", err=True)
    threshold = SEVERITIES.index(fail_on)
    failing = any(SEVERITIES.index(f.severity) <= threshold for r in results for f in r.findings)
    sys.exit(EXIT_UNUSABLE if unreadable else EXIT_FINDINGS if failing else EXIT_OK)


# -- actions -----------------------------------------------------------------------------------


@main.command()
@click.argument("patterns", nargs=-1, required=True, metavar="PATTERN...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--access-level", "levels", multiple=True,
              type=click.Choice(["List", "Read", "Write", "Tagging", "Permissions management"], case_sensitive=False),
              help="Show only actions of this access level (repeatable).")
def actions(patterns: tuple[str, ...], fmt: str, levels: tuple[str, ...]) -> None:
    """Expand action patterns (s3:Get*, s3:*Object*, ec2:Describe?pc*, *) against the catalog.

    Shows each action with its access level and the resource types it can be scoped to
    ("*" only when it has none). Exits 1 when a pattern matches no action.
    """
    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    wanted = {lv.lower() for lv in levels}
    rows = []
    missing = []
    for pattern in patterns:
        found = cat.expand(pattern)
        if not found:
            missing.append(pattern)
        for act in found:
            if wanted and act.access_level.lower() not in wanted:
                continue
            types = cat.action_resource_types(act)
            rows.append({
                "pattern": pattern,
                "action": act.full_name,
                "access_level": act.access_level,
                "resource_types": [
                    {"name": rt.name, "arn": rt.arn_format,
                     "required": next((r.required for r in act.resource_types if r.name.lower() == rt.name.lower()), False)}
                    for rt in types
                ],
                "condition_keys": list(act.condition_keys),
                "description": act.description,
            })
    for m in missing:
        click.echo(f"iam-analyzer: {m!r} matches no action in catalog {cat.info.version}", err=True)
    if fmt == "json":
        _echo_json({"catalog": cat.info.as_dict(), "actions": rows, "unmatched": missing})
    else:
        width = max((len(r["action"]) for r in rows), default=10)
        for r in rows:
            types = ", ".join(t["name"] for t in r["resource_types"]) or '* (no resource type)'
            click.echo(f"{r['action']:<{width}}  {r['access_level']:<22}  {types}")
        click.echo(f"{len(rows)} action(s)", err=True)
    sys.exit(EXIT_FINDINGS if missing else EXIT_OK)


# -- catalog -----------------------------------------------------------------------------------


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def catalog(fmt: str) -> None:
    """Show the IAM action catalog in use: source, version, date and counts."""
    from collections import Counter

    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    levels = Counter(a.access_level for a in cat.actions.values())
    data = {**cat.info.as_dict(), "access_levels": dict(sorted(levels.items())),
            "resource_types": sum(len(v) for v in cat.resource_types.values())}
    if fmt == "json":
        _echo_json(data)
    else:
        click.echo(f"source:   {data['source']}")
        click.echo(f"version:  {data['version']}")
        click.echo(f"date:     {data['date']}")
        click.echo(f"services: {data['services']}")
        click.echo(f"actions:  {data['actions']}")
        click.echo(f"resource types: {data['resource_types']}")
        for lv, n in data["access_levels"].items():
            click.echo(f"  {lv}: {n}")


# -- scan and inventory ------------------------------------------------------------------------


class _Progress:
    """A one-line progress display on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        line = f"\r{stage}: {done}/{total}"
        if line != self._last:
            click.echo(line.ljust(60), nl=False, err=True)
            self._last = line

    def close(self) -> None:
        if self.enabled and self._last:
            click.echo("", err=True)


def _setup_logging(verbose: int) -> None:
    import logging

    level = logging.DEBUG if verbose >= 1 else logging.WARNING
    logging.basicConfig(level=level, format="iam-analyzer: %(levelname)s %(message)s", stream=sys.stderr)
    if verbose < 2:
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _clients(profile, regions, endpoint_url, verbose: int = 0):
    """Logging, a boto3 session from the standard chain (or a profile), and clients for it."""
    from iam_analyzer.collect.aws.session import Clients, UsageError, make_session

    _setup_logging(verbose)
    try:
        session = make_session(profile, regions[0] if regions else None)
    except UsageError as e:
        _fail(str(e))
    return Clients(session, endpoint_url=endpoint_url)


def _fail(message: str) -> None:
    click.echo(f"iam-analyzer: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


@main.command()
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Region to scan (repeatable). Default: the profile's region, else us-east-1.")
@click.option("--all-regions", is_flag=True, help="Scan every region enabled for the account.")
@click.option("--org-role", metavar="NAME",
              help="Also scan every account of the Organization by assuming this role name in each.")
@click.option("--endpoint-url", metavar="URL", help="Send every API call to this endpoint (e.g. a local moto server).")
@click.option("--workers", type=click.IntRange(1, 64), default=16, show_default=True,
              help="Concurrent API calls per region.")
@click.option("--no-push-sources", is_flag=True,
              help="Skip reading S3, SNS, EventBridge, API Gateway and Logs configuration for triggers.")
@click.option("--thorough", is_flag=True,
              help="Also read every function's URL configuration and reserved concurrency (2 more calls per "
                   "function). By default a URL is read where the resource policy grants lambda:InvokeFunctionUrl.")
@click.option("--code", "read_code", is_flag=True,
              help="Also read each function's deployment package for the SDK calls its code makes (streamed, "
                   "size-capped, never stored: only the calls, with file and line). One GetFunction per function.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the snapshot (JSON).")
@click.option("-v", "--verbose", count=True, help="-v logs each API call; -vv adds botocore's own logs.")
def scan(profile, regions, all_regions, org_role, endpoint_url, workers, no_push_sources, thorough, read_code, output,
         verbose) -> None:
    """Inventory Lambda functions, their roles and triggers into an offline snapshot.

    Read-only: the exact permissions needed are in docs/scanner-policy.json. Calls that
    fail (AccessDenied, throttling past retries, a service missing in a region) are recorded
    in the snapshot's coverage and the scan goes on.
    """
    import botocore.exceptions

    from iam_analyzer.collect.aws.inventory import ScanOptions
    from iam_analyzer.collect.aws.inventory import scan as run_scan

    clients = _clients(profile, regions, endpoint_url, verbose)
    opts = ScanOptions(regions=list(regions) or [clients.session.region_name or "us-east-1"], all_regions=all_regions,
                       workers=workers, push_sources=not no_push_sources, thorough=thorough, code=read_code)
    progress = _Progress(sys.stderr.isatty() and not verbose)
    try:
        snapshot = run_scan(clients, opts, org_role=org_role, progress=progress)
    except botocore.exceptions.NoCredentialsError:
        _fail("no AWS credentials found: set a profile (--profile), environment variables, or SSO login")
    except botocore.exceptions.EndpointConnectionError as e:
        _fail(f"cannot reach AWS: {e}")
    except botocore.exceptions.ClientError as e:
        _fail(f"scan could not start: {e}")
    finally:
        progress.close()
    if not any(a.account_id for a in snapshot.accounts):
        gap = snapshot.accounts[0].coverage[0] if snapshot.accounts and snapshot.accounts[0].coverage else None
        _fail("could not identify the account" + (f": {gap.error_code}: {gap.message}" if gap else ""))
    snapshot.save(output)
    fns = sum(len(a.functions) for a in snapshot.accounts)
    gaps = sum(len(a.coverage) for a in snapshot.accounts)
    click.echo(f"{output}: {len(snapshot.accounts)} account(s), {fns} function(s), "
               f"{clients.call_log.total} API calls, {gaps} coverage gap(s)", err=True)


def _load_snapshot(path: str):
    from iam_analyzer.model import Snapshot, SnapshotError

    try:
        return Snapshot.load(path)
    except SnapshotError as e:
        _fail(str(e))


@main.command()
@click.option("--snapshot", "snapshot_path", required=True, type=click.Path(dir_okay=False), help="A snapshot from scan.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def inventory(snapshot_path: str, fmt: str) -> None:
    """List the functions of a snapshot with their role, triggers and granted actions."""
    from iam_analyzer.emit.inventory_view import inventory_rows

    snap = _load_snapshot(snapshot_path)
    rows = inventory_rows(snap)
    if fmt == "json":
        _echo_json({"functions": rows, "coverage_gaps": sum(len(a.coverage) for a in snap.accounts)})
        return
    headers = ("function", "region", "runtime", "role", "triggers", "granted")
    table = [headers] + [(r["name"], r["region"], r["runtime"] or "-", r["role_name"] or "-",
                          ", ".join(f"{k}:{v}" for k, v in r["triggers"].items()) or "-",
                          str(r["granted_actions"])) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for row in table:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    gaps = [g for a in snap.accounts for g in a.coverage]
    if gaps:
        click.echo(f"{len(gaps)} call(s) failed during the scan; the snapshot may be incomplete "
                   f"(first: {gaps[0].service}.{gaps[0].operation} {gaps[0].error_code})", err=True)


# -- usage ---------------------------------------------------------------------------------


def parse_since(text: str, now=None):
    """'90d', '12h', '2w' or an ISO date/time -> an aware UTC datetime."""
    import re
    from datetime import datetime, timedelta, timezone

    now = now or datetime.now(timezone.utc)
    m = re.fullmatch(r"(\d+)([dhw])", text.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now - {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[unit]
    try:
        d = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r}: use a duration such as 90d, 12h, 2w, or a date such as 2024-05-01") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _iso(d) -> str:
    return d.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@main.command()
@click.option("--cloudtrail", "locations", multiple=True, metavar="PATH_OR_S3_URL",
              help="A folder or file of CloudTrail logs, or s3://bucket/prefix (repeatable). Files may also "
                   "hold a JSON array of records, JSON Lines, or lookup-events output.")
@click.option("--lookup-events", is_flag=True, help="Also read management events from the CloudTrail LookupEvents API.")
@click.option("--since", default="90d", show_default=True, help="Start of the window: 90d, 12h, 2w, or a date.")
@click.option("--until", default=None, help="End of the window (default: now).")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False),
              help="A snapshot from scan: attributes each Lambda role session to its function.")
@click.option("--profile", help="AWS profile for S3 and LookupEvents.")
@click.option("--region", "regions", multiple=True, help="Region(s) for LookupEvents and the S3 client (repeatable).")
@click.option("--endpoint-url", metavar="URL", help="Send AWS calls to this endpoint (e.g. a local moto server).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default: one per core).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="Where to write usage JSON.")
@click.option("-v", "--verbose", count=True, help="Log each skipped file and each API call.")
def usage(locations, lookup_events, since, until, snapshot_path, profile, regions, endpoint_url, workers, output, verbose) -> None:
    """Learn from CloudTrail which actions each role and function really used, on what.

    Reads CloudTrail log files from folders or S3 (only the date folders inside the window)
    and/or the LookupEvents API. A corrupt or truncated file is reported and skipped; the
    rest is processed. Exit code 0 (with a warning when files were skipped), or 2 when
    nothing could be read.
    """
    import botocore.exceptions

    from iam_analyzer.collect.cloudtrail.pipeline import Window, default_workers, run, to_document
    from iam_analyzer.collect.cloudtrail.sources import FolderSource

    _setup_logging(verbose)
    if not locations and not lookup_events:
        raise click.UsageError("give at least one --cloudtrail location or --lookup-events")
    start = parse_since(since)
    end = parse_since(until) if until else None
    window = Window(since=_iso(start), until=_iso(end) if end else None)
    func_of = None
    if snapshot_path:
        snap = _load_snapshot(snapshot_path)
        by_role_session = {(f.role_arn, f.name): f.arn for f in snap.functions()}
        func_of = lambda principal, session: by_role_session.get((principal, session))  # noqa: E731
    sources = []
    clients = None
    s3_factory = None
    if any(loc.startswith("s3://") for loc in locations) or lookup_events:
        clients = _clients(profile, regions, endpoint_url, verbose)
    units = []
    outside = 0
    progress = _Progress(sys.stderr.isatty() and not verbose)
    try:
        for loc in locations:
            if loc.startswith("s3://"):
                from iam_analyzer.collect.aws.cloudtrail import S3Source, s3_reader_factory

                region = regions[0] if regions else (clients.session.region_name or "us-east-1")
                src = S3Source(clients, loc, region, start.date(), end.date() if end else None)
                units.extend(src.units())
                s3_factory = s3_reader_factory(endpoint_url, region, profile)
            else:
                src = FolderSource(loc, start.date(), end.date() if end else None)
                units.extend(src.units())
            outside += src.outside_window
            sources.append(src.describe())
        if lookup_events:
            from iam_analyzer.collect.aws.cloudtrail import LookupEventsSource

            src = LookupEventsSource(clients, list(regions) or [clients.session.region_name or "us-east-1"], start, end)
            units.extend(src.units())
            sources.append(src.describe())
    except FileNotFoundError as e:
        _fail(str(e))
    except ValueError as e:
        _fail(str(e))
    except botocore.exceptions.NoCredentialsError:
        _fail("no AWS credentials found for S3 or LookupEvents")
    except botocore.exceptions.ClientError as e:
        _fail(f"cannot list CloudTrail logs: {e}")
    agg = run(units, window, workers=workers or default_workers(), s3_factory=s3_factory,
              progress=lambda i: progress("files", i, len(units)))
    progress.close()
    doc = to_document(agg, window, sources, func_of, outside_window_files=outside)
    for item in doc["files"]["skipped"]:
        click.echo(f"iam-analyzer: warning: skipped {item['path']}: {item['reason']}", err=True)
    if agg.files_read == 0 and units:
        _fail("no CloudTrail file could be read")
    if not units:
        click.echo("iam-analyzer: warning: no CloudTrail files in the window", err=True)
    from pathlib import Path

    Path(output).write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    ev = doc["events"]
    click.echo(f"{output}: {agg.files_read} file(s), {ev['total']} event(s), {ev['attributed']} attributed, "
               f"{len(doc['principals'])} principal session(s), {ev['unmapped']} unmapped, "
               f"{len(doc['files']['skipped'])} skipped", err=True)


# -- generate ------------------------------------------------------------------------------


@main.command()
@click.option("--snapshot", "snapshot_path", required=True, type=click.Path(dir_okay=False), help="A snapshot from scan.")
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False),
              help="Usage JSON from the usage command. Without it only required permissions are kept.")
@click.option("--function", "functions", multiple=True, metavar="NAME", help="Only these functions (name or ARN; repeatable).")
@click.option("--since", default=None, help="Ignore usage last seen before this (90d, 2w, or a date).")
@click.option("--format", "fmt", type=click.Choice(["json", "cloudformation", "terraform"]), default="json", show_default=True)
@click.option("--keep-unverified", "unverified", flag_value="keep",
              help="Keep every grant CloudTrail could not have shown (data events off, never-logged actions).")
@click.option("--drop-unverified", "unverified", flag_value="drop", help="Keep none of them, not even where the configuration points.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the policies.")
def generate(snapshot_path, usage_path, functions, since, fmt, unverified, out_dir) -> None:
    """Write a least-privilege policy per function, with the evidence for every permission.

    Keeps what the function was seen using, what its configuration requires (logs, event
    sources, VPC, X-Ray, KMS, destinations, EFS) and, by default, unverifiable data-plane
    grants on resources its configuration names. Never grants what the role does not grant
    today. Each policy is verified before it is written. Writes one policy file and one
    .explain.json per function, a policy per shared role, and summary.json.
    """
    from pathlib import Path

    from iam_analyzer.emit.policy_formats import FORMATS, safe_name
    from iam_analyzer.analyze.generate.deployed import Options, generate_all, role_union

    snap = _load_snapshot(snapshot_path)
    usage_doc = _load_usage(usage_path)
    opts = Options(unverified=unverified or "referenced", since=_iso(parse_since(since)) if since else None)
    results = generate_all(snap, usage_doc, opts, list(functions) or None)
    if functions and not results:
        _fail("no function of the snapshot matches " + ", ".join(functions))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext, render = FORMATS[fmt]
    summary = []
    by_role: dict = {}
    for r in results:
        base = safe_name(r.function.name if len({x.function.name for x in results}) == len(results)
                         else f"{r.function.region}-{r.function.name}")
        if r.documents:
            (out / f"{base}{ext}").write_text(render(r), encoding="utf-8")
        (out / f"{base}.explain.json").write_text(json.dumps(r.explanation(), indent=1) + "\n", encoding="utf-8")
        by_role.setdefault(r.function.role_arn, []).append(r)
        summary.append({"function": r.function.arn, "role": r.function.role_arn, "file": f"{base}{ext}" if r.documents else None,
                        "granted_actions_before": r.before, "granted_actions_after": r.after,
                        "reduction_percent": r.reduction, "verified": r.verification.get("ok", False),
                        "kept": len(r.entries), "not_granted_today": len(r.not_granted), "warnings": r.warnings})
        status = "verified" if r.verification.get("ok") else "NOT VERIFIED"
        click.echo(f"{r.function.name}: {r.before} -> {r.after} actions ({r.reduction:.0f}% fewer), {status}", err=True)
    shared = []
    for role_arn, rs in sorted(by_role.items()):
        if len(rs) > 1:
            union = role_union(rs)
            (out / f"role-{safe_name(role_arn.rsplit('/', 1)[-1])}.json").write_text(json.dumps(union, indent=2) + "\n")
            shared.append({"role": role_arn, "functions": [r.function.arn for r in rs],
                           "note": "one role serves several functions: the union is written; a role per function "
                                   "would let each keep only its own permissions"})
    reductions = [s["reduction_percent"] for s in summary if s["granted_actions_before"]]
    doc = {"functions": summary, "shared_roles": shared,
           "average_reduction_percent": round(sum(reductions) / len(reductions), 1) if reductions else 0.0,
           "all_verified": all(s["verified"] for s in summary if s["file"])}
    (out / "summary.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    click.echo(f"{out}: {len(results)} function(s), average reduction {doc['average_reduction_percent']}%", err=True)
    if not doc["all_verified"]:
        sys.exit(EXIT_FINDINGS)


# -- graph ---------------------------------------------------------------------------------


def _load_model(snapshot_path: str | None, gaad_path: str | None):
    from pathlib import Path

    if bool(snapshot_path) == bool(gaad_path):
        raise click.UsageError("give exactly one of --snapshot or --gaad")
    if snapshot_path:
        return _load_snapshot(snapshot_path)
    from iam_analyzer.analyze.graph.analyzer import snapshot_from_gaad

    try:
        doc = json.loads(Path(gaad_path).read_text(encoding="utf-8"))
        return snapshot_from_gaad(doc)
    except FileNotFoundError:
        _fail(f"{gaad_path}: no such file")
    except json.JSONDecodeError as e:
        _fail(f"{gaad_path}: line {e.lineno} column {e.colno}: invalid JSON: {e.msg}")
    except (ValueError, KeyError, TypeError) as e:
        _fail(f"{gaad_path}: {e}")


def _model_options(f):
    f = click.option("--gaad", "gaad_path", type=click.Path(dir_okay=False),
                     help="Output of 'aws iam get-account-authorization-details' instead of a snapshot.")(f)
    f = click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False), help="A snapshot from scan.")(f)
    return f


@main.group()
def graph() -> None:
    """The permission graph: invokers -> functions -> roles -> resources, and escalation paths."""


@graph.command("export")
@_model_options
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False), help="Add what each function used.")
@click.option("--format", "fmt", type=click.Choice(["graphml", "json", "dot"]), default="json", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def graph_export(snapshot_path, gaad_path, usage_path, fmt, output) -> None:
    """Write the graph as GraphML, node-link JSON or Graphviz dot."""
    from pathlib import Path

    from iam_analyzer.analyze.graph.analyzer import build_graph, export

    snap = _load_model(snapshot_path, gaad_path)
    usage_doc = json.loads(Path(usage_path).read_text()) if usage_path else None
    g = build_graph(snap, usage_doc)
    Path(output).write_text(export(g, fmt), encoding="utf-8")
    click.echo(f"{output}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges", err=True)


@graph.command("escalations")
@_model_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_escalations(snapshot_path, gaad_path, fmt) -> None:
    """Privilege-escalation paths: each principal that can reach more privilege, and how.

    Works on effective permissions (all policies of a principal and its groups, explicit
    Deny, the permissions boundary, conditions), so an escalation split across two policies
    is found and an Allow cancelled by a Deny is not. Unknown conditions are marked
    conditional. Methods are defined in rules/escalation.yaml.
    """
    from iam_analyzer.analyze.graph.analyzer import Analyzer, Escalations
    from iam_analyzer.iam.catalog import default_catalog

    snap = _load_model(snapshot_path, gaad_path)
    found, _ = Escalations(Analyzer(snap)).find()
    if fmt == "json":
        _echo_json({"escalations": found, "catalog": default_catalog().info.as_dict()})
        return
    for f in found:
        steps = " -> ".join(f"{h['method']} -> {h['to'].rsplit('/', 1)[-1]}" for h in f["path"])
        cond = " (conditional)" if f["conditional"] else ""
        click.echo(f"{f['principal']}: {steps}; yields {f['yields']}{cond}")
    click.echo(f"{len(found)} escalation path(s)", err=True)


@graph.command("blast-radius")
@click.argument("target", metavar="FUNCTION_OR_ROLE")
@_model_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_blast_radius(target, snapshot_path, gaad_path, fmt) -> None:
    """What a function (or role) can reach: its role's actions and resources, directly and
    through escalation paths."""
    from iam_analyzer.analyze.graph.blast import blast_radius

    snap = _load_model(snapshot_path, gaad_path)
    try:
        data = blast_radius(snap, target)
    except KeyError as e:
        _fail(str(e).strip("'\""))
    if fmt == "json":
        _echo_json(data)
        return
    click.echo(f"{data['subject']} runs as {data['role']}: {data['granted_actions']} actions")
    for svc, item in data["direct"].items():
        click.echo(f"  {svc}: {item['actions']} actions on {', '.join(item['resources'][:5])}")
    for e in data["escalations"]:
        click.echo(f"  escalation: {e['method']} -> {e['yields']}")


@graph.command("who-can")
@click.argument("action")
@click.argument("resource", required=False, default=None)
@_model_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_who_can(action, resource, snapshot_path, gaad_path, fmt) -> None:
    """Every principal (and the functions running as it) allowed ACTION on RESOURCE."""
    from iam_analyzer.analyze.graph.blast import who_can

    snap = _load_model(snapshot_path, gaad_path)
    rows = who_can(snap, action, resource)
    if fmt == "json":
        _echo_json({"action": action, "resource": resource, "principals": rows})
        return
    for r in rows:
        fns = f" (functions: {', '.join(r['functions'])})" if r["functions"] else ""
        click.echo(f"{r['result']:<12} {r['principal']}{fns}")
    click.echo(f"{len(rows)} principal(s)", err=True)


# -- analyze and rules ---------------------------------------------------------------------


def _findings_document(reported, suppressed, notes, rules, source: dict) -> dict:
    from collections import Counter

    from iam_analyzer.iam.catalog import default_catalog

    return {
        "schema_version": 1,
        "kind": "iam-analyzer-findings",
        "tool": {"name": "iam-analyzer", "version": __version__},
        "catalog": default_catalog().info.as_dict(),
        "source": source,
        "summary": {"total": len(reported), "by_severity": dict(Counter(f.severity for f in reported)),
                    "by_category": dict(Counter(f.category for f in reported)), "suppressed": len(suppressed)},
        "findings": [f.as_dict() for f in reported],
        "suppressed": [f.as_dict() for f in suppressed],
        "notes": notes,
        "rules": {r.id: {"title": r.title, "severity": r.severity, "category": r.category} for r in rules.values()},
    }


def _load_usage(path: str | None):
    from pathlib import Path

    if not path:
        return None
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except json.JSONDecodeError as e:
        _fail(f"{path}: line {e.lineno} column {e.colno}: invalid JSON: {e.msg}")
    if not isinstance(doc, dict) or doc.get("kind") != "iam-analyzer-usage":
        _fail(f"{path}: not a usage file from iam-analyzer usage")
    return doc


@main.command()
@_model_options
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False), help="Usage JSON: enables the unused/denied rules.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration (default: .iam-analyzer.yaml in the current folder, if present).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Add a folder of your own rules.")
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low", "info"]), default=None,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write findings JSON here.")
def analyze(snapshot_path, gaad_path, usage_path, config_path, rule_dirs, fail_on, output) -> None:
    """Run the rule pack over a snapshot (or GAAD file) and report findings."""
    from pathlib import Path

    from iam_analyzer.analyze.checks.detect import analyze as run_rules
    from iam_analyzer.analyze.checks.engine import SEVERITIES, Config, RuleError, load_rules

    snap = _load_model(snapshot_path, gaad_path)
    usage_doc = _load_usage(usage_path)
    try:
        rules = load_rules(rule_dirs)
        cfg = Config.load(config_path)
    except RuleError as e:
        _fail(str(e))
    reported, suppressed, notes = run_rules(snap, usage_doc, rules, cfg)
    doc = _findings_document(reported, suppressed, notes, rules,
                             {"snapshot": snapshot_path, "gaad": gaad_path, "usage": usage_path})
    if output:
        Path(output).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    for f in reported:
        click.echo(f"{f.severity:<8} {f.rule_id}  {f.subject}: {f.message}")
    for n in notes:
        click.echo(f"iam-analyzer: note: {n}", err=True)
    click.echo(f"{len(reported)} finding(s), {len(suppressed)} suppressed", err=True)
    if fail_on and any(SEVERITIES.index(f.severity) <= SEVERITIES.index(fail_on) for f in reported):
        sys.exit(EXIT_FINDINGS)


@main.group("rules")
def rules_group() -> None:
    """The rule pack: list rules, show one."""


@rules_group.command("list")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_list(rule_dirs, fmt) -> None:
    """Every rule with its id, severity, category and whether it is on by default."""
    from iam_analyzer.analyze.checks.engine import RuleError, load_rules

    try:
        rules = load_rules(rule_dirs)
    except RuleError as e:
        _fail(str(e))
    if fmt == "json":
        _echo_json([{"id": r.id, "title": r.title, "severity": r.severity, "category": r.category,
                     "enabled": r.enabled} for r in rules.values()])
        return
    for r in rules.values():
        click.echo(f"{r.id}  {r.severity:<8} {r.category:<28} {'on ' if r.enabled else 'off'} {r.title}")


@rules_group.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False))
def rules_show(rule_id, rule_dirs) -> None:
    """A rule's documentation: what, why, example, fix."""
    from iam_analyzer.emit.rules_docs import page
    from iam_analyzer.analyze.checks.engine import RuleError, load_rules

    try:
        rules = load_rules(rule_dirs)
    except RuleError as e:
        _fail(str(e))
    rule = rules.get(rule_id.upper())
    if rule is None:
        _fail(f"no rule {rule_id!r}; see 'iam-analyzer rules list'")
    click.echo(page(rule))


# -- audit and demo ------------------------------------------------------------------------


def _print_top(result: dict) -> None:
    paths = result["paths"]
    click.echo(f"Report: {paths['html']}")
    click.echo(f"Also: {paths['json']}, {paths['sarif']}, {paths['md']}")
    top = result["findings"][:8]
    if top:
        click.echo("Top findings:")
        for f in top:
            click.echo(f"  {f.severity:<8} {f.rule_id}  {f.message}")
    gens = [r for r in result["results"] if r.documents]
    if gens:
        avg = sum(r.reduction for r in gens) / len(gens)
        click.echo(f"Generated {len(gens)} least-privilege policies: {avg:.0f}% fewer granted actions on average, "
                   f"{sum(1 for r in gens if r.verification.get('ok'))} verified never to widen or break.")


@main.command()
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--region", "regions", multiple=True, metavar="REGION", help="Region to scan (repeatable).")
@click.option("--all-regions", is_flag=True, help="Scan every enabled region.")
@click.option("--org-role", metavar="NAME", help="Scan every account of the Organization through this role.")
@click.option("--endpoint-url", metavar="URL", help="Send every AWS call to this endpoint.")
@click.option("--cloudtrail", "locations", multiple=True, metavar="PATH_OR_S3_URL",
              help="CloudTrail logs (default: the S3 locations of the account's trails).")
@click.option("--lookup-events", is_flag=True, help="Also read management events from LookupEvents.")
@click.option("--since", default="90d", show_default=True, help="Usage window start: 90d, 2w, or a date.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Rule configuration.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule folders.")
@click.option("--policy-format", type=click.Choice(["json", "cloudformation", "terraform"]), default="json", show_default=True)
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low", "info"]), default=None,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--code", "read_code", is_flag=True,
              help="Also read each function's deployment package for its SDK calls (see scan --code).")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for everything.")
@click.option("-v", "--verbose", count=True)
def audit(profile, regions, all_regions, org_role, endpoint_url, locations, lookup_events, since, config_path, rule_dirs,
          policy_format, fail_on, read_code, out_dir, verbose) -> None:
    """Audit an account in one command: scan, CloudTrail usage, rules, generated policies, reports.

    Writes snapshot.json, usage.json, findings.json, policies/ and report.html,
    report.json, report.sarif and report.md into the output folder.
    """
    from pathlib import Path

    import botocore.exceptions

    from iam_analyzer.audit import AuditOptions, run_audit
    from iam_analyzer.analyze.checks.engine import SEVERITIES, RuleError

    clients = _clients(profile, regions, endpoint_url, verbose)
    opt = AuditOptions(regions=list(regions), all_regions=all_regions, org_role=org_role, cloudtrail=list(locations),
                       lookup_events=lookup_events, since=parse_since(since), config=config_path, rule_dirs=list(rule_dirs),
                       policy_format=policy_format, profile=profile, code=read_code)
    try:
        result = run_audit(clients, Path(out_dir), opt, say=lambda m: click.echo(f"iam-analyzer: {m}", err=True))
    except botocore.exceptions.NoCredentialsError:
        _fail("no AWS credentials found: set a profile (--profile), environment variables, or SSO login")
    except botocore.exceptions.EndpointConnectionError as e:
        _fail(f"cannot reach AWS: {e}")
    except RuleError as e:
        _fail(str(e))
    _print_top(result)
    if fail_on and any(SEVERITIES.index(f.severity) <= SEVERITIES.index(fail_on) for f in result["findings"]):
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.option("-o", "--output", "out_dir", default="iam-analyzer-demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 90), help="Days of CloudTrail logs to write.")
def demo(out_dir, days) -> None:
    """Audit an embedded demo account: no AWS account needed.

    Starts moto's AWS emulator on loopback inside this process, provisions a realistic
    serverless application (API Gateway -> Lambda -> DynamoDB, an S3 upload trigger, an
    EventBridge cron job, SNS, an SQS worker, a DynamoDB-stream consumer, a VPC function, a
    public function URL, a shared role, an administrator role on a function), writes
    CloudTrail logs for it into its trail bucket, then runs exactly the audit command's code.
    """
    import os
    import socket
    import time
    from pathlib import Path

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        _fail("the demo needs moto's server: pip install 'moto[server]'")
    import logging

    import boto3

    from iam_analyzer.audit import AuditOptions, run_audit
    from iam_analyzer.collect.aws.session import Clients
    from iam_analyzer.demo import provision, write_trail

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    start = time.perf_counter()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    say = lambda m: click.echo(f"iam-analyzer: {m}", err=True)  # noqa: E731
    try:
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(k, None)
        os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_DEFAULT_REGION="us-east-1")
        session = boto3.session.Session(region_name="us-east-1")
        client = lambda svc: session.client(svc, endpoint_url=endpoint)  # noqa: E731
        say(f"demo account on {endpoint} (moto): provisioning")
        account = client("sts").get_caller_identity()["Account"]
        demo_account = provision(client, account)
        s3 = client("s3")
        events = write_trail(demo_account, lambda k, b: s3.put_object(Bucket=demo_account.trail_bucket, Key=k, Body=b), days=days)
        say(f"wrote {events} CloudTrail events ({days} days) to s3://{demo_account.trail_bucket}/")
        from datetime import datetime, timedelta, timezone

        opt = AuditOptions(regions=["us-east-1"], since=datetime.now(timezone.utc) - timedelta(days=days + 2),
                           code=True, code_fetch=demo_account.fetch_package)  # the emulator's code URLs name no host
        result = run_audit(Clients(session, endpoint_url=endpoint), Path(out_dir), opt, say=say)
    finally:
        server.stop()
    _print_top(result)
    click.echo(f"Done in {time.perf_counter() - start:.0f} s. Open {result['paths']['html']} in a browser.")


from iam_analyzer.cli.new_role import new_role_command  # noqa: E402
main.add_command(new_role_command)

if __name__ == "__main__":  # pragma: no cover
    main()
