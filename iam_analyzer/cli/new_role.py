"""``new-role``: an execution role for a function before its first deploy."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

import click

from iam_analyzer.cli.common import check_output_file, write_output

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


@dataclass
class Inputs:
    problems: list[str] = field(default_factory=list)
    usable: bool = False


def build_new_role(code: list[str], template: str | None, function: str | None, intent_path: str | None,
                   account: str | None, region: str | None, partition: str = "aws",
                   params: dict | None = None, var_files: list[str] | None = None):
    """Read the inputs and build the role. Returns (NewRole or None, problems)."""
    from iam_analyzer.analyze.generate.intent import load_intent
    from iam_analyzer.analyze.generate.new_role import UNSET_ACCOUNT, UNSET_REGION, new_role
    from iam_analyzer.collect.code import read_code
    from iam_analyzer.iam.resource_params import Scope

    problems: list[str] = []
    calls = []
    usable = False
    if code:
        scan = read_code(code)
        problems.extend(scan.problems)
        calls = scan.calls
        usable = usable or bool(scan.files)
    fn = snapshot = None
    keys: dict[str, str] = {}
    logical: dict[str, str] = {}
    name = function or "new-function"
    if template:
        from iam_analyzer.collect.iac import read_paths

        res = read_paths([template], params or {}, account or UNSET_ACCOUNT, region or UNSET_REGION,
                         var_files=list(var_files or []))
        terraform_config = any(i.kind == "terraform" for i in res.inputs)
        for i in res.inputs:
            problems.extend(i.errors)
        snapshot = res.snapshot
        fns = snapshot.functions()
        if function:
            fn = next((f for f in fns if function in (f.name, f.location.logical_id if f.location else None)), None)
            if fn is None:
                problems.append(f"{template}: no function {function!r}; it has: {', '.join(sorted(f.name for f in fns)) or 'none'}")
        elif len(fns) == 1:
            fn = fns[0]
        elif fns:
            problems.append(f"{template}: {len(fns)} functions; choose one with --function "
                            f"({', '.join(sorted(f.name for f in fns))})")
        if fn is not None:
            name = fn.name
            usable = True
            if not code and fn.location and fn.location.logical_id and not terraform_config:  # the template says where its code is
                from iam_analyzer.collect.code import read_code, read_sources
                from iam_analyzer.collect.code.from_template import function_code

                paths, inline, notes = function_code(template, fn.location.logical_id)
                problems.extend(notes)
                if paths or inline:
                    scan = read_code(paths) if paths else read_sources(inline)
                    problems.extend(scan.problems)
                    calls = scan.calls
        if not terraform_config:  # CloudFormation/SAM: code locations and customer keys from the template
            from iam_analyzer.collect.iac.encryption import customer_keys, logical_arns, template_stack

            stack, notes = template_stack(template, account or UNSET_ACCOUNT, region or UNSET_REGION)
            keys, more = customer_keys(template, account or UNSET_ACCOUNT, region or UNSET_REGION, stack=stack)
            logical = logical_arns(stack)
            problems.extend(notes + more)
    intent = None
    if intent_path:
        intent = load_intent(intent_path)
        usable = usable or bool(intent.entries)
    if not usable:
        return None, problems + (intent.problems if intent is not None else [])
    role = new_role(calls, function=fn, snapshot=snapshot, intent=intent,
                    scope=Scope(partition, region, account), name=name, keys=keys, logical=logical)
    return role, problems


@click.command("new-role")
@click.option("--code", "code", multiple=True, type=click.Path(), metavar="PATH",
              help="Handler code: a file or folder of Python / JavaScript / TypeScript (repeatable).")
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

    Every AWS SDK call in the code (boto3; AWS SDK for JavaScript v2 and v3) becomes the
    IAM actions of its operation, on the resource the call names: literals, key prefixes,
    environment variables resolved through the template. --template adds what the
    function's configuration requires (logs, event sources, DLQ, destinations, VPC, X-Ray);
    --intent adds declared access. The policy is linted and verified before it is written:
    every call found is allowed on its resource and nothing else is granted. A resource
    that cannot be resolved is left as a <PLACEHOLDER> and reported with its file and line.

    Exit codes: 0 written and verified, 1 written with placeholders, lint errors or a failed
    verification, 2 nothing usable (no code, template function or intent could be read).
    """
    from iam_analyzer.emit.policy_formats import NEW_ROLE_FORMATS

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
    text = NEW_ROLE_FORMATS[fmt](role.name, role.documents) if role.documents else ""
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
