"""Issue #29, hostile input, third pass: what the second round left.

YAML whose aliases expand to gigabytes of text, YAML too large to build, JSON of millions of
values, Fn::FindInMap that loops or fans out, Terraform blocks nested past Python's recursion
limit, special files among CloudTrail logs and in place of rules folders or variables files,
byte-order marks. Each case drives the real command line (or the stage it calls) and asserts
what a user sees: exit 0/1/2, a message naming the input and the place, the good data kept."""

from __future__ import annotations

import json
import os
import time

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.iac import loader

ROLE = "arn:aws:iam::111122223333:role/r"
FN_YAML = ("  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: a.h\n      Runtime: python3.12\n"
           f"      Role: {ROLE}\n      Code: {{ZipFile: x}}\n")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def fn(env=None):
    props = {"Handler": "app.handler", "Runtime": "python3.12", "Code": {"ZipFile": "x"}, "Role": ROLE}
    if env is not None:
        props["Environment"] = {"Variables": env}
    return {"Type": "AWS::Lambda::Function", "Properties": props}


def write(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def no_crash(res):
    assert res.exit_code in (0, 1, 2), res.output
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output


def _bomb(leaf_chars: int, levels: int) -> str:
    """Mappings whose last key is 10**levels copies of one leaf, by aliases."""
    lines = [f"Leaf: &l '{'x' * leaf_chars}'", "A0: &a0 [" + ", ".join(["*l"] * 10) + "]"]
    lines += [f"A{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "Mappings:\n  M:\n    K:\n" + "".join(f"      {ln}\n" for ln in lines)


# -- YAML and JSON bounded at the door -------------------------------------------------------------


def test_an_alias_bomb_of_a_large_leaf_is_refused_by_its_text_not_built(tmp_path):
    # 100 KB x 10**6 copies: 100 GB of text behind fewer than 10**6 nodes (under the node limit)
    t = write(tmp_path / "t.yaml", _bomb(100_000, 5) + "Resources:\n" + FN_YAML
              + "      Environment:\n        Variables:\n          V: !ToJsonString {'Fn::FindInMap': [M, K, A4]}\n")
    write(tmp_path / "good.json", {"Resources": {"Other": fn()}})
    res = run("check", tmp_path, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    bad = next(i for i in doc["inputs"] if i["path"].endswith("t.yaml"))
    assert any("characters of text (after expanding aliases): refused" in e and "line " in e for e in bad["errors"])
    assert [f["logical_id"] for f in doc["functions"]] == ["Other"]


def test_to_json_string_over_shared_values_is_counted_not_serialised(tmp_path):
    # 10 KB x 1,000 copies: 10 MB once serialised, within the loader's bound, past CloudFormation's
    t = write(tmp_path / "t.yaml", _bomb(10_000, 3) + "Resources:\n" + FN_YAML
              + "      Environment:\n        Variables:\n          V: !ToJsonString {'Fn::FindInMap': [M, K, A2]}\n"
              + "          W: plain\n")
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1
    assert any("t.yaml: line" in n and "Fn::ToJsonString makes a value over 1,048,576 characters" in n for n in doc["notes"])


def test_sixty_megabytes_of_small_yaml_nodes_are_refused_before_parsing(tmp_path):
    t = write(tmp_path / "t.yaml", "Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      L:\n"
              + "      - 1\n" * 6_000_000)
    start = time.monotonic()
    res = run("check", t)
    no_crash(res)
    assert res.exit_code == 2 and "t.yaml" in res.output and "characters of YAML, over the" in res.output
    assert time.monotonic() - start < 30  # refused by size: building 6 million nodes takes minutes


def test_json_of_more_values_than_the_limit_is_refused_before_building_them(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 1000)
    over = '{"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"L": [' + "1," * 1200 + "1]}}}}"
    with pytest.raises(loader.LoadError, match="more than 1000 values"):
        loader.loads(over, max_nodes=loader.MAX_NODES)
    # commas inside strings are not values: a plan of long strings is read
    fine = json.dumps({"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"L": ["a," * 2000] * 10}}}})
    assert len(loader.loads(fine, max_nodes=1000)["Resources"]["R"]["Properties"]["L"]) == 10


def test_json_with_one_value_under_the_limit_is_read_whole():
    # the pre-count is exact for objects and lists without empties: n values pass at max_nodes=n
    doc = {"a": [1, 2, {"b": 3}], "c": "x,y:[z{"}
    values = 1 + 1 + 3 + 1 + 1  # root, the list, its three items, b's value, c's value
    assert loader.loads(json.dumps(doc), max_nodes=values) == doc
    with pytest.raises(loader.LoadError):
        loader.loads(json.dumps(doc), max_nodes=values - 1)


def test_a_template_that_is_not_utf8_after_a_bom_names_line_and_column(tmp_path):
    t = write(tmp_path / "t.yaml", b"\xef\xbb\xbfResources:\n  R:\n    Type: \xff\xfeAWS::SNS::Topic\n")
    res = run("check", t)
    no_crash(res)
    assert res.exit_code == 2 and "t.yaml: line 3: column 11: not UTF-8 text" in res.output


def test_a_bom_before_a_template_is_no_error(tmp_path):
    t = write(tmp_path / "t.yaml", b"\xef\xbb\xbfResources:\n" + FN_YAML.encode())
    res = run("check", t, "--format", "json")
    no_crash(res)
    assert [f["logical_id"] for f in json.loads(res.stdout)["functions"]] == ["Fn"]


# -- Fn::FindInMap ---------------------------------------------------------------------------------


def test_find_in_map_that_refers_to_itself_is_named_and_the_function_kept(tmp_path):
    t = write(tmp_path / "t.json", {"Mappings": {"M": {"a": {"b": {"Fn::FindInMap": ["M", "a", "b"]}}}},
                                    "Resources": {"Fn": fn({"V": {"Fn::FindInMap": ["M", "a", "b"]}})}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1 and doc["inputs"][0]["errors"] == []
    assert any("Fn::FindInMap M/a/b refers to itself" in n for n in doc["notes"])


def test_find_in_map_fanning_out_stops_at_the_budget_and_says_so(tmp_path):
    # each value is four copies of the next, thirty deep: 4**30 values if followed
    m = {f"k{i}": {"v": [{"Fn::FindInMap": ["M", f"k{i + 1}", "v"]}] * 4} for i in range(30)}
    m["k30"] = {"v": "leaf"}
    t = write(tmp_path / "t.json", {"Mappings": {"M": m},
                                    "Resources": {"Fn": fn({"V": {"Fn::Join": [",", {"Fn::FindInMap": ["M", "k0", "v"]}]}})}})
    start = time.monotonic()
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1
    assert any("steps of resolution" in n for n in doc["notes"])
    assert time.monotonic() - start < 120


def test_find_in_map_used_twice_is_not_a_loop(tmp_path):
    t = write(tmp_path / "t.json", {"Mappings": {"M": {"a": {"b": "arn:aws:sns:us-east-1:111122223333:t"}}},
                                    "Resources": {"Fn": fn({"V": {"Fn::Join": [",", [{"Fn::FindInMap": ["M", "a", "b"]},
                                                                                     {"Fn::FindInMap": ["M", "a", "b"]}]]}})}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert not any("refers to itself" in n or "known only at deployment" in n for n in doc["notes"]), doc["notes"]


def test_fn_join_of_a_thousand_megabyte_parts_is_cut(tmp_path):
    big = "x" * 1_000_000
    t = write(tmp_path / "t.json", {"Parameters": {"P": {"Type": "String", "Default": big}},
                                    "Resources": {"Fn": fn({"V": {"Fn::Join": ["", [{"Ref": "P"}] * 1000]}})}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1
    assert any("Fn::Join makes a value over" in n for n in doc["notes"])


def test_fn_sub_naming_one_long_value_a_thousand_times_is_cut(tmp_path):
    t = write(tmp_path / "t.json", {"Parameters": {"P": {"Type": "String", "Default": "y" * 10_000}},
                                    "Resources": {"Fn": fn({"V": {"Fn::Sub": "${P}" * 1000}, "W": {"Fn::Sub": "${P}-x"}})}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1
    assert any("Fn::Sub makes a value over 1,048,576 characters" in n for n in doc["notes"])
    assert "1 value(s) known only at deployment" in " ".join(doc["notes"])  # W, 10 KB, is resolved


# -- Terraform configuration -----------------------------------------------------------------------


def test_terraform_blocks_nested_past_the_recursion_limit_are_refused_with_the_line(tmp_path):
    tf = write(tmp_path / "infra" / "main.tf", 'resource "aws_iam_role" "r" {\n' + 'dynamic "x" {\n content {\n' * 800
               + "}\n}\n" * 800 + "}\n")
    res = run("check", tf.parent)
    no_crash(res)
    assert res.exit_code == 2 and "main.tf: line 65: blocks nested more than 64 levels deep" in res.output


def test_a_variables_file_that_is_a_fifo_or_a_device_says_what_it_is(tmp_path):
    tf = write(tmp_path / "infra" / "main.tf", 'variable "x" {\n  default = "a"\n}\n'
               'resource "aws_iam_role_policy" "p" {\n  role = "r"\n  policy = jsonencode({Statement = [{Effect = "Allow", '
               'Action = "s3:GetObject", Resource = var.x}]})\n}\n')
    fifo = tmp_path / "x.tfvars"
    os.mkfifo(fifo)
    for vf, needle in ((fifo, "named pipe (FIFO), not a regular file"), ("/dev/zero", "kernel or device file")):
        res = run("check", tf.parent, "--var-file", vf)
        no_crash(res)
        assert f"{vf}: " in res.output and needle in res.output and "no such variables file" not in res.output
        # the text output names the file alone when there is no line, never "None"
        assert f"{vf}:None" not in res.output and f"{vf}: critical IA-INPUT" in res.output


# -- CloudTrail folders ----------------------------------------------------------------------------


def _record(name="ListBuckets"):
    return {"eventVersion": "1.08", "eventTime": "2026-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": name, "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/r/fn",
                             "accountId": "111122223333",
                             "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}}}


def _usage(tmp_path, *locations):
    out = tmp_path / "usage.json"
    args = ["usage", "--since", "2025-12-01", "--until", "2026-02-01", "-o", out, "--workers", 1]
    for loc in locations:
        args += ["--cloudtrail", loc]
    return run(*args), out


def test_links_into_proc_and_dev_among_cloudtrail_logs_are_never_opened(tmp_path):
    logs = tmp_path / "logs"
    write(logs / "good.json", {"Records": [_record()]})
    (logs / "environ.json").symlink_to("/proc/self/environ")
    (logs / "zero.json.gz").symlink_to("/dev/zero")
    (logs / "kmsg.json").symlink_to("/proc/kmsg")  # blocks a reader forever
    res, out = _usage(tmp_path, logs)
    no_crash(res)
    assert res.exit_code == 0
    for name in ("environ.json", "zero.json.gz", "kmsg.json"):
        assert f"{name}: resolves to /" in res.output and "kernel or device file" in res.output
    doc = json.loads(out.read_text())
    assert doc["files"]["read"] == 1 and doc["events"]["total"] == 1
    assert len(doc["files"]["skipped"]) == 3


def test_a_cloudtrail_source_in_proc_is_skipped_and_the_other_source_read(tmp_path):
    logs = tmp_path / "logs"
    write(logs / "good.json", {"Records": [_record()]})
    res, out = _usage(tmp_path, "/proc/self", logs)
    no_crash(res)
    assert res.exit_code == 0 and "/proc/self: resolves to /proc/" in res.output
    assert json.loads(out.read_text())["events"]["total"] == 1


def test_a_cloudtrail_file_with_a_bom_is_read_and_utf16_is_named(tmp_path):
    logs = tmp_path / "logs"
    write(logs / "bom.json", b"\xef\xbb\xbf" + json.dumps({"Records": [_record("ListBuckets")]}).encode())
    write(logs / "wide.json", "\ufeff" + json.dumps({"Records": [_record("GetObject")]}))
    (logs / "wide.json").write_bytes((logs / "wide.json").read_text().encode("utf-16"))
    res, out = _usage(tmp_path, logs)
    no_crash(res)
    assert "wide.json: UTF-16 text, not UTF-8 JSON" in res.output
    doc = json.loads(out.read_text())
    assert doc["files"]["read"] == 1 and doc["events"]["total"] == 1


# -- rules folders -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["analyze", "report"])
def test_a_rules_folder_in_proc_is_refused_not_taken_as_empty(tmp_path, command):
    from tests.emit.test_report_command import files

    files(tmp_path)
    args = [command, "--snapshot", tmp_path / "snapshot.json", "--rules", "/proc/self"]
    if command == "report":
        args += ["-o", tmp_path / "out", "--format", "json"]
    res = run(*args)
    no_crash(res)
    assert res.exit_code == 2 and "/proc/self: resolves to /proc/" in res.output and "not a rules folder" in res.output


# -- generated policies: what a name or a resource holds stays text --------------------------------


def test_new_role_terraform_keeps_template_directives_and_newlines_in_names_literal(tmp_path):
    code = write(tmp_path / "src" / "app.py", "import boto3\ndef handler(e, c):\n"
                 "    boto3.client('s3').get_object(Bucket='b%{if true}x%{endif}${path.root}', Key='k')\n").parent
    t = write(tmp_path / "t.json", {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": 'f\nresource "null_resource" "pwn" {}\n#', "Handler": "app.handler", "Runtime": "python3.12",
        "Code": {"ZipFile": "x"}, "Role": ROLE}}}})
    res = run("new-role", "--code", code, "--template", t, "--function", "Fn", "--format", "terraform")
    no_crash(res)
    lines = res.stdout.splitlines()
    # the name stays inside its comment: no line of generated code starts the injected resource
    assert not any(ln.startswith('resource "null_resource"') for ln in lines)
    assert lines[0].startswith("# Execution-role policies for f?resource")
    # HCL would run %{...} directives and ${...} interpolations inside the policy's strings
    assert "b%%{if true}x%%{endif}$${path.root}" in res.stdout
    assert "%{if" not in res.stdout.replace("%%{", "")


@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
def test_new_role_yaml_fragments_keep_a_newline_in_the_name_inside_the_comment(tmp_path, fmt):
    code = write(tmp_path / "src" / "app.py", "import boto3\ndef handler(e, c):\n"
                 "    boto3.client('s3').get_object(Bucket='b', Key='k')\n").parent
    t = write(tmp_path / "t.json", {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": "f\nEvil: true", "Handler": "app.handler", "Runtime": "python3.12", "Code": {"ZipFile": "x"},
        "Role": ROLE}}}})
    res = run("new-role", "--code", code, "--template", t, "--function", "Fn", "--format", fmt)
    no_crash(res)
    import yaml

    assert "Evil" not in yaml.safe_load(res.stdout)  # still one Policies fragment
    assert "s3:GetObject" in res.stdout


# -- Terraform modules that call themselves ----------------------------------------------------------

TF_FUNCTION = '''resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "lambda.amazonaws.com"}}]})
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = aws_iam_role.r.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "f.zip"
}
'''


def test_a_module_that_calls_itself_is_read_once_and_the_loop_named(tmp_path):
    infra = write(tmp_path / "infra" / "main.tf", 'module "self" {\n  source = "./"\n}\n' + TF_FUNCTION).parent
    res = run("check", infra, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert [f["name"] for f in doc["functions"]] == ["f"]  # not "no template or plan found", not ten copies
    assert doc["inputs"] == [{"path": str(infra), "kind": "terraform", "errors": []}]


def test_two_module_folders_calling_each_other_are_read_not_both_skipped(tmp_path):
    write(tmp_path / "a" / "main.tf", 'module "b" {\n  source = "../b"\n}\n' + TF_FUNCTION)
    write(tmp_path / "b" / "main.tf", 'module "a" {\n  source = "../a"\n}\n')
    res = run("check", tmp_path, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert [f["name"] for f in doc["functions"]] == ["f"]


# -- CDK cloud assemblies ----------------------------------------------------------------------------


def test_nested_assemblies_past_the_depth_limit_are_named_not_dropped_in_silence(tmp_path):
    folder = tmp_path / "cdk.out"
    for level in range(12):
        write(folder / "manifest.json", {"version": "36.0.0", "artifacts": {
            "N": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "n"}},
            "S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}}})
        write(folder / "S.template.json", {"Resources": {"Fn": fn()}})
        folder = folder / "n"
    res = run("check", tmp_path / "cdk.out", "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 9  # the top assembly and eight nested ones
    assert any("nested more than 8 deep: not read" in n for n in doc["notes"])


@pytest.mark.parametrize("artifact,needle", [
    ({"type": "aws:cloudformation:stack", "properties": {"templateFile": 5}}, "S: a stack without a templateFile text"),
    ({"type": "cdk:cloud-assembly", "properties": {"directoryName": {"a": 1}}}, "S: a nested assembly without a directoryName"),
])
def test_a_manifest_artifact_of_the_wrong_shape_says_which_and_why(tmp_path, artifact, needle):
    write(tmp_path / "cdk.out" / "manifest.json", {"version": "36.0.0", "artifacts": {"S": artifact}})
    res = run("check", tmp_path / "cdk.out")
    no_crash(res)
    assert res.exit_code == 2 and "manifest.json: the manifest lists no CloudFormation stack it can read" in res.output
    assert needle in res.output


# -- usage documents -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["generate", "report"])
def test_a_usage_action_that_is_no_action_name_is_refused_at_the_door(tmp_path, command):
    from tests.emit.test_report_command import files

    files(tmp_path)
    doc = json.loads((tmp_path / "usage.json").read_text())
    doc["principals"][0]["actions"][0]["action"] = "s3:Get*Object<script>"
    (tmp_path / "usage.json").write_text(json.dumps(doc))
    res = run(command, "--snapshot", tmp_path / "snapshot.json", "--usage", tmp_path / "usage.json", "-o", tmp_path / "out")
    no_crash(res)  # it was exit 3: the generator's strict policy parser met the name
    assert res.exit_code == 2 and "usage.json: $.principals[0].actions[0].action: 's3:Get*Object<script>'" in res.output


# -- snapshots whose policies IAM would refuse ----------------------------------------------------------


def test_generate_says_which_policy_it_could_not_read_instead_of_an_empty_reason(tmp_path):
    from tests.emit.test_report_command import files

    files(tmp_path)
    snap = json.loads((tmp_path / "snapshot.json").read_text())
    role = next(r for r in snap["accounts"][0]["roles"] if r["name"] == "admin-role")
    role["inline_policies"][0]["document"] = {"Statement": [{"Effect": "Allow", "Action": "s3:<script>", "Resource": "*"}]}
    (tmp_path / "snapshot.json").write_text(json.dumps(snap))
    res = run("generate", "--snapshot", tmp_path / "snapshot.json", "--usage", tmp_path / "usage.json", "-o", tmp_path / "out")
    no_crash(res)
    line = next(ln for ln in res.output.splitlines() if ln.startswith("public-status:"))
    assert "policy inline:p of admin-role: Statement[0].Action[0]: invalid action 's3:<script>'" in line
    assert not line.endswith("evidence: ")
    # the other functions are tightened as before
    assert "worker-a: 260 -> 36 actions" in res.output


# -- the standard output ---------------------------------------------------------------------------


def test_standard_output_that_refuses_the_write_is_exit_2_not_an_internal_error(tmp_path):
    import subprocess
    import sys

    try:
        sink = open("/proc/version", "w")  # noqa: SIM115 - only root may open it, and the write then fails
    except OSError:
        pytest.skip("only root can open /proc/version for writing")
    policy = write(tmp_path / "p.json", {"Version": "2012-10-17",
                                         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    import os

    sink.close()
    # buffered (the default) and unbuffered: the write fails at the exit's flush, or in the command
    for unbuffered in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        if unbuffered:
            env["PYTHONUNBUFFERED"] = "1"
        with open("/proc/version", "w") as out:  # noqa: SIM115
            res = subprocess.run([sys.executable, "-m", "iam_analyzer.cli", "lint", str(policy), "--format", "json"],
                                 stdout=out, stderr=subprocess.PIPE, text=True, timeout=120, env=env)
        assert res.returncode == 2, (unbuffered, res.stderr)
        assert "cannot write" in res.stderr and "internal error" not in res.stderr and "Exception ignored" not in res.stderr
