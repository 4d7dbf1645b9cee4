"""KMS actions a caller needs on a resource encrypted with a customer managed key.

S3 (SSE-KMS), SQS, SNS, Kinesis and Secrets Manager use the caller's permissions on the key:
a reader decrypts, a writer generates a data key (and S3 multipart uploads also decrypt).
Sources: the AWS documentation of each service's server-side encryption. Resources
encrypted with an AWS managed key (``alias/aws/...``) need nothing in the role.
"""

from __future__ import annotations

KMS_FOR = {
    "s3:GetObject": ("kms:Decrypt",), "s3:GetObjectVersion": ("kms:Decrypt",),
    "s3:PutObject": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"), "sqs:ReceiveMessage": ("kms:Decrypt",),
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
    "kinesis:PutRecord": ("kms:GenerateDataKey",), "kinesis:PutRecords": ("kms:GenerateDataKey",),
    "kinesis:GetRecords": ("kms:Decrypt",),
    "secretsmanager:GetSecretValue": ("kms:Decrypt",),
    "secretsmanager:PutSecretValue": ("kms:GenerateDataKey", "kms:Decrypt"),
}


def kms_actions(action: str) -> tuple[str, ...]:
    return KMS_FOR.get(action, ())


def is_aws_managed(key: str) -> bool:
    return "alias/aws/" in key
