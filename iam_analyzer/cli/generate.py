"""generate: tightened policies for deployed functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iam_analyzer.cli.common import (
    EXIT_FINDINGS,
    check_output_folder,
    fail,
    iso,
    load_snapshot,
    load_usage,
    parse_since,
)


@click.command()
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
    from iam_analyzer import stages
    from iam_analyzer.analyze.generate.deployed import Options

    check_output_folder(out_dir, ("summary.json",))
    snap = load_snapshot(snapshot_path)
    usage_doc = load_usage(usage_path)
    opts = Options(unverified=unverified or "referenced", since=iso(parse_since(since)) if since else None)
    results = stages.generate(snap, usage_doc, opts, list(functions))
    if functions and not results:
        fail("no function of the snapshot matches " + ", ".join(functions))
    for r in results:
        status = "verified" if r.verification.get("ok") else "NOT VERIFIED"
        click.echo(f"{r.function.name}: {r.before} -> {r.after} actions ({r.reduction:.0f}% fewer), {status}", err=True)
    doc = stages.write_policies(results, Path(out_dir), fmt)
    click.echo(f"{out_dir}: {len(results)} function(s), average reduction {doc['average_reduction_percent']}%", err=True)
    if not doc["all_verified"]:
        sys.exit(EXIT_FINDINGS)
