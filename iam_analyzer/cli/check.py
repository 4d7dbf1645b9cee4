"""check: the CI gate over templates and plans (issue #13)."""

from __future__ import annotations

import sys

import click

from iam_analyzer.cli.common import (
    EXIT_FINDINGS, EXIT_OK, check_output_file, fail, guardrail_options, load_snapshot, load_usage, read_guardrails,
    write_output,
)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{v!r}: use KEY=VALUE", param_hint="--param")
        out[key] = value
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--base", help="What the change is compared with: a folder, a file, or a git ref (read with "
              "git archive; the working tree is never touched).")
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False),
              help="Usage JSON from the deployed account: removed permissions that were used block the change.")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False),
              help="A snapshot of the deployed account: documents of customer-managed policies the templates attach.")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE",
              help="A template parameter (CloudFormation/SAM), a Serverless Framework opt/param/env value "
                   "(stage=prod) or a Terraform variable (-var); repeatable.")
@click.option("--var-file", "var_files", multiple=True, type=click.Path(dir_okay=False),
              help="A Terraform variables file (.tfvars or .tfvars.json), as terraform -var-file; repeatable.")
@click.option("--account", default="123456789012", show_default=True, help="Account id for AWS::AccountId and ARNs.")
@click.option("--region", default="us-east-1", show_default=True, help="Region for AWS::Region and ARNs.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "markdown"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the output here.")
@click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low", "info"]), default="high",
              show_default=True, help="Block (exit 1) on a finding at or above this severity.")
@click.option("--fail-on-new-access", is_flag=True, help="Block (exit 1) when any role gains access against --base.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration and suppressions (default: .iam-analyzer.yaml in the current folder).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Add a folder of your own rules.")
@click.option("--stack-name", help="The stack the templates deploy as (names built from AWS::StackName). Default: "
              "stack_name in samconfig.toml/yaml next to the template, else a name from its path in the repository.")
@click.option("--config-env", default="default", show_default=True,
              help="The samconfig environment whose stack_name and parameter_overrides are read.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Findings recorded with --write-baseline: reported apart (\"baseline\": true), never blocking.")
@click.option("--write-baseline", "write_baseline", type=click.Path(dir_okay=False, writable=True),
              help="Record today's findings (by fingerprint) in this file, to adopt the gate on an existing repository.")
@click.option("--skip-unrecognised", is_flag=True,
              help="Skip files that are not templates or plans instead of reporting them (for pre-commit).")
@guardrail_options
def check(paths, base, usage_path, snapshot_path, param_values, var_files, account, region, fmt, output, fail_on,
          fail_on_new_access, config_path, rule_dirs, stack_name, config_env, baseline_path, write_baseline,
          skip_unrecognised) -> None:
    """Judge the IAM of CloudFormation, SAM, CDK output, Serverless services, Terraform plans and configuration before they ship.

    PATH is a template, a serverless.yml, a plan (terraform show -json), a cdk.out folder, a
    folder of .tf files (a Terraform module), or a folder of them.
    With --base, only what the change adds is reported: new access per role, new findings,
    and, with --usage, permissions it removes that a function used in production.
    With --scp/--rcp (or a --snapshot from scan --organization), new access the
    organization's guardrails deny is listed apart and does not count for --fail-on-new-access.

    Exit codes: 0 pass, 1 blocked, 2 the input cannot be used.
    """
    from iam_analyzer import stages
    from iam_analyzer.analyze.checks.engine import RuleError
    from iam_analyzer.emit import check_report

    check_output_file(output)  # before the work: a missing folder is exit 2 now, not after the run
    check_output_file(write_baseline)
    paths = list(paths)
    if skip_unrecognised:
        paths = stages.template_like(paths)
        if not paths:
            click.echo("iam-analyzer: no template or plan among the files given: nothing to check", err=True)
            sys.exit(EXIT_OK)
    req = stages.CheckRequest(
        paths=paths, base=base, usage=load_usage(usage_path),
        snapshot=load_snapshot(snapshot_path, guardrails=False) if snapshot_path else None, params=_params(param_values),
        var_files=tuple(var_files),
        account=account, region=region, config_path=config_path, rule_dirs=tuple(rule_dirs), cwd=".",
        stack_name=stack_name, config_env=config_env, org_policies=read_guardrails())
    if baseline_path:
        try:
            req.baseline = stages.read_baseline(baseline_path)
        except ValueError as e:
            fail(str(e))
    try:
        result = stages.check(req)
    except stages.CheckInputError as e:
        fail(str(e))
    except RuleError as e:
        fail(str(e))
    for i in result.head.inputs:
        for e in i.errors:
            click.echo(f"iam-analyzer: {e}", err=True)
    for n in result.notes:
        click.echo(f"iam-analyzer: note: {n}", err=True)
    doc = check_report.document(result, fail_on, fail_on_new_access)
    if write_baseline:
        try:
            stages.write_baseline(write_baseline, result)
        except OSError as e:
            fail(f"{write_baseline}: cannot write the baseline: {e.strerror or e}")
        click.echo(f"iam-analyzer: {len(result.findings)} finding(s) recorded in {write_baseline}", err=True)
    text = check_report.render(fmt, doc)
    if output:
        write_output(output, text)
        if fmt != "text":
            click.echo(check_report.to_text(doc).splitlines()[-1], err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_FINDINGS if doc["verdict"]["reasons"] else EXIT_OK)
