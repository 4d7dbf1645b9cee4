"""CloudTrail records, decoded with msgspec into only the fields usage needs.

Decoding is the hot path (a million events is ordinary), so the types are frozen, hashable
structs: a record's ``requestParameters`` and ``resources`` can be used directly as part of
an aggregation key, and everything else in the record is skipped by the decoder.
"""

from __future__ import annotations

import msgspec


class SessionIssuer(msgspec.Struct, frozen=True, gc=False):
    arn: str | None = None
    type: str | None = None


class SessionContext(msgspec.Struct, frozen=True, gc=False):
    sessionIssuer: SessionIssuer | None = None


class UserIdentity(msgspec.Struct, frozen=True, gc=False):
    type: str | None = None
    arn: str | None = None
    sessionContext: SessionContext | None = None
    invokedBy: str | None = None


class Resource(msgspec.Struct, frozen=True, gc=False):
    ARN: str | None = None
    type: str | None = None


# Per-service request parameters: only the fields that name a resource, each typed exactly,
# so one service's odd field (DynamoDB's "key" is an object, S3's is a string) cannot break
# another's decoding. A record's parameters are decoded with its service's type only.


class S3Params(msgspec.Struct, frozen=True, gc=False):
    bucketName: str | None = None
    key: str | None = None
    copy_source: str | None = msgspec.field(default=None, name="x-amz-copy-source")


class DynamoDBParams(msgspec.Struct, frozen=True, gc=False):
    tableName: str | None = None
    indexName: str | None = None


class SQSParams(msgspec.Struct, frozen=True, gc=False):
    queueUrl: str | None = None


class SNSParams(msgspec.Struct, frozen=True, gc=False):
    topicArn: str | None = None
    targetArn: str | None = None


class KMSParams(msgspec.Struct, frozen=True, gc=False):
    keyId: str | None = None


class SecretsParams(msgspec.Struct, frozen=True, gc=False):
    secretId: str | None = None


class SSMParams(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    names: tuple[str, ...] | None = None
    path: str | None = None


class LambdaParams(msgspec.Struct, frozen=True, gc=False):
    functionName: str | None = None


class KinesisParams(msgspec.Struct, frozen=True, gc=False):
    streamName: str | None = None
    streamARN: str | None = None


class StatesParams(msgspec.Struct, frozen=True, gc=False):
    stateMachineArn: str | None = None
    executionArn: str | None = None


class EventsParams(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    eventBusName: str | None = None


class LogsParams(msgspec.Struct, frozen=True, gc=False):
    logGroupName: str | None = None
    logStreamName: str | None = None


class IAMParams(msgspec.Struct, frozen=True, gc=False):
    roleName: str | None = None
    roleArn: str | None = None
    policyArn: str | None = None
    userName: str | None = None


PARAM_TYPES: dict[str, type] = {
    "s3.amazonaws.com": S3Params,
    "dynamodb.amazonaws.com": DynamoDBParams,
    "sqs.amazonaws.com": SQSParams,
    "sns.amazonaws.com": SNSParams,
    "kms.amazonaws.com": KMSParams,
    "secretsmanager.amazonaws.com": SecretsParams,
    "ssm.amazonaws.com": SSMParams,
    "lambda.amazonaws.com": LambdaParams,
    "kinesis.amazonaws.com": KinesisParams,
    "states.amazonaws.com": StatesParams,
    "events.amazonaws.com": EventsParams,
    "logs.amazonaws.com": LogsParams,
    "iam.amazonaws.com": IAMParams,
    "sts.amazonaws.com": IAMParams,
}
PARAM_DECODERS = {src: msgspec.json.Decoder(tp) for src, tp in PARAM_TYPES.items()}


class Record(msgspec.Struct, gc=False):
    eventTime: str = ""
    eventSource: str = ""
    eventName: str = ""
    awsRegion: str = ""
    userIdentity: UserIdentity | None = None
    errorCode: str | None = None
    eventCategory: str | None = None  # "Management" | "Data" | "Insight"
    managementEvent: bool | None = None
    eventType: str | None = None  # AwsApiCall | AwsServiceEvent | AwsConsoleSignIn ...
    recipientAccountId: str | None = None
    requestParameters: msgspec.Raw = msgspec.Raw(b"null")  # decoded per service: see PARAM_DECODERS
    resources: tuple[Resource, ...] | None = None


class LogFile(msgspec.Struct, gc=False):
    Records: list[Record] = []


_file_decoder = msgspec.json.Decoder(LogFile)
_record_decoder = msgspec.json.Decoder(Record)


def decode_file(data: bytes) -> list[Record]:
    """Records of one CloudTrail log file (``{"Records": [...]}``)."""
    return _file_decoder.decode(data).Records


def decode_record(data: bytes | str) -> Record:
    """One record (LookupEvents returns each event as its own JSON text)."""
    return _record_decoder.decode(data)
