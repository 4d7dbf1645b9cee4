"""Writing generated policies to an account, with a way back (``iam-analyzer apply`` and
``rollback``), orchestrated: plan (``analyze/apply_plan.py``, pure), compare the live role
with the snapshot, back up, write, read back (``collect/aws/apply.py``, the only writer).

Nothing is written before the backup of every role the run will touch has been written and
read back; a run stopped half way (an error, a fault after the first role) leaves that
backup complete, and ``rollback`` restores every role in it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from typing import TYPE_CHECKING

from iam_analyzer import __version__
from iam_analyzer.model import Snapshot
from iam_analyzer.role_state import BACKUP_KIND, BACKUP_SCHEMA_VERSION, Refusal, RoleChange, RoleState, steps

if TYPE_CHECKING:  # stages imports this module at start-up: the planner is imported when used
    from iam_analyzer.analyze.apply_plan import ApplyPlan, Generated, PlanOptions

Say = Callable[[str], None]


class ApplyError(Exception):
    """Nothing can be done (a policies folder that cannot be read, a backup that cannot be
    written or read): nothing was changed."""


class ApplyInterrupted(Exception):
    """A write failed after others succeeded: the backup is complete; rollback restores it."""

    def __init__(self, message: str, outcome: "Outcome"):
        super().__init__(message)
        self.outcome = outcome


@dataclass
class Outcome:
    """What a run did: per role the steps (planned or written) and what was refused."""

    planned: dict[str, list[str]] = field(default_factory=dict)  # role ARN -> steps
    written: list[str] = field(default_factory=list)  # role ARNs written and read back as planned
    refused: list[Refusal] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    backup: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"planned": self.planned, "written": self.written, "backup": self.backup,
                "refused": [{"role": r.role, "reason": r.reason} for r in self.refused],
                "unchanged": self.unchanged, "notes": self.notes}


def read_policies(folder: Path, snapshot: Snapshot) -> tuple[list[Generated], list[str]]:
    """The generated policies of a folder from ``generate`` or ``audit`` (JSON format only:
    the documents as generated). Raises ApplyError when the folder cannot be used."""
    from iam_analyzer.analyze.apply_plan import Generated
    from iam_analyzer.emit.inputs import load_policies
    from iam_analyzer.inputs import InputError, load_json

    try:
        results, notes = load_policies(folder, snapshot)  # names summary.json and the place when it is wrong
        summary = load_json(folder / "summary.json", "summary")
    except (InputError, ValueError) as e:
        raise ApplyError(str(e)) from None
    except OSError as e:
        raise ApplyError(f"{folder}: cannot read: {e.strerror or e}") from None
    entries = {s.get("function"): s for s in summary.get("functions", []) if isinstance(s, dict)}
    out = []
    for r in results:
        s = entries.get(r.function.arn) or {}
        file = s.get("file")
        if file and not str(file).endswith(".json"):
            notes.append(f"{folder / file}: not a JSON policy (generate --format json): {r.function.name} skipped")
            continue
        verdict = (s.get("evidence") or {}).get("verdict") or "insufficient"
        out.append(Generated(r.function.arn, r.documents if file else [], bool(s.get("verified")), verdict))
    return out, notes


def prepare(snapshot: Snapshot, folder: Path, options: PlanOptions) -> tuple[ApplyPlan, list[str]]:
    from iam_analyzer.analyze.apply_plan import plan

    generated, notes = read_policies(folder, snapshot)
    return plan(snapshot, generated, options), notes


def _unchanged_since_snapshot(live: RoleState, expected: RoleState) -> str | None:
    if live.arn != expected.arn:
        return (f"the role of that name here is {live.arn}, not the snapshot's: use credentials for the snapshot's "
                f"account")
    if not live.same_grants(expected):
        return "its policies changed since the snapshot (scan again, generate again)"
    for arn, doc in expected.managed.items():
        if arn in live.managed and live.managed[arn].document != doc.document:
            return f"the managed policy {arn} changed since the snapshot (scan again, generate again)"
    return None


def run(clients, the_plan: ApplyPlan, backup_dir: Path, yes: bool, say: Say = lambda m: None) -> Outcome:
    """Compare, back up, write, read back. Without ``yes`` only the comparison and the plan.

    Raises ApplyError when the backup cannot be written (nothing changed) and
    ApplyInterrupted when a write fails part way (the backup is complete)."""
    from iam_analyzer.collect.aws import apply as writer

    iam = writer.iam_client(clients)
    out = Outcome(refused=list(the_plan.refused), unchanged=list(the_plan.unchanged))
    ready: list[tuple[RoleState, RoleChange]] = []
    for rp in the_plan.changes:
        try:
            live = writer.read_state(iam, rp.role.name)
        except writer.AWS_ERRORS as e:
            out.refused.append(Refusal(rp.role.arn, f"cannot read the role ({writer.describe(e)})"))
            continue
        why = _unchanged_since_snapshot(live, rp.expected)
        if why:
            out.refused.append(Refusal(rp.role.arn, why))
            continue
        out.planned[rp.role.arn] = steps(live, rp.change)
        ready.append((live, rp.change))
    if not yes or not ready:
        return out
    out.backup = str(write_backup(backup_dir, ready))
    say(f"backup written: {out.backup}")
    for live, change in ready:
        try:
            writer.write(iam, live, change)
            after = writer.read_state(iam, change.role)
        except Exception as e:  # noqa: BLE001 - whatever stopped it, say how to get back
            raise ApplyInterrupted(f"stopped while writing role {change.role} ({type(e).__name__}: {e}); "
                                   f"the backup is complete: iam-analyzer rollback {out.backup} --yes restores "
                                   f"every role in it", out) from e
        if after.same_grants(change.target):
            out.written.append(live.arn)
            say(f"{live.name}: written and read back as planned")
        else:
            out.notes.append(f"{live.name}: read back differs from the plan: check it, or roll back with "
                             f"iam-analyzer rollback {out.backup} --yes")
    return out


def write_backup(folder: Path, ready: list[tuple[RoleState, RoleChange]]) -> Path:
    """Write every role's live state (and the policies the run will create), then read it back."""
    from iam_analyzer.outputs import OutputError, make_folder, write_text

    now = datetime.now(timezone.utc)
    doc = {"kind": BACKUP_KIND, "schema_version": BACKUP_SCHEMA_VERSION,
           "tool": {"name": "iam-analyzer", "version": __version__},
           "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "roles": [{**live.as_dict(), "created_policies": [p.arn for p in change.create]}
                     for live, change in ready]}
    path = folder / f"backup-{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    text = json.dumps(doc, indent=1) + "\n"
    try:
        make_folder(folder)
        write_text(path, text)
        if path.read_text(encoding="utf-8") != text:
            raise OutputError(path, "the file read back differs from what was written")
    except (OutputError, OSError) as e:
        raise ApplyError(f"the backup cannot be written ({e}): nothing was changed") from None
    return path


# -- rollback ----------------------------------------------------------------------------------


def load_backup(path: Path) -> tuple[dict, list[tuple[RoleState, list[str]]]]:
    from iam_analyzer.inputs import InputError, load_json

    try:
        doc = load_json(path, "backup")
    except (InputError, OSError, ValueError) as e:
        raise ApplyError(str(e) if not isinstance(e, OSError) else f"{path}: cannot read: {e}") from None
    if not isinstance(doc, dict) or doc.get("kind") != BACKUP_KIND:
        raise ApplyError(f"{path}: not a backup written by iam-analyzer apply")
    if not isinstance(doc.get("schema_version"), int) or doc["schema_version"] > BACKUP_SCHEMA_VERSION:
        raise ApplyError(f"{path}: backup schema_version {doc.get('schema_version')!r} is not one this tool reads")
    roles = doc.get("roles")
    if not isinstance(roles, list):
        raise ApplyError(f"{path}: 'roles' must be a list")
    out = []
    for i, r in enumerate(roles):
        try:
            state = RoleState.from_dict(r, f"{path}: roles[{i}]")
        except ValueError as e:
            raise ApplyError(str(e)) from None
        created = r.get("created_policies") or []
        if not isinstance(created, list) or not all(isinstance(a, str) for a in created):
            raise ApplyError(f"{path}: roles[{i}].created_policies: a list of policy ARNs is expected")
        out.append((state, created))
    return doc, out


def rollback(clients, path: Path, yes: bool, say: Say = lambda m: None) -> Outcome:
    """Make every role of the backup hold exactly what it held (the same document texts,
    attachments and boundary); delete the policies the apply created. Without ``yes`` only
    the steps. A role that cannot be restored is named; the others are still restored."""
    from iam_analyzer.collect.aws import apply as writer

    _doc, roles = load_backup(path)
    iam = writer.iam_client(clients)
    out = Outcome(backup=str(path))
    for state, created in roles:
        try:
            live = writer.read_state(iam, state.name)
        except writer.AWS_ERRORS as e:
            out.refused.append(Refusal(state.arn, f"cannot read the role ({writer.describe(e)})"))
            continue
        if live.arn != state.arn:
            out.refused.append(Refusal(state.arn, f"the role of that name here is {live.arn}: use credentials for "
                                                  f"the backup's account"))
            continue
        change = RoleChange(role=state.name, target=state, delete=[a for a in created if a not in state.attached])
        todo = steps(live, change)
        exact = [f"put inline policy {k}" for k, v in state.inline.items()
                 if k in live.inline and live.inline[k].text != v.text and live.inline[k].document == v.document]
        out.planned[state.arn] = todo + exact
        if not yes:
            continue
        try:
            writer.write(iam, live, change, exact=True)
            after = writer.read_state(iam, state.name)
        except Exception as e:  # noqa: BLE001
            out.refused.append(Refusal(state.arn, f"restoring failed ({type(e).__name__}: {e}); run rollback again"))
            continue
        same = after.same_grants(state) and all(after.inline[k].text == v.text for k, v in state.inline.items())
        if same:
            out.written.append(state.arn)
            say(f"{state.name}: restored")
        else:
            out.notes.append(f"{state.name}: read back differs from the backup")
    return out


def default_backup_dir(policies: Path) -> Path:
    return Path(os.fspath(policies)) / "backups"
