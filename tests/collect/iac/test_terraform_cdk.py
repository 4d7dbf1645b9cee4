"""Terraform plans (modules, count/for_each, unknown values) and CDK assemblies (nested stacks)."""

import json
from pathlib import Path

from iam_analyzer.collect.iac import read_paths

DATA = Path(__file__).resolve().parents[2] / "data" / "iac"
PLAN = DATA / "terraform" / "shop.plan.json"


def _fn(r, name):
    return next(f for f in r.snapshot.functions() if f.name == name)


def test_plan_unknown_values_resolve_through_references():
    r = read_paths([PLAN])
    orders = _fn(r, "orders-api")
    # role ARN unknown until apply: built from the referenced role's name
    assert orders.role_arn == "arn:aws:iam::123456789012:role/orders-api-role"
    assert orders.arn == "arn:aws:lambda:us-east-1:123456789012:function:orders-api"
    # TOPIC_ARN is known at apply; the one reference no other variable explains is its value
    assert {e.name: e.references for e in orders.environment} == {
        "TABLE_NAME": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod"],
        "TOPIC_ARN": ["arn:aws:sns:us-east-1:123456789012:order-events"]}
    # a deferred aws_iam_policy_document: statements built from configuration references
    role = r.snapshot.find_role(orders.role_arn)
    doc = {p.name: p.document for p in role.inline_policies}["orders-data"]
    assert doc["Statement"][0]["Resource"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod*"]
    # module input (var.table_arn) resolved in the calling module
    nightly = r.snapshot.find_role(_fn(r, "nightly-report").role_arn)
    assert nightly.inline_policies[0].document["Statement"][0]["Resource"] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod*"]


def test_plan_for_each_and_count_instances():
    r = read_paths([PLAN])
    roles = {ro.name: ro for ro in r.snapshot.roles()}
    assert set(roles) == {"orders-api-role", "thumbnail-role", "nightly-role"}
    assert roles["thumbnail-role"].location.logical_id == 'module.workers.aws_iam_role.fn["thumbnail"]'
    for ro in roles.values():  # for_each attachments in both modules
        assert ro.managed_policy_arns == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    orders = _fn(r, "orders-api")
    assert len(orders.triggers) == 2  # count = 2 integrations
    assert orders.invokers[0].sid == "AllowApiGateway"  # count-indexed permission


def test_plan_values_only_known_after_apply_are_recorded():
    r = read_paths([PLAN])
    unresolved = [u for u in r.unresolved if "rest_api_id" in u.what]
    assert unresolved and unresolved[0].path == str(PLAN) and unresolved[0].line
    assert {t.source_arn for t in _fn(r, "orders-api").triggers} == {"arn:aws:apigateway:us-east-1::/restapis/*"}
    inv = _fn(r, "orders-api").invokers[0]
    # the API's id is made at apply: its execution ARN is read as any API of the account
    assert inv.source_arn == "arn:aws:execute-api:us-east-1:123456789012:*/*/*/*"


def test_plan_known_policy_document_json_is_used(tmp_path):
    plan = json.loads(PLAN.read_text())
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}]}
    plan["prior_state"]["values"]["root_module"]["resources"].append({
        "address": "data.aws_iam_policy_document.publish", "mode": "data", "type": "aws_iam_policy_document",
        "name": "publish", "values": {"json": json.dumps(doc), "statement": []}})
    plan["resource_changes"] = [c for c in plan["resource_changes"] if c["address"] != "data.aws_iam_policy_document.publish"]
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(plan))
    r = read_paths([p])
    role = r.snapshot.find_role(_fn(r, "orders-api").role_arn)
    assert {x.name: x.document for x in role.inline_policies}["publish"] == doc


def test_cdk_nested_stack_reads_with_parent_parameters():
    r = read_paths([DATA / "cdk" / "cdk.out" / "manifest.json"])
    (rep,) = r.inputs
    assert rep.kind == "cdk" and rep.stacks == ["shop"] and rep.errors == []
    thumb = _fn(r, "thumbnail")
    assert thumb.location.path.endswith(".nested.template.json")
    nightly_role = r.snapshot.find_role(_fn(r, "nightly-report").role_arn)
    # the table's ARN reached the nested stack through the parent's Parameters
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod" in json.dumps(nightly_role.inline_policies[0].document)
    assert not any("OrdersTable" in u.what for u in r.unresolved)
    loc = _fn(r, "orders-api").location
    assert r.construct_paths[(loc.path, loc.logical_id)] == "ShopStack/OrdersApiFunction/Resource"


def test_cdk_environment_sets_account_and_region(tmp_path):
    import shutil
    out = tmp_path / "cdk.out"
    shutil.copytree(DATA / "cdk" / "cdk.out", out)
    m = json.loads((out / "manifest.json").read_text())
    m["artifacts"]["ShopStack"]["environment"] = "aws://444455556666/eu-central-1"
    (out / "manifest.json").write_text(json.dumps(m))
    r = read_paths([tmp_path])
    assert _fn(r, "orders-api").arn == "arn:aws:lambda:eu-central-1:444455556666:function:orders-api"


def test_plan_inline_policy_block_known_at_apply_is_built_from_its_reference(tmp_path):
    plan = json.loads(PLAN.read_text())
    for r in plan["planned_values"]["root_module"]["resources"]:
        if r["address"] == "aws_iam_role.orders":
            r["values"]["inline_policy"] = [{"name": "orders-inline"}]
    for rc in plan["resource_changes"]:
        if rc["address"] == "aws_iam_role.orders":
            rc["change"]["after_unknown"]["inline_policy"] = [{"policy": True}]
    plan["configuration"]["root_module"]["resources"].append({
        "address": "aws_iam_role.orders", "mode": "managed", "type": "aws_iam_role", "name": "orders",
        "expressions": {"inline_policy": [{"name": {"constant_value": "orders-inline"}, "policy": {
            "references": ["data.aws_iam_policy_document.orders.json", "data.aws_iam_policy_document.orders"]}}]}})
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(plan))
    r = read_paths([p])
    role = r.snapshot.find_role("arn:aws:iam::123456789012:role/orders-api-role")
    inline = {x.name: x.document for x in role.inline_policies}
    assert "dynamodb:PutItem" in inline["orders-inline"]["Statement"][0]["Action"]
