"""The real `scan` command against the moto server, and the snapshot it writes."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.model import Snapshot
from iam_analyzer.schema import load as load_schema

from tests.aws_account import ACCOUNT, PLAIN_SECRET, SECRET_VALUE, build_account


def run_scan(aws, tmp_path, *extra, name="snap.json"):
    out = tmp_path / name
    res = CliRunner().invoke(main, ["scan", "--endpoint-url", aws.endpoint_url, "--region", "us-east-1",
                                    "--region", "eu-west-1", "-o", str(out), *extra])
    assert res.exit_code == 0, res.output + str(res.exception)
    return out, res


@pytest.fixture
def scanned(aws, tmp_path):
    info = build_account(aws)
    path, res = run_scan(aws, tmp_path, "-v", "--thorough")
    return info, Snapshot.load(path), path, res


def fn(snap, name):
    return next(f for f in snap.functions() if f.name == name)


def test_every_function_and_its_configuration(scanned):
    info, snap, _, _ = scanned
    (acct,) = snap.accounts
    assert acct.account_id == ACCOUNT and acct.regions == ["us-east-1", "eu-west-1"]
    names = sorted(f.name for f in snap.functions())
    assert names == sorted(["api-handler", "uploader", "nightly-cron", "sqs-worker", "stream-consumer", "notifier",
                            "public-url", "vpc-fn", "lonely", "log-shipper"])
    assert all(f.region == "us-east-1" for f in snap.functions())  # eu-west-1 has none
    api = fn(snap, "api-handler")
    assert api.role_arn == info["roles"]["api"] and api.runtime == "python3.12" and api.tracing_mode == "Active"
    assert api.tags == {"team": "payments"}
    vpc = fn(snap, "vpc-fn")
    assert vpc.subnet_ids == [info["subnet"]] and vpc.security_group_ids == [info["sg"]]
    assert fn(snap, "sqs-worker").reserved_concurrency == 5
    public = fn(snap, "public-url")
    assert public.versions == ["1"] and [a.name for a in public.aliases] == ["live"]
    assert [(u.auth_type, u.qualifier) for u in public.urls] == [("NONE", None)]
    (eic,) = fn(snap, "notifier").event_invoke_configs
    assert (eic.on_failure, eic.on_success, eic.maximum_retry_attempts) == (info["dlq_arn"], info["topic_arn"], 1)


def test_roles_policies_boundaries_and_aws_managed_documents(scanned):
    info, snap, _, _ = scanned
    api_role = snap.find_role(info["roles"]["api"])
    assert api_role.permissions_boundary_arn.endswith(":policy/lambda-boundary")
    assert [p.name for p in api_role.inline_policies] == ["api-role-inline"]
    assert api_role.trust_policy["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    basic = snap.find_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert basic is not None and basic.aws_managed and "logs:PutLogEvents" in json.dumps(basic.document)
    admin = snap.find_policy("arn:aws:iam::aws:policy/AdministratorAccess")
    assert admin.document["Statement"][0]["Action"] == "*"
    assert snap.find_policy(api_role.permissions_boundary_arn).document["Statement"]
    (acct,) = snap.accounts
    assert [u.name for u in acct.users] == ["deployer"] and acct.users[0].groups == ["developers"]
    assert [g.name for g in acct.groups] == ["developers"] and acct.groups[0].inline_policies
    shared = [f.name for f in snap.functions() if f.role_arn == info["roles"]["shared"]]
    assert len(shared) == 4  # one role shared by several functions


def test_triggers_and_invokers(scanned):
    info, snap, _, _ = scanned
    kinds = lambda name: sorted(t.type for t in fn(snap, name).triggers)
    assert kinds("api-handler") == ["apigateway-http", "apigateway-rest"]
    assert kinds("uploader") == ["s3"]
    assert kinds("nightly-cron") == ["eventbridge-rule", "eventbridge-schedule"]
    assert kinds("notifier") == ["sns"]
    assert kinds("log-shipper") == ["logs-subscription"]
    assert kinds("lonely") == [] and fn(snap, "lonely").event_source_mappings == []
    assert [m.source_type for m in fn(snap, "sqs-worker").event_source_mappings] == ["sqs"]
    assert fn(snap, "sqs-worker").event_source_mappings[0].event_source_arn == info["queue_arn"]
    assert sorted(m.source_type for m in fn(snap, "stream-consumer").event_source_mappings) == ["dynamodb", "kinesis"]
    rule = next(t for t in fn(snap, "nightly-cron").triggers if t.type == "eventbridge-rule")
    assert rule.details["schedule"] == "cron(0 3 * * ? *)"
    s3 = next(i for i in fn(snap, "uploader").invokers if i.principal == "s3.amazonaws.com")
    assert (s3.source_arn, s3.source_account) == ("arn:aws:s3:::uploads-bucket", ACCOUNT)
    public = {i.principal: i for i in fn(snap, "public-url").invokers}
    assert public["*"].principal_type == "everyone" and public["*"].function_url_auth_type == "NONE"
    assert public["210987654321"].principal_type == "account"


def test_environment_values_never_reach_the_snapshot_or_logs(scanned, caplog):
    info, snap, path, res = scanned
    env = {v.name: v for v in fn(snap, "api-handler").environment}
    assert env["STRIPE_KEY"].looks_secret and env["STRIPE_KEY"].secret_pattern == "stripe-key"
    assert env["DB_PASSWORD"].looks_secret and env["DB_PASSWORD"].references == []
    assert env["TABLE_NAME"].references == [info["table_arn"]] and not env["TABLE_NAME"].looks_secret
    assert env["DB_SECRET_ARN"].references == [info["secret_arn"]] and not env["DB_SECRET_ARN"].looks_secret
    assert env["CONFIG_PARAM"].references == [f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/config"]
    assert env["LOG_LEVEL"].references == [] and not env["LOG_LEVEL"].looks_secret
    assert [v.references for v in fn(snap, "uploader").environment] == [[info["queue_arn"]]]
    text = path.read_text()
    for value in (SECRET_VALUE, PLAIN_SECRET, "debug", info["queue_url"]):
        assert value not in text
        assert value not in res.output  # stdout and stderr, with -v logging every call
        assert value not in caplog.text


def test_snapshot_is_versioned_valid_and_deterministic(scanned, aws, tmp_path):
    _, snap, path, _ = scanned
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1 and data["catalog"]["version"] and data["tool"]["name"] == "iam-analyzer"
    jsonschema.validate(data, load_schema("snapshot"))
    # load -> save gives the same bytes
    assert Snapshot.from_json(data).dumps() == path.read_text()
    # a second scan of the unchanged account differs only in its timestamp
    again, _ = run_scan(aws, tmp_path, "--thorough", name="again.json")
    a, b = json.loads(path.read_text()), json.loads(again.read_text())
    a.pop("created_at"), b.pop("created_at")
    assert a == b


def test_shipped_schema_is_up_to_date():
    from iam_analyzer.schema import snapshot_schema

    assert load_schema("snapshot") == json.loads(json.dumps(snapshot_schema(), sort_keys=True))


def test_inventory_prints_functions_roles_triggers_and_grants(scanned):
    _, _, path, _ = scanned
    res = CliRunner().invoke(main, ["inventory", "--snapshot", str(path), "--format", "json"])
    rows = {r["name"]: r for r in json.loads(res.stdout)["functions"]}
    assert rows["public-url"]["granted_actions"] > 20000  # AdministratorAccess
    assert rows["api-handler"]["triggers"] == {"apigateway-http": 1, "apigateway-rest": 1}
    # the boundary caps the api role: dynamodb:* and logs only, not everything it names
    assert 50 < rows["api-handler"]["granted_actions"] < 120
    text = CliRunner().invoke(main, ["inventory", "--snapshot", str(path)])
    assert "public-url" in text.stdout and "admin-role" in text.stdout


def test_bad_snapshot_input_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "accounts": [')
    res = CliRunner().invoke(main, ["inventory", "--snapshot", str(bad)])
    assert res.exit_code == 2 and str(bad) in res.stderr and "line 1" in res.stderr
    res = CliRunner().invoke(main, ["inventory", "--snapshot", str(tmp_path / "missing.json")])
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_no_credentials_is_a_clear_error(monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    res = CliRunner().invoke(main, ["scan", "--endpoint-url", "http://127.0.0.1:9", "-o", str(tmp_path / "s.json")])
    assert res.exit_code == 2
    assert "credentials" in res.stderr or "could not identify" in res.stderr


def test_unknown_profile_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    res = CliRunner().invoke(main, ["scan", "--profile", "nope", "-o", str(tmp_path / "s.json")])
    assert res.exit_code == 2 and "nope" in res.stderr


def test_default_scan_makes_three_calls_per_function_and_still_sees_public_urls(aws, tmp_path):
    from iam_analyzer.collect.aws.inventory import ScanOptions, scan
    from iam_analyzer.collect.aws.session import Clients

    build_account(aws)
    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    snap = scan(clients, ScanOptions(regions=["us-east-1"]))
    per_function = {op: n for (svc, op), n in clients.call_log.counts.items()
                    if op in ("ListAliases", "ListFunctionEventInvokeConfigs", "GetFunctionUrlConfig",
                              "GetFunctionConcurrency")}
    functions = len(snap.functions())
    assert per_function["ListAliases"] == per_function["ListFunctionEventInvokeConfigs"] == functions
    assert "GetFunctionConcurrency" not in per_function
    # only public-url's policy grants lambda:InvokeFunctionUrl: its URL (and its alias's) is read
    assert per_function["GetFunctionUrlConfig"] == 2
    assert [u.auth_type for u in fn(snap, "public-url").urls] == ["NONE"]
