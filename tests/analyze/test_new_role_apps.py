"""new-role on SAM apps whose functions share one CodeUri: each role holds its own handler's
calls, and the CloudFormation / SAM output deploys (the real SAM translator, no circular
dependency, the template's own references)."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from iam_analyzer import stages
from iam_analyzer.analyze.lint import lint_policy
from iam_analyzer.collect.iac import read_paths
from iam_analyzer.collect.iac.loader import load_file, plain
from iam_analyzer.collect.iac.references import dependencies, reaches
from iam_analyzer.collect.iac.sam import transform
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy_lenient
from iam_analyzer.emit.policy_formats import new_role_output
from tests.paths import DATA

APPS = DATA / "apps"
ACCOUNT, REGION = "111122223333", "eu-west-1"
LOGS = {"logs:createloggroup", "logs:createlogstream", "logs:putlogevents"}
# what each handler calls itself (through the modules it imports), nothing of its neighbours
OWN = {
    "ApiFunction": {"dynamodb:putitem", "sns:publish"},  # not store.load_order's GetItem: nothing it runs calls it
    "ThumbnailFunction": {"s3:getobject", "s3:putobject"},
    "NightlyFunction": {"dynamodb:scan"},
}


def build(app: str, function: str, code: bool, **kw):
    template = APPS / app / "template.yaml"
    req = stages.NewRoleRequest(code=[str(APPS / app / "src")] if code else [], template=str(template),
                                function=function, **kw)
    role, problems = stages.new_role(req)
    assert role is not None, problems
    return role


def policies(role):
    return [parse_policy_lenient(d)[0] for d in role.documents]


@pytest.mark.parametrize("app", ["shared_py", "shared_ts"])
@pytest.mark.parametrize("code", [True, False], ids=["--code src/", "CodeUri"])
@pytest.mark.parametrize("function", sorted(OWN))
def test_each_function_gets_its_own_handlers_calls_only(app, code, function):
    role = build(app, function, code, account=ACCOUNT, region=REGION)
    assert set(allowed_actions(policies(role))) == OWN[function] | LOGS
    assert role.code_files and role.code_scope.startswith("handler ")  # said in the explanation
    assert role.explanation()["code_files"] == role.code_files


def test_the_handlers_files_are_its_module_and_local_imports_only():
    role = build("shared_ts", "ApiFunction", True)
    names = {Path(f).relative_to(APPS / "shared_ts" / "src").as_posix() for f in role.code_files}
    # esbuild EntryPoints, the tsconfig "@lib/*" path, a ".js" import of a ".ts" file
    assert names == {"handlers/api.ts", "lib/store.ts", "lib/notify.ts"}
    role = build("shared_ts", "ThumbnailFunction", True)
    names = {Path(f).relative_to(APPS / "shared_ts" / "src").as_posix() for f in role.code_files}
    assert names == {"handlers/thumbs.ts", "clients/index.ts", "lib/images.ts"}  # a folder's index
    role = build("shared_py", "ApiFunction", True)
    names = {Path(f).relative_to(APPS / "shared_py" / "src").as_posix() for f in role.code_files}
    assert names == {"api.py", "common/__init__.py", "common/store.py", "common/notify.py"}


def test_a_folder_without_a_template_is_every_file_and_says_so():
    req = stages.NewRoleRequest(code=[str(APPS / "shared_py" / "src")], account=ACCOUNT, region=REGION)
    role, _ = stages.new_role(req)
    assert set(allowed_actions(policies(role))) >= OWN["ApiFunction"] | OWN["ThumbnailFunction"] | OWN["NightlyFunction"]
    assert any("no template function to follow: every file of the folder is read" in w for w in role.warnings)
    assert role.code_scope.startswith("every file of")


@pytest.mark.parametrize("app", ["shared_py", "shared_ts"])
def test_an_object_put_on_the_event_bucket_is_the_bucket_not_an_access_point(app):
    role = build(app, "ThumbnailFunction", True, account=ACCOUNT, region=REGION)
    resources = {d["Resource"] for doc in role.documents for d in doc["Statement"] if d["Sid"].startswith("CodeS3")}
    assert resources == {f"arn:aws:s3:::{app}-uploadsbucket-*/*", f"arn:aws:s3:::{app}-uploadsbucket-*/thumbs/*"}
    assert not any("accesspoint" in r for r in resources)
    assert role.placeholders == []


def _with_policies(app: str, function: str, fmt: str) -> dict:
    """The app's template with new-role's output pasted where the output says to paste it."""
    role = build(app, function, False)
    fragment = yaml.safe_load(new_role_output(role, fmt))
    template = copy.deepcopy(plain(load_file(APPS / app / "template.yaml")))
    fn = template["Resources"][function]
    if fmt == "sam":
        fn["Properties"]["Policies"] = fragment["Policies"]
        return template
    template["Resources"][f"{function}Role"] = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": fragment["Policies"]}}
    fn["Properties"]["Role"] = {"Fn::GetAtt": [f"{function}Role", "Arn"]}
    return template


@pytest.mark.parametrize("fmt", ["sam", "cloudformation"])
@pytest.mark.parametrize("function", sorted(OWN))
def test_cloudformation_and_sam_outputs_translate_keep_references_and_close_no_cycle(fmt, function, tmp_path):
    template = _with_policies("shared_py", function, fmt)
    out = transform(template, {}, REGION, "aws", ACCOUNT)  # the real SAM translator
    resources = out["Resources"]
    role = next(r for k, r in resources.items() if r["Type"] == "AWS::IAM::Role" and k.startswith(function))
    text = json.dumps(role["Properties"]["Policies"])
    assert "shared_py" not in text  # no physical name guessed from where the template lies
    if function == "ApiFunction":
        assert '"Fn::GetAtt": ["OrdersTable", "Arn"]' in text and '"Ref": "NotifyTopic"' in text
    deps = dependencies(resources)
    assert not any(reaches(deps, k, {k}) for k in resources), "circular dependency"
    names = [p["PolicyName"] for p in role["Properties"]["Policies"] if "PolicyName" in p]
    assert all(n and len(n) <= 128 and all(c.isalnum() or c in "_+=,.@-" for c in n) for n in names)
    # read back as deployed under another stack name: every call the code makes is allowed there
    path = tmp_path / "other-stack.yaml"
    path.write_text(yaml.safe_dump(template))
    snap = read_paths([str(path)], {}, ACCOUNT, REGION).snapshot
    deployed = next(f for f in snap.functions() if f.location and f.location.logical_id == function)
    role_arn = deployed.role_arn
    docs = [p.document for r in snap.roles() if r.arn == role_arn for p in r.inline_policies]
    pols = [parse_policy_lenient(d)[0] for d in docs]
    assert pols and not [f for p in pols for f in lint_policy(p, default_catalog(), "identity") if f.severity == "error"]
    wanted = build("shared_py", function, False, account=ACCOUNT, region=REGION)
    assert wanted.grants
    for g in wanted.grants:
        r = g.resource.replace("shared_py-", "other-stack-")
        assert evaluate(Request(g.action, r), pols).result is Result.ALLOW, (g.action, r, docs)


@pytest.mark.parametrize("fmt", ["json", "terraform"])
def test_json_and_terraform_outputs_pass_lint(fmt):
    for function in OWN:
        role = build("shared_py", function, True, account=ACCOUNT, region=REGION)
        text = new_role_output(role, fmt)
        if fmt == "json":
            docs = [json.loads(text)]
        else:
            body = text.split("jsonencode(", 1)[1].rsplit(")", 1)[0].replace("$${", "${")
            docs = [json.loads(body)]
            assert f'name = "{function}-least-privilege"' in text  # a name IAM accepts
        for d in docs:
            findings = lint_policy(parse_policy_lenient(d)[0], default_catalog(), "identity")
            assert not [f for f in findings if f.severity == "error"], findings


def test_the_handlers_own_file_given_as_code_counts_what_its_handler_runs(tmp_path):
    (tmp_path / "app.py").write_text("import boto3\nddb = boto3.client('dynamodb')\n"
                                     "def handler(e, c):\n    ddb.put_item(TableName='t', Item={})\n"
                                     "def admin(e, c):\n    ddb.delete_table(TableName='t')\n")
    (tmp_path / "t.yaml").write_text("Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
                                     "    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n"
                                     "      Handler: app.handler\n      CodeUri: .\n")
    for code in ([str(tmp_path / "app.py")], [str(tmp_path)]):
        role, _ = stages.new_role(stages.NewRoleRequest(code=code, template=str(tmp_path / "t.yaml"), function="F",
                                                        account=ACCOUNT, region=REGION))
        got = set(allowed_actions(policies(role)))
        assert "dynamodb:putitem" in got and "dynamodb:deletetable" not in got  # admin is another handler's
