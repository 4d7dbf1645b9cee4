"""A Lambda function's resource policy, read as a list of invokers.

Each statement becomes one ``Invoker`` per principal: who (a service, an account, an IAM
principal, or everyone), which actions, and the conditions that matter for confused-deputy
and exposure questions (``aws:SourceArn``, ``aws:SourceAccount``, ``aws:PrincipalOrgID``,
``lambda:FunctionUrlAuthType``).
"""

from __future__ import annotations

import json
import re

from iam_analyzer.iam.exposure import open_to_anyone
from iam_analyzer.iam.policy import Condition, PolicyError, parse_policy_lenient
from iam_analyzer.model import Invoker

_KEY_FIELDS = {
    "aws:sourcearn": "source_arn",
    "aws:sourceaccount": "source_account",
    "aws:principalorgid": "principal_org_id",
    "lambda:functionurlauthtype": "function_url_auth_type",
}


def _principal_type(kind: str, value: str) -> str:
    if value == "*":
        return "everyone"
    if kind == "Service":
        return "service"
    if kind == "Federated":
        return "federated"
    if re.fullmatch(r"\d{12}", value) or value.endswith(":root"):
        return "account"
    return "aws"


def _repair(document: dict | str) -> dict | str:
    """Accept two non-standard shapes seen from emulators, so no invoker is lost:
    a bare-string principal other than "*", and FunctionUrlAuthType outside Condition."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), list):
        return document
    out = []
    for st in document["Statement"]:
        if not isinstance(st, dict):
            out.append(st)
            continue
        st = dict(st)
        p = st.get("Principal")
        if isinstance(p, str) and p != "*":
            st["Principal"] = {"Service": p} if p.endswith(".amazonaws.com") else {"AWS": p}
        if "FunctionUrlAuthType" in st:
            cond = {k: dict(v) for k, v in (st.get("Condition") or {}).items()}
            cond.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = st.pop("FunctionUrlAuthType")
            st["Condition"] = cond
        out.append(st)
    return {**document, "Statement": out}


def invokers_from_policy(document: dict | str | None, qualifier: str | None = None) -> tuple[list[Invoker], list[PolicyError]]:
    if not document:
        return [], []
    policy, errors = parse_policy_lenient(_repair(document))
    out: list[Invoker] = []
    for st in policy.statements:
        fields: dict[str, str] = {}
        conditions: dict[str, dict[str, list[str]]] = {}
        for c in st.conditions:
            _note(c, fields)
            conditions.setdefault(c.operator.text, {})[c.key] = list(c.values)
        principal = st.principal
        pairs = principal.all_values() if principal is not None else [("AWS", "*")] if st.not_principal is not None else []
        for kind, value in pairs:
            out.append(Invoker(
                principal=value,
                principal_type=_principal_type(kind, value),
                actions=list(st.actions or st.not_actions or ()),
                effect=st.effect,
                sid=st.sid,
                qualifier=qualifier,
                conditions=conditions,
                open_to_anyone=open_to_anyone(st),
                **fields,
            ))
    return out, errors


def _note(c: Condition, fields: dict[str, str]) -> None:
    attr = _KEY_FIELDS.get(c.key.lower())
    if attr and c.values and not c.operator.negated:
        fields[attr] = c.values[0] if len(c.values) == 1 else ",".join(c.values)
