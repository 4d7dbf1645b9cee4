"""The moto server fixture that later tests rely on: real HTTP, state reset between tests."""


def test_clients_talk_to_the_loopback_server(aws):
    s3 = aws.client("s3")
    assert aws.endpoint_url.startswith("http://127.0.0.1:")
    s3.create_bucket(Bucket="fixture-check")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["fixture-check"]


def test_state_is_reset_between_tests(aws):
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_error_paths_are_real_http_errors(aws):
    import botocore.exceptions
    import pytest

    with pytest.raises(botocore.exceptions.ClientError) as e:
        aws.client("iam").get_role(RoleName="does-not-exist")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
