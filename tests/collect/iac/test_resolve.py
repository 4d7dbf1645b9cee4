"""CloudFormation intrinsic functions resolved offline, with placeholders for the unknowable."""

import pytest

from iam_analyzer.collect.iac.loader import LoadError, loads
from iam_analyzer.collect.iac.resolve import NOVALUE, Stack

TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev}
  Names: {Type: CommaDelimitedList, Default: 'a,b,c'}
  NoDefault: {Type: String}
Mappings:
  M: {dev: {Size: 1}, prod: {Size: 9}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Either: !Or [!Condition IsProd, !Equals [a, a]]
Resources:
  Table: {Type: AWS::DynamoDB::Table, Properties: {TableName: !Sub 't-${Env}'}}
  Queue: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: alerts}}
  Role: {Type: AWS::IAM::Role, Properties: {RoleName: r, Path: /svc/}}
  Bucket: {Type: AWS::S3::Bucket}
  Fn: {Type: AWS::Lambda::Function, Properties: {FunctionName: f}}
  Live: {Type: AWS::Lambda::Alias, Properties: {FunctionName: !Ref Fn, Name: live}}
  Thing: {Type: AWS::Custom::Thing}
"""


@pytest.fixture
def stack():
    return Stack(path="t.yaml", name="app", template=loads(TEMPLATE), account="111122223333", region="eu-west-1",
                 overrides={"Env": "prod"})


@pytest.mark.parametrize("expr, expected", [
    ("!Ref Table", "t-prod"),
    ("!GetAtt Table.Arn", "arn:aws:dynamodb:eu-west-1:111122223333:table/t-prod"),
    ("!GetAtt Table.StreamArn", "arn:aws:dynamodb:eu-west-1:111122223333:table/t-prod/stream/*"),
    ("!Ref Queue", "https://sqs.eu-west-1.amazonaws.com/111122223333/app-Queue-*"),
    ("!GetAtt Queue.Arn", "arn:aws:sqs:eu-west-1:111122223333:app-Queue-*"),
    ("!GetAtt Queue.QueueName", "app-Queue-*"),
    ("!Ref Topic", "arn:aws:sns:eu-west-1:111122223333:alerts"),
    ("!GetAtt Topic.TopicName", "alerts"),
    ("!GetAtt Role.Arn", "arn:aws:iam::111122223333:role/svc/r"),
    ("!Ref Bucket", "app-bucket-*"),
    ("!Ref Live", "arn:aws:lambda:eu-west-1:111122223333:function:f:live"),
    ("!Sub '${AWS::Partition}:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}:${AWS::URLSuffix}'",
     "aws:eu-west-1:111122223333:app:amazonaws.com"),
    ("!Sub ['${A}-${Fn.Arn}-${!Literal}', {A: !Ref Env}]",
     "prod-arn:aws:lambda:eu-west-1:111122223333:function:f-${Literal}"),
    ("!Join [':', [a, !Ref Env, !Select [1, !Ref Names]]]", "a:prod:b"),
    ("!Select [2, !Split [',', 'x,y,z']]", "z"),
    ("!FindInMap [M, !Ref Env, Size]", 9),
    ("!FindInMap [M, nope, Size, {DefaultValue: 5}]", 5),
    ("!If [IsProd, big, small]", "big"),
    ("!If [NotProd, big, small]", "small"),
    ("!If [Either, big, small]", "big"),
    ("!GetAZs ''", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("!Base64 {Ref: Env}", "prod"),
])
def test_intrinsics(stack, expr, expected):
    assert stack.resolve(loads(f"v: {expr}")["v"]) == expected
    assert stack.unresolved == []


def test_novalue_removes_keys_and_items(stack):
    v = stack.resolve(loads("v: {a: !If [IsProd, !Ref AWS::NoValue, 1], b: [1, !If [NotProd, 2, !Ref AWS::NoValue]]}")["v"])
    assert v == {"b": [1]}
    assert NOVALUE not in v.values()


@pytest.mark.parametrize("expr, what", [
    ("!ImportValue shared-x", "ImportValue shared-x"),
    ("!Ref NoDefault", "NoDefault has no default"),
    ("!GetAtt Thing.Endpoint", "Thing.Endpoint"),
    ("!Ref Nowhere", "unknown name Nowhere"),
    ("'{{resolve:secretsmanager:s:SecretString:k}}'", "resolve:secretsmanager"),
])
def test_unknowable_values_are_wildcards_and_recorded(stack, expr, what):
    doc = loads(f"\n\nv: {expr}")
    assert stack.resolve(doc["v"], 3) == "*"
    assert any(what in u.what for u in stack.unresolved), stack.unresolved
    assert all(u.path == "t.yaml" and u.line == 3 for u in stack.unresolved if what in u.what)


def test_lines_survive_resolution(stack):
    doc = loads("a: 1\nv:\n  - Effect: Allow\n    Resource: !Ref Topic\n  - Effect: Deny\n")
    v = stack.resolve(doc["v"])
    assert [s.line for s in v] == [3, 5]


def test_loader_reports_bad_yaml_with_its_line():
    with pytest.raises(LoadError) as e:
        loads("a: 1\nb: [\n")
    assert "line" in str(e.value)
    with pytest.raises(LoadError, match="unknown tag !Bogus"):
        loads("a: !Bogus x")
