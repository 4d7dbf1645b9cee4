"""audit and demo: the whole pipeline in one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iam_analyzer.cli import params
from iam_analyzer.cli.common import (
    EXIT_FINDINGS,
    check_output_folder,
    clients_for,
    fail,
    guardrail_options,
    parse_since,
    read_guardrails,
)
from iam_analyzer.emit.policy_formats import FORMATS

# what audit writes into its folder: checked before any work
AUDIT_FILES = ("snapshot.json", "usage.json", "findings.json", "report.html", "report.json", "report.sarif", "report.md")
AUDIT_FOLDERS = ("policies",)


def _print_top(result: dict) -> None:
    paths = result["paths"]
    click.echo(f"Report: {paths['html']}")
    click.echo(f"Also: {paths['json']}, {paths['sarif']}, {paths['md']}")
    top = result["findings"][:8]
    if top:
        click.echo("Top findings:")
        for f in top:
            click.echo(f"  {f.severity:<8} {f.rule_id}  {f.message}")
    s = result["summary"]
    if s["tightened"]:
        click.echo(f"Generated {s['tightened']} least-privilege policies: {s['average_reduction_percent']:.0f}% fewer granted "
                   f"actions on average, {sum(1 for f in s['functions'] if f['verified'])} verified never to widen or break.")
    if s["not_tightened"]:
        click.echo(f"Not tightened for lack of evidence: {s['not_tightened']} function(s); see the report's section "
                   f"\"Not tightened\" for what to do.")


@click.command()
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--region", "regions", multiple=True, metavar="REGION", callback=params.region, help="Region to scan (repeatable).")
@click.option("--all-regions", is_flag=True, help="Scan every enabled region.")
@click.option("--org-role", metavar="NAME", help="Scan every account of the Organization through this role.")
@click.option("--endpoint-url", metavar="URL", callback=params.endpoint_url, help="Send every AWS call to this endpoint.")
@click.option("--cloudtrail", "locations", multiple=True, metavar="PATH_OR_S3_URL",
              help="CloudTrail logs (default: the S3 locations of the account's trails).")
@click.option("--lookup-events", is_flag=True, help="Also read management events from LookupEvents.")
@click.option("--since", default="90d", show_default=True, callback=params.since, help="Usage window start: 90d, 2w, or a date.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Rule configuration.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule folders.")
@click.option("--policy-format", type=click.Choice(list(FORMATS)), default="json", show_default=True)
@click.option("--min-window", "min_window", type=click.FloatRange(min=0), default=14, show_default=True,
              help="Days of evidence a function needs before anything is dropped as unused.")
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low", "info"]), default=None,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("--code", "read_code", is_flag=True,
              help="Also read each function's deployment package for its SDK calls (see scan --code).")
@click.option("--organization", is_flag=True,
              help="Also record the Organization's SCPs and RCPs (as scan --organization): every verdict uses them.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for everything.")
@click.option("-v", "--verbose", count=True)
@guardrail_options
def audit(profile, regions, all_regions, org_role, endpoint_url, locations, lookup_events, since, config_path, rule_dirs,
          policy_format, min_window, fail_on, read_code, organization, out_dir, verbose) -> None:
    """Audit an account in one command: scan, CloudTrail usage, rules, generated policies, reports.

    Writes snapshot.json, usage.json, findings.json, policies/ and report.html,
    report.json, report.sarif and report.md into the output folder.
    """
    from pathlib import Path

    import botocore.exceptions

    from iam_analyzer import stages
    from iam_analyzer.analyze.checks.engine import SEVERITIES, RuleError
    from iam_analyzer.audit import AuditOptions, run_audit

    check_output_folder(out_dir, AUDIT_FILES, AUDIT_FOLDERS)
    clients = clients_for(profile, regions, endpoint_url, verbose)
    opt = AuditOptions(regions=list(regions), all_regions=all_regions, org_role=org_role, cloudtrail=list(locations),
                       lookup_events=lookup_events, since=parse_since(since), config=config_path, rule_dirs=list(rule_dirs),
                       policy_format=policy_format, profile=profile, min_window_days=min_window, code=read_code,
                       organization=organization, org_policies=read_guardrails())
    try:
        result = run_audit(clients, Path(out_dir), opt, say=lambda m: click.echo(f"iam-analyzer: {m}", err=True))
    except botocore.exceptions.NoCredentialsError:
        fail("no AWS credentials found: set a profile (--profile), environment variables, or SSO login")
    except botocore.exceptions.EndpointConnectionError as e:
        fail(f"cannot reach AWS: {e}")
    except RuleError as e:
        fail(str(e))
    except stages.AccountUnreachable as e:
        fail(str(e))
    _print_top(result)
    if fail_on and any(SEVERITIES.index(f.severity) <= SEVERITIES.index(fail_on) for f in result["findings"]):
        sys.exit(EXIT_FINDINGS)


@click.command()
@click.option("-o", "--output", "out_dir", default="iam-analyzer-demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 90), help="Days of CloudTrail logs to write.")
def demo(out_dir, days) -> None:
    """Audit an embedded demo account: no AWS account needed.

    Starts moto's AWS emulator on loopback inside this process, provisions a realistic
    serverless application (API Gateway -> Lambda -> DynamoDB, an S3 upload trigger, an
    EventBridge cron job, SNS, an SQS worker, a DynamoDB-stream consumer, a VPC function, a
    public function URL, a shared role, an administrator role on a function and a role that
    can redeploy it: an escalation path), writes CloudTrail logs for it into its trail bucket,
    then runs exactly the audit command's code.
    """
    import time

    from iam_analyzer.demo import DemoUnavailable, run_demo

    check_output_folder(out_dir, AUDIT_FILES, AUDIT_FOLDERS)
    start = time.perf_counter()
    try:
        result = run_demo(Path(out_dir), days, say=lambda m: click.echo(f"iam-analyzer: {m}", err=True))
    except DemoUnavailable as e:
        fail(str(e))
    _print_top(result)
    click.echo(f"Done in {time.perf_counter() - start:.0f} s. Open {result['paths']['html']} in a browser.")
