"""Declared intent -> IAM actions: what "reads", "writes", "invokes", "publishes" and
"consumes" mean on a resource, from the catalog's access levels and resource types.

``reads`` and ``writes`` take every action of the resource's service at that access level
that can be scoped to the resource's type (as policy_sentry's CRUD levels do, on today's
catalog); the three verbs of messaging name the data-plane actions that do exactly that.
Every action returned can be scoped to the resource: none needs ``*``.
"""

from __future__ import annotations

from . import arn as arnlib
from .catalog import Catalog, default_catalog

VERBS = ("reads", "writes", "invokes", "publishes", "consumes")
LEVELS = {"reads": ("Read", "List"), "writes": ("Write",)}
# (service, resource type name) -> actions, per verb
VERB_ACTIONS = {
    "invokes": {("lambda", "function"): ("lambda:InvokeFunction",),
                ("states", "statemachine"): ("states:StartExecution", "states:StartSyncExecution"),
                ("execute-api", "execute-api-general"): ("execute-api:Invoke",)},
    "publishes": {("sns", "topic"): ("sns:Publish",), ("sqs", "queue"): ("sqs:SendMessage",),
                  ("events", "event-bus"): ("events:PutEvents",),
                  ("kinesis", "stream"): ("kinesis:PutRecord", "kinesis:PutRecords"),
                  ("firehose", "deliverystream"): ("firehose:PutRecord", "firehose:PutRecordBatch")},
    "consumes": {("sqs", "queue"): ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                    "sqs:GetQueueAttributes"),
                 ("kinesis", "stream"): ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                                         "kinesis:DescribeStreamSummary", "kinesis:ListShards"),
                 ("dynamodb", "stream"): ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream")},
}


class IntentError(ValueError):
    pass


def shorthand_arn(text: str, partition: str, region: str, account: str) -> str:
    """``dynamodb:table/orders`` -> the table's ARN; ``s3:uploads/incoming/*`` -> objects;
    a full ARN is kept. Secrets get Secrets Manager's six-character suffix."""
    if text.startswith("arn:"):
        return text
    if ":" not in text:
        raise IntentError(f"{text!r}: want service:resource (dynamodb:table/orders) or an ARN")
    svc, rest = text.split(":", 1)
    if svc == "s3":
        return f"arn:{partition}:s3:::{rest}"
    if svc == "iam":
        return f"arn:{partition}:iam::{account}:{rest}"
    out = f"arn:{partition}:{svc}:{region}:{account}:{rest}"
    if svc == "secretsmanager" and rest.startswith("secret:") and not rest.endswith(("*", "?")):
        out += "-??????"
    return out


def actions_for(verb: str, resource: str, catalog: Catalog | None = None) -> tuple[str, list[str]]:
    """(resource type name, actions) for ``verb`` on the ARN ``resource``."""
    cat = catalog or default_catalog()
    rt = arnlib.identify(resource, cat) or next(iter(arnlib.resource_types_for(resource, cat)), None)
    if rt is None:
        raise IntentError(f"{resource}: names no resource type the catalog knows")
    if verb in LEVELS:
        out = []
        for act in cat.service_actions(rt.service):
            if act.access_level in LEVELS[verb] and any(r.name.lower() == rt.name.lower() for r in act.resource_types):
                out.append(act.full_name)
        return rt.name, out
    table = VERB_ACTIONS.get(verb, {})
    acts = table.get((rt.service, rt.name.lower()))
    if acts is None:
        kinds = ", ".join(f"{s} {n}" for s, n in table) or "none"
        raise IntentError(f"{resource}: cannot be '{verb}' ({rt.service} {rt.name}); it applies to: {kinds}")
    return rt.name, [cat.canonical(a) for a in acts if cat.get(a)]
