"""Lint agrees with IAM on what it accepts: what IAM rejects is an error, what it accepts is
never an error for grammar alone (a warning at most)."""

import pytest

from iam_analyzer.analyze.lint import lint_document

OK = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


def P(*sts, version="2012-10-17"):
    doc = {"Statement": list(sts)}
    if version:
        doc["Version"] = version
    return doc


def cond(c, action="s3:GetObject", resource="arn:aws:s3:::b/*"):
    return P({"Effect": "Allow", "Action": action, "Resource": resource, "Condition": c})


def errors(doc, kind="auto"):
    findings, _ = lint_document(doc, kind=kind)
    return [f.id for f in findings if f.severity == "error"]


def findings_of(doc, kind="auto"):
    findings, _ = lint_document(doc, kind=kind)
    return {(f.id, f.severity) for f in findings}


# Documents IAM refuses: each must give at least one error with the id shown.
REJECTED = [
    ("empty Statement list", P(), "PL002"),
    ("identity statement without Resource", P({"Effect": "Allow", "Action": "s3:ListAllMyBuckets"}), "PL016"),
    ("Date with a word", cond({"DateGreaterThan": {"aws:CurrentTime": "sdfdsf"}}), "PL017"),
    ("Date with a bad month", cond({"DateLessThan": {"aws:CurrentTime": "234-13"}}), "PL017"),
    ("Date out of range", cond({"DateGreaterThan": {"aws:EpochTime": "99999999999999999"}}), "PL017"),
    ("Date with a bad time zone", cond({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00+25:00"}}), "PL017"),
    ("Date with a malformed time zone", cond({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00+x1"}}), "PL017"),
    ("Date day 31 of February", cond({"DateEquals": {"aws:CurrentTime": "2026-02-31"}}), "PL017"),
    ("Date year past the parser's range", cond({"DateGreaterThan": {"aws:CurrentTime": "-292275055"}}), "PL017"),
    ("Date lenient form with hour 24", cond({"DateGreaterThan": {"aws:CurrentTime": "2016-12-13t24:00"}}), "PL017"),
    ("Date lenient form with offset +24", cond({"DateGreaterThan": {"aws:CurrentTime": "2016-12-13t2:00+24"}}), "PL017"),
    ("Date lenient day 400 of the year", cond({"DateGreaterThan": {"aws:CurrentTime": "2016-400"}}), "PL017"),
    ("Date T alone", cond({"DateGreaterThan": {"aws:CurrentTime": "T"}}), "PL017"),
    ("Numeric with a word", cond({"NumericLessThan": {"s3:max-keys": "ten"}}, "s3:ListBucket", "arn:aws:s3:::b"), "PL017"),
    ("Numeric with a date", cond({"NumericEquals": {"s3:max-keys": "234-13"}}, "s3:ListBucket", "arn:aws:s3:::b"), "PL017"),
    ("Bool with a word", cond({"Bool": {"aws:SecureTransport": "yes"}}), "PL017"),
    ("IpAddress with a name", cond({"IpAddress": {"aws:SourceIp": "example.com"}}), "PL017"),
    ("IpAddress with a bad prefix", cond({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/40"}}), "PL017"),
    ("Arn with a name", cond({"ArnLike": {"aws:SourceArn": "my-bucket"}}), "PL017"),
    ("Null with a word", cond({"Null": {"aws:TokenIssueTime": "maybe"}}), "PL017"),
    ("no Version in an identity policy", P(OK, version=None), "PL013"),
    ("Sid with a hyphen in an identity policy", P(dict(OK, Sid="read-objects")), "PL002"),
    ("2008-10-17 in an identity policy", P(OK, version="2008-10-17"), "PL013"),
    ("ARN with an unknown partition", P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws-foo:s3:::b/*"}),
     "PL006"),
]

# the same, for trust policies
REJECTED_TRUST = [
    ("short account in a Principal", P({"Effect": "Allow", "Principal": {"AWS": "12345"}, "Action": "sts:AssumeRole"}),
     "PL019"),
    ("role name without its ARN", P({"Effect": "Allow", "Principal": {"AWS": "deployer"}, "Action": "sts:AssumeRole"}),
     "PL019"),
    ("service without its domain", P({"Effect": "Allow", "Principal": {"Service": "lambda"}, "Action": "sts:AssumeRole"}),
     "PL019"),
    ("Resource in a trust policy", P({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                      "Action": "sts:AssumeRole", "Resource": "*"}), "PL020"),
    ("non-STS action in a trust policy", P({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                            "Action": "s3:GetObject"}), "PL020"),
]


@pytest.mark.parametrize("name,doc,cid", REJECTED, ids=[r[0] for r in REJECTED])
def test_what_iam_rejects_is_an_error(name, doc, cid):
    assert cid in errors(doc, kind="identity")


@pytest.mark.parametrize("name,doc,cid", REJECTED_TRUST, ids=[r[0] for r in REJECTED_TRUST])
def test_what_iam_rejects_in_a_trust_policy_is_an_error(name, doc, cid):
    assert cid in errors(doc, kind="trust")


# Documents IAM accepts: no error may come from grammar alone.
ACCEPTED = [
    ("empty condition block", cond({"DateGreaterThan": {}})),
    ("null in a Resource list", P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", None]})),
    ("Date as ISO date", cond({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}})),
    ("Date with fractions and offset", cond({"DateLessThan": {"aws:CurrentTime": "2026-01-01T10:00:00.123+02:00"}})),
    ("Date as epoch seconds", cond({"DateGreaterThan": {"aws:EpochTime": "1767225600"}})),
    ("Date with a policy variable", cond({"DateLessThan": {"aws:CurrentTime": "${aws:TokenIssueTime}"}})),
    ("Numeric decimal", cond({"NumericLessThanEquals": {"s3:max-keys": "10.5"}}, "s3:ListBucket", "arn:aws:s3:::b")),
    ("Bool as JSON true", cond({"Bool": {"aws:SecureTransport": True}})),
    ("IPv6 range", cond({"IpAddress": {"aws:SourceIp": ["2001:db8::/32", "203.0.113.5"]}})),
    ("Arn with wildcards", cond({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})),
    ("trust policy without Resource", P({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                         "Action": "sts:AssumeRole"})),
    ("Sid with spaces in a resource policy", P({"Sid": "Allow public read", "Effect": "Allow", "Principal": "*",
                                                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})),
    ("principals of every form", P({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "AWS": ["111122223333", "arn:aws:iam::111122223333:root", "arn:aws:sts::111122223333:assumed-role/r/s",
                "AROAEXAMPLEID1234567", "*"],
        "Service": ["lambda.amazonaws.com", "ec2.amazonaws.com.cn"],
        "Federated": ["arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
                      "cognito-identity.amazonaws.com", "accounts.google.com"]}})),
    ("2008 trust policy", P({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                             "Action": "sts:AssumeRole"}, version="2008-10-17")),
]


@pytest.mark.parametrize("name,doc", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_what_iam_accepts_is_not_an_error(name, doc):
    assert errors(doc) == []


# Dates IAM's lenient parser accepts: a warning that the value is unusual, never an error.
LENIENT_DATES = ["01T", "2016-12-13t2:00:00.593194+23", "-292275054", "T12:00", "2026-W05-3", "2024-366", "2026-1-5",
                 "2026-01-31T10,5Z"]


@pytest.mark.parametrize("value", LENIENT_DATES)
def test_dates_iam_reads_leniently_are_a_warning_not_an_error(value):
    doc = cond({"DateGreaterThan": {"aws:CurrentTime": value}})
    assert errors(doc) == []
    got, _ = lint_document(doc)
    warned = [f for f in got if f.id == "PL021"]
    assert len(warned) == 1 and warned[0].severity == "warning" and repr(value) in warned[0].message
    assert warned[0].location == "Statement[0].Condition.DateGreaterThan.aws:CurrentTime"


def test_usual_dates_are_not_called_unusual():
    for value in ("2026-01-31T00:00:00Z", "2026-01-01", "1767225600", "2026-01-01T10:00:00.123+02:00"):
        got, _ = lint_document(cond({"DateGreaterThan": {"aws:CurrentTime": value}}))
        assert not [f for f in got if f.id in ("PL017", "PL021")], value


def test_the_kind_decides_whether_resource_is_required():
    trust = P({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert "PL016" not in errors(trust, kind="trust")
    assert "PL016" in errors(P({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                "Action": "s3:GetObject"}), kind="resource")


def test_nulls_and_empty_blocks_are_warned_about_where_they_are():
    got, _ = lint_document(P({"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", None],
                              "Condition": {"DateGreaterThan": {}}}))
    locs = {(f.id, f.severity, f.location) for f in got}
    assert ("PL018", "warning", "Statement[0].Resource[1]") in locs
    assert ("PL018", "warning", "Statement[0].Condition.DateGreaterThan") in locs


def test_an_empty_condition_block_restricts_nothing_when_evaluated():
    from iam_analyzer.iam.evaluate import Request, Result, evaluate
    from iam_analyzer.iam.policy import parse_policy

    pol = parse_policy(cond({"DateGreaterThan": {}}))
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k"), [("p", pol)]).result is Result.ALLOW


def test_catch_rate_on_these_cases():
    caught = sum(1 for _, doc, cid in REJECTED if cid in errors(doc, kind="identity"))
    caught += sum(1 for _, doc, cid in REJECTED_TRUST if cid in errors(doc, kind="trust"))
    false_errors = sum(1 for _, doc in ACCEPTED if errors(doc))
    assert (caught, false_errors) == (len(REJECTED) + len(REJECTED_TRUST), 0)


@pytest.mark.parametrize("value,applies", [("01T", True), ("2016-12-13t2:00:00.593194+23", True), ("2030-1-1T0:00+01", False)])
def test_the_evaluator_reads_lenient_dates_as_iam_does(value, applies):
    """A Deny on a date IAM reads leniently still denies: the value is a date, not noise."""
    from iam_analyzer.iam.evaluate import Request, Result, evaluate
    from iam_analyzer.iam.policy import parse_policy

    pol = parse_policy(P(OK, {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
                              "Condition": {"DateGreaterThan": {"aws:CurrentTime": value}}}))
    got = evaluate(Request("s3:GetObject", "arn:aws:s3:::b/k", context={"aws:CurrentTime": "2026-01-01T00:00:00Z"}), [("p", pol)])
    assert got.result is (Result.EXPLICIT_DENY if applies else Result.ALLOW)
