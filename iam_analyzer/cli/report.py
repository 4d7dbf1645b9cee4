"""report: render the reports from files (a snapshot or GAAD file, usage, findings, policies),
offline, through the same stage audit and demo use."""

from __future__ import annotations

from pathlib import Path

import click

from iam_analyzer.cli.common import fail, guardrail_options, load_model, load_usage, model_options


def _formats(text: str) -> list[str]:
    from iam_analyzer.stages import REPORT_FILES

    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in REPORT_FILES]
    if unknown or not wanted:
        raise click.BadParameter(f"{', '.join(unknown) or '(none)'}: choose from {', '.join(REPORT_FILES)}",
                                 param_hint="--format")
    return list(dict.fromkeys(wanted))


@click.command("report")
@model_options
@guardrail_options
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False), help="Usage JSON from 'iam-analyzer usage'.")
@click.option("--findings", "findings_path", type=click.Path(dir_okay=False),
              help="Findings JSON from 'analyze -o' or audit (default: run the rule pack now).")
@click.option("--policies", "policies_dir", type=click.Path(file_okay=False),
              help="Policies folder from 'generate -o' or audit (default: generate them now from the snapshot and usage).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Rule configuration (without --findings).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule folders (without --findings).")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the reports.")
@click.option("--format", "formats", default="html,json,sarif,md", show_default=True, help="Comma-separated report formats.")
def report(snapshot_path, gaad_path, usage_path, findings_path, policies_dir, config_path, rule_dirs, out_dir, formats) -> None:
    """Render the reports from files, offline: no AWS account or credentials needed.

    \b
    iam-analyzer report --snapshot snapshot.json --usage usage.json --findings findings.json \\
        --policies policies/ -o review/
    iam-analyzer report --gaad gaad.json -o review/     roles, escalations and findings
    """
    from iam_analyzer import stages
    from iam_analyzer.analyze.checks.engine import RuleError
    from iam_analyzer.emit.inputs import load_findings, load_policies

    wanted = _formats(formats)
    snap = load_model(snapshot_path, gaad_path)
    usage_doc = load_usage(usage_path)
    if findings_path:
        try:
            doc = load_findings(findings_path)
            analysis = stages.analysis_from_document(doc, findings_path)
        except ValueError as e:  # InputError too: the file and the place
            fail(str(e))
    else:
        try:
            analysis = stages.analyze(snap, usage_doc, rule_dirs, config_path)
        except RuleError as e:
            fail(str(e))
    problems = [n for n in analysis.notes if n.startswith("skipped: ")] if findings_path else []
    if policies_dir:
        try:
            results, skipped = load_policies(Path(policies_dir), snap)
        except ValueError as e:
            fail(str(e))
        problems += skipped
        analysis.notes = list(analysis.notes) + skipped + [f"Generated policies read from {policies_dir}."]
    else:
        results = stages.generate(snap, usage_doc) if snap.functions() else []
        if results:
            analysis.notes = list(analysis.notes) + ["Generated policies made now from the snapshot and usage given."]
    for n in problems:
        click.echo(f"iam-analyzer: {n}", err=True)
    paths = stages.report(snap, usage_doc, analysis, results, Path(out_dir), wanted)
    for fmt in wanted:
        click.echo(f"{fmt}: {paths[fmt]}")
    click.echo(f"{len(analysis.reported)} finding(s), {len(snap.functions())} function(s), "
               f"{sum(len(a.roles) for a in snap.accounts)} role(s)", err=True)
