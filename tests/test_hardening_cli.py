"""Issue #18, command-line families: secrets in debug output, crash vs verdict, arguments,
outputs that cannot be written, no credentials or no endpoint, emulator gaps.

Each test drives the real command line (click's CliRunner in process, or a subprocess where
the process's own logging is what is under test)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.outputs import OutputError, write_text
from iam_analyzer.redact import redact

from tests.aws_account import PLAIN_SECRET, SECRET_VALUE, build_account

SNAPSHOT = {"schema_version": 1, "accounts": [{"account_id": "111122223333"}]}


def write(tmp_path, name, content):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


# -- secrets in debug output ------------------------------------------------------------------


def test_scan_vv_prints_botocore_debug_without_environment_values(aws, tmp_path):
    build_account(aws)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    out = tmp_path / "snap.json"
    proc = subprocess.run([sys.executable, "-m", "iam_analyzer.cli", "scan", "-vv", "--endpoint-url", aws.endpoint_url,
                           "--region", "us-east-1", "-o", str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Response body" in proc.stderr and "ListFunctions" in proc.stderr  # botocore's own log is there
    assert "STRIPE_KEY" in proc.stderr  # names stay: they are not secrets
    for value in (SECRET_VALUE, PLAIN_SECRET):
        assert value not in proc.stderr and value not in proc.stdout


def test_redaction_keeps_arns_and_masks_every_other_value_in_any_encoding():
    body = ('b\'{"Environment":{"Variables":{"A":"sec}r{et","T":"arn:aws:dynamodb:us-east-1:1:table/t","N":42}}}\' '
            "{'Variables': {'K': \"it's\"}} {\\\"Variables\\\":{\\\"E\\\":\\\"escaped\\\"}} "
            '{"SecretString": "s3cr3t"} <Variables><value>xml</value></Variables>')
    clean = redact(body)
    for secret in ("sec}r{et", "it's", "escaped", "s3cr3t", ">xml<", ":42"):
        assert secret not in clean
    assert "arn:aws:dynamodb:us-east-1:1:table/t" in clean and '"A"' in clean


# -- crash vs verdict ---------------------------------------------------------------------------


def test_an_unexpected_exception_is_exit_3_with_one_line_and_no_traceback(tmp_path, monkeypatch):
    from iam_analyzer import stages

    def boom(*a, **k):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(stages, "analyze", boom)
    snap = write(tmp_path, "s.json", SNAPSHOT)
    res = run("analyze", "--snapshot", snap)
    assert res.exit_code == 3
    assert "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "internal error: RuntimeError: something nobody expected" in lines[0]
    assert "please report it at https://" in lines[0] and "-v" in lines[0]
    verbose = run("analyze", "--snapshot", snap, env={"IAM_ANALYZER_TRACEBACK": "1"})
    assert verbose.exit_code == 3 and "Traceback" in verbose.stderr


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["usage", "--cloudtrail", ".", "--since", "99999999d", "-o", "u.json"], "--since"),
    (["usage", "--cloudtrail", ".", "--until", "2024-13-45", "-o", "u.json"], "--until"),
    (["scan", "--endpoint-url", "not a url", "-o", "s.json"], "--endpoint-url"),
    (["scan", "--endpoint-url", "http://localhost:99999", "-o", "s.json"], "--endpoint-url"),
    (["scan", "--region", "../../etc", "-o", "s.json"], "--region"),
    (["audit", "--region", "us-east-1; rm -rf /", "-o", "out"], "--region"),
])
def test_bad_arguments_are_usage_errors_at_parse_time(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    res = run(*args)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert message in res.stderr and "Invalid value" in res.stderr


# -- outputs ----------------------------------------------------------------------------------------


def test_outputs_are_checked_before_any_work(tmp_path, monkeypatch):
    from iam_analyzer import stages

    def must_not_run(*a, **k):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(stages, "usage", must_not_run)
    monkeypatch.setattr(stages, "analyze", must_not_run)
    logs = tmp_path / "logs"
    logs.mkdir()
    missing = run("usage", "--cloudtrail", str(logs), "-o", str(tmp_path / "no" / "such" / "u.json"))
    assert missing.exit_code == 2 and "cannot write" in missing.stderr and "no such folder" in missing.stderr
    (tmp_path / "adir").mkdir()
    is_dir = run("usage", "--cloudtrail", str(logs), "-o", str(tmp_path / "adir"))
    assert is_dir.exit_code == 2
    snap = write(tmp_path, "s.json", SNAPSHOT)
    under_file = run("analyze", "--snapshot", snap, "-o", str(tmp_path / "s.json" / "f.json"))
    assert under_file.exit_code == 2 and "is a file, not a folder" in under_file.stderr
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    res = run("audit", "--endpoint-url", "http://127.0.0.1:9", "-o", str(out))
    assert res.exit_code == 2 and "report.html: is a folder" in res.stderr
    (out / "report.html").rmdir()
    (out / "policies").write_text("a file where a folder goes")
    res = run("audit", "--endpoint-url", "http://127.0.0.1:9", "-o", str(out))
    assert res.exit_code == 2 and "policies: is a file, not a folder" in res.stderr
    res = run("generate", "--snapshot", snap, "-o", str(out / "policies" / "sub"))
    assert res.exit_code == 2 and "is a file, not a folder" in res.stderr


def test_writes_are_atomic_and_a_full_disk_is_one_clear_line(tmp_path, monkeypatch):
    target = tmp_path / "snapshot.json"
    target.write_text("the good old snapshot")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="no space left on device"):
        write_text(target, "new content")
    assert target.read_text() == "the good old snapshot"  # never half a file
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.json"]  # no temporary file left behind
    snap = write(tmp_path, "s.json", SNAPSHOT)
    res = run("analyze", "--snapshot", snap, "-o", str(tmp_path / "findings.json"))
    assert res.exit_code == 2 and "cannot write" in res.stderr and "no space left on device" in res.stderr
    assert "Traceback" not in res.output


# -- no credentials or no endpoint -------------------------------------------------------------


def test_audit_without_credentials_or_endpoint_is_exit_2_with_what_to_do(tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": ""}
    env = {k: (v or None) for k, v in env.items()}
    start = time.monotonic()
    res = run("audit", "--region", "us-east-1", "-o", str(tmp_path / "out"), env=env)
    assert res.exit_code == 2, res.output
    assert "no AWS credentials found" in res.stderr and "--profile" in res.stderr
    assert "policies generated" not in res.output
    unreachable = run("audit", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9",
                      "-o", str(tmp_path / "out2"),
                      env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_SESSION_TOKEN": None})
    assert unreachable.exit_code == 2, unreachable.output
    assert "cannot reach the endpoint" in unreachable.stderr and "--endpoint-url" in unreachable.stderr
    assert time.monotonic() - start < 120


# -- emulator gaps are not account gaps -----------------------------------------------------------


def test_an_api_the_endpoint_does_not_implement_is_not_an_account_gap(aws, tmp_path):
    # the error moto gives for an API it lacks (ListCodeSigningConfigs), built here so both kinds of
    # endpoint are checked; the scan against moto below then shows it end to end
    from iam_analyzer.collect.aws.inventory import AccountScanner, ScanOptions
    from iam_analyzer.collect.aws.session import Clients

    import boto3
    import botocore.exceptions

    clients = Clients(boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"),
                      endpoint_url=aws.endpoint_url)
    scanner = AccountScanner(clients, ["us-east-1"], ScanOptions(regions=["us-east-1"]))
    not_there = botocore.exceptions.ClientError({"Error": {"Code": "404", "Message": "Not yet implemented"},
                                                 "ResponseMetadata": {"HTTPStatusCode": 404}}, "ListCodeSigningConfigs")
    denied = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListFunctions")
    scanner._gap("lambda", "list_code_signing_configs", not_there, "us-east-1")
    scanner._gap("lambda", "list_functions", denied, "us-east-1")
    assert [g.operation for g in scanner.unsupported] == ["list_code_signing_configs"]
    assert [g.operation for g in scanner.gaps] == ["list_functions"]
    clients.endpoint_url = None  # against AWS itself, a 404 is a gap like any other
    scanner._gap("lambda", "list_code_signing_configs", not_there, "us-east-1")
    assert len(scanner.gaps) == 2
    build_account(aws)
    res = run("scan", "--endpoint-url", aws.endpoint_url, "--region", "us-east-1", "-o", str(tmp_path / "s.json"))
    assert res.exit_code == 0, res.output
    snap = json.loads((tmp_path / "s.json").read_text())
    assert not any(g["error_code"] == "404" for a in snap["accounts"] for g in a["coverage"])
    assert any(g["operation"] == "list_code_signing_configs" for a in snap["accounts"] for g in a["unsupported"])
    assert "call(s) the endpoint does not implement" in res.stderr
