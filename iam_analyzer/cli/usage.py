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
def usage(locations, lookup_events, since, until, snapshot_path, profile, regions, endpoint_url, workers, output, verbose) -> None:
    """Learn from CloudTrail which actions each role and function really used, on what.

    Reads CloudTrail log files from folders or S3 (only the date folders inside the window)
    and/or the LookupEvents API. A corrupt or truncated file is reported and skipped; the
    rest is processed. Exit code 0 (with a warning when files were skipped), or 2 when
    nothing could be read.
    """
    import botocore.exceptions

    from iam_analyzer import stages

    setup_logging(verbose)
    if not locations and not lookup_events:
        raise click.UsageError("give at least one --cloudtrail location or --lookup-events")
    check_output_file(output)
    request = stages.UsageRequest(locations=list(locations), lookup_events=lookup_events, since=parse_since(since),
                                  until=parse_since(until) if until else None, regions=list(regions),
                                  profile=profile, workers=workers)
    snap = load_snapshot(snapshot_path) if snapshot_path else None
    clients = None
    if any(loc.startswith("s3://") for loc in locations) or lookup_events:
        clients = clients_for(profile, regions, endpoint_url, verbose)
    progress = Progress(sys.stderr.isatty() and not verbose)
    try:
        run = stages.usage(request, clients, snap, progress=lambda i, n: progress("files", i, n))
    except (FileNotFoundError, ValueError) as e:
        fail(str(e))
    except botocore.exceptions.NoCredentialsError:
        fail("no AWS credentials found for S3 or LookupEvents")
    except botocore.exceptions.ClientError as e:
        fail(f"cannot list CloudTrail logs: {e}")
    finally:
        progress.close()
    doc = run.document
    for item in doc["files"]["skipped"]:
        click.echo(f"iam-analyzer: warning: skipped {item['path']}: {item['reason']}", err=True)
    if run.files_read == 0 and run.units:
        fail("no CloudTrail file could be read")
    if not run.units:
        click.echo("iam-analyzer: warning: no CloudTrail files in the window", err=True)
    for item in doc["files"].get("skipped_records", []):
        click.echo(f"iam-analyzer: warning: {item['path']}: {item['count']} record(s) skipped, "
                   f"the rest read: {item['reason']}", err=True)
    write_output(output, json.dumps(doc, indent=1, sort_keys=False) + "\n")
    ev = doc["events"]
    click.echo(f"{output}: {run.files_read} file(s), {ev['total']} event(s), {ev['attributed']} attributed, "
               f"{len(doc['principals'])} principal session(s), {ev['unmapped']} unmapped, "
               f"{len(doc['files']['skipped'])} skipped", err=True)
