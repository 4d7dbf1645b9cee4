"""analyze and rules: the rule pack."""

from __future__ import annotations

import json
import sys

import click

from iam_analyzer.cli.common import (
    EXIT_FINDINGS,
    check_output_file,
    echo_json,
    fail,
    guardrail_options,
    load_model,
    load_usage,
    model_options,
    write_output,
)


@click.command()
@model_options
@guardrail_options
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False), help="Usage JSON: enables the unused/denied rules.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration (default: .iam-analyzer.yaml in the current folder, if present).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Add a folder of your own rules.")
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low", "info"]), default=None,
              help="Exit 1 when a finding is at or above this severity.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write findings JSON here.")
def analyze(snapshot_path, gaad_path, usage_path, config_path, rule_dirs, fail_on, output) -> None:
    """Run the rule pack over a snapshot (or GAAD file) and report findings."""
    from iam_analyzer import stages
    from iam_analyzer.analyze.checks.engine import SEVERITIES, RuleError

    check_output_file(output)
    snap = load_model(snapshot_path, gaad_path)
    usage_doc = load_usage(usage_path)
    try:
        result = stages.analyze(snap, usage_doc, rule_dirs, config_path)
    except RuleError as e:
        fail(str(e))
    doc = result.document({"snapshot": snapshot_path, "gaad": gaad_path, "usage": usage_path})
    if output:
        write_output(output, json.dumps(doc, indent=1) + "\n")
    for f in result.reported:
        click.echo(f"{f.severity:<8} {f.rule_id}  {f.subject}: {f.message}")
    for n in result.notes:
        click.echo(f"iam-analyzer: note: {n}", err=True)
    click.echo(f"{len(result.reported)} finding(s), {len(result.suppressed)} suppressed", err=True)
    if fail_on and any(SEVERITIES.index(f.severity) <= SEVERITIES.index(fail_on) for f in result.reported):
        sys.exit(EXIT_FINDINGS)


@click.group("rules")
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
        fail(str(e))
    if fmt == "json":
        echo_json([{"id": r.id, "title": r.title, "severity": r.severity, "category": r.category,
                     "enabled": r.enabled} for r in rules.values()])
        return
    for r in rules.values():
        click.echo(f"{r.id}  {r.severity:<8} {r.category:<28} {'on ' if r.enabled else 'off'} {r.title}")


@rules_group.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False))
def rules_show(rule_id, rule_dirs) -> None:
    """A rule's documentation: what, why, example, fix."""
    from iam_analyzer.analyze.checks.engine import RuleError, load_rules
    from iam_analyzer.emit.rules_docs import page

    try:
        rules = load_rules(rule_dirs)
    except RuleError as e:
        fail(str(e))
    rule = rules.get(rule_id.upper())
    if rule is None:
        fail(f"no rule {rule_id!r}; see 'iam-analyzer rules list'")
    click.echo(page(rule))


