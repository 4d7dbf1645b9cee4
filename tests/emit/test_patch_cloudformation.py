"""The CloudFormation/SAM patcher on its own: only the replaced keys' lines change; every
other byte of the file (comments, blank lines, indentation that differs from one section to
the next, block scalars, anchors, flow style, the document marker, CRLF) stays."""

from __future__ import annotations

import difflib
from pathlib import Path

from iam_analyzer.collect.iac.loader import loads
from iam_analyzer.emit.patch import cloudformation, locate

MESSY = """---
# header comment

AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31

Globals:
  Function:
    Timeout: 10    # seconds


Resources:
    Fn:
        Type: AWS::Serverless::Function
        Properties:
            InlineCode: |
                def handler(e, c):
                    return 1
            Handler: index.handler
            Runtime: python3.12
            Description: >
              folded text
              over lines
            Policies:
            -   Statement:
                -   Effect: Allow
                    Action: s3:*
                    Resource: "*"
            # a comment about the tags
            Tags: &tags
                team: a
    NoPolicies:
        Type: AWS::Serverless::Function
        Properties:
            Handler: index.handler   # the last key
    Other:
        Type: AWS::SNS::Topic
        Properties: {Tags: [{Key: k, Value: !Sub "${AWS::StackName}-x"}]}
Outputs:
  Out: {Value: !GetAtt Fn.Arn}   # trailing
"""
DOC = {"Version": "2012-10-17", "Statement": [{"Sid": "Reads", "Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::b/*"}]}


def _target(text: str, fid: str) -> locate.Target:
    return locate.Target(locate.Template(Path("t.yaml"), loads(text), "s"), fid, "sam")


def _patch(text: str, fid: str) -> str:
    new, _ = cloudformation.patch_text(text, _target(text, fid), [DOC], set(), "x")
    return new


def test_only_the_replaced_policies_lines_change():
    new = _patch(MESSY, "Fn")
    old_lines, new_lines = MESSY.splitlines(keepends=True), new.splitlines(keepends=True)
    start = old_lines.index("            Policies:\n") + 1
    end = old_lines.index("            # a comment about the tags\n")
    assert new_lines[:start] == old_lines[:start]
    tail = len(old_lines) - end
    assert new_lines[-tail:] == old_lines[end:]
    assert "".join(new_lines[start:-tail]) == (
        "            -   Version: '2012-10-17'\n"
        "                Statement:\n"
        "                -   Sid: Reads\n"
        "                    Effect: Allow\n"
        "                    Action: s3:GetObject\n"
        "                    Resource: arn:aws:s3:::b/*\n")
    assert loads(new)["Resources"]["Fn"]["Properties"]["Policies"] == [DOC]


def test_a_missing_policies_key_is_added_after_the_last_key_of_its_properties():
    new = _patch(MESSY, "NoPolicies")
    assert "            Handler: index.handler   # the last key\n            Policies:\n" in new
    assert loads(new)["Resources"]["NoPolicies"]["Properties"]["Policies"] == [DOC]
    ops = difflib.SequenceMatcher(a=MESSY.splitlines(True), b=new.splitlines(True)).get_opcodes()
    assert [op[0] for op in ops if op[0] != "equal"] == ["insert"]  # nothing else changed


def test_windows_line_endings_stay():
    crlf = MESSY.replace("\n", "\r\n")
    new = _patch(crlf, "Fn")
    assert "\n" not in new.replace("\r\n", "")
    assert new.startswith("---\r\n# header comment\r\n")


def test_a_role_in_flow_style_is_still_patched_and_read_back_the_same():
    text = ("Resources:\n  Fn: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt R.Arn}}\n"
            "  R: {Type: AWS::IAM::Role, Properties: {Policies: [], ManagedPolicyArns: [arn:aws:iam::aws:policy/X]}}\n")
    target = locate.Target(locate.Template(Path("t.yaml"), loads(text), "s"), "Fn", "cloudformation", "R")
    new, notes = cloudformation.patch_text(text, target, [DOC], set(), "fn-least-privilege")
    props = loads(new)["Resources"]["R"]["Properties"]
    assert props == {"Policies": [{"PolicyName": "fn-least-privilege", "PolicyDocument": DOC}]}
    assert "R: ManagedPolicyArns removed" in notes
    assert "Role: !GetAtt R.Arn" in new
