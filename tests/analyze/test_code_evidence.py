"""scan --code / audit --code on the demo account: generate narrows unverified grants to the
calls the deployed code makes, and keeps a call seen in code but never in CloudTrail.

moto returns a presigned Code.Location on a host that does not exist, so the scanner's
``code_fetch`` hook serves the package from the demo's own copy; the HTTPS download itself
is exercised against a loopback HTTP server below."""

from __future__ import annotations

import copy
import http.server
import io
import json
import threading
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from iam_analyzer.analyze.generate.deployed import Options, generate_all
from iam_analyzer.audit import AuditOptions, run_audit
from iam_analyzer.collect.aws.packages import PackageError, calls_in_zip, download
from iam_analyzer.collect.aws.session import Clients
from iam_analyzer.demo import provision, write_trail
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.model import Snapshot

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def audited(moto_server, tmp_path_factory):
    from tests.conftest import AwsClients

    aws = AwsClients(moto_server)
    aws.reset()
    tmp_path = tmp_path_factory.mktemp("audit")
    demo = provision(aws.client, ACCOUNT)
    s3 = aws.client("s3")
    write_trail(demo, lambda k, b: s3.put_object(Bucket=demo.trail_bucket, Key=k, Body=b), days=10)
    opt = AuditOptions(regions=["us-east-1"], since=datetime.now(timezone.utc) - timedelta(days=12), code=True,
                       code_fetch=demo.fetch_package)
    result = run_audit(Clients(aws.session, endpoint_url=aws.endpoint_url), tmp_path, opt)
    return result, tmp_path


def actions(res):
    return allowed_actions([parse_policy_lenient(d)[0] for d in res.documents])


def test_scan_keeps_only_the_calls_with_file_and_line(audited):
    _, out = audited
    snap = Snapshot.load(out / "snapshot.json")
    fn = next(f for f in snap.functions() if f.name == "image-upload")
    assert {(c.path, c.line, c.service, c.operation) for c in fn.code_calls} == {
        ("index.js", 8, "s3", "GetObject"), ("index.js", 9, "sqs", "SendMessage")}
    raw = (out / "snapshot.json").read_text()
    assert "require(" not in raw and "MessageBody" not in raw  # never the code itself


def test_s3_triggered_function_no_longer_keeps_writes_its_code_never_makes(audited):
    _, out = audited
    snap = Snapshot.load(out / "snapshot.json")
    usage = json.loads((out / "usage.json").read_text())
    blind = copy.deepcopy(snap)
    for f in blind.functions():
        f.code_calls = []
    writes = {"s3:putobject", "s3:deleteobject", "s3:putobjectacl", "sqs:deletemessage", "sqs:receivemessage"}
    for mode in ("referenced", "keep"):  # keep: every grant CloudTrail could not have shown
        # the fixture's trail holds 10 days: accept that window as evidence (the default asks 14)
        opt = Options(unverified=mode, min_window_days=7)
        without = actions(generate_all(blind, usage, opt, ["image-upload"])[0])
        res = generate_all(snap, usage, opt, ["image-upload"])[0]
        after = actions(res)
        if mode == "keep":
            assert without & writes  # without its code, the role's unverified writes stay
        assert not (after & writes), mode
        assert {"s3:getobject", "sqs:sendmessage"} <= after  # what the code calls stays
        assert res.verification["ok"]
    dropped = [d for d in res.explanation()["dropped_unverified"] if "code never makes" in d["reason"]]
    assert dropped and all(d["add_back"]["Effect"] == "Allow" for d in dropped)


def test_a_call_in_code_never_seen_in_cloudtrail_is_kept_as_code_evidence(audited):
    _, out = audited
    snap = Snapshot.load(out / "snapshot.json")
    usage = json.loads((out / "usage.json").read_text())
    fn = next(f for f in snap.functions() if f.name == "orders-api")
    for p in usage["principals"]:  # CloudTrail never showed its PutItem
        if p.get("session") == "orders-api":
            p["actions"] = [a for a in p["actions"] if a["action"] != "dynamodb:PutItem"]
    res = generate_all(snap, usage, Options(min_window_days=7), ["orders-api"])[0]  # a 10-day trail
    code = [e for e in res.entries if e.origin == "code"]
    put = [e for e in code if e.action == "dynamodb:PutItem"]
    assert put and put[0].resource.endswith(":table/orders")
    assert put[0].evidence["calls"][0]["file"] == "app.py" and put[0].evidence["calls"][0]["line"] == 11
    assert res.verification["ok"]
    assert fn.code_calls


def test_report_shows_code_calls(audited):
    _, out = audited
    model = json.loads((out / "report.json").read_text())
    fn = next(f for f in model["functions"] if f["name"] == "image-upload")
    assert {c["operation"] for c in fn["code_calls"]} == {"s3:GetObject", "sqs:SendMessage"}
    assert "Code (deployment package)" in (out / "report.html").read_text()


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_package_download_is_streamed_capped_and_skips_vendored_code():
    pkg = _zip({"app.py": "import boto3\nboto3.client('sns').publish(TopicArn='arn:aws:sns:us-east-1:1:t', Message='')\n",
                "node_modules/x/index.js": "require('aws-sdk'); new (require('aws-sdk').S3)().getObject({})\n",
                "boto3/session.py": "import boto3\nboto3.client('s3').get_object(Bucket='b', Key='k')\n"})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(pkg)))
            self.end_headers()
            self.wfile.write(pkg)

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pkg.zip"
        data = download(url)
        scan = calls_in_zip(data)
        assert [(c.path, c.operation) for c in scan.calls] == [("app.py", "Publish")]
        with pytest.raises(PackageError, match="cap"):
            download(url, limit=len(pkg) - 1)
    finally:
        server.shutdown()
    with pytest.raises(PackageError, match="refusing"):
        download("http://example.com/pkg.zip")
    with pytest.raises(PackageError, match="not a zip"):
        calls_in_zip(b"not a zip")


def test_reviewers_read_how_many_functions_scan_code_would_narrow_and_by_how_much(audited, tmp_path):
    from iam_analyzer.emit import report
    from iam_analyzer.emit.policy_files import summary_lines, write_policies

    _, out = audited
    snap = Snapshot.load(out / "snapshot.json")
    usage = json.loads((out / "usage.json").read_text())
    blind = copy.deepcopy(snap)
    for f in blind.functions():
        f.code_calls = []
    opt = Options(min_window_days=7)  # a 10-day trail
    results = generate_all(blind, usage, opt)
    loose = {r.function.name: sum(1 for e in r.entries if e.origin == "unverified") for r in results if r.tightened}
    loose = {n: k for n, k in loose.items() if k}
    assert loose  # the demo's data events are off for some buckets: unverified grants stay without the code
    doc = write_policies(results, tmp_path / "blind")
    code = json.loads((tmp_path / "blind" / "summary.json").read_text())["code"]
    assert code["would_narrow"] == len(loose) and code["narrowed"] == 0
    assert {f["function"].rsplit(":", 1)[-1]: f["unverified_actions"] for f in code["functions"]} == {
        n: len({e.action for r in results if r.function.name == n for e in r.entries if e.origin == "unverified"})
        for n in loose}
    assert any(line.startswith(f"Reading deployment packages (scan --code) would narrow {len(loose)} function(s)") for line in summary_lines(doc))

    # with the packages read, the generator narrowed them already: by how much
    read = generate_all(snap, usage, opt)
    doc = write_policies(read, tmp_path / "read")
    code = doc["code"]
    dropped = sum(len(d.actions) for r in read if r.tightened for d in r.dropped if "code never makes" in d.reason)
    assert code["narrowed"] >= 1 and code["narrowed_actions"] == dropped > 0
    assert any(f"narrowed {code['narrowed']} function(s) by {dropped} action(s)" in line for line in summary_lines(doc))

    model = report.build(blind, usage, [], {}, results)
    assert model["summary"]["code"]["would_narrow"] == len(loose)
    md, html = report.to_markdown(model), report.to_html(model)
    said = f"(scan --code) would narrow {len(loose)} function(s)"
    assert said in md and said in html
