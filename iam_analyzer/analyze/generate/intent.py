"""The intent file: what a function is meant to do, for what its code cannot show.

```yaml
reads: [dynamodb:table/orders, s3:uploads/incoming/*]
writes: [s3:uploads/thumbnails/*]
invokes: [lambda:function:audit-log]
publishes: [sns:order-events]
consumes: [sqs:thumbnail-jobs]
```

Each entry is ``service:resource`` (completed with the partition, region and account) or a
full ARN; an entry may also be ``{resource: ..., actions: [GetItem, Query]}`` to name the
actions itself. Every entry keeps its line, which the explanation cites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from iam_analyzer.iam.catalog import Catalog, default_catalog
from iam_analyzer.iam.intent_actions import VERBS, IntentError, actions_for, shorthand_arn
from iam_analyzer.iam.resource_params import Scope

MAX_BYTES = 1_000_000
MAX_ENTRIES = 5_000  # far above a real function's; bounds the work of verifying the role


@dataclass
class IntentEntry:
    verb: str
    text: str  # as written
    line: int
    actions: list[str] = field(default_factory=list)  # named by the entry itself, if any


@dataclass
class Intent:
    path: str
    entries: list[IntentEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_intent(path: str | Path) -> Intent:
    """Read an intent file; a bad entry is a problem naming its line, the rest is kept."""
    from iam_analyzer.inputs import InputError, read_text

    p = Path(path)
    out = Intent(str(p))
    try:  # a regular file (never a FIFO or /dev/zero), bounded, UTF-8; the message names it
        node = yaml.compose(read_text(p, MAX_BYTES))
    except InputError as e:
        out.problems.append(str(e))
        return out
    except RecursionError:
        out.problems.append(f"{p}: nested too deeply to be an intent file")
        return out
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        out.problems.append(f"{p}:{mark.line + 1 if mark else 0}: invalid YAML: {getattr(e, 'problem', e)}")
        return out
    if node is None:
        return out
    if not isinstance(node, yaml.MappingNode):
        out.problems.append(f"{p}:{node.start_mark.line + 1}: want a mapping of {', '.join(VERBS)}")
        return out
    for key, value in node.value:
        verb = key.value if isinstance(key, yaml.ScalarNode) else ""
        line = key.start_mark.line + 1
        if verb not in VERBS:
            out.problems.append(f"{p}:{line}: unknown key {verb!r}; want one of {', '.join(VERBS)}")
            continue
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for item in items:
            entry = _entry(verb, item)
            if isinstance(entry, str):
                out.problems.append(f"{p}:{item.start_mark.line + 1}: {entry}")
            elif entry is not None:
                if len(out.entries) >= MAX_ENTRIES:
                    out.problems.append(f"{p}:{item.start_mark.line + 1}: more than {MAX_ENTRIES} entries: "
                                        "the rest are not read")
                    return out
                out.entries.append(entry)
    return out


def _entry(verb: str, item) -> IntentEntry | str | None:
    line = item.start_mark.line + 1
    if isinstance(item, yaml.ScalarNode):
        if not item.value:
            return None
        return IntentEntry(verb, item.value, line)
    if isinstance(item, yaml.MappingNode):
        d = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        res = d.get("resource")
        if not isinstance(res, yaml.ScalarNode):
            return f"{verb}: an entry written as a mapping needs 'resource'"
        acts = d.get("actions")
        names = [a.value for a in acts.value] if isinstance(acts, yaml.SequenceNode) else []
        return IntentEntry(verb, res.value, line, names)
    return f"{verb}: want a resource (service:resource or an ARN)"


@dataclass(frozen=True)
class IntentGrant:
    action: str
    resource: str
    entry: IntentEntry


def intent_grants(intent: Intent, scope: Scope, catalog: Catalog | None = None,
                  logical: dict[str, str] | None = None) -> tuple[list[IntentGrant], list[str]]:
    """Grants of each entry. ``logical``: the template's logical ids -> ARNs, so an entry may
    name a resource the template defines (``OrdersTable``, or ``UploadsBucket/incoming/*``)."""
    cat = catalog or default_catalog()
    out: list[IntentGrant] = []
    problems: list[str] = []
    for e in intent.entries:
        try:
            head, _, rest = e.text.partition("/")
            if logical and head in logical:
                arn = logical[head] + (f"/{rest}" if rest else "")
            else:
                arn = shorthand_arn(e.text, scope.partition, scope.region or "<REGION>", scope.account or "<ACCOUNT_ID>")
            rt_name, actions = actions_for(e.verb, arn, cat)
        except IntentError as err:
            problems.append(f"{intent.path}:{e.line}: {err}")
            continue
        if e.actions:
            svc = arn.split(":")[2]
            named = []
            for a in e.actions:
                act = cat.get(a if ":" in a else f"{svc}:{a}")
                if act is None:
                    problems.append(f"{intent.path}:{e.line}: {a}: no such action in the catalog")
                elif not any(r.name.lower() == rt_name.lower() for r in act.resource_types):
                    problems.append(f"{intent.path}:{e.line}: {act.full_name} cannot be scoped to a {rt_name}")
                else:
                    named.append(act.full_name)
            actions = named
        if not actions:
            problems.append(f"{intent.path}:{e.line}: '{e.verb}' gives no action on {arn}")
        out.extend(IntentGrant(a, arn, e) for a in actions)
    return out, problems
