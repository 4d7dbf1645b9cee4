"""Issue #29, second hostile round: templates shaped to explode or loop, numbers past Python's
limit, special files, paths out of the input, and report inputs of the wrong shape.

Each case drives the real command line and asserts what a user sees: exit 0/1/2 (never 3),
a message naming the file (and the place where there is one), the good parts still used."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from tests.emit.test_report_command import files

ROLE = "arn:aws:iam::111122223333:role/r"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def fn(env=None):
    props = {"Handler": "app.handler", "Runtime": "python3.12", "Code": {"ZipFile": "x"}, "Role": ROLE}
    if env is not None:
        props["Environment"] = {"Variables": env}
    return {"Type": "AWS::Lambda::Function", "Properties": props}


def write(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def no_crash(res):
    assert res.exit_code in (0, 1, 2), res.output
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output


# -- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name,text", [
    ("t.json", '{"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"X": ' + "9" * 5000 + "}}}}"),
    ("t.yaml", "Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      X: " + "9" * 5000 + "\n"),
])
def test_a_5000_digit_integer_is_refused_with_its_line(tmp_path, name, text):
    res = run("check", write(tmp_path / name, text))
    no_crash(res)
    assert res.exit_code == 2 and f"{name}: line" in res.output and "more than 400 digits" in res.output


def test_a_long_number_in_one_template_leaves_the_others_read(tmp_path):
    write(tmp_path / "bad.json", '{"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"X": ' + "9" * 5000 + "}}}}")
    write(tmp_path / "good.json", {"Resources": {"Fn": fn()}})
    res = run("check", tmp_path, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1
    assert any("bad.json" in i["path"] and i["errors"] for i in doc["inputs"])


# -- reference graphs that explode or loop ------------------------------------------------------


def test_a_nested_stack_that_is_its_own_template_twenty_times_is_a_loop_not_a_hang(tmp_path):
    t = write(tmp_path / "self.json", {"Resources": {f"S{i}": {"Type": "AWS::CloudFormation::Stack",
                                                              "Properties": {"TemplateURL": "self.json"}}
                                                     for i in range(20)} | {"Fn": fn()}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1
    assert any("a loop" in n for n in doc["notes"])


def test_nested_stacks_fanning_out_stop_at_the_budget_and_say_so(tmp_path):
    for level in range(5):
        write(tmp_path / f"l{level}.json", {"Resources": {f"S{i}": {"Type": "AWS::CloudFormation::Stack",
                                                                   "Properties": {"TemplateURL": f"l{level + 1}.json"}}
                                                          for i in range(20)}})
    write(tmp_path / "l5.json", {"Resources": {"Fn": fn()}})
    res = run("check", tmp_path / "l0.json", "--format", "json")
    no_crash(res)
    assert any("more than 200 nested stacks" in n for n in json.loads(res.stdout)["notes"])


def test_a_nested_stack_outside_the_template_folder_is_not_opened(tmp_path):
    write(tmp_path / "outside.json", {"Resources": {"Leak": fn()}})
    t = write(tmp_path / "app" / "t.json", {"Resources": {"S": {"Type": "AWS::CloudFormation::Stack",
                                                               "Properties": {"TemplateURL": "../outside.json"}}}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert doc["functions"] == [] and any("lies outside" in n for n in doc["notes"])


def test_fn_sub_that_doubles_at_every_level_is_cut_not_built(tmp_path):
    node = "ab"
    for _ in range(40):  # 2**40 characters if built
        node = {"Fn::Sub": ["${a}${a}", {"a": node}]}
    t = write(tmp_path / "t.json", {"Resources": {"Fn": fn({"V": node})}})
    res = run("check", t, "--format", "json")
    no_crash(res)
    assert len(json.loads(res.stdout)["functions"]) == 1


def test_a_ref_chain_1500_long_given_to_new_role(tmp_path):
    res = {f"P{i}": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": {"Ref": f"P{i + 1}"}, "Type": "String",
                                                                   "Value": "x"}} for i in range(1500)}
    res["Fn"] = fn({"P": {"Ref": "P0"}})
    t = write(tmp_path / "t.json", {"Resources": res})
    code = write(tmp_path / "src" / "app.py", "import boto3\ndef handler(e, c):\n    boto3.client('sns').publish(TopicArn='arn:aws:sns:us-east-1:111122223333:t', Message='m')\n")
    out = run("new-role", "--code", code.parent, "--template", t, "--function", "Fn")
    no_crash(out)
    assert "sns:Publish" in out.stdout


# -- CDK cloud assemblies ------------------------------------------------------------------------


def _assembly(folder, artifacts):
    write(folder / "manifest.json", {"version": "36.0.0", "artifacts": artifacts})


@pytest.mark.parametrize("template", ["../outside.template.json", "/etc/passwd", "/proc/self/environ"])
def test_a_manifest_template_outside_the_assembly_is_not_read(tmp_path, template):
    write(tmp_path / "outside.template.json", {"Resources": {"Leak": fn()}})
    _assembly(tmp_path / "cdk.out", {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": template}}})
    res = run("check", tmp_path / "cdk.out", "--format", "json")
    no_crash(res)
    text = res.output
    assert "lies outside" in text and "Leak" not in res.stdout and "root:" not in text


def test_a_nested_assembly_that_is_itself_is_read_once(tmp_path):
    out = tmp_path / "cdk.out"
    write(out / "S.template.json", {"Resources": {"Fn": fn()}})
    _assembly(out, {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}},
                    "Me": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}})
    res = run("check", out, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 1 and any("a loop" in n for n in doc["notes"])


def test_five_thousand_artifacts_sharing_one_template_stop_at_the_budget(tmp_path):
    out = tmp_path / "cdk.out"
    write(out / "S.template.json", {"Resources": {"Fn": fn()}})
    _assembly(out, {f"S{i}": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}
                    for i in range(5000)})
    res = run("check", out, "--format", "json")
    no_crash(res)
    doc = json.loads(res.stdout)
    assert len(doc["functions"]) == 500 and any("more than 500 stacks" in n for n in doc["notes"])


def test_a_manifest_nested_past_the_recursion_limit(tmp_path):
    out = tmp_path / "cdk.out"
    write(out / "manifest.json", '{"version": "36.0.0", "artifacts": ' + "[" * 5000 + "]" * 5000 + "}")
    write(out / "S.template.json", {"Resources": {"Fn": fn()}})
    res = run("check", out)
    no_crash(res)
    assert "manifest.json" in res.output and "nested more than" in res.output


# -- report inputs -------------------------------------------------------------------------------


@pytest.fixture
def review(tmp_path):
    files(tmp_path)
    return tmp_path


def _report(review, *extra):
    return run("report", "--snapshot", review / "snapshot.json", "-o", review / "out", "--format", "json", *extra)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "kmsg"])
def test_a_special_file_as_findings_is_refused_at_once(review, special):
    if special == "fifo":
        path = review / "fifo"
        os.mkfifo(path)
    elif special == "kmsg":
        path = review / "kmsg"
        path.symlink_to("/proc/kmsg")
    else:
        path = special
    res = _report(review, "--findings", path)
    no_crash(res)
    assert res.exit_code == 2 and str(path) in res.output and "not a regular file" in res.output


@pytest.mark.parametrize("key,value,needle", [("location", "src/x.py", "location must be a mapping, not text"),
                                              ("location", [1], "location must be a mapping, not a list"),
                                              ("evidence", 3, "evidence must be a mapping")])
def test_a_finding_of_the_wrong_shape_is_skipped_and_named(review, key, value, needle):
    doc = json.loads((review / "findings.json").read_text())
    doc["findings"][0][key] = value
    doc["notes"] = 7
    (review / "findings.json").write_text(json.dumps(doc))
    res = _report(review, "--findings", review / "findings.json")
    no_crash(res)
    assert res.exit_code == 0 and needle in res.stderr and "findings[0]" in res.stderr
    model = json.loads((review / "out" / "report.json").read_text())
    assert len(model["findings"]) == len(doc["findings"]) - 1


@pytest.mark.parametrize("change,needle", [
    (lambda f: f.update(granted_actions_before=[1]), "granted_actions_before must be a number, not a list"),
    (lambda f: f.update(warnings=3), "warnings must be a list, not a number"),
    (lambda f: f.update(file=7), "file must be a file name, not a number"),
])
def test_a_summary_entry_of_the_wrong_shape_is_skipped_and_the_rest_shown(review, change, needle):
    path = review / "policies" / "summary.json"
    summary = json.loads(path.read_text())
    change(summary["functions"][0])
    path.write_text(json.dumps(summary))
    res = _report(review, "--policies", review / "policies")
    no_crash(res)
    assert res.exit_code == 0 and needle in res.stderr and "summary.json: functions[0]" in res.stderr


def test_summary_functions_as_a_mapping_nested_too_deep_or_not_utf8(review):
    path = review / "policies" / "summary.json"
    for content, needle in ((json.dumps({"functions": {"a": 1}}), "no 'functions' list"),
                            ("[" * 5000 + "]" * 5000, "nested more than"),
                            (b"\xff\xfe{}", "summary.json")):
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        res = _report(review, "--policies", review / "policies")
        no_crash(res)
        assert res.exit_code == 2 and needle in res.output and "summary.json" in res.output


def test_an_explain_file_whose_kept_is_text_is_named_and_the_policy_still_counted(review):
    explain = next((review / "policies").glob("*.explain.json"))
    doc = json.loads(explain.read_text())
    doc["kept"] = "everything"
    explain.write_text(json.dumps(doc))
    res = _report(review, "--policies", review / "policies")
    no_crash(res)
    assert res.exit_code == 0 and f"{explain.name}: kept must be a list, not text" in res.stderr


def test_a_fifo_inside_the_policies_folder_never_blocks(review):
    path = review / "policies" / "summary.json"
    path.unlink()
    os.mkfifo(path)
    res = _report(review, "--policies", review / "policies")
    no_crash(res)
    assert res.exit_code == 2 and "named pipe" in res.output


# -- outputs checked before the work ---------------------------------------------------------------


def _code(tmp_path):
    return write(tmp_path / "src" / "app.py", "import boto3\ndef handler(e, c):\n"
                 "    boto3.client('s3').get_object(Bucket='b', Key='k')\n").parent


@pytest.mark.parametrize("target", ["missing/dir/out.txt", "/proc/version"])
def test_outputs_that_cannot_be_written_are_exit_2_before_the_work(tmp_path, target):
    out = target if target.startswith("/") else tmp_path / target
    tpl = write(tmp_path / "t.json", {"Resources": {"Fn": fn()}})
    code = _code(tmp_path)
    for args in (["check", tpl, "-o", out], ["check", tpl, "--write-baseline", out],
                 ["new-role", "--code", code, "-o", out], ["new-role", "--code", code, "--explain", out]):
        res = run(*args)
        no_crash(res)
        assert res.exit_code == 2 and f"cannot write {out}" in res.output, args


# -- intent files and code folders ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["devzero", "fifo", "deep"])
def test_an_intent_file_that_is_special_or_too_deep_is_named_and_the_code_still_used(tmp_path, kind):
    if kind == "devzero":
        intent = "/dev/zero"
    elif kind == "fifo":
        intent = tmp_path / "intent.yaml"
        os.mkfifo(intent)
    else:
        intent = write(tmp_path / "intent.yaml", "reads:" + " [" * 3000 + "]" * 3000 + "\n")
    res = run("new-role", "--code", _code(tmp_path), "--intent", intent)
    no_crash(res)
    assert str(intent) in res.stderr and "s3:GetObject" in res.stdout


def test_an_intent_file_of_2000_entries_is_verified_in_bounded_time(tmp_path):
    intent = write(tmp_path / "intent.yaml", "reads:\n" + "".join(f"  - arn:aws:s3:::bucket{i}/*\n" for i in range(2000)))
    res = run("new-role", "--intent", intent, "--explain", tmp_path / "x.json")
    no_crash(res)
    explain = json.loads((tmp_path / "x.json").read_text())
    assert explain["verification"]["ok"] is True
    assert "arn:aws:s3:::bucket1999/*" in res.stdout


def test_a_fifo_given_as_code_says_what_it_is(tmp_path):
    fifo = tmp_path / "handler.py"
    os.mkfifo(fifo)
    res = run("new-role", "--code", fifo)
    no_crash(res)
    assert "named pipe (FIFO), not a regular file" in res.output and "no such file" not in res.output
