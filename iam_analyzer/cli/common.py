"""What every command shares: exit codes, failing cleanly, loading inputs, AWS clients, progress."""

from __future__ import annotations

import json
import sys

import click

from iam_analyzer.inputs import InputError, load_json, validate
from iam_analyzer.outputs import OutputError, check_file, check_folder, write_text

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


class Progress:
    """A one-line progress display on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        line = f"\r{stage}: {done}/{total}"
        if line != self._last:
            click.echo(line.ljust(60), nl=False, err=True)
            self._last = line

    def close(self) -> None:
        if self.enabled and self._last:
            click.echo("", err=True)


def setup_logging(verbose: int) -> None:
    import logging

    level = logging.DEBUG if verbose >= 1 else logging.WARNING
    logging.basicConfig(level=level, format="iam-analyzer: %(levelname)s %(message)s", stream=sys.stderr)
    from iam_analyzer.redact import install

    for handler in logging.getLogger().handlers:  # -vv prints botocore's responses: never their secrets
        install(handler)
    if verbose < 2:
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def clients_for(profile, regions, endpoint_url, verbose: int = 0):
    """Logging, a boto3 session from the standard chain (or a profile), and clients for it."""
    from iam_analyzer.collect.aws.session import Clients, UsageError, make_session

    setup_logging(verbose)
    try:
        session = make_session(profile, regions[0] if regions else None)
    except UsageError as e:
        fail(str(e))
    return Clients(session, endpoint_url=endpoint_url)


def fail(message: str) -> None:
    click.echo(f"iam-analyzer: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def load_snapshot(path: str, guardrails: bool = True):
    """A snapshot, validated at the door (iam_analyzer/schemas/snapshot.schema.json); with the
    command's --scp/--rcp files applied unless ``guardrails`` is False."""
    from iam_analyzer.model import Snapshot, SnapshotError

    try:
        snap = Snapshot.load(path)
        return _with_guardrails(snap) if guardrails else snap
    except (SnapshotError, InputError) as e:
        fail(str(e))


_GUARDRAILS = "iam_analyzer.guardrails"


def guardrail_options(f):
    """--scp FILE / --rcp FILE (repeatable): the organization's policies, applied to every
    principal of the account(s) read by load_model/load_snapshot of the same command."""
    import functools

    f = click.option("--rcp", "rcp_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
                     help="A resource control policy (document or describe-policy JSON) in force on the "
                          "account(s) read (repeatable).")(f)
    f = click.option("--scp", "scp_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
                     help="A service control policy (document or describe-policy JSON) attached to the "
                          "account(s) read (repeatable; deny-list files are read beside FullAWSAccess).")(f)

    @functools.wraps(f)
    def wrapper(*args, scp_files=(), rcp_files=(), **kwargs):
        click.get_current_context().meta[_GUARDRAILS] = (tuple(scp_files), tuple(rcp_files))
        return f(*args, **kwargs)

    return wrapper


def guardrail_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_GUARDRAILS, ((), ())) if ctx else ((), ())


def read_guardrails():
    """(policies, facts) of this command's --scp/--rcp files; each unusable file is said once."""
    from iam_analyzer import stages

    scp, rcp = guardrail_files()
    policies, messages, facts = stages.read_guardrails(scp, rcp)
    for m in messages:
        click.echo(f"iam-analyzer: {m}", err=True)
    return policies, facts


def _with_guardrails(snapshot):
    scp, rcp = guardrail_files()
    if scp or rcp:
        from iam_analyzer import stages

        policies, facts = read_guardrails()
        stages.apply_guardrails(snapshot, policies, facts)
    return snapshot


def parse_since(text: str, now=None):
    """'90d', '12h', '2w' or an ISO date/time -> an aware UTC datetime."""
    import re
    from datetime import datetime, timedelta, timezone

    now = now or datetime.now(timezone.utc)
    m = re.fullmatch(r"(\d{1,9})([dhw])", text.strip())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        try:
            return now - {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[unit]
        except OverflowError:
            raise click.BadParameter(f"{text!r} reaches before the year 1; use a shorter duration or a date") from None
    try:
        d = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{text!r}: use a duration such as 90d, 12h, 2w, or a date such as 2024-05-01") from None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def iso(d) -> str:
    return d.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_model(snapshot_path: str | None, gaad_path: str | None):

    if bool(snapshot_path) == bool(gaad_path):
        raise click.UsageError("give exactly one of --snapshot or --gaad")
    if snapshot_path:
        return load_snapshot(snapshot_path)
    from iam_analyzer.analyze.graph.gaad import snapshot_from_gaad

    try:
        doc = load_json(gaad_path, "gaad", "gaad")
    except InputError as e:
        fail(str(e))
    try:
        return _with_guardrails(snapshot_from_gaad(doc))
    except RecursionError:
        fail(f"{gaad_path}: a policy document nested too deeply")
    except (ValueError, KeyError, TypeError) as e:
        fail(f"{gaad_path}: {e}")


def model_options(f):
    f = click.option("--gaad", "gaad_path", type=click.Path(dir_okay=False),
                     help="Output of 'aws iam get-account-authorization-details' instead of a snapshot.")(f)
    f = click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False), help="A snapshot from scan.")(f)
    return f


def load_usage(path: str | None):

    """A usage document, validated at the door (iam_analyzer/schemas/usage.schema.json)."""
    if not path:
        return None
    try:
        doc = load_json(path, "usage")
        if not isinstance(doc, dict) or doc.get("kind") != "iam-analyzer-usage":
            fail(f"{path}: not a usage file from iam-analyzer usage")
        validate(doc, usage_reader_schema(), path)
    except InputError as e:
        fail(str(e))
    return doc


def usage_reader_schema() -> dict:
    """The usage schema with only ``kind`` required at the top: every field present is checked
    (type, shape, nested required fields), and a section a reader does not need may be absent
    (hand-written usage for a test or a what-if)."""
    import copy

    from iam_analyzer.inputs import shipped_schema

    schema = copy.deepcopy(shipped_schema("usage"))
    schema["required"] = ["kind"]
    props = schema["properties"]
    # what the readers use of each entry; the rest may be absent, and is checked when present
    props["principals"]["items"]["required"] = ["arn", "actions"]
    props["principals"]["items"]["properties"]["actions"]["items"]["required"] = ["action", "resource"]
    for section in ("files", "data_events", "events", "window", "catalog"):
        if section in props:
            props[section].pop("required", None)
    if "coverage" in props:
        props["coverage"]["items"]["required"] = ["account", "region"]
    return schema


def load_findings(path: str):
    """A findings document (analyze -o), validated at the door (schemas/findings.schema.json)."""
    try:
        doc = load_json(path, "findings")
        if not isinstance(doc, dict) or doc.get("kind") != "iam-analyzer-findings":
            fail(f"{path}: not a findings file from iam-analyzer analyze")
        validate(doc, "findings", path)
    except InputError as e:
        fail(str(e))
    return doc


def check_output_file(path: str | None) -> None:
    """Before any work: the -o file can be written (else exit 2 now, not after an hour)."""
    if path:
        try:
            check_file(path)
        except OutputError as e:
            fail(str(e))


def check_output_folder(path: str | None, files: tuple[str, ...] = (), folders: tuple[str, ...] = ()) -> None:
    if path:
        try:
            check_folder(path, files, folders)
        except OutputError as e:
            fail(str(e))


def write_output(path: str, text: str) -> None:
    """Write atomically (temporary file, then rename); a failure is one line and exit 2."""
    try:
        write_text(path, text)
    except OutputError as e:
        fail(str(e))


