"""Every AWS managed policy that moto ships: parses, round-trips and lints without a crash."""

import json

import pytest

from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.analyze.lint import lint_document


@pytest.fixture(scope="module")
def managed():
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def test_all_managed_policies_parse_round_trip_and_lint(managed):
    assert len(managed) > 1000
    grammar_errors = []
    for name, meta in managed.items():
        doc = meta["Document"]
        policy = parse_policy(doc)
        assert parse_policy(json.loads(policy.dumps())) == policy, name
        findings, kind = lint_document(doc)
        assert kind == "identity", name
        grammar_errors += [(name, f.location) for f in findings if f.id in ("PL001", "PL002", "PL014")]
    # AWS accepted every one of these documents: our grammar must accept them too.
    assert grammar_errors == []


def test_well_known_managed_policies_get_the_expected_findings(managed):
    admin, _ = lint_document(managed["AdministratorAccess"]["Document"])
    assert [f.id for f in admin] == ["PL009"] and admin[0].severity == "warning"
    basic, _ = lint_document(managed["AWSLambdaBasicExecutionRole"]["Document"])
    assert [f.id for f in basic if f.severity != "info"] == ["PL009"]  # logs writes on "*"
