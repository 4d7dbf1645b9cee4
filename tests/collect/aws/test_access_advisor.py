"""scan --access-advisor: IAM Access Advisor per execution role, and what it tells the trail lacks.

moto implements neither GenerateServiceLastAccessedDetails nor GetServiceLastAccessedDetails,
so these tests answer IAM through ``botocore.stub.Stubber`` (one role at a time, in order),
and, for the parallel run, through a thread-safe responder on the same botocore hook the
Stubber uses (``before-call``), since the Stubber's ordered queue cannot serve calls that
arrive in any order.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from iam_analyzer.analyze.access_advisor import trail_gaps, unused_services
from iam_analyzer.collect.aws import access_advisor
from iam_analyzer.model import AccessAdvisor, Role, ServiceLastAccessed, Snapshot
from tests.paths import ROOT

# AWS-facing: botocore's Stubber validates every request against the installed models
# (scripts/test_newest.sh runs these against the newest botocore).
pytestmark = pytest.mark.aws

ROLE = "arn:aws:iam::123456789012:role/api-role"


def _iam():
    return boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _when(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=timezone.utc)


COMPLETED = {"JobStatus": "COMPLETED", "JobType": "ACTION_LEVEL", "JobCreationDate": _when(20),
             "JobCompletionDate": _when(20)}


def test_report_pages_services_and_actions():
    client = _iam()
    sleeps = []
    with Stubber(client) as stub:
        stub.add_response("generate_service_last_accessed_details", {"JobId": "j" * 36},
                          {"Arn": ROLE, "Granularity": "ACTION_LEVEL"})
        stub.add_response("get_service_last_accessed_details",
                          {"JobStatus": "IN_PROGRESS", "JobCreationDate": _when(20), "JobCompletionDate": _when(20),
                           "ServicesLastAccessed": []},
                          {"JobId": "j" * 36})
        stub.add_response("get_service_last_accessed_details", {**COMPLETED, "IsTruncated": True, "Marker": "m1",
                          "ServicesLastAccessed": [
                              {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": _when(3),
                               "LastAuthenticatedRegion": "us-east-1", "LastAuthenticatedEntity": ROLE,
                               "TrackedActionsLastAccessed": [
                                   {"ActionName": "PutObject", "LastAccessedTime": _when(3), "LastAccessedRegion": "us-east-1"},
                                   {"ActionName": "DeleteObject"}]}]},
                          {"JobId": "j" * 36})
        stub.add_response("get_service_last_accessed_details", {**COMPLETED, "IsTruncated": False,
                          "ServicesLastAccessed": [{"ServiceName": "Amazon SQS", "ServiceNamespace": "sqs"}]},
                          {"JobId": "j" * 36, "Marker": "m1"})
        report = access_advisor.role_report(client, ROLE, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert report.error is None and report.generated_at == "2026-11-20T12:00:00Z"
    s3, sqs = report.services
    assert (s3.service_namespace, s3.last_authenticated) == ("s3", "2026-11-03T12:00:00Z")
    assert [(a.action, a.last_accessed) for a in s3.actions] == [("s3:DeleteObject", None),
                                                                   ("s3:PutObject", "2026-11-03T12:00:00Z")]
    assert sqs.last_authenticated is None  # never used in 400 days
    assert sleeps == [1.0]  # one wait while the job ran


def test_throttling_is_retried_with_backoff_and_denial_is_recorded():
    client = _iam()
    sleeps = []
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_client_error("generate_service_last_accessed_details", "Throttling", "Rate exceeded", 400)
        stub.add_response("generate_service_last_accessed_details", {"JobId": "j" * 36})
        stub.add_client_error("get_service_last_accessed_details", "Throttling", "Rate exceeded", 400)
        stub.add_response("get_service_last_accessed_details", {**COMPLETED, "ServicesLastAccessed": []})
        stub.add_client_error("generate_service_last_accessed_details", "AccessDenied", "not authorized", 403)
        ok = access_advisor.role_report(client, ROLE, sleep=sleeps.append)
        denied = access_advisor.role_report(client, ROLE, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert ok.error is None and ok.services == []
    assert len(sleeps) == 3 and sleeps[1] > sleeps[0]  # backoff grows
    assert denied.error.startswith("AccessDenied")


def test_roles_are_read_in_parallel_within_the_worker_bound():
    client = _iam()
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "jobs": {}}

    def respond(model, params, **_kw):
        # answers IAM in place of the network, whatever order the threads call in
        if model.name == "GenerateServiceLastAccessedDetails":
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
                job = f"{len(state['jobs']):036d}"
                state["jobs"][job] = params["body"]["Arn"]
            time.sleep(0.05)
            return AWSResponse(None, 200, {}, None), {"JobId": job}
        arn = state["jobs"][params["body"]["JobId"]]
        with lock:
            state["now"] -= 1
        return (AWSResponse(None, 200, {}, None),
                {**COMPLETED, "ServicesLastAccessed": [{"ServiceName": "x", "ServiceNamespace": arn.rsplit("-", 1)[-1],
                                                        "LastAuthenticated": _when(2)}]})

    client.meta.events.register_first("before-call.iam.*", respond)
    roles = [Role(arn=f"arn:aws:iam::123456789012:role/r-svc{i}", name=f"r-svc{i}") for i in range(8)]
    done = access_advisor.collect(client, roles, workers=3, sleep=lambda _s: None)
    assert done == 8
    assert [r.access_advisor.services[0].service_namespace for r in roles] == [f"svc{i}" for i in range(8)]
    assert 1 < state["max"] <= 3


def _usage(actions: list[str], since="2026-11-01T00:00:00Z", last="2026-11-10T00:00:00Z") -> dict:
    return {"window": {"since": since, "until": None, "first_event": since, "last_event": last},
            "principals": [{"arn": ROLE, "session": "api-handler",
                            "actions": [{"action": a, "resource": "*"} for a in actions]}]}


def _role(*services: tuple[str, str | None]) -> Role:
    return Role(arn=ROLE, name="api-role", access_advisor=AccessAdvisor(
        generated_at="2026-11-20T00:00:00Z",
        services=[ServiceLastAccessed(service_namespace=ns, last_authenticated=t) for ns, t in services]))


def test_a_service_used_in_the_window_but_absent_from_the_trail_is_a_gap():
    role = _role(("s3", "2026-11-05T10:00:00Z"),  # used, but the trail shows no S3: data events off
                 ("dynamodb", "2026-11-05T10:00:00Z"),  # used and in the trail
                 ("sqs", "2025-01-01T00:00:00Z"),  # used before the window: not the trail's fault
                 ("sns", "2026-11-15T00:00:00Z"),  # used after the trail's last event
                 ("kms", None))  # never used in 400 days
    usage = _usage(["dynamodb:GetItem", "dynamodb:Query"])
    assert trail_gaps(role, usage) == ["s3"]
    assert unused_services(role) == ["kms"]
    assert trail_gaps(_role(("s3", "2026-11-05T10:00:00Z")), _usage(["s3:GetObject"])) == []
    assert trail_gaps(Role(arn=ROLE, name="api-role"), usage) == []  # no report: nothing to say
    assert trail_gaps(role, None) == []


def test_the_report_survives_the_snapshot(tmp_path):
    from iam_analyzer.model import Account

    role = _role(("s3", "2026-11-05T10:00:00Z"))
    snap = Snapshot(created_at="2026-11-20T00:00:00Z", tool={}, catalog={}, source={},
                    accounts=[Account(account_id="123456789012", roles=[role])])
    path = tmp_path / "snap.json"
    snap.save(path)
    (back,) = Snapshot.load(path).accounts[0].roles
    assert back.access_advisor == role.access_advisor


@pytest.mark.parametrize("code", ["Throttling", "ThrottlingException"])
def test_throttling_codes_are_known(code):
    assert code in access_advisor.THROTTLED


def test_scan_with_access_advisor_fills_execution_roles(aws):
    # the account lives on moto's server; moto has no Access Advisor, so the IAM client
    # answers those two operations itself (same before-call hook as the Stubber), the rest
    # goes to moto
    from iam_analyzer.collect.aws.inventory import ScanOptions, scan
    from iam_analyzer.collect.aws.session import Clients
    from tests.aws_account import build_account

    build_account(aws)
    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    asked = []

    def respond(model, params, **_kw):
        if model.name == "GenerateServiceLastAccessedDetails":
            asked.append(params["body"]["Arn"])
            return AWSResponse(None, 200, {}, None), {"JobId": f"{len(asked):036d}"}
        if model.name == "GetServiceLastAccessedDetails":
            if params["body"]["JobId"] == f"{1:036d}":
                return AWSResponse(None, 403, {}, None), {"Error": {"Code": "AccessDenied", "Message": "no"}}
            return AWSResponse(None, 200, {}, None), {**COMPLETED, "ServicesLastAccessed": [
                {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "LastAuthenticated": _when(2)}]}
        return None

    clients.client("iam", "us-east-1").meta.events.register_first("before-call.iam.*", respond)
    snap = scan(clients, ScanOptions(regions=["us-east-1"], access_advisor=True))
    execution = {f.role_arn for f in snap.functions()}
    assert sorted(asked) == sorted(execution)  # every execution role, and no other role
    by_arn = {r.arn: r for r in snap.roles()}
    reports = [by_arn[a].access_advisor for a in execution]
    assert sum(1 for r in reports if r.error) == 1  # the denied one: recorded, the scan went on
    assert all(r.services[0].service_namespace == "s3" for r in reports if not r.error)
    assert any(g.operation == "generate_service_last_accessed_details" and g.error_code == "AccessDenied"
               for g in snap.accounts[0].coverage)
    assert all(r.access_advisor is None for r in snap.roles() if r.arn not in execution)


def test_the_documented_scanner_policy_allows_access_advisor_and_it_only_reads():
    import json

    from iam_analyzer.iam.catalog import default_catalog
    from iam_analyzer.iam.evaluate import Request, Result, evaluate
    from iam_analyzer.iam.policy import parse_policy

    doc = json.loads((ROOT / "docs" / "scanner-policy.json").read_text())
    policy = parse_policy(doc)
    for action in ("iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"):
        assert evaluate(Request(action, ROLE), [policy]).result is Result.ALLOW
        assert default_catalog().access_level(action) == "Read"
