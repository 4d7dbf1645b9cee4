"""Reading real-world input: lines, placeholders, bad files, hostile files, managed policies."""

import json
from pathlib import Path

import pytest

from iam_analyzer.collect.iac import TRUST_POLICY, read_paths
from iam_analyzer.iam import managed_policies
from iam_analyzer.model import ManagedPolicy

DATA = Path(__file__).resolve().parents[2] / "data" / "iac"


def _line(path, n):
    return Path(path).read_text().splitlines()[n - 1]


def _fn(result, name):
    return next(f for f in result.snapshot.functions() if f.name == name)


def _role_of(result, fn):
    return result.snapshot.find_role(fn.role_arn)


def test_locations_point_at_the_resource_and_statement_lines():
    path = DATA / "cfn" / "shop.yaml"
    r = read_paths([path])
    fn = _fn(r, "orders-api")
    assert fn.location.logical_id == "OrdersApiFunction"
    assert _line(path, fn.location.line).strip() == "OrdersApiFunction:"
    role = _role_of(r, fn)
    assert _line(path, role.location.line).strip() == "OrdersApiRole:"
    data = role.inline_policies[0]
    assert data.name == "orders-data" and "PolicyName: orders-data" in _line(path, data.location.line)
    st = r.statement_line(data.location, "orders-data", 0)
    assert _line(path, st).strip() == "- Effect: Allow" and st > data.location.line
    assert r.statement_line(role.location, TRUST_POLICY, 0) > role.location.line
    # an AWS::IAM::Policy attached by Roles points at its own resource
    nightly = _role_of(r, _fn(r, "nightly-report"))
    assert _line(path, nightly.inline_policies[0].location.line).strip() == "NightlyReadPolicy:"


def test_json_templates_keep_lines_too():
    path = DATA / "cfn" / "shop.json"
    r = read_paths([path])
    fn = _fn(r, "thumbnail")
    assert _line(path, fn.location.line).strip() == '"ThumbnailFunction": {'


def test_sam_generated_resources_point_at_their_source():
    path = DATA / "sam" / "template.yaml"
    r = read_paths([path])
    fn = _fn(r, "thumbnail")
    assert _line(path, fn.location.line).strip() == "ThumbnailFunction:"
    role = _role_of(r, fn)
    assert role.location.line == fn.location.line  # the generated role points at the function
    inline = {p.name: p for p in role.inline_policies}
    tmpl = inline["ThumbnailFunctionRolePolicy0"]  # a policy template: its item's line
    assert "S3ReadPolicy" in _line(path, tmpl.location.line)
    stmt = r.statement_line(inline["ThumbnailFunctionRolePolicy1"].location, "ThumbnailFunctionRolePolicy1", 0)
    assert _line(path, stmt).strip() == "- Effect: Allow"


def test_terraform_locations_are_addresses_and_lines():
    path = DATA / "terraform" / "shop.plan.json"
    r = read_paths([path])
    fn = _fn(r, "thumbnail")
    assert fn.location.logical_id == 'module.workers.aws_lambda_function.fn["thumbnail"]'
    assert fn.location.path == str(path)
    assert Path(path).read_text().splitlines()[fn.location.line - 1].strip() == "{"
    assert '"address": "module.workers.aws_lambda_function.fn[\\"thumbnail\\"]"' in _line(path, fn.location.line + 1)


def test_import_value_becomes_a_wildcard_and_is_recorded():
    r = read_paths([DATA / "cfn" / "shop.yaml"])
    role = _role_of(r, _fn(r, "orders-api"))
    assert role.tags["team"] == "*"
    (u,) = [u for u in r.unresolved if "ImportValue" in u.what]
    path, line, what = u
    assert path.endswith("shop.yaml") and "!ImportValue shared-team-name" in _line(path, line)


def test_unresolvable_values_in_arns_are_wildcards(tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text("""
Parameters:
  Shared:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /shared/bucket
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: r
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource:
                  - !Sub 'arn:aws:s3:::${Shared}/*'
                  - !Sub ['arn:aws:s3:::${B}/*', {B: !ImportValue other-bucket}]
                  - 'arn:aws:s3:::{{resolve:ssm:/x/bucket}}/*'
""")
    r = read_paths([t])
    doc = r.snapshot.roles()[0].inline_policies[0].document
    assert doc["Statement"][0]["Resource"] == ["arn:aws:s3:::*/*"] * 3
    whats = " | ".join(u.what for u in r.unresolved)
    assert "SSM" in whats and "ImportValue other-bucket" in whats and "resolve:ssm" in whats


def test_a_broken_file_gives_one_error_and_the_others_are_read(tmp_path):
    (tmp_path / "good.yaml").write_text((DATA / "cfn" / "shop.yaml").read_text())
    (tmp_path / "broken.yaml").write_text("Resources:\n  A:\n    Type: AWS::IAM::Role\n    Properties: [\n")
    (tmp_path / "package.json").write_text('{"name": "not-a-template"}')
    (tmp_path / "notes.yaml").write_text("just: some config\n")
    r = read_paths([tmp_path])
    by_path = {Path(i.path).name: i for i in r.inputs}
    assert set(by_path) == {"good.yaml", "broken.yaml"}  # unrelated files are skipped quietly
    (err,) = by_path["broken.yaml"].errors
    assert "broken.yaml" in err and "line" in err and "Traceback" not in err
    assert by_path["good.yaml"].errors == []
    assert len(r.snapshot.functions()) == 3


def test_an_explicit_file_that_is_not_a_template_is_an_error(tmp_path):
    f = tmp_path / "x.json"
    f.write_text('{"a": 1}')
    r = read_paths([f, tmp_path / "missing.yaml"])
    assert [i.kind for i in r.inputs] == ["unknown", "unknown"]
    assert "not a CloudFormation" in r.inputs[0].errors[0] and "no such file" in r.inputs[1].errors[0]
    assert not r.ok


def test_sam_translator_rejection_is_a_clear_error(tmp_path):
    t = tmp_path / "bad-sam.yaml"
    t.write_text("""Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Runtime: python3.12
      CodeUri: s3://b/k
      Events:
        E:
          Type: NotAnEventType
""")
    r = read_paths([t])
    (err,) = r.inputs[0].errors
    assert r.inputs[0].kind == "sam"
    assert str(t) in err and "SAM translator" in err and "Fn" in err


def test_sam_transform_in_a_list_and_params_override(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text("""Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Env: {Type: String, Default: dev}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub 'fn-${Env}'
      Handler: a.b
      Runtime: python3.12
      CodeUri: ./src
      Tracing: Active
      Policies: [AmazonS3ReadOnlyAccess]
""")
    r = read_paths([t], params={"Env": "prod"})
    (fn,) = r.snapshot.functions()
    assert fn.name == "fn-prod" and fn.tracing_mode == "Active"
    role = r.snapshot.find_role(fn.role_arn)
    assert "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" in role.managed_policy_arns
    assert r.snapshot.find_policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess").aws_managed


@pytest.mark.parametrize("text", [
    "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 400)),  # deep block nesting
    "Resources: " + "[" * 600 + "]" * 600,  # deep flow nesting
    "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(  # an alias bomb
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 10) + "]\n" for i in range(8)),
])
def test_hostile_input_is_refused_cleanly(tmp_path, text):
    f = tmp_path / "evil.yaml"
    f.write_text(text)
    r = read_paths([f])
    (err,) = r.inputs[0].errors
    assert "evil.yaml" in err and ("refused" in err or "nest" in err)


def test_deep_json_is_refused_cleanly(tmp_path):
    f = tmp_path / "evil.json"
    f.write_text('{"Resources": ' + "[" * 5000 + "]" * 5000 + "}")
    r = read_paths([f])
    (err,) = r.inputs[0].errors
    assert "evil.json" in err


def test_unknown_managed_policies_are_named_and_snapshot_policies_extend(tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text("""Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: r
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      ManagedPolicyArns: [arn:aws:iam::123456789012:policy/team-shared]
""")
    r = read_paths([t])
    assert r.unknown_managed_policies == ["arn:aws:iam::123456789012:policy/team-shared"]
    assert any("team-shared" in w for w in r.warnings)
    given = ManagedPolicy(arn="arn:aws:iam::123456789012:policy/team-shared", name="team-shared",
                          document={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    r2 = read_paths([t], managed={given.arn: given})
    assert r2.unknown_managed_policies == [] and r2.snapshot.find_policy(given.arn) is given


def test_managed_policy_data_is_dated_and_looked_up_by_arn_or_name():
    info = managed_policies.info()
    assert info["count"] > 1000 and info["generated"] and "moto" in info["source"]
    p = managed_policies.get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert p is managed_policies.get("AWSLambdaBasicExecutionRole")
    assert "logs:PutLogEvents" in json.dumps(p.document)
    assert managed_policies.get("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole") is None  # wrong path
    assert managed_policies.get("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole") is p


def test_local_includes_and_image_functions_as_sam_build_sees_them(tmp_path):
    (tmp_path / "template.yaml").write_text("""Transform: AWS::Serverless-2016-10-31
Resources:
  ImgFn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Events:
        Get: {Type: Api, Properties: {Path: /x, Method: get, RestApiId: !Ref MyApi}}
    Metadata: {DockerContext: ./app, Dockerfile: Dockerfile}
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./api.yaml}}
""")
    (tmp_path / "api.yaml").write_text("""openapi: 3.0.1
info: {title: x, version: '1'}
paths:
  /x:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ImgFn.Arn}/invocations
""")
    r = read_paths([tmp_path / "template.yaml"])
    assert r.inputs[0].errors == []
    (fn,) = r.snapshot.functions()
    assert fn.package_type == "Image"
    assert [(t.type, t.details["path"]) for t in fn.triggers] == [("apigateway-rest", "/x")]


def test_terraform_state_json_is_read_too(tmp_path):
    state = {"format_version": "1.0", "terraform_version": "1.9.5", "values": {"root_module": {"resources": [
        {"address": "aws_lambda_function.f", "mode": "managed", "type": "aws_lambda_function", "name": "f",
         "values": {"function_name": "f", "arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "role": "arn:aws:iam::123456789012:role/r"}}]}}}
    p = tmp_path / "state.json"
    p.write_text(json.dumps(state))
    r = read_paths([p])
    assert r.inputs[0].kind == "terraform-plan"
    assert [f.role_arn for f in r.snapshot.functions()] == ["arn:aws:iam::123456789012:role/r"]


def test_language_extensions_foreach_is_expanded(tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text("""Transform: AWS::LanguageExtensions
Parameters:
  Queues: {Type: CommaDelimitedList, Default: 'orders,refunds'}
Resources:
  Fn::ForEach::Workers:
    - Name
    - !Ref Queues
    - 'Worker&{Name}':
        Type: AWS::Lambda::Function
        Properties:
          FunctionName: !Sub 'worker-${Name}'
          Role: arn:aws:iam::123456789012:role/r
          Handler: a.b
          Runtime: python3.12
          Code: {ZipFile: x}
""")
    r = read_paths([t])
    assert r.inputs[0].errors == []
    assert sorted(f.name for f in r.snapshot.functions()) == ["worker-orders", "worker-refunds"]


def test_special_files_and_outside_includes_are_refused(tmp_path):
    import os
    fifo = tmp_path / "template.yaml"
    os.mkfifo(fifo)  # read naively, this would block forever
    (tmp_path / "dev.yaml").symlink_to("/dev/zero")
    r = read_paths([fifo, tmp_path / "dev.yaml"])
    assert [("not a regular file" in i.errors[0]) for i in r.inputs] == [True, True]
    sub = tmp_path / "app"
    sub.mkdir()
    (sub / "t.yaml").write_text("""Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        Fn::Transform: {Name: AWS::Include, Parameters: {Location: /etc/hostname}}
""")
    r = read_paths([sub / "t.yaml"])
    assert any("outside" in w for w in r.inputs[0].warnings)


def test_mangled_inputs_give_clean_errors_never_internal_ones(tmp_path):
    """Values of the wrong type anywhere in a template or plan: each file is read or refused
    with a message, never an internal error (a seeded, repeatable mutation of the fixtures)."""
    import copy
    import random

    from iam_analyzer.collect.iac.loader import load_file, plain

    rnd = random.Random(1234)
    sources = [plain(load_file(DATA / p)) for p in ("cfn/shop.yaml", "sam/template.yaml", "terraform/shop.plan.json")]
    junk = [None, 1, True, "", "x", [], {}, [1, 2], {"Ref": "Nope"}, {"Fn::GetAtt": "A"}, {"Fn::Sub": 3},
            {"Fn::If": "x"}, {"Fn::Join": [1]}, {"Fn::Select": ["a", "b"]}, {"Ref": "AWS::NoValue"},
            {"Fn::FindInMap": [1, 2, 3]}, {"Condition": 5}, "*", {"a": {"b": [None]}}]

    def paths(d, at=()):
        yield at
        items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else ()
        for k, v in items:
            yield from paths(v, at + (k,))

    files = []
    for n in range(25):
        doc = copy.deepcopy(rnd.choice(sources))
        spots = [p for p in paths(doc) if p]
        for _ in range(rnd.randint(1, 5)):
            *parent, last = rnd.choice(spots)
            node = doc
            try:
                for k in parent:
                    node = node[k]
                node[last] = copy.deepcopy(rnd.choice(junk))
            except (KeyError, IndexError, TypeError):
                pass
        f = tmp_path / f"m{n}.json"
        f.write_text(json.dumps(doc))
        files.append(f)
    r = read_paths(files)
    assert len(r.inputs) == len(files)
    internal = [e for i in r.inputs for e in i.errors if "could not be read" in e]
    assert internal == []


def test_openapi_authorization_matches_what_scan_reads_from_methods(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text("""Transform: AWS::Serverless-2016-10-31
Resources:
  IamApi: {Type: AWS::Serverless::Api, Properties: {StageName: prod, Auth: {DefaultAuthorizer: AWS_IAM}}}
  KeyApi: {Type: AWS::Serverless::Api, Properties: {StageName: prod, Auth: {ApiKeyRequired: true}}}
  LamApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod, Auth: {DefaultAuthorizer: Lam, Authorizers: {Lam: {FunctionArn: !GetAtt Fn.Arn}}}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Runtime: python3.12
      InlineCode: x
      Events:
        A: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref IamApi}}
        B: {Type: Api, Properties: {Path: /b, Method: get, RestApiId: !Ref KeyApi}}
        C: {Type: Api, Properties: {Path: /c, Method: get, RestApiId: !Ref LamApi}}
        D: {Type: Api, Properties: {Path: /d, Method: get}}
""")
    (fn,) = read_paths([t]).snapshot.functions()
    assert sorted((x.details["path"], x.details["authorization"]) for x in fn.triggers) == [
        ("/a", "AWS_IAM"), ("/b", "NONE"), ("/c", "CUSTOM"), ("/d", "NONE")]
