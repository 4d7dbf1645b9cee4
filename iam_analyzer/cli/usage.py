"""usage: what each role and function really did, from CloudTrail."""

from __future__ import annotations

import json
import sys

import click

from iam_analyzer.cli import params
from iam_analyzer.cli.common import (
    Progress,
    check_output_file,
    clients_for,
    fail,
    load_snapshot,
    parse_since,
    setup_logging,
    write_output,
)


@click.command()
@click.option("--cloudtrail", "locations", multiple=True, metavar="PATH_OR_S3_URL",
              help="A folder or file of CloudTrail logs, or s3://bucket/prefix (repeatable). Files may also "
                   "hold a JSON array of records, JSON Lines, or lookup-events output.")
@click.option("--lookup-events", is_flag=True, help="Also read management events from the CloudTrail LookupEvents API.")
@click.option("--since", default="90d", show_default=True, callback=params.since, help="Start of the window: 90d, 12h, 2w, or a date.")
@click.option("--until", default=None, callback=params.since, help="End of the window (default: now).")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False),
              help="A snapshot from scan: attributes each Lambda role session to its function.")
@click.option("--profile", help="AWS profile for S3 and LookupEvents.")
@click.option("--region", "regions", multiple=True, callback=params.region, help="Region(s) for LookupEvents and the S3 client (repeatable).")
@click.option("--endpoint-url", metavar="URL", callback=params.endpoint_url, help="Send AWS calls to this endpoint (e.g. a local moto server).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default: one per core).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), help="Where to write usage JSON.")
@click.option("-v", "--verbose", count=True, help="Log each skipped file and each API call.")
@click.option("--engine", type=click.Choice(["files", "duckdb"]), default="files", show_default=True,
              help="How local --cloudtrail folders are aggregated: the built-in reader, or the project's SQL on DuckDB.")
@click.option("--athena", metavar="DATABASE.TABLE", help="Aggregate in Athena over this CloudTrail table (docs/organisation.md).")
@click.option("--athena-workgroup", metavar="WG", help="Athena workgroup (default: primary).")
@click.option("--athena-output", metavar="S3_URL", help="Where Athena writes results (when the workgroup sets none).")
@click.option("--cloudtrail-lake", "lake", metavar="EVENT_DATA_STORE_ID", help="Aggregate in this CloudTrail Lake event data store.")
@click.option("--max-scan-gb", type=click.FloatRange(min=0), default=None,
              help="Stop (or do not start) a SQL query that scans more than this many GB.")
@click.option("--account", "accounts", multiple=True, metavar="ACCOUNT_ID",
              help="Only events of this account (repeatable; SQL engines filter in the query).")
@click.option("--event-region", "event_regions", multiple=True, metavar="REGION",
              help="Only events of this region (repeatable; SQL engines filter in the query).")
def usage(locations, lookup_events, since, until, snapshot_path, profile, regions, endpoint_url, workers, output, verbose,
          engine, athena, athena_workgroup, athena_output, lake, max_scan_gb, accounts, event_regions) -> None:
    """Learn from CloudTrail which actions each role and function really used, on what.

    Reads CloudTrail log files from folders or S3 (only the date folders inside the window)
    and/or the LookupEvents API. A corrupt or truncated file is reported and skipped; the
    rest is processed. Exit code 0 (with a warning when files were skipped), or 2 when
    nothing could be read.
    """
    import botocore.exceptions

    from iam_analyzer import stages
    from iam_analyzer.collect.aws.athena import QueryFailed
    from iam_analyzer.collect.cloudtrail.sql import GB, ScanLimitExceeded

    setup_logging(verbose)
    sql_source = athena or lake
    if athena and lake:
        raise click.UsageError("give --athena or --cloudtrail-lake, not both")
    if sql_source and (locations or lookup_events):
        raise click.UsageError("--athena and --cloudtrail-lake aggregate the whole trail: give no --cloudtrail or --lookup-events")
    if not locations and not lookup_events and not sql_source:
        raise click.UsageError("give at least one --cloudtrail location, --lookup-events, --athena or --cloudtrail-lake")
    if (accounts or event_regions) and engine == "files" and not sql_source:
        raise click.UsageError("--account and --event-region filter in SQL: use them with --engine duckdb, --athena "
                               "or --cloudtrail-lake")
    if engine == "duckdb" and any(loc.startswith("s3://") for loc in locations):
        raise click.UsageError("--engine duckdb reads local folders; for logs in S3 use --athena")
    if engine == "duckdb":
        try:
            import duckdb  # noqa: F401
        except ImportError:
            fail("--engine duckdb needs DuckDB: pip install 'iam-analyzer[sql]'")
    check_output_file(output)
    request = stages.UsageRequest(locations=list(locations), lookup_events=lookup_events, since=parse_since(since),
                                  until=parse_since(until) if until else None, regions=list(regions),
                                  profile=profile, workers=workers, engine=engine, athena=athena,
                                  athena_workgroup=athena_workgroup, athena_output=athena_output, lake=lake,
                                  max_scan_bytes=int(max_scan_gb * GB) if max_scan_gb is not None else None,
                                  accounts=tuple(accounts), event_regions=tuple(event_regions))
    try:
        request.sql_filters()
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    snap = load_snapshot(snapshot_path) if snapshot_path else None
    clients = None
    if any(loc.startswith("s3://") for loc in locations) or lookup_events or sql_source:
        clients = clients_for(profile, regions, endpoint_url, verbose)
    progress = Progress(sys.stderr.isatty() and not verbose)
    say = lambda m: click.echo(f"iam-analyzer: {m}", err=True)  # noqa: E731
    try:
        run = stages.usage(request, clients, snap, progress=lambda i, n: progress("files", i, n), say=say)
    except KeyboardInterrupt:
        progress.close()
        click.echo("iam-analyzer: interrupted: the query was stopped", err=True)
        sys.exit(130)
    except (FileNotFoundError, ValueError, ScanLimitExceeded, QueryFailed) as e:
        fail(str(e))
    except botocore.exceptions.NoCredentialsError:
        fail("no AWS credentials found for S3, LookupEvents, Athena or CloudTrail Lake")
    except botocore.exceptions.ClientError as e:
        fail(f"{'Athena' if athena else 'CloudTrail Lake' if lake else 'cannot list CloudTrail logs'}: {e}")
    finally:
        progress.close()
    doc = run.document
    for item in doc["files"]["skipped"]:
        click.echo(f"iam-analyzer: warning: skipped {item['path']}: {item['reason']}", err=True)
    if run.fatal:
        fail(run.messages[0])
    for m in run.messages:
        click.echo(f"iam-analyzer: warning: {m}", err=True)
    for item in doc["files"].get("skipped_records", []):
        click.echo(f"iam-analyzer: warning: {item['path']}: {item['count']} record(s) skipped, "
                   f"the rest read: {item['reason']}", err=True)
    write_output(output, json.dumps(doc, indent=1, sort_keys=False) + "\n")
    ev = doc["events"]
    click.echo(f"{output}: {run.files_read} file(s), {ev['total']} event(s), {ev['attributed']} attributed, "
               f"{len(doc['principals'])} principal session(s), {ev['unmapped']} unmapped, "
               f"{len(doc['files']['skipped'])} skipped", err=True)
