"""The report's effective permissions per function follow the organization's guardrails."""

from __future__ import annotations

import json

from iam_analyzer import stages
from iam_analyzer.analyze.org import attach_files
from iam_analyzer.iam.organizations import SCP
from iam_analyzer.model_org import OrgPolicy

from tests.analyze.test_generate import doc, function, snapshot, usage

DENY_EC2 = doc({"Effect": "Deny", "Action": ["ec2:*", "iam:PassRole"], "Resource": "*"})


def _report(tmp_path, snap):
    use = usage({"action": "dynamodb:GetItem", "resource": "*"})
    analysis = stages.analyze(snap, use)
    results = stages.generate(snap, use)
    paths = stages.report(snap, use, analysis, results, tmp_path, formats=("json", "html"))
    return json.loads(open(paths["json"]).read()), open(paths["html"]).read()


def test_granted_actions_leave_out_what_the_scps_deny(tmp_path):
    plain, _ = _report(tmp_path / "a", snapshot(function()))
    snap = snapshot(function())
    attach_files(snap, [OrgPolicy(id="p-noec2", name="no-ec2", type=SCP, document=DENY_EC2)])
    guarded, html = _report(tmp_path / "b", snap)
    (before,), (after,) = plain["functions"], guarded["functions"]
    assert before["denied_by_guardrails"] == 0
    assert after["denied_by_guardrails"] > 500  # every ec2 action, and iam:PassRole
    assert after["granted"] == before["granted"] - after["denied_by_guardrails"]
    assert "the organization&#39;s SCPs/RCPs deny" in html or "the organization's SCPs/RCPs deny" in html
