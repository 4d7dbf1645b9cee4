"""Issue 7's acceptance: a moto account with one planted instance of each rule the scanner can
see (and a near-miss control next to each), scanned for real, then analyzed.

Rules that need CloudTrail (IAM012-IAM016) get their usage from generated log files; rules
that are off by default are selected explicitly. The in-memory cases of every rule are in
test_rules.py.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.cloudtrail.synth import Caller, record, write_log_file

from tests.aws_account import ACCOUNT, TRUST, code_zip

R = "us-east-1"


def doc(*sts):
    return json.dumps({"Version": "2012-10-17", "Statement": list(sts)})


def allow(actions, resource="*", **kw):
    return dict({"Effect": "Allow", "Action": actions, "Resource": resource}, **kw)


# rule -> (planted role policy, control role policy) for the policy rules
POLICY_CASES = {
    "IAM001": (allow("*"), allow("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t")),
    "IAM002": (allow("sns:*", f"arn:aws:sns:{R}:{ACCOUNT}:t"), allow("sns:Publish", f"arn:aws:sns:{R}:{ACCOUNT}:t")),
    "IAM003": (allow("sqs:SendMessage"), allow(["xray:PutTraceSegments", "ec2:DescribeInstances"])),
    "IAM006": (allow("secretsmanager:GetSecretValue"), allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{R}:{ACCOUNT}:secret:x-*")),
    "IAM007": (allow("s3:PutBucketPolicy"), allow("s3:PutBucketPolicy", "arn:aws:s3:::one-bucket")),
    "IAM008": (allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*"), allow("iam:ListAccessKeys")),
    "IAM009": (allow("iam:PassRole"), allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/task",
                                             Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})),
    "IAM010": ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}),
    "IAM011": ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"},
               allow("s3:GetObject", "arn:aws:s3:::b/*")),
}


def test_every_planted_rule_is_reported_and_no_control_is(aws, tmp_path):
    iam, lam = aws.client("iam"), aws.client("lambda")
    planted: dict[str, str] = {}  # rule -> subject that must be reported
    controls: dict[str, str] = {}  # rule -> subject that must not be

    def role(name, statement, trust=TRUST):
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(statement))
        return arn

    def function(name, role_arn, **kw):
        return lam.create_function(FunctionName=name, Runtime=kw.pop("Runtime", "python3.12"), Role=role_arn,
                                   Handler="index.handler", Code={"ZipFile": code_zip()}, **kw)["FunctionArn"]

    for rule, (bad, good) in POLICY_CASES.items():
        planted[rule] = role(f"{rule.lower()}-bad", bad)
        controls[rule] = role(f"{rule.lower()}-good", good)
        function(f"{rule.lower()}-bad", planted[rule])
        function(f"{rule.lower()}-good", controls[rule])

    # administrator role on a function, and an escalation through PassRole
    admin = role("admin-fn-role", allow("*"))
    planted["IAM004"] = admin
    function("admin-fn", admin)
    controls["IAM004"] = controls["IAM002"]
    esc = role("escalator", allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))
    planted["IAM005"] = esc
    function("escalator-fn", esc)
    no_esc = role("no-escalator", allow(["lambda:CreateFunction", "lambda:InvokeFunction"]))
    controls["IAM005"] = no_esc
    function("no-escalator-fn", no_esc)

    # function-level rules
    plain = role("plain", allow("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t"))
    public = function("public-url", plain)
    lam.create_function_url_config(FunctionName="public-url", AuthType="NONE")
    lam.add_permission(FunctionName="public-url", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
                       FunctionUrlAuthType="NONE")
    iam_url = function("iam-url", plain)
    lam.create_function_url_config(FunctionName="iam-url", AuthType="AWS_IAM")
    lam.add_permission(FunctionName="iam-url", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="210987654321", FunctionUrlAuthType="AWS_IAM")
    planted["LAM001"], controls["LAM001"] = public, iam_url
    open_fn = function("open-invoke", plain)
    lam.add_permission(FunctionName="open-invoke", StatementId="all", Action="lambda:InvokeFunction", Principal="*")
    org_fn = function("org-invoke", plain)
    lam.add_permission(FunctionName="org-invoke", StatementId="org", Action="lambda:InvokeFunction", Principal="*",
                       PrincipalOrgID="o-abcdef1234")
    planted["LAM002"], controls["LAM002"] = open_fn, org_fn
    planted["LAM003"], controls["LAM003"] = iam_url, org_fn
    deputy = function("s3-no-account", plain)
    lam.add_permission(FunctionName="s3-no-account", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::some-bucket")
    pinned = function("s3-with-account", plain)
    lam.add_permission(FunctionName="s3-with-account", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::some-bucket", SourceAccount=ACCOUNT)
    planted["LAM004"], controls["LAM004"] = deputy, pinned
    wide_trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    planted["LAM005"] = role("wide-trust", allow("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t"), wide_trust)
    function("wide-trust-fn", planted["LAM005"])
    controls["LAM005"] = plain
    shared = role("shared", allow("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t"))
    function("shared-a", shared)
    function("shared-b", shared)
    planted["LAM006"], controls["LAM006"] = shared, controls["IAM002"]
    planted["LAM007"] = function("secret-env", plain, Environment={"Variables": {"GITHUB_TOKEN": "ghp_" + "a1" * 18}})
    controls["LAM007"] = function("plain-env", plain, Environment={"Variables": {"LOG_LEVEL": "info"}})
    planted["LAM008"] = function("old-runtime", plain, Runtime="python3.8")
    controls["LAM008"] = function("new-runtime", plain, Runtime="python3.13")
    big = role("big-policy", allow(["s3:GetObject"], [f"arn:aws:s3:::bucket-with-a-long-name-{i:04d}/prefix/*" for i in range(180)]))
    planted["LAM009"] = big
    function("big-policy-fn", big)
    controls["LAM009"] = plain
    # off-by-default rules
    sg_vpc = aws.client("ec2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = aws.client("ec2").create_subnet(VpcId=sg_vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg = aws.client("ec2").create_security_group(GroupName="g", Description="g", VpcId=sg_vpc)["GroupId"]
    in_vpc = function("in-vpc", plain, VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]})
    planted["LAM010"], controls["LAM010"] = controls["LAM008"], in_vpc
    dlq = aws.client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = aws.client("sqs").get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with_dest = function("with-destination", plain)
    lam.put_function_event_invoke_config(FunctionName="with-destination", DestinationConfig={"OnFailure": {"Destination": dlq_arn}})
    planted["LAM011"], controls["LAM011"] = controls["LAM008"], with_dest
    reserved = function("reserved", plain)
    lam.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=2)
    planted["LAM012"], controls["LAM012"] = controls["LAM008"], reserved

    # usage: CloudTrail for the usage rules
    busy = role("busy", allow(["dynamodb:GetItem", "dynamodb:PutItem", "sns:Publish", "s3:GetObject"]))
    function("busy-fn", busy)
    idle = role("idle", allow("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t"))
    function("idle-fn", idle)
    tight = role("tight", allow("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t"))
    function("tight-fn", tight)
    now = datetime.now(timezone.utc) - timedelta(days=1)
    rng = random.Random(1)
    busy_c = Caller(ACCOUNT, "busy", "busy-fn")
    tight_c = Caller(ACCOUNT, "tight", "tight-fn")
    table = f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/t"
    # 16 days of logs: the unused rules need evidence of absence (at least --min-window, 14 days)
    for day in range(16):
        when = now - timedelta(days=day)
        recs = [record(busy_c, when, "dynamodb.amazonaws.com", "GetItem", {"tableName": "t"}, [{"ARN": table}], rng=rng),
                record(busy_c, when, "dynamodb.amazonaws.com", "PutItem", {"tableName": "t"}, [{"ARN": table}],
                       error="AccessDenied", rng=rng),
                record(tight_c, when, "dynamodb.amazonaws.com", "GetItem", {"tableName": "t"}, [{"ARN": table}], rng=rng),
                # someone else's management event: the trail records the region's management events
                record(Caller(ACCOUNT, "ops", "console"), when, "sts.amazonaws.com", "GetCallerIdentity", {}, rng=rng)]
        write_log_file(tmp_path / "trail", ACCOUNT, R, when, recs)
    planted.update({"IAM012": busy, "IAM013": busy, "IAM014": idle, "IAM015": busy,
                    "IAM016": f"arn:aws:lambda:{R}:{ACCOUNT}:function:busy-fn"})
    controls.update({"IAM012": tight, "IAM013": tight, "IAM014": tight, "IAM015": tight,
                     "IAM016": f"arn:aws:lambda:{R}:{ACCOUNT}:function:tight-fn"})

    run = lambda *a: CliRunner().invoke(main, list(a))  # noqa: E731
    assert run("scan", "--endpoint-url", aws.endpoint_url, "--thorough", "-o", str(tmp_path / "s.json")).exit_code == 0
    r = run("usage", "--cloudtrail", str(tmp_path / "trail"), "--since", "17d", "--snapshot", str(tmp_path / "s.json"),
            "-o", str(tmp_path / "u.json"))
    assert r.exit_code == 0, r.output
    cfg = tmp_path / "all.yaml"
    cfg.write_text("select: [" + ", ".join(sorted(planted)) + "]\n")
    r = run("analyze", "--snapshot", str(tmp_path / "s.json"), "--usage", str(tmp_path / "u.json"), "--config", str(cfg),
            "-o", str(tmp_path / "f.json"))
    assert r.exit_code == 0, r.output
    found = {(f["rule_id"], f["subject"]) for f in json.loads((tmp_path / "f.json").read_text())["findings"]}
    missing = {rule: subject for rule, subject in planted.items() if (rule, subject) not in found}
    false_alarms = {rule: subject for rule, subject in controls.items() if (rule, subject) in found}
    assert missing == {} and false_alarms == {}
    assert len(planted) >= 28
