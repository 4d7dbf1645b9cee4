"""Terraform configuration (.tf folders) read offline: the shop fixture (a root module with a
local module called with for_each, policy documents, jsonencode, heredocs, file/templatefile,
tfvars) and small configurations for single behaviours."""

import json
from pathlib import Path

import pytest

from iam_analyzer.collect.iac import read_paths

from ...paths import DATA

SHOP = DATA / "iac" / "tfconfig" / "shop"


def _fn(r, name):
    return next(f for f in r.snapshot.functions() if f.name == name)


def _role(r, fn_name):
    return r.snapshot.find_role(_fn(r, fn_name).role_arn)


def _inline(role, name):
    return {p.name: p.document for p in role.inline_policies}[name]


def _actions(doc):
    out = set()
    for st in doc["Statement"]:
        a = st.get("Action", [])
        out.update([a] if isinstance(a, str) else a)
    return out


def _tf(tmp_path, text, name="main.tf"):
    (tmp_path / name).write_text(text)
    return tmp_path


@pytest.fixture(scope="module")
def shop():
    return read_paths([SHOP])


def test_every_function_of_the_root_and_its_local_module_is_found_with_its_address(shop):
    (rep,) = shop.inputs
    assert rep.kind == "terraform" and rep.errors == []
    found = {f.name: f.location.logical_id for f in shop.snapshot.functions()}
    assert found == {
        "shop-dev-api": "aws_lambda_function.api",
        "shop-dev-reports": "aws_lambda_function.reports[0]",
        "shop-dev-thumbnail": 'module.workers["thumbnail"].aws_lambda_function.this',
        "shop-dev-invoice": 'module.workers["invoice"].aws_lambda_function.this',
        # terraform-aws-modules/lambda/aws, not installed: read through the shipped stand-in
        "shop-dev-search": "module.search.aws_lambda_function.this[0]"}
    thumb = _fn(shop, "shop-dev-thumbnail")
    assert thumb.location.path == str(SHOP / "modules" / "worker" / "main.tf")
    assert thumb.timeout == 30  # module input from the for_each value
    assert SHOP.joinpath("modules/worker/main.tf").read_text().splitlines()[thumb.location.line - 1].startswith(
        'resource "aws_lambda_function" "this"')


def test_policy_documents_merge_sources_and_resolve_references_and_data_sources(shop):
    role = _role(shop, "shop-dev-api")
    assert role.name == "shop-dev-api-role" and role.tags == {"team": "shop", "stage": "dev"}
    assert role.trust_policy["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    doc = _inline(role, "api-data")
    # the source document's statement first, then the document's own
    assert [s.get("Sid") for s in doc["Statement"]] == ["Logs", "ReadOrders", "Publish"]
    read = doc["Statement"][1]
    # var.table_name from terraform.tfvars, var.stage from its default
    assert read["Resource"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev",
                                "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev/index/*"]
    assert doc["Statement"][2]["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}
    uploads = _inline(role, "api-uploads")  # jsonencode with string templates
    assert uploads["Statement"][0]["Resource"] == "arn:aws:s3:::shop-dev-uploads/incoming/*"
    # data "aws_iam_policy" of an AWS managed policy: its ARN and document from the shipped data
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert role.managed_policy_arns == [basic]
    pol = next(p for p in shop.snapshot.accounts[0].policies if p.arn == basic)
    assert "logs:PutLogEvents" in _actions(pol.document)


def test_heredoc_with_a_trailing_space_closer_templatefile_and_file_are_read(shop):
    role = _role(shop, "shop-dev-reports")
    assert role.trust_policy["Statement"][0]["Action"] == "sts:AssumeRole"  # heredoc closed by "EOF   "
    tpl = _inline(role, "reports")  # templatefile() with variables from locals and references
    assert [s["Resource"] for s in tpl["Statement"]] == ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev",
                                                        "arn:aws:s3:::shop-dev-uploads/reports/*"]
    stream = next(p for p in shop.snapshot.accounts[0].policies if p.name == "shop-dev-stream")  # file()
    assert "arn:aws:iam::123456789012:policy/shop-dev-stream" in role.managed_policy_arns
    assert _actions(stream.document) == {"dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                         "dynamodb:DescribeStream", "dynamodb:ListStreams"}


def test_module_policies_built_with_concat_and_for_expressions(shop):
    doc = _inline(_role(shop, "shop-dev-invoice"), "worker")
    assert [(s["Action"], s["Resource"]) for s in doc["Statement"]] == [
        (["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "arn:aws:sqs:us-east-1:123456789012:invoices"),
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev"),
        ("dynamodb:UpdateItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev")]


def test_every_statement_points_at_the_line_that_wrote_it(shop):
    lines = (SHOP / "main.tf").read_text().splitlines()
    main = str(SHOP / "main.tf")
    data = [shop.statement_lines[(main, "aws_iam_role_policy.api", "api-data", i)] for i in range(3)]
    assert [lines[n - 1].strip() for n in data] == ["statement {", "statement {", "statement {"]
    assert lines[data[0] + 1].strip().startswith('actions   = ["logs:CreateLogStream"')  # from the source document
    enc = [shop.statement_lines[(main, "aws_iam_role_policy.api_uploads", "api-uploads", i)] for i in range(2)]
    assert [lines[n - 1].strip() for n in enc] == ["{", "{"] and enc[0] < enc[1]
    heredoc = shop.statement_lines[(str(SHOP / "reports.tf"), "aws_iam_role.reports[0]", "AssumeRolePolicyDocument", 0)]
    assert (SHOP / "reports.tf").read_text().splitlines()[heredoc - 1].strip() == "{"


def test_event_sources_and_invokers_are_linked_to_their_functions(shop):
    reports = _fn(shop, "shop-dev-reports")
    assert {(t.type, t.source_arn) for t in reports.triggers} == {
        ("eventbridge-rule", "arn:aws:events:us-east-1:123456789012:rule/shop-dev-nightly"),
        ("s3", "arn:aws:s3:::shop-dev-uploads"), ("sns", "arn:aws:sns:us-east-1:123456789012:shop-dev-events")}
    assert next(t for t in reports.triggers if t.type == "eventbridge-rule").details["schedule"] == "cron(0 3 * * ? *)"
    # the stream label is made at apply: the table's streams
    assert [m.event_source_arn for m in reports.event_source_mappings] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev/stream/*"]
    thumb = _fn(shop, "shop-dev-thumbnail")
    assert [(m.event_source_arn, m.batch_size) for m in thumb.event_source_mappings] == [
        ("arn:aws:sqs:us-east-1:123456789012:thumbnails", 5)]
    api = _fn(shop, "shop-dev-api")
    assert [u.auth_type for u in api.urls] == ["AWS_IAM"]
    assert [t.type for t in api.triggers] == ["apigateway-http"]
    (inv,) = api.invokers
    # the API's id is made at apply: any API of this account, never any account's
    assert inv.sid == "AllowHttpApi" and inv.source_arn.startswith("arn:aws:execute-api:us-east-1:123456789012:*/")
    assert {e.name: e.references for e in api.environment}["TOPIC_ARN"] == ["arn:aws:sns:us-east-1:123456789012:shop-dev-events"]


def test_what_only_apply_knows_is_listed_with_file_and_line(shop):
    by_what = {u.what: u for u in shop.unresolved}
    remote = next(u for w, u in by_what.items() if w.startswith("module.search:"))
    assert remote.path == str(SHOP / "main.tf")
    assert (SHOP / "main.tf").read_text().splitlines()[remote.line - 1] == 'module "search" {'
    api_id = by_what["aws_apigatewayv2_api.http.id is known only after apply: read as *"]
    assert "aws_apigatewayv2_api.http.id" in (SHOP / "main.tf").read_text().splitlines()[api_id.line - 1]


def test_param_and_var_file_override_defaults_and_tfvars(tmp_path):
    vf = tmp_path / "prod.tfvars"
    vf.write_text('table_name = "ledger"\nworkers = { only = { queue = "q1", timeout = 5 } }\n')
    r = read_paths([SHOP], params={"stage": "prod", "enable_reports": "false"}, var_files=[str(vf)])
    # count = 0 for reports; search: the registry lambda module, read through its stand-in
    assert {f.name for f in r.snapshot.functions()} == {"shop-prod-api", "shop-prod-only", "shop-prod-search"}
    doc = _inline(_role(r, "shop-prod-api"), "api-data")
    assert doc["Statement"][1]["Resource"][0] == "arn:aws:dynamodb:us-east-1:123456789012:table/ledger-prod"


def test_a_variable_without_value_is_a_placeholder_listed_with_its_line(tmp_path):
    _tf(tmp_path, 'variable "bucket" {}\n'
                  'resource "aws_iam_role_policy" "p" {\n  name = "p"\n  role = "r"\n'
                  '  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject",\n'
                  '    Resource = "arn:aws:s3:::${var.bucket}/*" }] })\n}\n'
                  'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n')
    r = read_paths([tmp_path])
    role = r.snapshot.find_role("arn:aws:iam::123456789012:role/r")
    assert role.inline_policies[0].document["Statement"][0]["Resource"] == "arn:aws:s3:::*/*"
    (u,) = [u for u in r.unresolved if "var.bucket" in u.what]
    assert u.path == str(tmp_path / "main.tf") and u.line == 1 and "--param" in u.what


def test_override_documents_replace_statements_by_sid(tmp_path):
    _tf(tmp_path, '''
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::b/*"]
  }
}
data "aws_iam_policy_document" "narrow" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/*"]
  }
}
data "aws_iam_policy_document" "final" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.narrow.json]
  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["*"]
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = "{}"
  inline_policy {
    name   = "final"
    policy = data.aws_iam_policy_document.final.json
  }
}
''')
    r = read_paths([tmp_path])
    doc = r.snapshot.find_role("arn:aws:iam::123456789012:role/r").inline_policies[0].document
    assert [(s.get("Sid"), s["Action"]) for s in doc["Statement"]] == [("Read", ["s3:GetObject"]), (None, ["sqs:SendMessage"])]


def test_count_and_for_each_over_literals_and_dynamic_blocks(tmp_path):
    _tf(tmp_path, '''
locals {
  fns = toset(["a", "b"])
}
resource "aws_iam_role" "fn" {
  for_each           = local.fns
  name               = "role-${each.key}"
  assume_role_policy = "{}"
  dynamic "inline_policy" {
    for_each = { logs = "logs:PutLogEvents", sqs = "sqs:SendMessage" }
    content {
      name   = inline_policy.key
      policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = inline_policy.value, Resource = "*" }] })
    }
  }
}
resource "aws_lambda_function" "fn" {
  count         = 2
  function_name = "fn-${count.index}"
  role          = aws_iam_role.fn[element(["a", "b"], count.index)].arn
}
''')
    r = read_paths([tmp_path])
    assert {f.location.logical_id: f.role_arn for f in r.snapshot.functions()} == {
        "aws_lambda_function.fn[0]": "arn:aws:iam::123456789012:role/role-a",
        "aws_lambda_function.fn[1]": "arn:aws:iam::123456789012:role/role-b"}
    role = r.snapshot.find_role("arn:aws:iam::123456789012:role/role-b")
    assert role.location.logical_id == 'aws_iam_role.fn["b"]'
    assert {p.name: _actions(p.document) for p in role.inline_policies} == {
        "logs": {"logs:PutLogEvents"}, "sqs": {"sqs:SendMessage"}}


def test_exclusive_attachments_and_role_policy_attachments(tmp_path):
    _tf(tmp_path, '''
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = "{}"
}
resource "aws_iam_role_policy_attachments_exclusive" "r" {
  role_name   = aws_iam_role.r.name
  policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
}
''')
    role = read_paths([tmp_path]).snapshot.find_role("arn:aws:iam::123456789012:role/r")
    assert role.managed_policy_arns == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]


def test_a_plan_beside_the_configuration_wins_for_what_it_resolves(tmp_path):
    plan = json.loads((DATA / "iac" / "terraform" / "shop.plan.json").read_text())
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    _tf(tmp_path, '''
resource "aws_lambda_function" "orders" {
  function_name = "written-differently"
  role          = "arn:aws:iam::123456789012:role/other"
}
resource "aws_lambda_function" "extra" {
  function_name = "only-in-config"
  role          = "arn:aws:iam::123456789012:role/other"
}
''')
    r = read_paths([tmp_path])
    names = {f.name for f in r.snapshot.functions()}
    assert "orders-api" in names and "only-in-config" in names and "written-differently" not in names
    (tf,) = [i for i in r.inputs if i.kind == "terraform"]
    assert any("the plan wins" in w for w in tf.warnings)


def test_a_tf_file_named_alone_reads_its_whole_module(tmp_path):
    _tf(tmp_path, 'variable "n" { default = "x" }\n', "variables.tf")
    _tf(tmp_path, 'resource "aws_lambda_function" "f" {\n  function_name = "fn-${var.n}"\n  role = "arn:aws:iam::1:role/r"\n}\n')
    r = read_paths([tmp_path / "main.tf", tmp_path / "variables.tf"])
    assert [f.name for f in r.snapshot.functions()] == ["fn-x"] and len(r.inputs) == 1


def test_data_sources_by_name_give_arns_except_iam_whose_path_only_aws_knows(tmp_path):
    _tf(tmp_path, '''
data "aws_iam_role" "existing" {
  name = "legacy"
}
data "aws_sqs_queue" "jobs" {
  name = "jobs"
}
data "aws_ssm_parameter" "cfg" {
  name = "/app/cfg"
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = data.aws_iam_role.existing.arn
  environment {
    variables = { CFG = data.aws_ssm_parameter.cfg.value }
  }
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = data.aws_sqs_queue.jobs.arn
  function_name    = aws_lambda_function.f.function_name
}
''')
    r = read_paths([tmp_path])
    (fn,) = r.snapshot.functions()
    assert [m.event_source_arn for m in fn.event_source_mappings] == ["arn:aws:sqs:us-east-1:123456789012:jobs"]
    assert fn.role_arn == "*"  # the role may have a path: unknown, and listed
    listed = {u.what for u in r.unresolved}
    assert "data.aws_iam_role.existing.arn is read from AWS when Terraform plans: read as *" in listed
    assert "data.aws_ssm_parameter.cfg.value is read from AWS when Terraform plans: read as *" in listed


def test_modules_that_refer_to_each_others_outputs_are_read(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _tf(tmp_path, 'module "a" {\n  source = "./a"\n  topic = module.b.topic\n}\n'
                  'module "b" {\n  source = "./b"\n  bucket = module.a.bucket\n}\n')
    _tf(tmp_path / "a", 'variable "topic" {}\nresource "aws_s3_bucket" "b" {\n  bucket = "bkt"\n}\n'
                        'resource "aws_iam_role_policy" "p" {\n  name = "p"\n  role = "r"\n'
                        '  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sns:Publish", Resource = var.topic }] })\n}\n'
                        'output "bucket" {\n  value = aws_s3_bucket.b.arn\n}\n')
    _tf(tmp_path / "b", 'variable "bucket" {}\nresource "aws_sns_topic" "t" {\n  name = "tpc"\n}\n'
                        'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n}\n'
                        'output "topic" {\n  value = aws_sns_topic.t.arn\n}\n')
    r = read_paths([tmp_path])
    assert [i.path for i in r.inputs] == [str(tmp_path)]  # a and b are modules, not roots
    role = r.snapshot.find_role("arn:aws:iam::123456789012:role/r")
    assert role.inline_policies[0].document["Statement"][0]["Resource"] == "arn:aws:sns:us-east-1:123456789012:tpc"


def test_the_remaining_event_sources_and_function_settings(tmp_path):
    _tf(tmp_path, '''
resource "aws_kms_key" "env" {}
resource "aws_sqs_queue" "dlq" {
  name = "fn-dlq"
}
resource "aws_sns_topic" "done" {
  name = "fn-done"
}
resource "aws_kinesis_stream" "clicks" {
  name        = "clicks"
  shard_count = 1
}
resource "aws_iam_role" "fn" {
  name_prefix          = "fn-"
  assume_role_policy   = "{}"
  permissions_boundary = "arn:aws:iam::123456789012:policy/boundary"
}
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  kms_key_arn   = aws_kms_key.env.arn
  vpc_config {
    subnet_ids         = ["subnet-1"]
    security_group_ids = ["sg-1"]
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }
}
resource "aws_lambda_event_source_mapping" "clicks" {
  event_source_arn  = aws_kinesis_stream.clicks.arn
  function_name     = aws_lambda_function.fn.function_name
  starting_position = "TRIM_HORIZON"
}
resource "aws_lambda_function_event_invoke_config" "fn" {
  function_name = aws_lambda_function.fn.function_name
  destination_config {
    on_success {
      destination = aws_sns_topic.done.arn
    }
  }
}
resource "aws_api_gateway_rest_api" "api" {
  name = "api"
}
resource "aws_api_gateway_method" "get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_rest_api.api.root_resource_id
  http_method   = "GET"
  authorization = "AWS_IAM"
}
resource "aws_api_gateway_integration" "get" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_rest_api.api.root_resource_id
  http_method             = aws_api_gateway_method.get.http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.fn.invoke_arn
}
resource "aws_scheduler_schedule" "hourly" {
  name                = "hourly"
  schedule_expression = "rate(1 hour)"
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_lambda_function.fn.arn
    role_arn = aws_iam_role.fn.arn
  }
}
resource "aws_cloudwatch_log_subscription_filter" "errors" {
  name            = "errors"
  log_group_name  = "/app/errors"
  filter_pattern  = "ERROR"
  destination_arn = aws_lambda_function.fn.arn
}
''')
    r = read_paths([tmp_path])
    (fn,) = r.snapshot.functions()
    assert fn.role_arn == "arn:aws:iam::123456789012:role/fn-*"  # name_prefix: Terraform adds the rest
    role = r.snapshot.find_role(fn.role_arn)
    assert role.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/boundary"
    assert fn.kms_key_arn.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert fn.dead_letter_target == "arn:aws:sqs:us-east-1:123456789012:fn-dlq"
    assert fn.subnet_ids == ["subnet-1"] and fn.vpc_id
    assert [(m.event_source_arn, m.starting_position) for m in fn.event_source_mappings] == [
        ("arn:aws:kinesis:us-east-1:123456789012:stream/clicks", "TRIM_HORIZON")]
    assert [c.on_success for c in fn.event_invoke_configs] == ["arn:aws:sns:us-east-1:123456789012:fn-done"]
    triggers = {t.type: t for t in fn.triggers}
    assert set(triggers) == {"apigateway-rest", "eventbridge-schedule", "logs-subscription"}
    assert triggers["apigateway-rest"].details["method"] == "GET"
    assert triggers["apigateway-rest"].details["authorization"] == "AWS_IAM"  # from the referenced method
    assert triggers["eventbridge-schedule"].details["schedule"] == "rate(1 hour)"
    assert triggers["logs-subscription"].source_arn.startswith("arn:aws:logs:us-east-1:123456789012:log-group:/app/errors")
