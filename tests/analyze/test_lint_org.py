"""lint --kind scp|rcp: the grammar AWS Organizations documents for service and resource control
policies (SCPs take the full IAM language since 2025, without Principal; RCPs deny, with
Principal "*", on the services they cover), the 5,120-character limit, and the checks that
still apply to a guardrail."""

from __future__ import annotations

import json

from click.testing import CliRunner

from iam_analyzer.analyze.lint import lint_file
from iam_analyzer.cli import main

from tests.paths import ROOT

ORGS = ROOT / "tests" / "data" / "orgs"


def write(tmp_path, doc, name="p.json", text=None):
    p = tmp_path / name
    p.write_text(text if text is not None else json.dumps(doc, indent=2))
    return p


def ids(path, kind):
    return [(f.id, f.location) for f in lint_file(path, kind=kind).findings]


def test_the_shipped_real_world_examples_are_clean():
    for name in ("deny-iam-except-platform", "guard-passrole-createfunction", "region-deny", "allow-list"):
        assert ids(ORGS / f"{name}.json", "scp") == [], name
    assert ids(ORGS / "rcp-org-only.json", "rcp") == []


def test_the_2025_scp_language_is_accepted(tmp_path):
    # Allow with a condition and resource ARNs, NotAction and NotResource in Allow, a wildcard
    # inside an action: all accepted by Organizations since September 2025
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:aws:s3:::logs-*/*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
        {"Effect": "Allow", "NotAction": "ec2:*", "NotResource": "arn:aws:s3:::secrets/*"}]}
    assert ids(write(tmp_path, doc), "scp") == []
    # as an identity policy the same document draws warnings a guardrail does not deserve
    assert {i for i, _ in ids(write(tmp_path, doc), "identity")} >= {"PL010", "PL011"}


def test_an_scp_may_not_name_a_principal(tmp_path):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "iam:*", "Resource": "*"}]}
    assert ids(write(tmp_path, doc), "scp") == [("PL031", "Statement[0].Principal")]


def test_an_rcp_needs_principal_star_denies_only_and_names_covered_services(tmp_path):
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "NotAction": "dynamodb:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}]}
    assert ids(write(tmp_path, doc), "rcp") == [
        ("PL032", "Statement[0].Principal"), ("PL034", "Statement[0].Action[1]"),
        ("PL032", "Statement[1].Principal"), ("PL033", "Statement[2].Effect")]
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    assert ids(write(tmp_path, full, "full.json"), "rcp") == []  # RCPFullAWSAccess itself


def test_the_size_limit_counts_every_character_of_the_policy_as_stored(tmp_path):
    st = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    small = {"Version": "2012-10-17", "Statement": [st]}
    padded = json.dumps(small, indent=1) + " " * 5200
    assert ids(write(tmp_path, None, "big.json", padded), "scp") == [("PL030", "(document)")]
    assert ids(write(tmp_path, None, "big.json", padded), "identity") == []  # IAM's limits differ
    # describe-policy output: the Content is what Organizations stores and measures
    wrapped = {"Policy": {"PolicySummary": {"Id": "p-1", "Name": "n" * 6000}, "Content": json.dumps(small)}}
    assert ids(write(tmp_path, wrapped, "wrapped.json"), "scp") == []


def test_unknown_actions_and_condition_keys_are_still_caught(tmp_path):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "lambda:CreateFuntion", "Resource": "*",
                                                   "Condition": {"StringEquals": {"aws:PrincipleArn": "x"}}}]}
    got = {i for i, _ in ids(write(tmp_path, doc), "scp")}
    assert {"PL004", "PL012"} <= got


def test_the_command_line_takes_the_kinds(tmp_path):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "iam:*", "Resource": "*"}]}
    res = CliRunner().invoke(main, ["lint", "--kind", "scp", "--format", "json", str(write(tmp_path, doc))])
    assert res.exit_code == 1
    assert [f["id"] for f in json.loads(res.stdout)["files"][0]["findings"]] == ["PL031"]
