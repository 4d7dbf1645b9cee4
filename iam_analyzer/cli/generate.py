"""generate: tightened policies for deployed functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iam_analyzer.cli.common import (
    EXIT_FINDINGS,
    check_output_file,
    check_output_folder,
    fail,
    guardrail_options,
    iso,
    load_snapshot,
    load_usage,
    parse_since,
)
from iam_analyzer.emit.policy_formats import FORMATS
from iam_analyzer.outputs import OutputError


@click.command()
@click.option("--snapshot", "snapshot_path", required=True, type=click.Path(dir_okay=False), help="A snapshot from scan.")
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False),
              help="Usage JSON from the usage command (required: without evidence nothing is tightened).")
@click.option("--function", "functions", multiple=True, metavar="NAME", help="Only these functions (name or ARN; repeatable).")
@click.option("--since", default=None, help="Ignore usage last seen before this (90d, 2w, or a date).")
@click.option("--min-window", "min_window", type=click.FloatRange(min=0), default=14, show_default=True,
              help="Days of evidence a function needs before anything is dropped as unused.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="json", show_default=True,
              help="json documents, a CloudFormation Policies fragment for the role, Terraform aws_iam_role_policy, or a "
                   "SAM function's Policies block.")
@click.option("--keep-unverified", "unverified", flag_value="keep",
              help="Keep every grant CloudTrail could not have shown, unnarrowed (data events off, never-logged actions).")
@click.option("--drop-unverified", "unverified", flag_value="drop",
              help="Drop them all, even without proof they are unused (may break functions).")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the policies.")
@click.option("--template", "template", type=click.Path(exists=True),
              help="A CloudFormation/SAM template or a folder of them (and .tf files): write each tightened "
                   "function's policy into the template that declares it, each patch checked by the CI gate.")
@click.option("--patch", "patch_file", type=click.Path(dir_okay=False),
              help="With --template: write one unified diff (for git apply) instead of changing the templates.")
@guardrail_options
def generate(snapshot_path, usage_path, functions, since, min_window, fmt, unverified, out_dir, template,
             patch_file) -> None:
    """Write a least-privilege policy per function, with the evidence for every permission.

    Tightens a function only when the usage is evidence enough (its account and region read,
    a window of at least --min-window days and two runs of its schedule, its role's last use
    seen). Drops only what the evidence proves unused; keeps what it was seen using, what its
    configuration requires, and everything CloudTrail could not have shown (narrowed to the
    resources its configuration names). Never grants what the role does not grant today.
    A grant the organization's SCPs/RCPs (--scp, --rcp, or scan --organization) deny on every
    resource it covers is dropped as denied-by-scp: it can never be used.
    Each policy is verified before it is written. Writes one policy file and one
    .explain.json per function, a policy per shared role, and summary.json.
    """
    from iam_analyzer import stages
    from iam_analyzer.analyze.generate.deployed import Options
    from iam_analyzer.emit.policy_files import summary_lines

    check_output_folder(out_dir, ("summary.json",))
    if patch_file and not template:
        fail("--patch needs --template (the template or folder the diff is made against)")
    if patch_file:
        check_output_file(patch_file)
    snap = load_snapshot(snapshot_path)
    if not usage_path:
        fail("generate needs --usage (from `iam-analyzer usage`): without CloudTrail evidence no permission "
             "can be shown unused, so no policy can be tightened safely")
    usage_doc = load_usage(usage_path)
    opts = Options(unverified=unverified or "referenced", since=iso(parse_since(since)) if since else None,
                   min_window_days=min_window)
    results = stages.generate(snap, usage_doc, opts, list(functions))
    if functions and not results:
        fail("no function of the snapshot matches " + ", ".join(functions))
    doc = stages.write_policies(results, Path(out_dir), fmt)
    for line in summary_lines(doc):
        click.echo(line, err=True)
    if template:
        outcome = stages.patch_templates(results, snap, Path(template))
        for p in outcome.patched:
            click.echo(f"{p['function']}: patched in {p['template']} ({p['how']})", err=True)
        for p in outcome.refused:
            click.echo(f"{p['function']}: no patch: {p['reason']}", err=True)
        for n in outcome.notes:
            click.echo(f"note: {n}", err=True)
        try:
            written = stages.write_patches(outcome, patch_file, Path(out_dir))
        except OutputError as e:
            fail(str(e))
        for w in written:
            click.echo(f"wrote {w}", err=True)
        if outcome.failed_gate:
            click.echo(f"{len(outcome.failed_gate)} patch(es) failed the gate and were not written", err=True)
            sys.exit(EXIT_FINDINGS)
    if not doc["all_verified"]:
        sys.exit(EXIT_FINDINGS)
