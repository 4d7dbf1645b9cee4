"""Shaping kept permissions into policy documents: readable statements (per origin, service
and conditions, with Sids), S3 keys generalised to folders, the inline size limit, and the
union for a role several functions share."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from iam_analyzer.analyze.generate.result import Entry, Result_, conditions_json
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam.catalog import Catalog, service_of
from iam_analyzer.iam.minimize import covered_permissions, drop_covered_statements, minimize_actions
from iam_analyzer.iam.policy import Statement

INLINE_LIMIT = 10_240  # characters, whitespace excluded, for an inline role policy

_SERVICE_NAMES = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "sns": "SNS", "kms": "KMS", "iam": "IAM",
                  "ssm": "SSM", "ec2": "EC2", "xray": "XRay", "sts": "STS", "secretsmanager": "SecretsManager",
                  "logs": "Logs", "lambda": "Lambda", "kinesis": "Kinesis", "states": "StepFunctions",
                  "events": "EventBridge", "elasticfilesystem": "EFS", "kafka": "MSK", "mq": "MQ", "rds": "RDS"}


def documents(entries: list[Entry], denies: list[Statement], res: Result_, cat: Catalog, min_prefix: int) -> list[dict]:
    """The policy documents for the kept entries, under the inline size limit: readable
    statements first, merged by resources, then minimised, then split. A permission or a
    statement another one covers entirely is left out."""
    covered = covered_permissions([(e.action, e.resource, e.conditions) for e in entries])
    entries = [e for i, e in enumerate(entries) if i not in covered]
    statements = drop_covered_statements(_group(entries, cat), cat)
    deny_json = [dict(s.to_json()) for s in denies]
    doc = {"Version": "2012-10-17", "Statement": statements + deny_json}
    if _size(doc) <= INLINE_LIMIT:
        return [doc] if statements else []
    merged = _merge_by_resources(statements)
    doc = {"Version": "2012-10-17", "Statement": merged + deny_json}
    if _size(doc) <= INLINE_LIMIT:
        return [doc]
    for st in merged:
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        st["Action"] = minimize_actions(acts, cat, min_prefix=min_prefix)
    doc = {"Version": "2012-10-17", "Statement": merged + deny_json}
    if _size(doc) <= INLINE_LIMIT:
        return [doc]
    docs, cur = [], []
    budget = INLINE_LIMIT - _size({"Version": "2012-10-17", "Statement": deny_json}) - 10
    for st in merged:
        if cur and _size({"Statement": cur + [st]}) > budget:
            docs.append({"Version": "2012-10-17", "Statement": cur + deny_json})
            cur = []
        cur.append(st)
    if cur:
        docs.append({"Version": "2012-10-17", "Statement": cur + deny_json})
    res.warnings.append(f"the policy does not fit one inline policy ({INLINE_LIMIT} characters): split into {len(docs)}")
    return docs


def applies_objects(cat: Catalog, action: str) -> bool:
    act = cat.get(action)
    return bool(act) and any(r.name.lower() == "object" for r in act.resource_types)


def _size(doc: dict) -> int:
    return len(json.dumps(doc, separators=(",", ":")))


def _sid(origin: str, svc: str, levels: set[str], n: int) -> str:
    name = _SERVICE_NAMES.get(svc) or re.sub(r"[^A-Za-z0-9]", "", svc.title())
    kind = "Reads" if levels <= {"List", "Read"} else "Writes" if levels.isdisjoint({"List", "Read"}) else "Access"
    return f"{origin.title()}{name}{kind}" + (str(n) if n > 1 else "")


def _group(entries: list[Entry], cat: Catalog) -> list[dict]:
    """Readable statements: per origin, service and conditions, actions sharing the same resources."""
    by: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in entries:
        by[(e.origin, service_of(e.action), e.conditions)][e.action].add(e.resource)
    out = []
    used: dict[str, int] = defaultdict(int)
    order = {"observed": 0, "required": 1, "unverified": 2, "code": 3}
    for (origin, svc, conds), actions in sorted(by.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], str(kv[0][2]))):
        by_resources: dict[tuple, list[str]] = defaultdict(list)
        for action, resources in actions.items():
            by_resources[tuple(sorted(resources))].append(action)
        for resources, acts in sorted(by_resources.items(), key=lambda kv: sorted(kv[1])):
            levels = {cat.access_level(a) or "Write" for a in acts}
            sid = _sid(origin, svc, levels, 0)
            used[sid] += 1
            st = {"Sid": sid if used[sid] == 1 else f"{sid}{used[sid]}", "Effect": "Allow",
                  "Action": sorted(acts) if len(acts) > 1 else acts[0],
                  "Resource": list(resources) if len(resources) > 1 else resources[0]}
            if conds:
                st["Condition"] = conditions_json(conds)
            out.append(st)
    return out


GENERALISE_OVER = 8


def generalise_entries(entries: list[Entry]) -> list[Entry]:
    """Many object keys or prefixes of one bucket, for one action, become their longest common
    folder (``bucket/incoming/*``), with the evidence summed. ``_fit`` narrows the result
    back to today's grants if the folder is broader than them."""
    groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    out = []
    for e in entries:
        parsed = arnlib.try_parse(e.resource)
        if parsed is not None and parsed.service == "s3" and "/" in parsed.resource:
            groups[(e.action, arnlib.container(e.resource))].append(e)
        else:
            out.append(e)
    for (action, bucket), es in groups.items():
        if len(es) <= GENERALISE_OVER:
            out.extend(es)
            continue
        folders = [e.resource.split("/", 1)[1].split("/")[:-1] for e in es]
        common = []
        for parts in zip(*folders):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
        resource = f"{bucket}/{'/'.join(common)}/*" if common else f"{bucket}/*"
        evidence = {"count": sum(e.evidence.get("count", 0) for e in es),
                    "first_seen": min(e.evidence.get("first_seen") or "" for e in es),
                    "last_seen": max(e.evidence.get("last_seen") or "" for e in es),
                    "data_event": any(e.evidence.get("data_event") for e in es),
                    "generalised_from": len(es)}
        out.append(Entry(action, resource, es[0].origin, evidence))
    return out


def _merge_by_resources(statements: list[dict]) -> list[dict]:
    """Fewer statements: actions with exactly the same resources and conditions share one."""
    merged: dict[tuple, dict] = {}
    for st in statements:
        res = tuple(st["Resource"]) if isinstance(st["Resource"], list) else (st["Resource"],)
        key = (res, json.dumps(st.get("Condition"), sort_keys=True))
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if key in merged:
            merged[key]["Action"] = sorted(set(merged[key]["Action"]) | set(acts))
        else:
            merged[key] = {"Sid": f"Allowed{len(merged) + 1}", "Effect": "Allow", "Action": sorted(acts),
                           "Resource": list(res) if len(res) > 1 else res[0]}
            if st.get("Condition"):
                merged[key]["Condition"] = st["Condition"]
    return list(merged.values())


def role_union(results: list[Result_]) -> dict:
    """The union of the functions' generated statements for their shared role."""
    seen = set()
    statements = []
    for r in results:
        for doc in r.documents:
            for st in doc["Statement"]:
                k = json.dumps({k: v for k, v in st.items() if k != "Sid"}, sort_keys=True)
                if k not in seen:
                    seen.add(k)
                    statements.append(st)
    out = []
    names: dict[str, int] = defaultdict(int)
    for st in statements:
        st = dict(st)
        if "Sid" in st:
            names[st["Sid"]] += 1
            if names[st["Sid"]] > 1:
                st["Sid"] = f"{st['Sid']}{names[st['Sid']]}"
        out.append(st)  # Sids stay unique within the union
    return {"Version": "2012-10-17", "Statement": out}
