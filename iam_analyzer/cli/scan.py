"""scan and inventory: the snapshot of an account."""

from __future__ import annotations

import sys

import click

from iam_analyzer.cli import params
from iam_analyzer.cli.common import (
    Progress,
    check_output_file,
    clients_for,
    echo_json,
    fail,
    load_snapshot,
)


@click.command()
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--region", "regions", multiple=True, metavar="REGION", callback=params.region,
              help="Region to scan (repeatable). Default: the profile's region, else us-east-1.")
@click.option("--all-regions", is_flag=True, help="Scan every region enabled for the account.")
@click.option("--org-role", metavar="NAME",
              help="Also scan every account of the Organization by assuming this role name in each.")
@click.option("--organization", "organization", is_flag=True,
              help="Also record the Organization's SCPs and RCPs and each account's chain root -> OUs -> account "
                   "(from the management account or a delegated administrator; read-only).")
@click.option("--endpoint-url", metavar="URL", callback=params.endpoint_url, help="Send every API call to this endpoint (e.g. a local moto server).")
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
@click.option("--access-advisor", is_flag=True,
              help="Also read IAM Access Advisor (services and actions last used, 400 days) for each execution role.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the snapshot (JSON).")
@click.option("-v", "--verbose", count=True, help="-v logs each API call; -vv adds botocore's own logs.")
def scan(profile, regions, all_regions, org_role, organization, endpoint_url, workers, no_push_sources, thorough, read_code, access_advisor, output,
         verbose) -> None:
    """Inventory Lambda functions, their roles and triggers into an offline snapshot.

    Read-only: the exact permissions needed are in docs/scanner-policy.json. Calls that
    fail (AccessDenied, throttling past retries, a service missing in a region) are recorded
    in the snapshot's coverage and the scan goes on.
    """
    import botocore.exceptions

    from iam_analyzer import stages
    from iam_analyzer.collect.aws.inventory import ScanOptions

    check_output_file(output)
    clients = clients_for(profile, regions, endpoint_url, verbose)
    opts = ScanOptions(regions=list(regions) or [clients.session.region_name or "us-east-1"], all_regions=all_regions,
                       workers=workers, push_sources=not no_push_sources, thorough=thorough,
                       access_advisor=access_advisor, code=read_code, organization=organization)
    progress = Progress(sys.stderr.isatty() and not verbose)
    try:
        snapshot = stages.scan(clients, opts, org_role=org_role, progress=progress)
    except botocore.exceptions.NoCredentialsError:
        fail("no AWS credentials found: set a profile (--profile), environment variables, or SSO login")
    except botocore.exceptions.EndpointConnectionError as e:
        fail(f"cannot reach AWS: {e}")
    except botocore.exceptions.ClientError as e:
        fail(f"scan could not start: {e}")
    finally:
        progress.close()
    problem = stages.account_problem(snapshot)
    if problem:
        fail(problem)
    snapshot.save(output)
    fns = sum(len(a.functions) for a in snapshot.accounts)
    gaps = sum(len(a.coverage) for a in snapshot.accounts)
    unsupported = sum(len(a.unsupported) for a in snapshot.accounts)
    click.echo(f"{output}: {len(snapshot.accounts)} account(s), {fns} function(s), "
               f"{clients.call_log.total} API calls, {gaps} coverage gap(s)"
               + (f", {unsupported} call(s) the endpoint does not implement" if unsupported else ""), err=True)


@click.command()
@click.option("--snapshot", "snapshot_path", required=True, type=click.Path(dir_okay=False), help="A snapshot from scan.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def inventory(snapshot_path: str, fmt: str) -> None:
    """List the functions of a snapshot with their role, triggers and granted actions."""
    from iam_analyzer.emit.inventory_view import inventory_rows

    snap = load_snapshot(snapshot_path)
    rows = inventory_rows(snap)
    if fmt == "json":
        echo_json({"functions": rows, "coverage_gaps": sum(len(a.coverage) for a in snap.accounts)})
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


