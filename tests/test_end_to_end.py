"""The whole pipeline on the demo account in moto: scan -> usage (trail bucket) -> generate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.demo import provision, write_trail
from iam_analyzer.analyze.generate.deployed import INLINE_LIMIT
from iam_analyzer.iam.compare import new_access
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.emit.inventory_view import role_policies
from iam_analyzer.analyze.needs import requirements
from iam_analyzer.iam.trail_coverage import DATA, NEVER, needs_own_events, observability
from iam_analyzer.model import Snapshot

ACCOUNT = "123456789012"


@pytest.fixture
def pipeline(aws, tmp_path):
    demo = provision(aws.client, ACCOUNT)
    s3 = aws.client("s3")
    events = write_trail(demo, lambda k, b: s3.put_object(Bucket=demo.trail_bucket, Key=k, Body=b), days=30)
    run = lambda *args: CliRunner().invoke(main, list(args))  # noqa: E731
    r = run("scan", "--endpoint-url", aws.endpoint_url, "-o", str(tmp_path / "snap.json"))
    assert r.exit_code == 0, r.output
    r = run("usage", "--cloudtrail", f"s3://{demo.trail_bucket}/", "--since", "35d", "--endpoint-url", aws.endpoint_url,
            "--snapshot", str(tmp_path / "snap.json"), "-o", str(tmp_path / "usage.json"))
    assert r.exit_code == 0, r.output
    r = run("generate", "--snapshot", str(tmp_path / "snap.json"), "--usage", str(tmp_path / "usage.json"),
            "-o", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    return demo, events, tmp_path


def test_generated_policies_keep_everything_needed_and_cut_broad_roles(pipeline):
    demo, events, tmp = pipeline
    snap = Snapshot.load(tmp / "snap.json")
    usage = json.loads((tmp / "usage.json").read_text())
    summary = json.loads((tmp / "out" / "summary.json").read_text())
    assert usage["events"]["total"] == events and usage["events"]["unmapped"] == 0
    assert usage["data_events"]["by_service"]["s3"] == {"arn:aws:s3:::demo-uploads": pytest.approx(
        usage["data_events"]["by_service"]["s3"]["arn:aws:s3:::demo-uploads"])}
    assert summary["all_verified"]
    assert summary["average_reduction_percent"] >= 85
    for fn in snap.functions():
        role = snap.find_role(fn.role_arn)
        original = role_policies(snap, role)
        path = tmp / "out" / f"{fn.name}.json"
        doc = json.loads(path.read_text())
        assert len(json.dumps(doc, separators=(",", ":"))) <= INLINE_LIMIT
        generated = [parse_policy(doc)]
        assert new_access(generated, original) == [], fn.name  # never widen
        session = next(p for p in usage["principals"] if p["session"] == fn.name)
        assert session["function"] == fn.arn
        needed = [(a["action"], a["resource"]) for a in session["actions"] if a["count"]]
        needed += [(r.action, r.resource) for r in requirements(fn, snap)]
        for action, resource in needed:  # never break
            if evaluate(Request(action, resource), original).result is Result.ALLOW:
                assert evaluate(Request(action, resource), generated).result is Result.ALLOW, (fn.name, action, resource)
        explain = json.loads((tmp / "out" / f"{fn.name}.explain.json").read_text())
        assert explain["evidence"]["verdict"] in ("sufficient", "partial"), explain["evidence"]
        # the trail covers us-east-1's management events: only what it could not show is kept unverified
        for e in explain["kept"]:
            if e["origin"] == "unverified":
                assert observability(e["action"]) in (DATA, NEVER) or needs_own_events(e["action"]), (fn.name, e)
    # the function whose bucket has no data events keeps object access, marked unverified
    report = json.loads((tmp / "out" / "nightly-report.explain.json").read_text())
    put = [e for e in report["kept"] if e["action"] == "s3:PutObject"]
    assert put and put[0]["origin"] == "unverified" and put[0]["resource"] == "arn:aws:s3:::demo-reports/*"
    # AccessDenied calls are reported, not granted
    upload = json.loads((tmp / "out" / "image-upload.explain.json").read_text())
    assert [d["action"] for d in upload["denied_calls"]] == ["dynamodb:PutItem"]
