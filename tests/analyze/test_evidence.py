"""Never break a function for lack of evidence (issue #12): audits and generate on moto."""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from iam_analyzer.audit import AuditOptions, run_audit
from iam_analyzer.cli import main
from iam_analyzer.collect.aws.session import Clients
from iam_analyzer.collect.cloudtrail.synth import Caller, record, write_log_file
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.model import Snapshot

ACCOUNT = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
BROAD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "dynamodb:*", "logs:*", "sqs:*", "ssm:GetParameter"]}]}
NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    return buf.getvalue()


def _role(iam, name: str) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="broad", PolicyDocument=json.dumps(BROAD))
    return arn


def _function(aws, name: str, role_arn: str, region: str) -> str:
    return aws.client("lambda", region).create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": _zip()})["FunctionArn"]


@pytest.fixture
def account(aws):
    """worker (us-east-1), far (eu-west-1) and monthly (us-east-1, on a monthly schedule)."""
    iam = aws.client("iam")
    roles = {n: _role(iam, f"{n}-role") for n in ("worker", "far", "monthly")}
    fns = {"worker": _function(aws, "worker", roles["worker"], "us-east-1"),
           "far": _function(aws, "far", roles["far"], "eu-west-1"),
           "monthly": _function(aws, "monthly", roles["monthly"], "us-east-1")}
    events = aws.client("events")
    events.put_rule(Name="month-end", ScheduleExpression="cron(0 3 1 * ? *)")
    events.put_targets(Rule="month-end", Targets=[{"Id": "m", "Arn": fns["monthly"]}])
    aws.client("s3").create_bucket(Bucket="trail-logs")
    return roles, fns


def write_trail(root: Path, days: int, region: str = "us-east-1") -> None:
    """``days`` days of management events in one region: each function reads a parameter."""
    rng = random.Random(1)
    for d in range(days, 0, -1):
        when = NOW - timedelta(days=d) + timedelta(hours=1)
        recs = []
        for fn in ("worker", "monthly", "far"):
            caller = Caller(ACCOUNT, f"{fn}-role", fn, region=region)
            recs.append(record(caller, when, "ssm.amazonaws.com", "GetParameter", {"name": f"/{fn}/config"}, rng=rng))
            recs.append(record(caller, when, "dynamodb.amazonaws.com", "DescribeTable", {"tableName": "orders"}, rng=rng))
        write_log_file(root, ACCOUNT, region, when, recs)


def audit(aws, out: Path, trail: Path, days: int, **kw) -> dict:
    opt = AuditOptions(regions=["us-east-1", "eu-west-1"], cloudtrail=[str(trail)],
                       since=NOW - timedelta(days=days, hours=1), workers=1, **kw)
    lines: list[str] = []
    result = run_audit(Clients(aws.session, endpoint_url=aws.endpoint_url), out, opt, say=lines.append)
    result["said"] = lines
    return result


def by_name(summary: dict) -> dict:
    return {s["function"].rsplit(":", 1)[-1]: s for s in summary["functions"]}


def test_audit_of_an_empty_log_location_tightens_nothing_and_says_why(aws, account, tmp_path):
    empty = tmp_path / "logs"
    empty.mkdir()
    result = audit(aws, tmp_path / "out", empty, days=30)
    summary = json.loads((tmp_path / "out" / "policies" / "summary.json").read_text())
    assert summary["tightened"] == 0 and summary["not_tightened"] == 3
    for s in summary["functions"]:
        assert s["file"] is None and s["evidence"]["verdict"] == "insufficient"
        assert any("no CloudTrail events were read" in r for r in s["evidence"]["reasons"])
        assert s["granted_actions_after"] == s["granted_actions_before"] and s["reduction_percent"] == 0
    assert not list((tmp_path / "out" / "policies").glob("worker.json"))  # no policy to apply
    assert any("not tightened" in line for line in result["said"])
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Not tightened: not enough evidence" in html and "widen --since" in html
    model = json.loads((tmp_path / "out" / "report.json").read_text())
    assert model["summary"]["average_reduction_percent"] is None and len(model["summary"]["not_tightened"]) == 3
    md = (tmp_path / "out" / "report.md").read_text()
    assert "Not tightened, not enough evidence: 3" in md
    sarif = json.loads((tmp_path / "out" / "report.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 3 and all("not tightened" in n["message"]["text"] for n in notes)


def test_a_trail_of_one_region_leaves_the_other_regions_functions_alone(aws, account, tmp_path):
    write_trail(tmp_path / "logs", days=20, region="us-east-1")
    audit(aws, tmp_path / "out", tmp_path / "logs", days=20)
    summary = by_name(json.loads((tmp_path / "out" / "policies" / "summary.json").read_text()))
    far = summary["far"]
    assert far["file"] is None and far["evidence"]["verdict"] == "insufficient"
    assert any("does not cover account 123456789012 in eu-west-1" in r for r in far["evidence"]["reasons"])
    assert any("enable the trail in eu-west-1" in t for t in far["evidence"]["what_to_do"])
    worker = summary["worker"]
    # deployed minutes ago: the evidence is partial, and says so; the function is tightened
    assert worker["file"] == "worker.json" and worker["evidence"]["verdict"] == "partial"
    assert any(r.startswith("deployed or changed on") for r in worker["evidence"]["reasons"])
    policy = [parse_policy(json.loads((tmp_path / "out" / "policies" / "worker.json").read_text()))]
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"
    assert evaluate(Request("dynamodb:DescribeTable", table), policy).result is Result.ALLOW  # observed
    assert evaluate(Request("dynamodb:DeleteTable", table), policy).result is not Result.ALLOW  # proven unused
    assert evaluate(Request("dynamodb:GetItem", table), policy).result is Result.ALLOW  # no data events: kept


def test_a_monthly_schedule_needs_more_than_a_two_week_window(aws, account, tmp_path):
    write_trail(tmp_path / "logs", days=14)
    audit(aws, tmp_path / "out", tmp_path / "logs", days=14)
    monthly = by_name(json.loads((tmp_path / "out" / "policies" / "summary.json").read_text()))["monthly"]
    assert monthly["file"] is None and monthly["evidence"]["verdict"] == "insufficient"
    (why,) = [r for r in monthly["evidence"]["reasons"] if "schedule" in r]
    assert "cron(0 3 1 * ? *)" in why and "fewer than two runs" in why
    assert "widen --since to at least 62 days" in monthly["evidence"]["what_to_do"]


def test_role_used_by_iams_record_but_unseen_in_the_trail_is_not_tightened(aws, account, tmp_path):
    # moto does not record RoleLastUsed: the scanned snapshot is given the date IAM would report
    write_trail(tmp_path / "logs", days=20)
    runner = CliRunner()
    snap_path, usage_path = tmp_path / "snap.json", tmp_path / "usage.json"
    r = runner.invoke(main, ["scan", "--endpoint-url", aws.endpoint_url, "--region", "us-east-1", "-o", str(snap_path)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["usage", "--cloudtrail", str(tmp_path / "logs"), "--since", "20d", "--snapshot", str(snap_path),
                             "--workers", "1", "-o", str(usage_path)])
    assert r.exit_code == 0, r.output
    # IAM saw the worker's role used three days ago
    snap = Snapshot.load(snap_path)
    worker = next(f for f in snap.functions() if f.name == "worker")
    role = next(rr for rr in snap.roles() if rr.arn == worker.role_arn)
    role.last_used = (NOW - timedelta(days=3)).isoformat()
    role.last_used_region = "us-east-1"
    snap.save(snap_path)
    r = runner.invoke(main, ["generate", "--snapshot", str(snap_path), "--usage", str(usage_path), "-o", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    s = by_name(json.loads((tmp_path / "a" / "summary.json").read_text()))["worker"]
    assert s["file"] == "worker.json"  # its events were read: the record of last use agrees
    # the same, but not one event of that role in the logs read (another trail, another account ...)
    usage = json.loads(usage_path.read_text())
    usage["principals"] = [p for p in usage["principals"] if p["arn"] != worker.role_arn]
    usage_path.write_text(json.dumps(usage))
    r = runner.invoke(main, ["generate", "--snapshot", str(snap_path), "--usage", str(usage_path), "-o", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    s = by_name(json.loads((tmp_path / "b" / "summary.json").read_text()))["worker"]
    assert s["file"] is None and s["evidence"]["verdict"] == "insufficient"
    assert any("IAM records role worker-role as last used on" in x and "no CloudTrail event of it was read" in x
               for x in s["evidence"]["reasons"])
    assert "worker: not tightened" in r.stderr


def test_generate_without_usage_writes_nothing_and_exits_2(tmp_path):
    Snapshot().save(tmp_path / "s.json")
    r = CliRunner().invoke(main, ["generate", "--snapshot", str(tmp_path / "s.json"), "-o", str(tmp_path / "out")])
    assert r.exit_code == 2 and "generate needs --usage" in r.stderr
    assert not (tmp_path / "out").exists()
