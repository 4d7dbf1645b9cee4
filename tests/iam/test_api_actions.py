"""API operation -> IAM action: the families whose action is not the operation's own name."""

from __future__ import annotations

import pytest

from iam_analyzer.iam.api_actions import actions_for, service_prefix


@pytest.mark.parametrize("op,action", [
    ("DeleteBucketAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"),
    ("DeleteBucketInventoryConfiguration", "s3:PutInventoryConfiguration"),
    ("DeleteBucketMetricsConfiguration", "s3:PutMetricsConfiguration"),
    ("DeleteBucketIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"),
    ("DeleteBucketMetadataConfiguration", "s3:DeleteBucketMetadataTableConfiguration"),
    ("CreateSession", "s3express:CreateSession"),
    ("ListDirectoryBuckets", "s3express:ListAllMyDirectoryBuckets"),
    ("WriteGetObjectResponse", "s3-object-lambda:WriteGetObjectResponse"),
])
def test_s3_operations_authorised_by_another_action(op, action):
    assert actions_for("s3.amazonaws.com", op).actions == (action,)


def test_lambda_layer_by_arn():
    assert actions_for("lambda.amazonaws.com", "GetLayerVersionByArn").actions == ("lambda:GetLayerVersion",)


@pytest.mark.parametrize("op", ["ExecuteStatement", "BatchExecuteStatement", "BeginTransaction", "CommitTransaction"])
def test_rds_data_event_source(op):
    # CloudTrail names the Data API rdsdata.amazonaws.com; the namespace is rds-data
    assert service_prefix("rdsdata.amazonaws.com") == "rds-data"
    assert actions_for("rdsdata.amazonaws.com", op).actions == (f"rds-data:{op}",)


@pytest.mark.parametrize("host,prefix", [
    ("cloudcontrolapi.amazonaws.com", "cloudformation"), ("api.ecr.amazonaws.com", "ecr"),
    ("messaging-chime.amazonaws.com", "chime"), ("appconfigdata.amazonaws.com", "appconfig"),
    ("metering.marketplace.amazonaws.com", "aws-marketplace"), ("featurestore-runtime.sagemaker.amazonaws.com", "sagemaker"),
    ("api.tunneling.iot.amazonaws.com", "iot"), ("mturk-requester.amazonaws.com", "mechanicalturk"),
])
def test_hosts_whose_namespace_differs(host, prefix):
    assert service_prefix(host) == prefix


def test_cloud_control_is_authorised_as_cloudformation():
    assert actions_for("cloudcontrolapi.amazonaws.com", "CreateResource").actions == ("cloudformation:CreateResource",)


def test_coarse_action_services():
    assert actions_for("budgets", "CreateBudget").actions == ("budgets:ModifyBudget",)
    assert actions_for("budgets", "DescribeBudgetPerformanceHistory").actions == ("budgets:ViewBudget",)
    assert actions_for("cassandra", "DeleteKeyspace").actions == ("cassandra:Drop",)
    assert actions_for("cassandra", "GetTable").actions == ("cassandra:Select",)
    assert actions_for("cassandra", "TagResource").actions == ("cassandra:TagResource",)  # own name first


def test_data_plane_queries_keep_every_action_they_may_need():
    got = set(actions_for("neptune-db", "ExecuteOpenCypherQuery").actions)
    assert got == {"neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery", "neptune-db:DeleteDataViaQuery"}
    assert actions_for("neptune-db", "GetMLEndpoint").actions == ("neptune-db:GetMLEndpointStatus",)
    assert actions_for("execute-api", "PostToConnection").actions == ("execute-api:ManageConnections",)
    assert actions_for("verifiedpermissions", "BatchIsAuthorized").actions == ("verifiedpermissions:IsAuthorized",)
    assert actions_for("dms", "DescribeDataProviders").actions == ("dms:ListDataProviders",)
    assert actions_for("dms", "ModifyMigrationProject").actions == ("dms:UpdateMigrationProject",)


def test_unmapped_stays_counted_not_dropped():
    m = actions_for("s3.amazonaws.com", "NoSuchOperationEver")
    assert m.known is False and m.actions == ()


def test_whole_mapping_audit_against_botocore():
    """Every botocore operation of a service the catalog knows maps to catalog actions or is
    counted unmapped; every host resolves to its signing name's namespace."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from api_actions_audit import audit

    # a sample of services here (the whole audit is benchmarks/api_actions_audit.py)
    r = audit(["s3", "lambda", "rds-data", "dynamodb", "sqs", "sns", "kms", "budgets", "cloudcontrol", "neptunedata",
               "ecr", "sso", "chime-sdk-messaging", "apigatewaymanagementapi"])
    assert r["no_iam"] > 0  # the IAM Identity Center portal is counted apart
    assert r["bad_action"] == [] and r["host_mismatch"] == []
    assert r["mapped"] / r["total"] > 0.97
    assert "rds-data" not in r["unmapped"] and "DeleteBucketAnalyticsConfiguration" not in r["unmapped"].get("s3", [])
