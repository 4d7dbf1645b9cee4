"""Data for ``api_actions``: operations whose IAM action is not their own name, and hosts whose
IAM namespace is not their own name. Audited service by service against botocore's models and
the Service Authorization Reference (``benchmarks/api_actions_audit.py``).

Sources: the Service Authorization Reference lists, per action, the API operations it
authorises ("operations listed under another action"); botocore's service metadata gives each
endpoint prefix (the host, and CloudTrail's ``eventSource``) with its signing name (the IAM
namespace, for nearly every service).
"""

from __future__ import annotations

# Host (endpoint prefix, CloudTrail eventSource without .amazonaws.com) -> IAM service prefix,
# where the host is not the namespace. Most come from botocore's endpointPrefix -> signingName.
HOST_TO_PREFIX = {
    "rdsdata": "rds-data",  # CloudTrail's eventSource for the RDS Data API
    "cloudcontrolapi": "cloudformation",  # Cloud Control API is authorised as cloudformation:*Resource*
    "api.tunneling.iot": "iot", "iotsecuredtunneling": "iot",  # secure tunneling: iot:OpenTunnel, ...
    "mturk-requester": "mechanicalturk",
    "partnercentral-selling": "partnercentral", "partnercentral-prm": "partnercentral",
    "iot-jobs-data": "iot",
    "account-access-runtime": "account-access",
    "agent-registry-control": "agent-registry",
    "appconfigdata": "appconfig",
    "appstream2": "appstream",
    "bedrock-agentcore-control": "bedrock-agentcore",
    "bedrock-data-automation": "bedrock", "bedrock-data-automation-runtime": "bedrock",
    "identity-chime": "chime", "media-pipelines-chime": "chime", "meetings-chime": "chime",
    "messaging-chime": "chime", "voice-chime": "chime",
    "cloudhsmv2": "cloudhsm",
    "cloudsearchdomain": "cloudsearch",
    "cloudwatch-omni": "cloudwatch",
    "contact-lens": "connect",
    "api.detective": "detective",
    "api.ecr": "ecr", "api.ecr-public": "ecr-public",
    "eventsv2": "events",
    "forecastquery": "forecast",
    "iam-toolbox": "iam",
    "data-ats.iot": "iot",
    "api.iotmanagedintegrations": "iotmanagedintegrations",
    "api.iotdeviceadvisor": "iotdeviceadvisor",
    "api.iotwireless": "iotwireless",
    "ivsrealtime": "ivs",
    "cassandra-streams": "cassandra",
    "models-v2-lex": "lex", "runtime-v2-lex": "lex",
    "mail-manager": "ses",
    "agreement-marketplace": "aws-marketplace", "catalog.marketplace": "aws-marketplace",
    "deployment-marketplace": "aws-marketplace", "discovery-marketplace": "aws-marketplace",
    "entitlement.marketplace": "aws-marketplace", "reporting-marketplace": "aws-marketplace",
    "metering.marketplace": "aws-marketplace",
    "data.mediastore": "mediastore",
    "api.mediatailor": "mediatailor",
    "memory-db": "memorydb",
    "migrationhub-config": "mgh",
    "controlplane.payment-cryptography": "payment-cryptography",
    "dataplane.payment-cryptography": "payment-cryptography",
    "personalize-events": "personalize", "personalize-runtime": "personalize",
    "pinpoint": "mobiletargeting",
    "sms-voice.pinpoint": "sms-voice",
    "api.pricing": "pricing",
    "data.qapps": "qapps",
    "a2i-runtime.sagemaker": "sagemaker", "edge.sagemaker": "sagemaker",
    "featurestore-runtime.sagemaker": "sagemaker", "gateway-runtime.sagemaker": "sagemaker",
    "inferencerouter-runtime.sagemaker": "sagemaker", "metrics.sagemaker": "sagemaker",
    "job-runtime.sagemaker": "sagemaker", "training-session-runtime.sagemaker": "sagemaker",
    "servicecatalog-appregistry": "servicecatalog",
    "data-signer": "signer",
    "oidc": "sso-oauth",
    "query.timestream": "timestream", "ingest.timestream": "timestream",
    "admin.wickr": "wickr",
}

# (prefix, operation) -> actions; a name with ":" is a full action of another service.
RENAMES: dict[tuple[str, str], list[str]] = {
    # SQS and SNS batch calls are authorised by the single-message action; the batch names are
    # not IAM actions (yet SAM's own SQSPollerPolicy lists two of them, and IAM accepts that)
    ("sqs", "SendMessageBatch"): ["SendMessage"],
    ("sqs", "DeleteMessageBatch"): ["DeleteMessage"],
    ("sqs", "ChangeMessageVisibilityBatch"): ["ChangeMessageVisibility"],
    ("sns", "PublishBatch"): ["Publish"],
    # S3: deleting a bucket configuration is authorised by its Put action
    ("s3", "DeleteBucketAnalyticsConfiguration"): ["PutAnalyticsConfiguration"],
    ("s3", "DeleteBucketInventoryConfiguration"): ["PutInventoryConfiguration"],
    ("s3", "DeleteBucketMetricsConfiguration"): ["PutMetricsConfiguration"],
    ("s3", "DeleteBucketIntelligentTieringConfiguration"): ["PutIntelligentTieringConfiguration"],
    ("s3", "CreateBucketMetadataConfiguration"): ["CreateBucketMetadataTableConfiguration"],
    ("s3", "DeleteBucketMetadataConfiguration"): ["DeleteBucketMetadataTableConfiguration"],
    ("s3", "GetBucketMetadataConfiguration"): ["GetBucketMetadataTableConfiguration"],
    # S3 operations authorised in other namespaces
    ("s3", "CreateSession"): ["s3express:CreateSession"],
    ("s3", "ListDirectoryBuckets"): ["s3express:ListAllMyDirectoryBuckets"],
    ("s3", "WriteGetObjectResponse"): ["s3-object-lambda:WriteGetObjectResponse"],
    # S3 Control operations for directory buckets (S3 Express) and Outposts buckets
    **{("s3", op): [f"s3express:{op}"] for op in ("DeleteAccessPointScope", "GetAccessPointScope",
                                                  "PutAccessPointScope", "ListAccessPointsForDirectoryBuckets")},
    ("s3", "GetBucket"): ["s3-outposts:GetBucket"],
    ("s3", "ListRegionalBuckets"): ["s3-outposts:ListRegionalBuckets"],
    ("s3", "DeleteBucketLifecycleConfiguration"): ["s3-outposts:PutLifecycleConfiguration"],
    # Lambda
    ("lambda", "GetLayerVersionByArn"): ["GetLayerVersion"],
    # API Gateway management API (WebSocket connections)
    ("execute-api", "PostToConnection"): ["ManageConnections"],
    ("execute-api", "GetConnection"): ["ManageConnections"],
    ("execute-api", "DeleteConnection"): ["ManageConnections"],
    # Neptune data API: queries are authorised by what they do; read, write and delete kept
    # together for a query whose text is unknown (one more is safe, one less breaks)
    **{("neptune-db", f"Execute{lang}Query"): ["ReadDataViaQuery", "WriteDataViaQuery", "DeleteDataViaQuery"]
       for lang in ("Gremlin", "OpenCypher", "Sparql")},
    **{("neptune-db", f"Execute{lang}{kind}Query"): ["ReadDataViaQuery"]
       for lang in ("Gremlin", "OpenCypher") for kind in ("Explain", "Profile")},
    **{("neptune-db", f"Cancel{lang}Query"): ["CancelQuery"] for lang in ("Gremlin", "OpenCypher")},
    **{("neptune-db", f"Get{lang}QueryStatus"): ["GetQueryStatus"] for lang in ("Gremlin", "OpenCypher")},
    **{("neptune-db", f"List{lang}Queries"): ["GetQueryStatus"] for lang in ("Gremlin", "OpenCypher")},
    ("neptune-db", "ExecuteFastReset"): ["ResetDatabase"],
    **{("neptune-db", f"Get{g}Statistics"): ["GetStatisticsStatus"] for g in ("Propertygraph", "Sparql")},
    **{("neptune-db", f"Manage{g}Statistics"): ["ManageStatistics"] for g in ("Propertygraph", "Sparql")},
    **{("neptune-db", f"Delete{g}Statistics"): ["DeleteStatistics"] for g in ("Propertygraph", "Sparql")},
    **{("neptune-db", f"Get{g}Stream"): ["GetStreamRecords"] for g in ("Propertygraph", "Sparql")},
    **{("neptune-db", f"Get{g}Summary"): ["GetGraphSummary"] for g in ("Propertygraph", "RDFGraph")},
    # Neptune ML: the Get operations are authorised by the ...Status actions
    **{("neptune-db", f"GetML{x}"): [f"GetML{x}Status"]
       for x in ("DataProcessingJob", "Endpoint", "ModelTrainingJob", "ModelTransformJob")},
    # Neptune Analytics
    ("neptune-graph", "ExecuteQuery"): ["ReadDataViaQuery", "WriteDataViaQuery", "DeleteDataViaQuery"],
    ("neptune-graph", "GetQuery"): ["GetQueryStatus"],
    ("neptune-graph", "ListQueries"): ["GetQueryStatus"],
    # Verified Permissions: batch calls are authorised by the single-item actions
    ("verifiedpermissions", "BatchIsAuthorized"): ["IsAuthorized"],
    ("verifiedpermissions", "BatchIsAuthorizedWithToken"): ["IsAuthorizedWithToken"],
    ("verifiedpermissions", "BatchGetPolicy"): ["GetPolicy"],
}

# Operations named with another verb than their action, per service: (operation verb, action
# verb), tried only when the catalog has no action of the operation's own name (DMS Schema
# Conversion: DescribeDataProviders is authorised by dms:ListDataProviders, ModifyDataProvider
# by dms:UpdateDataProvider).
VERB_SWAPS: dict[str, tuple[tuple[str, str], ...]] = {
    "dms": (("Describe", "List"), ("Modify", "Update")),
}

# Services authorised by a few coarse actions: operation verb -> action, for operations the
# catalog does not list by name.
VERB_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    # AWS Budgets: budgets:ViewBudget reads, budgets:ModifyBudget changes
    "budgets": (("Describe", "ViewBudget"), ("Get", "ViewBudget"), ("List", "ViewBudget"),
                ("Create", "ModifyBudget"), ("Update", "ModifyBudget"), ("Delete", "ModifyBudget")),
    # Amazon Keyspaces: the CQL-style actions
    "cassandra": (("Create", "Create"), ("Delete", "Drop"), ("Get", "Select"), ("List", "Select"),
                  ("Update", "Alter"), ("Restore", "Restore")),
}

# botocore services whose operations no IAM action authorises (bearer or participant tokens),
# or that the catalog does not carry at all: the audit counts them apart, never as agreement.
NO_IAM_SERVICES = {
    "sso": "IAM Identity Center portal: authorised by the user's access token, not IAM",
    "codecatalyst": "CodeCatalyst: authorised by personal access tokens, not IAM",
    "connectparticipant": "Connect participant service: authorised by participant tokens, not IAM",
    "cloudhsm": "CloudHSM Classic: discontinued; the catalog carries CloudHSM v2 only",
}
