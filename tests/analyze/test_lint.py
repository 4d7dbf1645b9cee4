"""Lint checks: each one fires on its case and stays quiet on the near miss."""

import json


from iam_analyzer.analyze.lint import checks, lint_document, lint_file, lint_text
from tests.paths import ROOT


def ids(doc, kind="auto"):
    findings, _ = lint_document(doc, kind=kind)
    return [f.id for f in findings]


def P(*sts, version="2012-10-17"):
    doc = {"Statement": list(sts)}
    if version:
        doc["Version"] = version
    return doc


def test_every_check_is_defined_as_data():
    defs = checks()
    # PL030-PL034: SCPs and RCPs (lint --kind scp|rcp, analyze/org_lint.py)
    assert set(defs) == {f"PL{n:03d}" for n in range(1, 22)} | {f"PL{n:03d}" for n in range(30, 35)}
    for c in defs.values():
        assert c.severity in ("error", "warning", "info") and c.title and c.why and c.fix


def test_clean_policy_has_no_findings():
    assert ids(P({"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                  "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/orders"},
                 {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})) == []


def test_invalid_json_and_grammar():
    findings, _ = lint_text('{"Version": "2012-10-17", "Statement": [}')
    assert [f.id for f in findings] == ["PL001"] and findings[0].location.startswith("line 1 column")
    assert ids(P({"Effect": "Permit", "Action": "s3:*", "Resource": "*"})) == ["PL002"]


def test_unknown_service_and_action():
    assert ids(P({"Effect": "Allow", "Action": "s4:GetObject", "Resource": "*"})) == ["PL003"]
    assert ids(P({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/*"})) == ["PL004"]
    assert ids(P({"Effect": "Allow", "Action": "s3:Fetch*", "Resource": "arn:aws:s3:::b/*"})) == ["PL004"]
    assert ids(P({"Effect": "Allow", "Action": "s3:GETOBJECT", "Resource": "arn:aws:s3:::b/*"})) == []


def test_action_that_does_not_apply_to_the_resource_type():
    assert ids(P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"})) == ["PL005"]
    assert ids(P({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket/*"})) == ["PL005"]
    assert ids(P({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:s3:::bucket/*"})) == ["PL005"]
    # near misses: the right types, or a mix where each action has its resource
    assert ids(P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"})) == []
    assert ids(P({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
                  "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]})) == []
    assert ids(P({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::bucket"})) == []


def test_action_without_resource_type_needs_star():
    assert ids(P({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::*"})) == ["PL015"]
    assert ids(P({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})) == []


def test_invalid_arn():
    assert ids(P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket/*"})) == ["PL006"]
    assert ids(P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:nosuchsvc:::x"})) == ["PL006"]


def test_duplicate_sid():
    assert ids(P({"Sid": "A", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
                 {"Sid": "A", "Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"})) == ["PL007"]


def test_redundant_statement():
    found = ids(P({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
                  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*"}))
    assert found == ["PL008"]
    # a condition on the broader statement means it does not cover the other
    assert ids(P({"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*",
                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
                 {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*"})) == []


def test_resource_star_only_for_scopable_actions():
    findings, _ = lint_document(P({"Effect": "Allow", "Action": ["iam:PassRole", "s3:ListAllMyBuckets"], "Resource": "*"}))
    assert [(f.id, f.severity) for f in findings] == [("PL009", "warning")]
    assert "iam:PassRole" in findings[0].message and "ListAllMyBuckets" not in findings[0].message
    # never for actions that have no resource type (the classic false positive)
    assert ids(P({"Effect": "Allow", "Action": ["ec2:DescribeInstances", "xray:PutTraceSegments",
                                                 "ec2:DescribeNetworkInterfaces", "sts:GetCallerIdentity"], "Resource": "*"})) == []
    reads, _ = lint_document(P({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}))
    assert [(f.id, f.severity) for f in reads] == [("PL009", "info")]


def test_allow_with_not_action_and_not_resource():
    assert ids(P({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})) == ["PL010"]
    assert ids(P({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"})) == ["PL011"]
    assert ids(P({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})) == []


def test_unknown_condition_key():
    cond = lambda c: P({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": c})
    assert ids(cond({"StringLike": {"s3:prefx": "a/*"}})) == ["PL012"]
    assert ids(cond({"StringEquals": {"aws:SourceAcount": "1"}})) == ["PL012"]
    assert ids(cond({"StringLike": {"s3:prefix": "a/*"}, "StringEquals": {"aws:PrincipalTag/team": "x"}})) == []


def test_missing_version():
    assert "PL013" in ids(P({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}, version=None))


def test_principal_in_the_wrong_kind_of_policy():
    trust = P({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert ids(trust) == []
    assert ids(trust, kind="identity") == ["PL014", "PL016"]  # and an identity statement needs a Resource
    mixed = P({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
              {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert "PL014" in ids(mixed)


def test_a_malformed_statement_does_not_hide_the_others(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"},
                              {"Effect": "Alow", "Action": "s3:GetObject", "Resource": "*"})))
    res = lint_file(f)
    assert sorted(x.id for x in res.findings) == ["PL002", "PL005"]


def test_wrapped_documents_are_found(tmp_path):
    f = tmp_path / "cli.json"
    f.write_text(json.dumps({"PolicyVersion": {"Document": P({"Effect": "Allow", "Action": "s3:GetObject",
                                                                "Resource": "arn:aws:s3:::b"}), "VersionId": "v1"}}))
    assert [x.id for x in lint_file(f).findings] == ["PL005"]


def test_lint_docs_list_every_check_with_its_title():

    page = (ROOT / "docs" / "commands" / "lint.md").read_text()
    for c in checks().values():
        assert f"| {c.id} | {c.name} | {c.severity} | {c.title} |" in page, c.id
