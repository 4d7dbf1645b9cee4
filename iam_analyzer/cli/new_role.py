"""``new-role``: an execution role for a function before its first deploy."""

from __future__ import annotations

import json
import sys

import click

from iam_analyzer.cli.common import check_output_file, write_output

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def build_new_role(code: list[str], template: str | None, function: str | None, intent_path: str | None,
                   account: str | None, region: str | None, partition: str = "aws",
                   params: dict | None = None, var_files: list[str] | None = None):
    """Read the inputs and build the role (``stages.new_role``). Returns (NewRole or None, problems)."""
    from iam_analyzer import stages

    return stages.new_role(stages.NewRoleRequest(list(code), template, function, intent_path, account, region, partition,
                                                 dict(params or {}), list(var_files or [])))


@click.command("new-role")
@click.option("--code", "code", multiple=True, type=click.Path(), metavar="PATH",
              help="Handler code: a file or folder of Python / JavaScript / TypeScript (repeatable). With a "
                   "template function, only what its Handler runs in a folder is read; without, every file.")
@click.option("--template", type=click.Path(), help="The function's SAM or CloudFormation template, its serverless.yml, "
              "a Terraform plan, or Terraform configuration (a .tf file or its folder).")
@click.option("--function", "function", metavar="NAME", help="The function in the template (name, logical id, or serverless.yml function key).")
@click.option("--intent", "intent_path", type=click.Path(dir_okay=False), help="A YAML intent file (reads, writes, invokes, publishes, consumes).")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE",
              help="A template parameter or Terraform variable for --template; repeatable.")
@click.option("--var-file", "var_files", multiple=True, type=click.Path(dir_okay=False),
              help="A Terraform variables file (.tfvars) for --template; repeatable.")
@click.option("--account", metavar="ID", help="Account id for the ARNs (else <ACCOUNT_ID>, filled by CloudFormation/SAM/Terraform).")
@click.option("--region", metavar="R", help="Region for the ARNs (else <REGION>).")
@click.option("--format", "fmt", type=click.Choice(["json", "cloudformation", "terraform", "sam"]), default="json", show_default=True)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Write the policy here (default: standard output).")
@click.option("--explain", "explain", type=click.Path(dir_okay=False), help="Write every statement's evidence here (JSON).")
def new_role_command(code, template, function, intent_path, param_values, var_files, account, region, fmt, output,
                     explain) -> None:
    """Write the execution role's policy for a new function, from its code, template and intent.

    Every AWS SDK call in the code (boto3; AWS SDK for JavaScript v2 and v3; Powertools for
    AWS Lambda) becomes the IAM actions of its operation, on the resource the call names:
    literals, key prefixes, environment variables resolved through the template. With a
    template function, only its own handler counts: the Handler's file, the local files it
    imports (tsconfig paths too) and the functions it can reach, even in a shared CodeUri.
    CloudFormation and SAM output refer to the template's resources by Ref / GetAtt. --template adds what the
    function's configuration requires (logs, event sources, DLQ, destinations, VPC, X-Ray);
    --intent adds declared access. The policy is linted and verified before it is written:
    every call found is allowed on its resource and nothing else is granted. A resource
    that cannot be resolved is left as a <PLACEHOLDER> and reported with its file and line.

    Exit codes: 0 written and verified, 1 written with placeholders, lint errors or a failed
    verification, 2 nothing usable (no code, template function or intent could be read).
    """
    if account is not None and not (account.isdigit() and len(account) == 12):
        raise click.BadParameter("want a 12-digit account id", param_hint="--account")
    if not (code or template or intent_path):
        raise click.UsageError("give at least one of --code, --template or --intent")
    check_output_file(output)  # before the work: a missing folder or /proc/... is exit 2 now
    check_output_file(explain)
    from iam_analyzer.cli.check import _params

    role, problems = build_new_role(list(code), template, function, intent_path, account, region,
                                    params=_params(param_values), var_files=list(var_files))
    for p in problems:
        click.echo(f"iam-analyzer: {p}", err=True)
    if role is None:
        click.echo("iam-analyzer: nothing usable to build a role from", err=True)
        sys.exit(EXIT_UNUSABLE)
    for w in role.warnings:
        click.echo(f"iam-analyzer: warning: {w}", err=True)
    from iam_analyzer.emit.policy_formats import new_role_output

    text = new_role_output(role, fmt)
    if output:
        write_output(output, text)
    elif text:
        click.echo(text, nl=False)
    if explain:
        write_output(explain, json.dumps(role.explanation(), indent=1) + "\n")
    v = role.verification
    status = "verified" if v.get("ok") else "NOT VERIFIED"
    unresolved = role.unresolved(fmt)
    actions = len({g.action for g in role.grants})
    click.echo(f"{role.name}: {role.calls} call(s), {actions} action(s) in {sum(len(d['Statement']) for d in role.documents)} "
               f"statement(s), {status}; {len(unresolved)} unresolved resource(s), "
               f"{sum(1 for f in role.lint if f['severity'] == 'error')} lint error(s)", err=True)
    pseudo = [p for p in ("<ACCOUNT_ID>", "<REGION>") if p in text]
    if fmt == "json" and pseudo:
        click.echo(f"iam-analyzer: warning: the policy holds {' and '.join(pseudo)}: give --account/--region, "
                   "or use --format cloudformation, sam or terraform, which fill them in", err=True)
    if not role.documents:
        click.echo("iam-analyzer: no permission found: the code makes no SDK call this tool recognises", err=True)
    sys.exit(EXIT_OK if role.ok and role.documents and not unresolved and not (fmt == "json" and pseudo) else EXIT_FINDINGS)
