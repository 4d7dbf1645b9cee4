"""The seed's shop written as SAM, CloudFormation (YAML and JSON), CDK output and a Terraform
plan reads into the same functions, with the same permissions and the same triggers."""

import json
from pathlib import Path

import jsonschema
import pytest

from iam_analyzer.analyze.checks.detect import analyze as run_rules
from iam_analyzer.analyze.checks.engine import load_rules
from iam_analyzer.analyze.graph.analyzer import Analyzer
from iam_analyzer.analyze.needs import requirements
from iam_analyzer.collect.iac import read_paths
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.model import Snapshot

DATA = Path(__file__).resolve().parents[2] / "data" / "iac"
SCHEMAS = Path(__file__).resolve().parents[3] / "iam_analyzer" / "schemas"
FORMS = {
    "sam": DATA / "sam",
    "cfn-yaml": DATA / "cfn" / "shop.yaml",
    "cfn-json": DATA / "cfn" / "shop.json",
    "cdk": DATA / "cdk",
    "terraform": DATA / "terraform",
}
KINDS = {"sam": "sam", "cfn-yaml": "cloudformation", "cfn-json": "cloudformation", "cdk": "cdk",
         "terraform": "terraform-plan"}
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod"


@pytest.fixture(scope="module")
def results():
    return {form: read_paths([path]) for form, path in FORMS.items()}


def _policies(snap: Snapshot, fn):
    role = snap.find_role(fn.role_arn)
    assert role is not None, f"{fn.name}: role {fn.role_arn} not in the snapshot"
    docs = [p.document for p in role.inline_policies]
    for arn in role.managed_policy_arns:
        mp = snap.find_policy(arn)
        assert mp is not None, f"{fn.name}: managed policy {arn} has no document"
        docs.append(mp.document)
    return [parse_policy(d) for d in docs]


def _by_name(result):
    return {f.name: f for f in result.snapshot.functions()}


@pytest.mark.parametrize("form", FORMS)
def test_each_form_reads_cleanly_as_its_kind(results, form):
    r = results[form]
    assert [i.errors for i in r.inputs] == [[]]
    assert {i.kind for i in r.inputs} == {KINDS[form]}
    assert r.snapshot.source["kind"] == "iac"
    assert r.unknown_managed_policies == []
    assert set(_by_name(r)) == {"orders-api", "thumbnail", "nightly-report"}


@pytest.mark.parametrize("form", FORMS)
def test_same_allowed_actions_per_function(results, form):
    ref = {n: allowed_actions(_policies(results["cfn-yaml"].snapshot, f)) for n, f in _by_name(results["cfn-yaml"]).items()}
    got = {n: allowed_actions(_policies(results[form].snapshot, f)) for n, f in _by_name(results[form]).items()}
    assert got == ref
    assert "dynamodb:putitem" in got["orders-api"] and "dynamodb:putitem" not in got["nightly-report"]
    assert "logs:createlogstream" in got["thumbnail"]  # AWSLambdaBasicExecutionRole's document is known


@pytest.mark.parametrize("form", FORMS)
def test_same_decisions_on_the_stack_resources(results, form):
    fns = _by_name(results[form])
    snap = results[form].snapshot

    def decide(fn, action, resource):
        return evaluate(Request(action, resource), identity=_policies(snap, fns[fn])).result

    assert decide("orders-api", "dynamodb:PutItem", TABLE) == Result.ALLOW
    assert decide("orders-api", "sns:Publish", "arn:aws:sns:us-east-1:123456789012:order-events") == Result.ALLOW
    assert decide("nightly-report", "dynamodb:Query", TABLE) == Result.ALLOW
    assert decide("nightly-report", "dynamodb:PutItem", TABLE) == Result.IMPLICIT_DENY
    assert decide("thumbnail", "s3:GetObject", "arn:aws:s3:::shop-uploads-prod/a.jpg") == Result.ALLOW
    assert decide("thumbnail", "s3:PutObject", "arn:aws:s3:::shop-thumbnails-prod/a.jpg") == Result.ALLOW
    assert decide("thumbnail", "s3:PutObject", "arn:aws:s3:::shop-uploads-prod/a.jpg") == Result.IMPLICIT_DENY


@pytest.mark.parametrize("form", FORMS)
def test_same_triggers_and_invokers(results, form):
    fns = _by_name(results[form])
    assert {n: sorted({t.type for t in f.triggers}) for n, f in fns.items()} == {
        "orders-api": ["apigateway-rest"], "thumbnail": ["s3"], "nightly-report": ["eventbridge-rule"]}
    nightly = fns["nightly-report"].triggers[0]
    assert nightly.details["schedule"] == "cron(0 3 * * ? *)"
    assert fns["thumbnail"].triggers[0].source_arn == "arn:aws:s3:::shop-uploads-prod"
    assert fns["thumbnail"].triggers[0].details["events"] == ["s3:ObjectCreated:*"]
    principals = {n: sorted({i.principal for i in f.invokers}) for n, f in fns.items()}
    assert principals == {"orders-api": ["apigateway.amazonaws.com"], "thumbnail": ["s3.amazonaws.com"],
                          "nightly-report": ["events.amazonaws.com"]}
    assert fns["thumbnail"].environment[0].name == "OUT_BUCKET"
    assert fns["thumbnail"].environment[0].references == ["arn:aws:s3:::shop-thumbnails-prod"]


@pytest.mark.parametrize("form", FORMS)
def test_pipeline_runs_unchanged_on_the_iac_snapshot(results, form):
    doc = json.loads(results[form].snapshot.dumps())
    jsonschema.validate(doc, json.loads((SCHEMAS / "snapshot.schema.json").read_text()))  # the snapshot contract
    snap = Snapshot.from_json(doc)
    reported, _, _ = run_rules(snap, None, load_rules())
    assert isinstance(reported, list)
    Analyzer(snap)  # the escalation graph builds
    fns = _by_name(results[form])
    assert any(r.action.lower().startswith("logs:") for r in requirements(fns["orders-api"], snap))
