"""A call's resource-naming parameters -> the ARN of the resource it acts on."""

from hypothesis import given
from hypothesis import strategies as st

from iam_analyzer.iam import wildcard
from iam_analyzer.iam.resource_params import Scope, Value, resolve

S = Scope("aws", "us-east-1", "111122223333")


def res(service, op, action, env=None, **params):
    args = {k.replace("__", "."): [v if isinstance(v, Value) else Value(v)] for k, v in params.items()}
    return [r.resource for r in resolve(service, op, action, args, env or {}, S)]


def test_the_families():
    assert res("s3", "GetObject", "s3:GetObject", Bucket="b", Key="in/*.jpg") == ["arn:aws:s3:::b/in/*.jpg"]
    assert res("s3", "ListObjectsV2", "s3:ListBucket", Bucket="b", Prefix="in/") == ["arn:aws:s3:::b"]
    assert res("s3", "CopyObject", "s3:GetObject", CopySource="src/a.txt", Bucket="dst", Key="b.txt") == ["arn:aws:s3:::src/a.txt"]
    assert res("s3", "CopyObject", "s3:PutObject", CopySource="src/a.txt", Bucket="dst", Key="b.txt") == ["arn:aws:s3:::dst/b.txt"]
    assert res("s3", "CopyObject", "s3:GetObject", CopySource__Bucket="src", CopySource__Key="k") == ["arn:aws:s3:::src/k"]
    t = "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
    assert res("dynamodb", "Query", "dynamodb:Query", TableName="orders", IndexName="by-date") == [f"{t}/index/by-date"]
    assert res("dynamodb", "Query", "dynamodb:Query", TableName="orders") == [t]
    assert res("ssm", "GetParameter", "ssm:GetParameter", Name="/app/flag") == [
        "arn:aws:ssm:us-east-1:111122223333:parameter/app/flag"]
    assert res("secretsmanager", "GetSecretValue", "secretsmanager:GetSecretValue", SecretId="db") == [
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-??????"]
    assert res("sqs", "SendMessage", "sqs:SendMessage", QueueUrl="https://sqs.eu-west-1.amazonaws.com/444455556666/jobs") == [
        "arn:aws:sqs:eu-west-1:444455556666:jobs"]
    assert res("events", "PutEvents", "events:PutEvents") == ["arn:aws:events:us-east-1:111122223333:event-bus/default"]
    assert res("sts", "GetCallerIdentity", "sts:GetCallerIdentity") == ["*"]  # no resource type


def test_environment_variables_resolve_through_references_or_stay_placeholders():
    env = {"TABLE": ["arn:aws:dynamodb:us-east-1:111122223333:table/orders-prod"], "BUCKET": ["arn:aws:s3:::up"]}
    assert res("dynamodb", "Query", "dynamodb:Query", env, TableName=Value(None, "TABLE"), IndexName="i") == [
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders-prod/index/i"]
    assert res("s3", "PutObject", "s3:PutObject", env, Bucket=Value(None, "BUCKET"), Key="out/*") == ["arn:aws:s3:::up/out/*"]
    (r,) = resolve("sns", "Publish", "sns:Publish", {"TopicArn": [Value(None, "T")]}, {}, S)
    assert r.resource == "<T>" and r.unresolved == ("T",)  # TopicArn is a whole ARN: one placeholder for it
    (r,) = resolve("s3", "GetObject", "s3:GetObject", {}, {}, S)
    assert r.resource == "arn:aws:s3:::<BucketName>/*" and r.unresolved == ("BucketName",)  # never a silent "*"


names = st.from_regex(r"[a-z0-9][a-z0-9-]{2,20}", fullmatch=True)
keys = st.from_regex(r"[A-Za-z0-9/_.-]{1,30}", fullmatch=True)


@given(names, keys)
def test_a_literal_object_is_exactly_its_arn(bucket, key):
    (r,) = res("s3", "GetObject", "s3:GetObject", Bucket=bucket, Key=key)
    assert r == f"arn:aws:s3:::{bucket}/{key}"
    assert wildcard.matches(r, f"arn:aws:s3:::{bucket}/{key}")
    assert not wildcard.matches(r, f"arn:aws:s3:::{bucket}x/{key}")


@given(names)
def test_a_literal_table_is_exactly_its_arn(table):
    assert res("dynamodb", "PutItem", "dynamodb:PutItem", TableName=table) == [
        f"arn:aws:dynamodb:us-east-1:111122223333:table/{table}"]


def test_an_object_call_is_on_the_bucket_unless_the_bucket_is_an_access_point():
    # the bucket comes from the event (no value): still a bucket object, never an access point object
    assert res("s3", "PutObject", "s3:PutObject", Key="thumbs/*") == ["arn:aws:s3:::<BucketName>/thumbs/*"]
    assert res("s3", "GetObject", "s3:GetObject") == ["arn:aws:s3:::<BucketName>/*"]
    ap = "arn:aws:s3:eu-west-1:444455556666:accesspoint/uploads"
    assert res("s3", "PutObject", "s3:PutObject", Bucket=ap, Key="thumbs/*") == [f"{ap}/object/thumbs/*"]
    assert res("s3", "ListObjectsV2", "s3:ListBucket", Bucket=ap) == [ap]
    env = {"AP": [ap]}
    assert res("s3", "GetObject", "s3:GetObject", env, Bucket=Value(None, "AP"), Key="in/a") == [f"{ap}/object/in/a"]


def test_a_variable_holding_a_whole_arn_or_queue_url_is_one_placeholder():
    assert res("sns", "Publish", "sns:Publish", TopicArn=Value(None, "TOPIC_ARN")) == ["<TOPIC_ARN>"]
    assert res("sqs", "SendMessage", "sqs:SendMessage", QueueUrl=Value(None, "JOBS")) == ["<JOBS>"]
    assert res("dynamodb", "GetItem", "dynamodb:GetItem", TableName=Value(None, "TABLE_ARN")) == ["<TABLE_ARN>"]
    # a name is still a name inside the ARN
    assert res("dynamodb", "GetItem", "dynamodb:GetItem", TableName=Value(None, "TABLE")) == [
        "arn:aws:dynamodb:us-east-1:111122223333:table/<TABLE>"]
    # resolved through the template, it is the resource's own ARN
    env = {"TOPIC_ARN": ["arn:aws:sns:us-east-1:111122223333:orders"]}
    assert res("sns", "Publish", "sns:Publish", env, TopicArn=Value(None, "TOPIC_ARN")) == [
        "arn:aws:sns:us-east-1:111122223333:orders"]


OBJECT_ACTIONS = st.sampled_from([("GetObject", "s3:GetObject"), ("PutObject", "s3:PutObject"),
                                  ("DeleteObject", "s3:DeleteObject"), ("HeadObject", "s3:GetObject")])


@given(OBJECT_ACTIONS, st.one_of(st.none(), names), st.one_of(st.none(), keys), names)
def test_the_same_bucket_value_gives_the_same_kind_of_resource_in_every_object_call(op, bucket, key, ap_name):
    params = {k: v for k, v in (("Bucket", bucket), ("Key", key)) if v is not None}
    (r,) = res("s3", op[0], op[1], **params)
    assert r.startswith("arn:aws:s3:::") and "accesspoint" not in r  # a bucket (named or not) is never an access point
    ap = f"arn:aws:s3:us-east-1:111122223333:accesspoint/{ap_name}"
    (r,) = res("s3", op[0], op[1], **{**params, "Bucket": ap})
    assert r.startswith(f"{ap}/object/")


def test_bedrock_model_ids_name_foundation_models_and_inference_profiles():
    model = "anthropic.claude-3-haiku-20240307-v1:0"
    assert res("bedrock-runtime", "InvokeModel", "bedrock:InvokeModel", modelId=model) == [
        f"arn:aws:bedrock:us-east-1::foundation-model/{model}"]  # a foundation model has no account
    # a cross-region profile: the profile here, and the model in every region it may route to
    assert res("bedrock-runtime", "Converse", "bedrock:InvokeModel", modelId=f"us.{model}") == [
        f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.{model}", f"arn:aws:bedrock:*::foundation-model/{model}"]
    arn = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abc"
    assert res("bedrock-runtime", "InvokeModel", "bedrock:InvokeModel", modelId=arn) == [arn]
    assert res("bedrock-runtime", "InvokeModel", "bedrock:InvokeModel", modelId=Value(None, "MODEL")) == [
        "arn:aws:bedrock:us-east-1::foundation-model/<MODEL>"]


def test_more_services_name_their_resources():
    a = "arn:aws:{}:us-east-1:111122223333:{}"
    assert res("bedrock-agent-runtime", "Retrieve", "bedrock:Retrieve", knowledgeBaseId="KB1") == [
        a.format("bedrock", "knowledge-base/KB1")]
    assert res("cognito-idp", "AdminGetUser", "cognito-idp:AdminGetUser", UserPoolId="us-east-1_x") == [
        a.format("cognito-idp", "userpool/us-east-1_x")]
    assert res("scheduler", "CreateSchedule", "scheduler:CreateSchedule", Name="nightly") == [
        a.format("scheduler", "schedule/default/nightly")]
    assert res("sagemaker-runtime", "InvokeEndpoint", "sagemaker:InvokeEndpoint", EndpointName="ep") == [
        a.format("sagemaker", "endpoint/ep")]
    assert res("iot-data", "Publish", "iot:Publish", topic="devices/1") == [a.format("iot", "topic/devices/1")]
