"""What ``apply`` would change, and what it refuses: pure, from the snapshot and the
generated policies (no AWS). ``iam_analyzer/apply.py`` reads the live role, compares it with
the expected state planned here, backs it up and writes.

Per role the target is: the generated policy (the union of its functions' policies) as one
inline policy, or as customer managed policies when it does not fit inline; statements whose
``Sid`` starts with ``NOREPO`` stay where they are (an inline policy keeps just those, a
managed policy holding one stays attached); the permissions boundary is never changed.

A role is refused (never touched) when:
- a CloudFormation stack owns it or one of its functions (the stack tags), or it carries a
  ``--managed-tag`` key (Terraform and teams' own tags): patch the template instead;
- one of its functions has no verified generated policy, or evidence that is not
  ``sufficient`` (``partial`` is accepted with ``allow_partial``);
- it is younger than ``min_age_days`` (its use so far says little about its needs);
- the policy in the folder grants anything the role does not today (checked again: the folder
  may have been edited since ``generate`` verified it);
- the new policy cannot be stored (too large for a managed policy, too many attachments).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from iam_analyzer.analyze.generate.shaping import INLINE_LIMIT, role_union
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.managed_policies import is_aws_managed_arn
from iam_analyzer.model import Role, Snapshot
from iam_analyzer.role_state import STACK_TAGS, Document, NewPolicy, Refusal, RoleChange, RoleState

MANAGED_LIMIT = 6_144  # characters, whitespace excluded, for a customer managed policy
ATTACHMENT_LIMIT = 10  # managed policies per role (IAM's default quota)
NOREPO = "NOREPO"
INLINE_NAME = "iam-analyzer-least-privilege"


@dataclass
class Generated:
    """One function's generated policy, as the policies folder holds it."""

    function_arn: str
    documents: list[dict]
    verified: bool
    verdict: str  # sufficient | partial | insufficient


@dataclass
class PlanOptions:
    roles: tuple[str, ...] = ()  # names or ARNs; empty: every role with a generated policy
    allow_partial: bool = False
    min_age_days: float = 14
    managed_tags: tuple[str, ...] = ()
    now: datetime | None = None


@dataclass
class RolePlan:
    role: Role
    functions: list[str]
    expected: RoleState  # as the snapshot saw it: the live role must still be this
    change: RoleChange


@dataclass
class ApplyPlan:
    changes: list[RolePlan] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # role ARNs already as generated


def _size(doc) -> int:
    return len(json.dumps(doc, separators=(",", ":")))


def _statements(doc) -> list:
    st = doc.get("Statement") if isinstance(doc, dict) else None
    return st if isinstance(st, list) else [st] if isinstance(st, dict) else []


def norepo_statements(doc) -> list[dict]:
    return [s for s in _statements(doc) if isinstance(s, dict) and str(s.get("Sid", "")).startswith(NOREPO)]


def expected_state(snapshot: Snapshot, role: Role) -> RoleState:
    managed = {}
    for arn in role.managed_policy_arns:
        p = snapshot.find_policy(arn)
        if p is not None and not is_aws_managed_arn(arn):
            managed[arn] = Document.of(p.document)
    return RoleState(arn=role.arn, name=role.name, inline={p.name: Document.of(p.document) for p in role.inline_policies},
                     attached=list(role.managed_policy_arns), boundary=role.permissions_boundary_arn, managed=managed,
                     create_date=role.create_date, tags=dict(role.tags))


def _age_days(create_date: str, now: datetime) -> float | None:
    try:
        created = datetime.fromisoformat(create_date.replace("Z", "+00:00"))
    except ValueError:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return (now - created).total_seconds() / 86400


def _owner(role: Role, functions: list, managed_tags: tuple[str, ...]) -> str | None:
    for what, tags in [(f"role {role.name}", role.tags)] + [(f"function {f.name}", f.tags) for f in functions]:
        for key in STACK_TAGS + tuple(managed_tags):
            if key in tags:
                return f"{what} carries the tag {key}={tags[key]}"
    return None


def _target(role: Role, expected: RoleState, generated: dict, stamp: str) -> tuple[RoleChange | None, str | None]:
    kept_inline: dict[str, Document] = {}
    for name, doc in expected.inline.items():
        keep = norepo_statements(doc.document)
        if keep and len(keep) == len(_statements(doc.document)):
            kept_inline[name] = doc  # only NOREPO statements: left exactly as it is
        elif keep:
            kept_inline[name] = Document.of({"Version": doc.document.get("Version", "2012-10-17"), "Statement": keep})
    kept_attached = [a for a, d in expected.managed.items() if norepo_statements(d.document)]
    kept_size = sum(_size(d.document) for d in kept_inline.values())
    if kept_size + _size(generated) <= INLINE_LIMIT and INLINE_NAME not in kept_inline:
        target = RoleState(arn=role.arn, name=role.name, inline={**kept_inline, INLINE_NAME: Document.of(generated)},
                           attached=kept_attached, boundary=expected.boundary)
        return RoleChange(role=role.name, target=target), None
    chunks = _split(generated)
    if chunks is None:
        return None, f"a statement of the generated policy is larger than a managed policy may be ({MANAGED_LIMIT})"
    if len(kept_attached) + len(chunks) > ATTACHMENT_LIMIT:
        return None, (f"the generated policy needs {len(chunks)} managed policies: with those kept, more than "
                      f"{ATTACHMENT_LIMIT} on the role")
    parsed = arnlib.try_parse(role.arn)
    new = []
    for i, chunk in enumerate(chunks):
        name = f"iam-analyzer-{role.name}-{stamp}"[:124] + (f"-{i + 1}" if len(chunks) > 1 else "")
        new.append(NewPolicy(name=name, arn=f"arn:{parsed.partition}:iam::{parsed.account}:policy/iam-analyzer/{name}",
                             document=Document.of(chunk)))
    target = RoleState(arn=role.arn, name=role.name, inline=kept_inline,
                       attached=kept_attached + [p.arn for p in new], boundary=expected.boundary)
    return RoleChange(role=role.name, target=target, create=new), None


def _split(doc: dict) -> list[dict] | None:
    """The document as managed policies of at most MANAGED_LIMIT characters each (Deny
    statements go into every part, so each part still denies what the whole did)."""
    sts = _statements(doc)
    denies = [s for s in sts if isinstance(s, dict) and s.get("Effect") == "Deny"]
    allows = [s for s in sts if s not in denies]
    version = doc.get("Version", "2012-10-17")
    parts, cur = [], []
    for st in allows:
        if cur and _size({"Version": version, "Statement": cur + [st] + denies}) > MANAGED_LIMIT:
            parts.append(cur)
            cur = []
        cur.append(st)
        if _size({"Version": version, "Statement": cur + denies}) > MANAGED_LIMIT:
            return None
    if cur or not parts:
        parts.append(cur)
    return [{"Version": version, "Statement": p + denies} for p in parts]


def plan(snapshot: Snapshot, generated: list[Generated], options: PlanOptions | None = None) -> ApplyPlan:
    opt = options or PlanOptions()
    now = opt.now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    by_fn = {g.function_arn: g for g in generated}
    fns_by_role: dict[str, list] = {}
    for f in snapshot.functions():
        fns_by_role.setdefault(f.role_arn, []).append(f)
    wanted = {f.role_arn for f in snapshot.functions() if f.arn in by_fn}
    out = ApplyPlan()
    if opt.roles:
        chosen = set()
        for ask in opt.roles:
            hit = [r.arn for r in snapshot.roles() if ask in (r.name, r.arn)]
            if not hit:
                out.refused.append(Refusal(ask, "no role of the snapshot has this name or ARN"))
            elif hit[0] not in wanted:
                out.refused.append(Refusal(hit[0], "no generated policy in the folder for its functions"))
            chosen.update(h for h in hit if h in wanted)
        wanted = chosen
    for role_arn in sorted(wanted):
        role = snapshot.find_role(role_arn)
        fns = fns_by_role.get(role_arn, [])
        if role is None:
            out.refused.append(Refusal(role_arn, "the role is not in the snapshot"))
            continue
        reason = _refusal(role, fns, by_fn, opt, now)
        if reason:
            out.refused.append(Refusal(role_arn, reason))
            continue
        union = role_union([_AsResult(by_fn[f.arn].documents) for f in fns])
        wider = _widens(snapshot, role, union)
        if wider:
            out.refused.append(Refusal(role_arn, wider))
            continue
        expected = expected_state(snapshot, role)
        change, why = _target(role, expected, union, stamp)
        if change is None:
            out.refused.append(Refusal(role_arn, why))
        elif change.target.same_grants(expected) and not change.create:
            out.unchanged.append(role_arn)
        else:
            out.changes.append(RolePlan(role=role, functions=[f.arn for f in fns], expected=expected, change=change))
    return out


def _widens(snapshot: Snapshot, role: Role, union: dict) -> str | None:
    """The policies folder may have been edited since generate verified it: check again that
    the role would be granted nothing it is not granted today."""
    from iam_analyzer.analyze.generate.result import role_documents
    from iam_analyzer.iam.compare import new_access
    from iam_analyzer.iam.policy import parse_policy_lenient

    original = [parse_policy_lenient(d)[0] for _, d in role_documents(snapshot, role)]
    extra = new_access([parse_policy_lenient(union)[0]], original)
    if extra:
        return (f"the policy grants what the role does not today ({extra[0].action} on {extra[0].resource}): "
                f"generate it again")
    return None


class _AsResult:  # role_union reads .documents only
    def __init__(self, documents):
        self.documents = documents


def _refusal(role: Role, fns: list, by_fn: dict, opt: PlanOptions, now: datetime) -> str | None:
    owner = _owner(role, fns, opt.managed_tags)
    if owner:
        return f"managed by infrastructure code ({owner}): patch the template instead (generate --template)"
    for f in fns:
        g = by_fn.get(f.arn)
        if g is None:
            return f"function {f.name} uses this role and has no generated policy in the folder"
        if g.verdict != "sufficient" and not (g.verdict == "partial" and opt.allow_partial):
            return f"the evidence for {f.name} is {g.verdict}" + (" (--allow-partial accepts partial evidence)"
                                                                  if g.verdict == "partial" else "")
        if not g.documents:
            return f"function {f.name} uses this role and has no generated policy in the folder"
        if not g.verified:
            return f"the generated policy of {f.name} was not verified"
    if opt.min_age_days > 0:
        age = _age_days(role.create_date or "", now)
        if age is None:
            return "the role's creation date is unknown (--min-age 0 accepts it)"
        if age < opt.min_age_days:
            return f"the role is {age:.1f} days old, younger than --min-age {opt.min_age_days:g}"
    return None
