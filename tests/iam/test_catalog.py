from iam_analyzer.iam.catalog import default_catalog, expand_actions


def test_catalog_is_fresh_and_large():
    cat = default_catalog()
    assert cat.info.actions > 20000 and cat.info.services > 400
    assert cat.info.date >= "2025-01-01"
    # policyuniverse's 2023 data had 68 lambda actions; the maintained catalog has more
    assert len(cat.service_actions("lambda")) > 80


def test_lookup_is_case_insensitive_and_returns_canonical_casing():
    cat = default_catalog()
    assert cat.canonical("S3:GETBUCKETCORS") == "s3:GetBucketCORS"
    assert cat.canonical("lambda:invokefunction") == "lambda:InvokeFunction"
    assert cat.get("s3:nope") is None
    assert cat.access_level("iam:PassRole") == "Write"
    assert cat.access_level("iam:PutRolePolicy") == "Permissions management"
    assert cat.access_level("s3:ListBucket") == "List"


def test_expansion_of_patterns():
    cat = default_catalog()
    gets = {a.full_name for a in cat.expand("s3:Get*")}
    assert "s3:GetObject" in gets and "s3:PutObject" not in gets
    assert all(n.startswith("s3:Get") for n in gets)
    assert {a.full_name for a in cat.expand("s3:*Object*")} >= {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert {a.full_name for a in cat.expand("ec2:DescribeVpc?")} == {"ec2:DescribeVpcs"}
    assert len(cat.expand("*")) == len(cat.expand("*:*")) == cat.info.actions
    assert cat.expand("nosuchservice:*") == []
    assert expand_actions(["s3:GetObject", "S3:getobject"]) == {"s3:getobject"}


def test_resource_types_have_arn_formats():
    cat = default_catalog()
    act = cat.get("dynamodb:GetItem")
    names = {rt.name for rt in cat.action_resource_types(act)}
    assert "table" in names
    assert not cat.get("s3:ListAllMyBuckets").supports_resource_scoping
