"""apply and rollback: write generated policies to an account, and restore a backup."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iam_analyzer.cli import params
from iam_analyzer.cli.common import EXIT_FINDINGS, clients_for, echo_json, fail, load_snapshot


def _aws_errors():
    import botocore.exceptions

    return (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


def _render(outcome, yes: bool, verb: str, as_json: bool) -> None:
    if as_json:
        echo_json(outcome.as_dict())
        return
    for arn, todo in outcome.planned.items():
        click.echo(f"{arn}: {len(todo)} change(s){'' if yes else ' (not written: add --yes)'}")
        for t in todo:
            click.echo(f"  {t}")
    for arn in outcome.unchanged:
        click.echo(f"{arn}: already as generated, nothing to change")
    for r in outcome.refused:
        click.echo(f"{r.role}: refused: {r.reason}")
    for n in outcome.notes:
        click.echo(f"note: {n}", err=True)
    if yes:
        click.echo(f"{len(outcome.written)} role(s) {verb}" + (f"; backup: {outcome.backup}" if outcome.backup else ""),
                   err=True)


@click.command()
@click.argument("policies_dir", type=click.Path(file_okay=False))
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False),
              help="The snapshot the policies were generated from (default: snapshot.json beside the folder, as "
                   "audit writes it).")
@click.option("--role", "roles", multiple=True, metavar="NAME", help="Only these roles (name or ARN; repeatable).")
@click.option("--yes", is_flag=True, help="Write. Without it, only print what would change (the default).")
@click.option("--backup", "backup_dir", type=click.Path(file_okay=False),
              help="Folder for the backup written before any change (default: POLICIES_DIR/backups).")
@click.option("--allow-partial", is_flag=True, help="Also apply to functions whose evidence verdict is partial.")
@click.option("--min-age", "min_age", type=click.FloatRange(min=0), default=14, show_default=True,
              help="Never touch a role younger than this many days.")
@click.option("--managed-tag", "managed_tags", multiple=True, metavar="KEY",
              help="A tag key that marks a role or function as owned by infrastructure code (repeatable; the "
                   "CloudFormation stack tags always do).")
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--endpoint-url", metavar="URL", callback=params.endpoint_url, help="Send every API call to this endpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def apply(policies_dir, snapshot_path, roles, yes, backup_dir, allow_partial, min_age, managed_tags, profile,
          endpoint_url, as_json) -> None:
    """Replace each role's policies with its generated policy, after a backup.

    Each role gets one inline policy (a customer managed policy when too large) in place of
    its inline policies and attachments; statements whose Sid starts with NOREPO and the
    permissions boundary stay. Refuses roles a stack or Terraform manages, roles changed
    since the snapshot, functions whose evidence is not sufficient, roles younger than
    --min-age. Without --yes it only prints the plan. Undo with `iam-analyzer rollback`.
    Permissions needed: docs/apply-policy.json (the scanner's stay read-only).
    """
    from iam_analyzer import stages
    from iam_analyzer.analyze.apply_plan import PlanOptions
    from iam_analyzer.apply import default_backup_dir

    folder = Path(policies_dir)
    if snapshot_path is None:
        guess = folder.parent / "snapshot.json"
        if not guess.is_file():
            fail(f"{folder}: no snapshot.json beside it: pass --snapshot (the snapshot the policies were generated from)")
        snapshot_path = str(guess)
    snap = load_snapshot(snapshot_path)
    opts = PlanOptions(roles=tuple(roles), allow_partial=allow_partial, min_age_days=min_age,
                              managed_tags=tuple(managed_tags))
    try:
        the_plan, notes = stages.apply_plan(snap, folder, opts)
    except stages.ApplyError as e:
        fail(str(e))
    for n in notes:
        click.echo(f"note: {n}", err=True)
    clients = clients_for(profile, (), endpoint_url)
    say = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
    try:
        outcome = stages.apply(clients, the_plan, Path(backup_dir) if backup_dir else default_backup_dir(folder),
                               yes, say)
    except stages.ApplyError as e:
        fail(str(e))
    except stages.ApplyInterrupted as e:
        _render(e.outcome, yes, "written", as_json)
        click.echo(f"iam-analyzer: {e}", err=True)
        sys.exit(EXIT_FINDINGS)
    except _aws_errors() as e:
        fail(f"cannot read or write IAM: {e}")
    _render(outcome, yes, "written", as_json)
    if outcome.refused or outcome.notes or (yes and len(outcome.written) < len(outcome.planned)):
        sys.exit(EXIT_FINDINGS)


@click.command()
@click.argument("backup", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Write. Without it, only print what would be restored (the default).")
@click.option("--profile", help="AWS profile (default: the standard credential chain).")
@click.option("--endpoint-url", metavar="URL", callback=params.endpoint_url, help="Send every API call to this endpoint.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def rollback(backup, yes, profile, endpoint_url, as_json) -> None:
    """Restore every role of a backup written by apply: the same inline documents (byte for
    byte), attachments and boundary; the policies apply created are deleted. Without --yes it
    only prints what it would restore."""
    from iam_analyzer import stages

    clients = clients_for(profile, (), endpoint_url)
    say = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
    try:
        outcome = stages.rollback(clients, Path(backup), yes, say)
    except stages.ApplyError as e:
        fail(str(e))
    except _aws_errors() as e:
        fail(f"cannot read or write IAM: {e}")
    _render(outcome, yes, "restored", as_json)
    if outcome.refused or outcome.notes:
        sys.exit(EXIT_FINDINGS)
