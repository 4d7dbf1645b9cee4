"""SCP and RCP files (``--scp FILE``, ``--rcp FILE``): a policy document, or the JSON that
``aws organizations describe-policy`` prints. Each file is read, bounded and checked at the
door; a file that cannot be used gives a one-line message naming it and the place, and the
other files are still used."""

from __future__ import annotations

from pathlib import Path

from iam_analyzer.iam.organizations import RCP, SCP, read_org_policy
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.inputs import InputError, load_json
from iam_analyzer.model_org import OrgPolicy


def read_policy_files(scp_paths=(), rcp_paths=()) -> tuple[list[OrgPolicy], list[str], dict]:
    """(policies, messages, facts): facts holds the organization id and management account
    when a describe-policy file's ARN names them."""
    out: list[OrgPolicy] = []
    messages: list[str] = []
    facts: dict = {}
    seen: set[str] = set()
    for kind, paths in ((SCP, scp_paths), (RCP, rcp_paths)):
        flag = "--scp" if kind == SCP else "--rcp"
        for path in paths:
            try:
                doc = load_json(path, "policy")
                text = read_org_policy(doc)
            except InputError as e:
                messages.append(f"{flag}: {e}; file skipped")
                continue
            except ValueError as e:
                messages.append(f"{flag} {path}: {e}; file skipped")
                continue
            if text.type and text.type != kind:
                messages.append(f"{flag} {path}: Policy.PolicySummary.Type is {text.type}; file skipped")
                continue
            _, errors = parse_policy_lenient(text.document)
            if errors:
                e = errors[0]
                messages.append(f"{flag} {path}: {e.location or '(document)'}: {e.message}; file skipped")
                continue
            pid = text.id or f"file:{Path(path).name}"
            if pid in seen:
                pid = f"file:{path}"
            seen.add(pid)
            out.append(OrgPolicy(id=pid, name=text.name, type=kind, document=text.document,
                                 arn=text.arn, aws_managed=text.aws_managed, source=str(path)))
            if text.organization_id:
                facts.setdefault("organization_id", text.organization_id)
            if text.management_account:
                facts.setdefault("management_account_id", text.management_account)
    return out, messages, facts
