"""lint --kind: the Version rule by the kind of policy, and Organizations kinds accepted (#22)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iam_analyzer.analyze.lint import KINDS, lint_document
from iam_analyzer.cli import main

PLAIN = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
WITH_VAR = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}
SCP = {"Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}
RCP = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def version(doc, kind):
    return [(f.severity, f.message) for f in lint_document(doc, kind=kind)[0] if f.id == "PL013"]


@pytest.mark.parametrize("kind,doc,severity", [
    ("inline", PLAIN, "low"), ("managed", PLAIN, "error"), ("identity", PLAIN, "error"),
    ("inline", WITH_VAR, "error"), ("scp", SCP, "error"), ("rcp", RCP, "error"),
])
def test_missing_version_by_kind(kind, doc, severity):
    (found,) = version(doc, kind)
    assert found[0] == severity


def test_2008_version_in_an_inline_policy_with_a_variable_is_an_error():
    ((sev, msg),) = version({"Version": "2008-10-17", **WITH_VAR}, "inline")
    assert sev == "error" and "plain text" in msg
    assert version({"Version": "2012-10-17", **WITH_VAR}, "inline") == []


def test_scp_and_rcp_are_read_like_identity_and_resource_policies():
    scp_ids = {f.id for f in lint_document({"Version": "2012-10-17", **SCP}, kind="scp")[0]}
    rcp_ids = {f.id for f in lint_document({"Version": "2012-10-17", **RCP}, kind="rcp")[0]}
    assert "PL014" not in scp_ids and "PL014" not in rcp_ids  # no Principal in an SCP; Principal in an RCP
    # a Principal in an SCP: Organizations refuses it (PL031, the SCP grammar of analyze/org_lint.py)
    assert "PL031" in {f.id for f in lint_document({"Version": "2012-10-17", **RCP}, kind="scp")[0]}


def test_the_cli_accepts_every_kind_and_fails_on_low(tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps(PLAIN))
    for kind in KINDS:
        r = CliRunner().invoke(main, ["lint", "--kind", kind, "--format", "json", str(p)])
        assert r.exit_code in (0, 1), (kind, r.output)
        assert json.loads(r.stdout)["files"][0]["kind"] in (kind if kind != "auto" else "identity",)
    assert CliRunner().invoke(main, ["lint", "--kind", "inline", "--fail-on", "warning", str(p)]).exit_code == 0
    assert CliRunner().invoke(main, ["lint", "--kind", "inline", "--fail-on", "low", str(p)]).exit_code == 1
