"""Scanner engineering: read-only, paginated, resilient to failed calls, multi-account."""

from __future__ import annotations

import datetime
import json

import boto3
import botocore.awsrequest
import pytest
from botocore.stub import Stubber

from iam_analyzer.collect.aws.inventory import AccountScanner, ScanOptions, scan
from iam_analyzer.collect.aws.session import Clients
from iam_analyzer.iam.api_actions import actions_for
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy

from tests.aws_account import ACCOUNT, TRUST, build_account, code_zip

from tests.paths import ROOT  # noqa: E402

# AWS-facing: moto's server, and botocore's Stubber validating requests against the installed
# models (scripts/test_newest.sh runs these against the newest botocore).
pytestmark = pytest.mark.aws


def clients_for(aws) -> Clients:
    return Clients(aws.session, endpoint_url=aws.endpoint_url)


def test_every_call_is_read_only_and_in_the_documented_policy(aws):
    build_account(aws)
    clients = clients_for(aws)
    calls: set[tuple[str, str]] = set()
    clients.add_hook(lambda service, op, params: calls.add((service, op)))
    scan(clients, ScanOptions(regions=["us-east-1", "eu-west-1"]))
    policy = parse_policy(json.loads((ROOT / "docs" / "scanner-policy.json").read_text()))
    cat = default_catalog()
    assert len(calls) > 25
    for service, op in sorted(calls):
        actions = actions_for(service, op).actions
        assert actions, f"{service}.{op} maps to no IAM action"
        for action in actions:
            assert evaluate(Request(action, "*"), [policy]).result is Result.ALLOW, f"{action} not in scanner-policy.json"
            assert cat.access_level(action) in ("List", "Read"), f"{action} is {cat.access_level(action)}"


def test_sts_assume_role_is_the_only_non_read_action_in_the_policy():
    doc = json.loads((ROOT / "docs" / "scanner-policy.json").read_text())
    cat = default_catalog()
    levels = {a: cat.access_level(a) for st in doc["Statement"] for a in
              ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    # AssumeRole (for --org-role) changes nothing in the member account; everything else reads.
    assert {a for a, lv in levels.items() if lv not in ("List", "Read")} == {"sts:AssumeRole"}


def test_list_functions_and_gaad_are_paginated():
    """moto returns everything in one page for these two, so botocore's Stubber plays AWS's
    paginated responses here (the rest of the scan is not exercised)."""
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    clients = Clients(session)
    lam = clients.client("lambda", "us-east-1")
    iam = clients.client("iam", "us-east-1")

    def cfg(name):
        return {"FunctionName": name, "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}",
                "Role": f"arn:aws:iam::{ACCOUNT}:role/r", "Version": "$LATEST", "Runtime": "python3.12"}

    with Stubber(lam) as ls, Stubber(iam) as istub:
        ls.add_response("list_functions", {"Functions": [cfg("a"), cfg("b")], "NextMarker": "m1"}, {"FunctionVersion": "ALL"})
        ls.add_response("list_functions", {"Functions": [cfg("c")]}, {"FunctionVersion": "ALL", "Marker": "m1"})
        role = {"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLE000000001", "Arn": f"arn:aws:iam::{ACCOUNT}:role/r",
                "CreateDate": datetime.datetime(2024, 1, 1), "AssumeRolePolicyDocument": json.dumps(TRUST),
                "RolePolicyList": [], "AttachedManagedPolicies": []}
        role2 = dict(role, RoleName="r2", Arn=f"arn:aws:iam::{ACCOUNT}:role/r2")
        filt = {"Filter": ["User", "Role", "Group", "LocalManagedPolicy"]}
        istub.add_response("get_account_authorization_details", {"RoleDetailList": [role], "IsTruncated": True, "Marker": "p2"}, filt)
        istub.add_response("get_account_authorization_details", {"RoleDetailList": [role2], "IsTruncated": False}, dict(filt, Marker="p2"))
        scanner = AccountScanner(clients, ["us-east-1"], ScanOptions())
        scanner.account_id = ACCOUNT
        got = scanner.paginate("lambda", "us-east-1", "list_functions", "Functions", FunctionVersion="ALL")
        assert [f["FunctionName"] for f in got] == ["a", "b", "c"]
        from iam_analyzer.model import Account

        acct = Account(account_id=ACCOUNT)
        scanner._scan_iam(acct, "us-east-1")
        assert [r.name for r in acct.roles] == ["r", "r2"]
        assert acct.roles[0].trust_policy == TRUST  # URL-encoded or JSON text is decoded
        ls.assert_no_pending_responses()
        istub.assert_no_pending_responses()


def _deny(operation_names: set[str]):
    """A before-send hook answering with AWS's real AccessDenied error over HTTP for some operations."""

    def handler(request, **kwargs):
        op = kwargs.get("event_name", "").split(".")[-1]
        if op in operation_names:
            body = (b'<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
                    b'<Message>User is not authorized</Message></Error></ErrorResponse>')
            if request.headers.get("Content-Type", b"") and b"json" in request.headers.get("Content-Type", b""):
                body = b'{"__type": "AccessDeniedException", "message": "User is not authorized"}'
            return botocore.awsrequest.AWSResponse(request.url, 403, {"x-amzn-ErrorType": "AccessDeniedException"},
                                                   _Raw(body))
        return None

    return handler


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body

    def read(self, *_a, **_k):
        return self.body


def test_failed_calls_become_coverage_gaps_and_the_scan_goes_on(aws):
    build_account(aws)
    clients = clients_for(aws)
    denied = {"ListSubscriptions", "GetPolicy"}
    for svc in ("sns", "lambda"):
        clients.client(svc, "us-east-1").meta.events.register("before-send", _deny(denied))
    snap = scan(clients, ScanOptions(regions=["us-east-1"]))
    (acct,) = snap.accounts
    gaps = {(g.service, g.operation, g.error_code) for g in acct.coverage}
    assert ("sns", "list_subscriptions", "AccessDenied") in gaps or ("sns", "list_subscriptions", "AccessDeniedException") in gaps
    assert any(g.operation == "get_policy" and g.resource and ":function:" in g.resource for g in acct.coverage)
    # everything else was still collected
    assert len(acct.functions) == 10
    assert any(t.type == "s3" for f in acct.functions for t in f.triggers)
    assert not any(t.type == "sns" for f in acct.functions for t in f.triggers)
    assert all(f.invokers == [] for f in acct.functions)  # resource policies could not be read


def test_organization_accounts_are_scanned_through_the_org_role(aws, tmp_path):
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="workloads", Email="w@example.com")["CreateAccountStatus"]["AccountId"]
    sts = aws.client("sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                            RoleSessionName="setup")["Credentials"]
    member_session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                           aws_session_token=creds["SessionToken"], region_name="us-east-1")
    m_iam = member_session.client("iam", endpoint_url=aws.endpoint_url)
    role_arn = m_iam.create_role(RoleName="member-fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    m_iam.create_role(RoleName="IamAnalyzerScanRole", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                 "Action": "sts:AssumeRole"}]}))
    member_session.client("lambda", endpoint_url=aws.endpoint_url).create_function(
        FunctionName="member-fn", Runtime="python3.12", Role=role_arn, Handler="index.handler", Code={"ZipFile": code_zip()})
    mgmt_role = aws.client("iam").create_role(RoleName="mgmt-fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    aws.client("lambda").create_function(FunctionName="mgmt-fn", Runtime="python3.12", Role=mgmt_role,
                                         Handler="index.handler", Code={"ZipFile": code_zip()})
    from click.testing import CliRunner

    from iam_analyzer.cli import main
    from iam_analyzer.model import Snapshot

    out = tmp_path / "org.json"
    res = CliRunner().invoke(main, ["scan", "--endpoint-url", aws.endpoint_url, "--org-role", "IamAnalyzerScanRole",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    snap = Snapshot.load(out)
    by_account = {a.account_id: sorted(f.name for f in a.functions) for a in snap.accounts}
    assert by_account == {ACCOUNT: ["mgmt-fn"], member: ["member-fn"]}
    member_fn = next(f for f in snap.functions() if f.name == "member-fn")
    assert member_fn.account_id == member and snap.find_role(member_fn.role_arn) is not None


def test_configuration_fields_moto_does_not_return_are_read():
    """moto drops DeadLetterConfig and has no MSK/MQ/DocumentDB mappings: the parsers are
    checked here on responses shaped as the Lambda API documents them."""
    from iam_analyzer.collect.aws.inventory import _esm
    from iam_analyzer.collect.envvars import ResourceIndex

    scanner = AccountScanner(Clients(boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                                            region_name="us-east-1")), ["us-east-1"], ScanOptions())
    scanner.account_id = ACCOUNT
    fn = scanner._function_from_config({
        "FunctionName": "f", "FunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f", "Role": "r",
        "DeadLetterConfig": {"TargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"},
        "KMSKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k", "Layers": [{"Arn": "arn:aws:lambda:us-east-1:1:layer:l:3"}],
        "FileSystemConfigs": [{"Arn": f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:access-point/fsap-1", "LocalMountPath": "/mnt/d"}],
        "LoggingConfig": {"LogGroup": "/custom/group"}, "TracingConfig": {"Mode": "Active"},
        "Environment": {"Variables": {"K": "v"}}}, "us-east-1", ResourceIndex())
    assert fn.dead_letter_target.endswith(":dlq") and fn.kms_key_arn.endswith("key/k")
    assert fn.layers == ["arn:aws:lambda:us-east-1:1:layer:l:3"] and fn.file_systems[0]["local_mount_path"] == "/mnt/d"
    assert fn.log_group == "/custom/group" and fn.tracing_mode == "Active"
    kinds = {
        f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/c/1": "kafka",
        f"arn:aws:mq:us-east-1:{ACCOUNT}:broker:b:1": "mq",
        f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:docs": "docdb",
        f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s": "kinesis",
    }
    for src, kind in kinds.items():
        assert _esm({"UUID": "u", "EventSourceArn": src, "FunctionArn": "f"}).source_type == kind
    smk = _esm({"UUID": "u", "FunctionArn": "f", "SelfManagedEventSource": {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["b:9092"]}},
                "SourceAccessConfigurations": [{"Type": "BASIC_AUTH", "URI": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:k"}]})
    assert smk.source_type == "self-managed-kafka" and smk.source_access[0]["uri"].endswith("secret:k")


def test_all_regions_scans_every_enabled_region(aws):
    for region in ("us-east-1", "eu-west-1"):
        iam = aws.client("iam")
        arn = (iam.get_role(RoleName="r")["Role"]["Arn"] if region != "us-east-1" else
               iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])
        aws.client("lambda", region).create_function(FunctionName=f"fn-{region}", Runtime="python3.12", Role=arn,
                                                     Handler="index.handler", Code={"ZipFile": code_zip()})
    clients = clients_for(aws)
    snap = scan(clients, ScanOptions(regions=["us-east-1"], all_regions=True, push_sources=False))
    (acct,) = snap.accounts
    assert len(acct.regions) > 10 and {"us-east-1", "eu-west-1"} <= set(acct.regions)
    assert sorted((f.region, f.name) for f in acct.functions) == [("eu-west-1", "fn-eu-west-1"), ("us-east-1", "fn-us-east-1")]
    assert snap.source["regions"] == acct.regions
