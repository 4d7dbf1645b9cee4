"""The README's main job: `iam-analyzer demo`, which runs the audit code path end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import jsonschema
import pytest

from iam_analyzer.schema import load


@pytest.mark.slow
def test_demo_runs_the_whole_audit_in_under_a_minute(tmp_path):
    out = tmp_path / "demo"
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "iam_analyzer.cli", "demo", "-o", str(out)], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    elapsed = time.perf_counter() - start
    assert res.returncode == 0, res.stderr[-2000:]
    assert elapsed < 60
    for name in ("snapshot.json", "usage.json", "findings.json", "report.html", "report.json", "report.sarif", "report.md"):
        assert (out / name).stat().st_size > 0, name
    assert "Report: " in res.stdout and "Top findings:" in res.stdout
    findings = json.loads((out / "findings.json").read_text())
    jsonschema.validate(findings, load("findings"))
    ids = {f["rule_id"] for f in findings["findings"]}
    # the demo plants: an administrator role, a public URL, a confused deputy, a secret, a shared role, denied calls
    assert {"IAM004", "LAM001", "LAM004", "LAM007", "LAM006", "IAM016"} <= ids
    summary = [json.loads(p.read_text()) for p in (out / "policies").glob("*.explain.json")]
    assert len(summary) == 8 and all(s["verification"]["ok"] for s in summary if s["evidence"]["verdict"] != "insufficient")
    model = json.loads((out / "report.json").read_text())
    assert model["catalog"]["version"] and model["summary"]["functions"] == 8
    assert model["summary"]["data_events"]["services"]  # the trail records some data events
    # the headline escalation's evidence is a function that really runs as the role it reaches
    esc = next(e for e in model["escalations"] if e["principal"].endswith("role/report-role") and e["method"] == "UpdateFunctionCode")
    assert esc["target"].endswith("role/admin-role")
    assert esc["path"][0]["requires"][0]["resource"].endswith("function:public-status")
    assert "UpdateFunctionCode on public-status\u2192 admin-role" in (out / "report.md").read_text()
    assert "on public-status" in (out / "report.html").read_text()
    # deployment times a real account would have: before the window, one redeployed late on purpose
    verdicts = {f["name"]: f["evidence"] for f in model["functions"]}
    late = verdicts["order-notifier"]
    assert late["verdict"] == "partial" and any("only 3 of the window's" in r for r in late["reasons"])
    assert not [n for n, e in verdicts.items() if n != "order-notifier" and any("deployed or changed" in r for r in e["reasons"])]
    assert sum(e["verdict"] == "sufficient" for e in verdicts.values()) >= 5
    # and a monthly job that a month of logs cannot judge: the three verdicts of a real account
    assert verdicts["db-sync"]["verdict"] == "insufficient" and "cron(0 3 1 * ? *)" in verdicts["db-sync"]["reasons"][0]
    assert "The code read by scan --code narrowed" in (out / "report.md").read_text()  # the demo reads packages
