"""Environment variables: references found, secrets recognised, values never kept."""

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iam_analyzer.collect.envvars import ResourceIndex, inspect

INDEX = ResourceIndex()
INDEX.add("orders", "arn:aws:dynamodb:us-east-1:111122223333:table/orders")
INDEX.add("jobs", "arn:aws:sqs:us-east-1:111122223333:jobs")
INDEX.add("/app/config", "arn:aws:ssm:us-east-1:111122223333:parameter/app/config")


@pytest.mark.parametrize("value,refs", [
    ("arn:aws:sns:us-east-1:111122223333:alerts", ["arn:aws:sns:us-east-1:111122223333:alerts"]),
    ("https://sqs.eu-west-1.amazonaws.com/111122223333/work", ["arn:aws:sqs:eu-west-1:111122223333:work"]),
    ("https://vpce-1.sqs.us-east-1.vpce.amazonaws.com/111122223333/jobs", ["arn:aws:sqs:us-east-1:111122223333:jobs"]),
    ("s3://my-bucket/prefix/", ["arn:aws:s3:::my-bucket"]),
    ("orders", ["arn:aws:dynamodb:us-east-1:111122223333:table/orders"]),
    ("app/config", ["arn:aws:ssm:us-east-1:111122223333:parameter/app/config"]),
    ("not-a-resource", []),
])
def test_references(value, refs):
    assert inspect("X", value, INDEX).references == refs


@pytest.mark.parametrize("name,value,pattern", [
    ("KEY", "AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
    ("CERT", "-----BEGIN RSA PRIVATE KEY-----\nabc", "private-key"),
    ("GH", "ghp_" + "a" * 36, "github-token"),
    ("DATABASE_URL", "postgres://app:s3cretpass@db:5432/app", "url-with-password"),
    ("API_TOKEN", "abc123", "secret-like-name"),
    ("DB_PASSWORD", "/not a path/", "secret-like-name"), ("API_KEY", "/app/key:v1", "secret-like-name"),
    ("AUTH_TOKEN_SECRET", "{{resolve:secretsmanager:app/token:SecretString:token}}", "secret-like-name"),
    ("BLOB", "q8Jz4Lw0Xv9Rk2Tn6Pm1Yb5Hc7Gd3Fs0Ae8Wu4Io2", "high-entropy"),
])
def test_secret_verdicts(name, value, pattern):
    v = inspect(name, value, INDEX)
    assert v.looks_secret and v.secret_pattern == pattern and v.references == []


@pytest.mark.parametrize("name,value", [
    ("LOG_LEVEL", "debug"), ("TABLE_NAME", "orders"), ("DB_PASSWORD_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
    ("TOKEN_TTL", "3600"), ("REGION", "us-east-1"),
    # where the secret is kept, as SAM apps pass it: an SSM parameter's name, a variable named as a reference
    ("API_KEY_PARAMETER", "/app/api-key"), ("DB_PASSWORD", "/prod/db/password"),
    ("PASSWORD_PARAM_NAME", "db-password"), ("API_KEY_SSM_PATH", "integrations/crm/key"),
])
def test_not_secret(name, value):
    assert not inspect(name, value, INDEX).looks_secret


@given(st.text(min_size=1, max_size=60), st.text(max_size=80))
def test_the_value_is_never_in_the_result(name, value):
    out = json.dumps(dataclasses.asdict(inspect(name, value, INDEX)))
    stripped = value.strip()
    if len(stripped) >= 6 and stripped not in name and not stripped.startswith("arn:") and stripped not in json.dumps(
            INDEX.by_name, default=list):
        assert json.dumps(stripped)[1:-1] not in out
