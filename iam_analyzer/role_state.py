"""What a role's permissions are at one moment, as plain data: the vocabulary shared by the
pure apply plan (``analyze/apply_plan.py``), the writer that talks to IAM
(``collect/aws/apply.py``) and the backup files that ``rollback`` reads.

A document is kept as the exact text IAM holds (``text``), so a rollback writes back the
same bytes, and compared by its parsed JSON (``document``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

BACKUP_KIND = "iam-analyzer-role-backup"
BACKUP_SCHEMA_VERSION = 1


@dataclass
class Document:
    text: str  # exactly as IAM returns it (URL-decoded), or as the tool will write it

    @property
    def document(self):
        return json.loads(self.text)

    @classmethod
    def of(cls, doc: dict) -> "Document":
        return cls(json.dumps(doc, indent=2))


@dataclass
class NewPolicy:
    """A customer managed policy that apply creates (when the policy is too large for inline)."""

    name: str
    arn: str
    document: Document
    path: str = "/iam-analyzer/"


@dataclass
class RoleState:
    """A role's permissions: inline documents by name, attached policy ARNs, the boundary."""

    arn: str
    name: str
    inline: dict[str, Document] = field(default_factory=dict)
    attached: list[str] = field(default_factory=list)
    boundary: str | None = None
    # documents of the attached customer managed policies (default version), to compare with a snapshot
    managed: dict[str, Document] = field(default_factory=dict)
    create_date: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def same_grants(self, other: "RoleState") -> bool:
        """Same inline documents (parsed), attachments and boundary."""
        return (sorted(self.inline) == sorted(other.inline)
                and all(self.inline[k].document == other.inline[k].document for k in self.inline)
                and sorted(self.attached) == sorted(other.attached) and self.boundary == other.boundary)

    def as_dict(self) -> dict:
        return {"arn": self.arn, "name": self.name,
                "inline": [{"name": k, "document_text": v.text} for k, v in self.inline.items()],
                "attached": list(self.attached), "boundary": self.boundary,
                "managed": [{"arn": k, "document_text": v.text} for k, v in self.managed.items()],
                "create_date": self.create_date, "tags": dict(self.tags)}

    @classmethod
    def from_dict(cls, d: dict, where: str) -> "RoleState":
        """From a backup entry; ValueError naming ``where`` for anything of the wrong shape."""
        if not isinstance(d, dict):
            raise ValueError(f"{where}: an object is expected")
        for key in ("arn", "name"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise ValueError(f"{where}: '{key}' must be text")
        inline, managed = {}, {}
        for key, out in (("inline", inline), ("managed", managed)):
            items = d.get(key) or []
            if not isinstance(items, list):
                raise ValueError(f"{where}.{key}: a list is expected")
            for i, item in enumerate(items):
                ident = "name" if key == "inline" else "arn"
                if not isinstance(item, dict) or not isinstance(item.get(ident), str) \
                        or not isinstance(item.get("document_text"), str):
                    raise ValueError(f"{where}.{key}[{i}]: needs '{ident}' and 'document_text' as text")
                try:
                    json.loads(item["document_text"])
                except ValueError:
                    raise ValueError(f"{where}.{key}[{i}]: document_text is not a JSON document") from None
                out[item[ident]] = Document(item["document_text"])
        attached = d.get("attached") or []
        if not isinstance(attached, list) or not all(isinstance(a, str) for a in attached):
            raise ValueError(f"{where}.attached: a list of policy ARNs is expected")
        boundary = d.get("boundary")
        if boundary is not None and not isinstance(boundary, str):
            raise ValueError(f"{where}.boundary: a policy ARN or null is expected")
        tags = d.get("tags") if isinstance(d.get("tags"), dict) else {}
        return cls(arn=d["arn"], name=d["name"], inline=inline, attached=list(attached), boundary=boundary,
                   managed=managed, create_date=str(d.get("create_date") or ""),
                   tags={str(k): str(v) for k, v in tags.items()})


@dataclass
class Refusal:
    """A role that apply or rollback does not touch, and why."""

    role: str  # ARN (or the name asked for)
    reason: str


@dataclass
class RoleChange:
    """Make a role's grants ``target``: what apply (and, reversed, rollback) writes."""

    role: str  # name
    target: RoleState
    create: list[NewPolicy] = field(default_factory=list)  # created before they are attached
    delete: list[str] = field(default_factory=list)  # customer managed policies to delete once detached


def steps(current: RoleState, change: RoleChange) -> list[str]:
    """What writing ``change`` over ``current`` does, one line per call, in the order it runs."""
    t = change.target
    out = [f"create policy {p.arn}" for p in change.create]
    out += [f"put inline policy {k}" for k, v in t.inline.items()
            if k not in current.inline or current.inline[k].document != v.document]
    out += [f"attach {a}" for a in t.attached if a not in current.attached]
    out += [f"detach {a}" for a in current.attached if a not in t.attached]
    out += [f"delete inline policy {k}" for k in current.inline if k not in t.inline]
    if t.boundary != current.boundary:
        out.append(f"set boundary {t.boundary}" if t.boundary else f"remove boundary {current.boundary}")
    out += [f"delete policy {a}" for a in change.delete]
    return out


# Tags CloudFormation puts on the resources of a stack (functions; roles where it tags them):
# a resource carrying one is owned by a template, which must be patched instead of the account.
STACK_NAME_TAG = "aws:cloudformation:stack-name"
LOGICAL_ID_TAG = "aws:cloudformation:logical-id"
STACK_TAGS = (STACK_NAME_TAG, LOGICAL_ID_TAG, "aws:cloudformation:stack-id")
