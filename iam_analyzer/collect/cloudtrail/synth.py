"""Realistic CloudTrail records and log files, for the demo, tests and benchmarks.

Records carry every field CloudTrail writes for an API call made by a Lambda function's
role session (``userIdentity`` of type AssumedRole with the function's name as session
name), so they weigh what real ones do (about 1.5 KB). Files are laid out as CloudTrail
delivers them: ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz``.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

DATA_EVENTS = {
    ("s3.amazonaws.com", "GetObject"), ("s3.amazonaws.com", "PutObject"), ("s3.amazonaws.com", "DeleteObject"),
    ("s3.amazonaws.com", "HeadObject"), ("s3.amazonaws.com", "ListObjects"), ("s3.amazonaws.com", "ListObjectsV2"),
    ("s3.amazonaws.com", "CopyObject"), ("s3.amazonaws.com", "CreateMultipartUpload"), ("s3.amazonaws.com", "UploadPart"),
    ("dynamodb.amazonaws.com", "GetItem"), ("dynamodb.amazonaws.com", "PutItem"), ("dynamodb.amazonaws.com", "UpdateItem"),
    ("dynamodb.amazonaws.com", "DeleteItem"), ("dynamodb.amazonaws.com", "Query"), ("dynamodb.amazonaws.com", "Scan"),
    ("dynamodb.amazonaws.com", "BatchGetItem"), ("dynamodb.amazonaws.com", "BatchWriteItem"),
    ("dynamodb.amazonaws.com", "TransactWriteItems"),
    ("lambda.amazonaws.com", "Invoke"), ("sqs.amazonaws.com", "SendMessage"), ("sqs.amazonaws.com", "ReceiveMessage"),
    ("sqs.amazonaws.com", "DeleteMessage"), ("sns.amazonaws.com", "Publish"), ("kinesis.amazonaws.com", "PutRecord"),
    ("kinesis.amazonaws.com", "GetRecords"),
}  # as CloudTrail classifies them; GetSecretValue, KMS Decrypt, SSM GetParameter are management events


def is_data_event(source: str, name: str) -> bool:
    return (source, name) in DATA_EVENTS


def _ts(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Caller:
    """A Lambda function calling AWS with its execution role."""

    account: str
    role_name: str
    function: str
    role_path: str = "/"
    region: str = "us-east-1"
    access_key: str = field(default_factory=lambda: "ASIA" + uuid.uuid4().hex[:16].upper())

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.role_path}{self.role_name}"

    def identity(self, when: datetime) -> dict:
        return {
            "type": "AssumedRole",
            "principalId": f"AROA{abs(hash(self.role_name)) % 10**16:016d}:{self.function}",
            "arn": f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.function}",
            "accountId": self.account,
            "accessKeyId": self.access_key,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": f"AROA{abs(hash(self.role_name)) % 10**16:016d}",
                                  "arn": self.role_arn, "accountId": self.account, "userName": self.role_name},
                "webIdFederationData": {},
                "attributes": {"creationDate": _ts(when - timedelta(minutes=5)), "mfaAuthenticated": "false"},
            },
        }


def record(caller: Caller, when: datetime, source: str, name: str, params: dict | None = None,
           resources: list[dict] | None = None, error: str | None = None, rng: random.Random | None = None) -> dict:
    rng = rng or random
    data = is_data_event(source, name)
    rec = {
        "eventVersion": "1.09",
        "userIdentity": caller.identity(when),
        "eventTime": _ts(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": caller.region,
        "sourceIPAddress": f"3.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
        "userAgent": "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.214 md/arch#x86_64 lang/python#3.12.3 "
                     "md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.69",
        "requestParameters": params,
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": name.startswith(("Get", "List", "Describe", "Head", "Query", "Scan", "Receive", "Lookup")),
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": caller.account,
        "eventCategory": "Data" if data else "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{source.split('.')[0]}.{caller.region}.amazonaws.com"},
    }
    if resources:
        rec["resources"] = resources
    if error:
        rec["errorCode"] = error
        rec["errorMessage"] = (f"User: arn:aws:sts::{caller.account}:assumed-role/{caller.role_name}/{caller.function} "
                               f"is not authorized to perform: {source.split('.')[0]}:{name}")
    return rec


def write_log_file(root: Path, account: str, region: str, when: datetime, records: list[dict], seq: int = 0,
                   compress_level: int = 6) -> Path:
    """Write one CloudTrail log file where CloudTrail would put it; returns its path."""
    day = when.strftime("%Y/%m/%d")
    stamp = when.strftime("%Y%m%dT%H%MZ")
    folder = Path(root) / "AWSLogs" / account / "CloudTrail" / region / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{account}_CloudTrail_{region}_{stamp}_{seq:06d}{uuid.uuid4().hex[:8]}.json.gz"
    payload = json.dumps({"Records": records}, separators=(",", ":")).encode()
    path.write_bytes(gzip.compress(payload, compresslevel=compress_level, mtime=0))
    return path
