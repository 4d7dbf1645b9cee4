"""What the provider would compute for an attribute the configuration does not set: names,
ARNs and ids from the resource's name, data sources answered offline (caller identity, region,
partition, policy documents, AWS managed policies); the rest is only known at apply and read as
``*`` with a note. ``res`` is a ``tf_module.Res`` (typed by its shape, so this module, which
``tf_module`` calls, does not import it back)."""

from __future__ import annotations

import json
from typing import Any

from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.iam import managed_policies

from .resolve import WILDCARD
from .tf_expr import UNKNOWN, plain
from .tf_types import Instance

Res = Any  # tf_module.Res


def special(res: Res, name: str) -> Any:
    """An attribute the configuration does not set: what the provider would compute."""
    reader = res.mod.reader
    if res.mode == "data":
        v = data_attribute(res, name)
        if v is not None:
            return v
    mapping = ab.TERRAFORM.get(res.type)
    # an existing resource looked up by name (data "aws_sqs_queue"): its ARN follows from the
    # name, except for IAM, whose path the name does not say
    by_name = res.mode == "managed" or (mapping is not None and mapping[1] in res.block.body.attrs
                                        and not ab.CFN[mapping[0]].path_prop)
    if mapping is not None and by_name and name in ("arn", "id", "name", mapping[1], "invoke_arn", "url", "qualified_arn",
                                                 "execution_arn"):
        values = {mapping[1]: res_name(res)}
        if "path" in res.block.body.attrs:
            values["path"] = plain(res.attr("path"))
        inst = Instance({"address": res.address, "type": res.type, "name": res.name, "values": values}, "", None)
        v = reader.plan.attribute(inst, "arn" if name == "qualified_arn" else name)
        if isinstance(v, str):
            return v + ":*" if name == "qualified_arn" else v
    if res.type == "aws_dynamodb_table" and name == "stream_arn" and mapping is not None:
        table = special(res, "arn")
        if isinstance(table, str):
            return ab.stream_arn(table)  # the stream label is made at apply
    line = reader.current_line()
    if res.mode == "data":
        reader.note(res.mod.defn.folder, line[0], line[1], f"{res.address}.{name} is read from AWS when Terraform "
                    "plans: read as *")
    else:
        reader.note(res.mod.defn.folder, line[0], line[1], f"{res.address}.{name} is known only after apply: read as *")
    return UNKNOWN


def res_name(res: Res) -> Any:
    """The resource's name, or the placeholder a plan reader would use for one Terraform picks."""
    name_attr = ab.TERRAFORM[res.type][1]
    if name_attr in res.block.body.attrs:
        v = res.attr(name_attr)
        return v if isinstance(v, str) and v else WILDCARD
    if res.type in ("aws_iam_role", "aws_iam_policy"):
        prefix = res.attr("name_prefix") if "name_prefix" in res.block.body.attrs else None
        res.mod.reader.note(res.mod.defn.folder, res.block.file, res.block.line,
                            f"{res.address}: name chosen by Terraform at apply: read as a placeholder")
        return f"{prefix}*" if isinstance(prefix, str) and prefix else f"{res.address}-*"
    return WILDCARD


def data_attribute(res: Res, name: str) -> Any:
    reader = res.mod.reader
    t = res.type
    if t == "aws_caller_identity":
        return {"account_id": reader.account, "id": reader.account}.get(name)
    if t == "aws_region":
        return reader.region if name in ("name", "id", "region") else None
    if t == "aws_partition":
        return {"partition": reader.partition, "dns_suffix": "amazonaws.com", "id": reader.partition}.get(name)
    if t == "aws_iam_policy_document" and name in ("json", "minified_json"):
        return reader.policy_document(res)
    if t == "aws_iam_policy" and name in ("arn", "policy", "name", "path", "id"):
        ref = res.attr("arn") if "arn" in res.block.body.attrs else res.attr("name")
        pol = managed_policies.get(ref) if isinstance(ref, str) else None
        if pol is not None:
            return {"arn": pol.arn(reader.partition), "id": pol.arn(reader.partition), "name": pol.name,
                    "path": pol.path, "policy": json.dumps(pol.document)}[name]
        if name == "arn" and isinstance(ref, str) and ref.startswith("arn:"):
            return ref
    return None  # the caller builds what a name gives, or records what only AWS knows
