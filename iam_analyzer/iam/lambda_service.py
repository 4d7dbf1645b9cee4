"""What the Lambda service does with a function's execution role: the actions, as facts.

Shared by ``analyze/needs.py`` (what a configuration requires, with the setting and reason)
and the IaC readers that model roles a deployment tool writes for Lambda (the Serverless
Framework adds these statements itself). Sources are cited beside each list in the AWS Lambda
Developer Guide (https://docs.aws.amazon.com/lambda/latest/dg/) and the AWS managed policies
AWSLambdaBasicExecutionRole, AWSLambdaSQSQueueExecutionRole, AWSLambdaKinesisExecutionRole,
AWSLambdaDynamoDBExecutionRole, AWSLambdaMSKExecutionRole, AWSLambdaVPCAccessExecutionRole,
AWSXRayDaemonWriteAccess.
"""

from __future__ import annotations

from . import arn as arnlib

# lambda-intro-execution-role.html / monitoring-cloudwatchlogs.html (AWSLambdaBasicExecutionRole)
LOG_GROUP_ACTIONS = ("logs:CreateLogGroup",)
LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# configuration-vpc.html#vpc-permissions (AWSLambdaVPCAccessExecutionRole)
VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
               "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")
VPC_MANAGED_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"  # the managed policy with VPC_ACTIONS
# the network interfaces an event source mapping makes in the source's VPC: with-msk-permissions.html
# (VPC permissions), with-kafka-permissions.html (VPC permissions), with-mq.html, with-documentdb.html
SOURCE_VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs",
                      "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups")
# services-xray.html (execution role permissions; AWSXRayDaemonWriteAccess adds the sampling calls)
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
XRAY_ACTIONS = XRAY_WRITE_ACTIONS + ("xray:GetSamplingRules", "xray:GetSamplingTargets",
                                     "xray:GetSamplingStatisticSummaries")
# with-sqs.html (execution role permissions; AWSLambdaSQSQueueExecutionRole); ChangeMessageVisibility is
# listed by the guide too: Lambda uses it to return messages of a failed batch
SQS_POLL_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
SQS_ACTIONS = SQS_POLL_ACTIONS + ("sqs:ChangeMessageVisibility",)
# services-kinesis-create.html: the guide lists these for every Kinesis event source mapping, standard
# iterator or enhanced fan-out (AWSLambdaKinesisExecutionRole)
KINESIS_STREAM_ACTIONS = ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                          "kinesis:GetShardIterator", "kinesis:ListShards")
KINESIS_CONSUMER_ACTIONS = ("kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer")
# with-ddb.html (execution role permissions; AWSLambdaDynamoDBExecutionRole)
DDB_STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
DDB_LIST_STREAMS = "dynamodb:ListStreams"
# with-msk-permissions.html (cluster access permissions; AWSLambdaMSKExecutionRole): DescribeCluster or
# DescribeClusterV2 suffices, serverless clusters need V2: both are kept
MSK_ACTIONS = ("kafka:DescribeCluster", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers")
# with-mq.html (execution role permissions)
MQ_ACTIONS = ("mq:DescribeBroker",)
# a source's credentials in Secrets Manager (with-kafka-permissions.html, with-mq.html, ...)
SECRET_ACTION = "secretsmanager:GetSecretValue"

# invocation-async-retain-records.html: what Lambda calls to deliver to a destination or a
# dead-letter target, by the target's service (S3 is handled by the caller: object and bucket)
_DELIVERY = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
             "events": "events:PutEvents"}


def delivery_action(target: str) -> str | None:
    """The action Lambda uses to deliver a record to ``target`` (an ARN), or None."""
    a = arnlib.try_parse(target)
    return _DELIVERY.get(a.service) if a else None
