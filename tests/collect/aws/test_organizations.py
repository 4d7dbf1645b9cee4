"""scan --organization on moto's Organizations (policies, OUs, attachments): the policies and
every account's chain are recorded, read-only, and the escalation verdicts use them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.aws.inventory import ScanOptions, scan
from iam_analyzer.collect.aws.organizations import read_organization
from iam_analyzer.collect.aws.session import Clients
from iam_analyzer.iam.api_actions import actions_for
from iam_analyzer.iam.evaluate import Request, Result, evaluate
from iam_analyzer.iam.policy import parse_policy
from iam_analyzer.model import Snapshot

from tests.aws_account import ACCOUNT
from tests.paths import ROOT

DENY_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                                                     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/platform"}}}]}
ALLOW_LIST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "lambda:*", "sts:*"], "Resource": "*"}]}


def _org(aws) -> dict:
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    inner = org.create_organizational_unit(ParentId=ou, Name="prod")["OrganizationalUnit"]["Id"]
    member = org.create_account(AccountName="app", Email="app@example.com")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=inner)
    deny = org.create_policy(Content=json.dumps(DENY_IAM), Description="", Name="deny-iam",
                             Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    allow = org.create_policy(Content=json.dumps(ALLOW_LIST), Description="", Name="allow-list",
                              Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=deny, TargetId=ou)
    org.attach_policy(PolicyId=allow, TargetId=member)
    return {"root": root, "ou": ou, "inner": inner, "member": member, "deny": deny, "allow": allow}


def test_the_chain_and_the_policies_at_each_level_are_recorded(aws):
    ids = _org(aws)
    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    org, gaps = read_organization(clients, "us-east-1", ACCOUNT)
    assert org.management_account_id == ACCOUNT and org.id.startswith("o-")
    assert org.scp_enabled
    member = org.account(ids["member"])
    assert [(lvl.kind, lvl.id) for lvl in member.chain] == [
        ("root", ids["root"]), ("ou", ids["ou"]), ("ou", ids["inner"]), ("account", ids["member"])]
    by_level = {lvl.id: lvl.scps for lvl in member.chain}
    assert ids["deny"] in by_level[ids["ou"]] and ids["allow"] in by_level[ids["member"]]
    assert ids["deny"] not in by_level[ids["inner"]]  # attached to the OU above, inherited by evaluation
    assert org.policy(ids["deny"]).document == DENY_IAM
    # the management account sits directly under the root
    assert [lvl.kind for lvl in org.account(ACCOUNT).chain] == ["root", "account"]
    assert not [g for g in gaps if g.operation != "list_policies"]  # RCPs may be missing from the emulator


def test_resource_control_policies_are_read_with_their_attachments(aws):
    ids = _org(aws)
    org = aws.client("organizations")
    org.enable_policy_type(RootId=ids["root"], PolicyType="RESOURCE_CONTROL_POLICY")
    rcp_doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                                        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-x"}}}]}
    rcp = org.create_policy(Content=json.dumps(rcp_doc), Description="", Name="perimeter",
                            Type="RESOURCE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp, TargetId=ids["inner"])
    got, _ = read_organization(Clients(aws.session, endpoint_url=aws.endpoint_url), "us-east-1", ACCOUNT)
    assert got.rcp_enabled and got.policy(rcp).type == "RESOURCE_CONTROL_POLICY" and got.policy(rcp).document == rcp_doc
    chain = {lvl.id: lvl.rcps for lvl in got.account(ids["member"]).chain}
    assert rcp in chain[ids["inner"]] and rcp not in chain[ids["ou"]]


def test_every_organizations_call_is_read_only_and_in_the_scanner_policy(aws):
    _org(aws)
    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    calls: set[tuple[str, str]] = set()
    clients.add_hook(lambda service, op, params: calls.add((service, op)))
    snap = scan(clients, ScanOptions(regions=["us-east-1"], organization=True, push_sources=False))
    assert snap.organization is not None and snap.organization.accounts
    policy = parse_policy(json.loads((ROOT / "docs" / "scanner-policy.json").read_text()))
    org_calls = {op for svc, op in calls if svc == "organizations"}
    assert {"ListRoots", "ListPolicies", "DescribePolicy", "ListTargetsForPolicy"} <= org_calls
    for svc, op in calls:
        for action in actions_for(svc, op).actions:
            assert evaluate(Request(action, "*"), [policy]).result is Result.ALLOW, action


def test_scan_organization_writes_a_snapshot_whose_verdicts_use_the_scps(aws, tmp_path):
    _org(aws)
    out = tmp_path / "snap.json"
    res = CliRunner().invoke(main, ["scan", "--endpoint-url", aws.endpoint_url, "--region", "us-east-1",
                                    "--organization", "--no-push-sources", "-o", str(out)])
    assert res.exit_code == 0, res.output
    snap = Snapshot.load(out)  # valid against the shipped schema
    assert snap.organization is not None
    chain = snap.organization.account(snap.accounts[0].account_id).chain
    assert [lvl.kind for lvl in chain] == ["root", "account"]  # order kept through the JSON


@pytest.mark.parametrize("denied", ["AccessDeniedException"])
def test_a_denied_organizations_call_is_a_coverage_gap_and_the_scan_goes_on(aws, denied):
    """moto has no way to deny a call: botocore's Stubber answers ListRoots with an error."""
    from botocore.stub import Stubber

    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    client = clients.client("organizations", "us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_roots", service_error_code=denied, http_status_code=400)
        org, gaps = read_organization(clients, "us-east-1", ACCOUNT)
    assert org.accounts == [] and [(g.operation, g.error_code) for g in gaps] == [("list_roots", denied)]


def test_escalation_in_a_member_account_is_cleared_by_its_scp_and_the_management_account_keeps_its_own(aws, tmp_path):
    """Two accounts with the same escalation (a user that can write its own inline policy):
    the member sits in an OU whose SCP denies IAM writes; the management account is never
    restricted by SCPs."""
    import boto3

    ids = _org(aws)
    org = aws.client("organizations")
    org.detach_policy(PolicyId=ids["allow"], TargetId=ids["member"])  # the deny-list alone, beside FullAWSAccess
    member = ids["member"]
    creds = aws.client("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                                          RoleSessionName="setup")["Credentials"]
    member_session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                           aws_session_token=creds["SessionToken"], region_name="us-east-1")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    for account, iam in ((ACCOUNT, aws.client("iam")), (member, member_session.client("iam", endpoint_url=aws.endpoint_url))):
        iam.create_user(UserName="put-self")
        iam.put_user_policy(UserName="put-self", PolicyName="self", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PutUserPolicy",
                                                     "Resource": f"arn:aws:iam::{account}:user/put-self"}]}))
        if account == member:
            iam.create_role(RoleName="IamAnalyzerScanRole", AssumeRolePolicyDocument=json.dumps(trust))
    out = tmp_path / "org.json"
    res = CliRunner().invoke(main, ["scan", "--endpoint-url", aws.endpoint_url, "--org-role", "IamAnalyzerScanRole",
                                    "--organization", "--no-push-sources", "-o", str(out)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["graph", "escalations", "--snapshot", str(out), "--format", "json"])
    found = {e["principal"] for e in json.loads(res.stdout)["escalations"]}
    assert f"arn:aws:iam::{ACCOUNT}:user/put-self" in found
    assert f"arn:aws:iam::{member}:user/put-self" not in found
