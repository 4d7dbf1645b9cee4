"""Put the parts of every file together into one ``Account``, as ``scan`` would have seen it.

Policies attached by name (``AWS::IAM::Policy`` Roles, ``aws_iam_role_policy_attachment``) go
to their roles; links by function reference (permissions, triggers, mappings, URLs) go to their
functions; environment variables are inspected against the names of every declared resource;
every managed policy a role uses gets its document: declared in the inputs, given by the caller
(``managed=``), or an AWS managed policy from the shipped data. A policy found nowhere is named
in the result's warnings, never silently dropped.
"""

from __future__ import annotations

from iam_analyzer.collect.envvars import ResourceIndex, inspect_all
from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.iam import managed_policies
from iam_analyzer.model import Account, Function, ManagedPolicy

from .result import Parts


def _index_functions(functions: list[Function]) -> dict[str, list[Function]]:
    by_name: dict[str, list[Function]] = {}
    for f in functions:
        by_name.setdefault(f.name, []).append(f)
    return by_name


def find_function(ref: str, by_name: dict[str, list[Function]], path: str = "") -> Function | None:
    """The function a reference names; with several of that name, the one declared in ``path``."""
    name, _ = ab.function_name_and_qualifier(ref)
    found = by_name.get(name) or []
    if len(found) > 1 and ref.startswith("arn:"):
        found = [f for f in found if ref == f.arn or ref.startswith(f.arn + ":")] or found
    if len(found) > 1 and path:
        found = [f for f in found if f.location and f.location.path == path] or found
    return found[0] if found else None


def link(parts: Parts, account: str, region: str, partition: str,
         managed: dict[str, ManagedPolicy] | None = None) -> tuple[Account, list[str], list[str]]:
    """Returns the account, warnings, and the ARNs of managed policies whose document is unknown."""
    warnings: list[str] = []
    # the region asked for, and those the inputs deploy to (provider.region, a provider "aws" block)
    others = sorted({f.region for f in parts.functions if f.region and f.region != region})
    acct = Account(account_id=account, partition=partition, regions=[region, *others])
    acct.functions = parts.functions
    acct.roles, acct.users, acct.groups = parts.roles, parts.users, parts.groups
    acct.policies = list(parts.policies)

    principals = {"role": {r.name: r for r in acct.roles}, "user": {u.name: u for u in acct.users},
                  "group": {g.name: g for g in acct.groups}}
    for kind, name, what, payload in parts.attachments:
        target = principals[kind].get(name)
        if target is None:
            warnings.append(f"a policy is attached to {kind} {name}, which no input declares")
            continue
        if what == "inline":
            target.inline_policies.append(payload)
        elif payload not in target.managed_policy_arns:
            target.managed_policy_arns.append(payload)
            target.managed_policy_arns.sort()

    by_name = _index_functions(acct.functions)
    for ref, action, path in parts.links:
        fn = find_function(ref, by_name, path)
        if fn is None:
            if "*" not in ref:
                warnings.append(f"configuration for function {ref}, which no input declares")
            continue
        action(fn)

    index = ResourceIndex()
    for name, arn in parts.names.items():
        index.add(name, arn)
    for fn, variables in parts.env:
        fn.environment = inspect_all(variables, index)
    parts.env.clear()  # values are not kept past this point

    unknown = _managed_documents(acct, managed or {}, partition)
    for arn in unknown:
        warnings.append(f"managed policy {arn}: document unknown (not declared, not given, not AWS managed data)")
    return acct, warnings, unknown


def _managed_documents(acct: Account, extra: dict[str, ManagedPolicy], partition: str) -> list[str]:
    known = {p.arn for p in acct.policies}
    wanted = sorted({a for x in (*acct.roles, *acct.users, *acct.groups) for a in x.managed_policy_arns}
                    | {x.permissions_boundary_arn for x in (*acct.roles, *acct.users) if x.permissions_boundary_arn})
    unknown = []
    for arn in wanted:
        if arn in known:
            continue
        if arn in extra:
            acct.policies.append(extra[arn])
            continue
        aws = managed_policies.get(arn)
        if aws is not None:
            acct.policies.append(ManagedPolicy(arn=arn, name=aws.name, document=aws.document,
                                               default_version_id=aws.version, aws_managed=True, path=aws.path))
            continue
        unknown.append(arn)
    return unknown
