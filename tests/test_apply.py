"""apply and rollback on moto's server: scan -> usage -> generate -> apply -> scan -> rollback.

Roles in moto are created now, so every run passes --min-age 0 (the age guard has its own
test). IAM is reached through boto3 over HTTP, as on a real account.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.demo import provision, write_trail
from iam_analyzer.model import Snapshot

ACCOUNT = "123456789012"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _raw_state(aws) -> dict:
    """Every role's inline document texts (exactly as IAM returns them), attachments and boundary."""
    iam = aws.client("iam")
    iam.meta.events.unregister("after-call.iam", __import__("botocore.handlers").handlers.json_decode_policies)
    out = {}
    for r in iam.list_roles()["Roles"]:
        name = r["RoleName"]
        inline = {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                  for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}
        attached = sorted(a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])
        boundary = (iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        out[name] = {"inline": inline, "attached": attached, "boundary": boundary}
    return out


@pytest.fixture
def generated(aws, tmp_path):
    demo = provision(aws.client, ACCOUNT)
    s3 = aws.client("s3")
    write_trail(demo, lambda k, b: s3.put_object(Bucket=demo.trail_bucket, Key=k, Body=b), days=30)
    r = _run("scan", "--endpoint-url", aws.endpoint_url, "-o", tmp_path / "snapshot.json")
    assert r.exit_code == 0, r.output
    r = _run("usage", "--cloudtrail", f"s3://{demo.trail_bucket}/", "--since", "35d", "--endpoint-url",
             aws.endpoint_url, "--snapshot", tmp_path / "snapshot.json", "-o", tmp_path / "usage.json")
    assert r.exit_code == 0, r.output
    r = _run("generate", "--snapshot", tmp_path / "snapshot.json", "--usage", tmp_path / "usage.json",
             "-o", tmp_path / "policies")
    assert r.exit_code == 0, r.output
    return tmp_path


def _sufficient_roles(tmp: Path) -> dict[str, list[str]]:
    """Role name -> its functions, for roles all of whose functions were tightened and verified.

    The demo's functions were deployed today in moto, after the last event of the trail, so
    their evidence is partial: these tests pass --allow-partial (its refusal has a test)."""
    summary = json.loads((tmp / "policies" / "summary.json").read_text())
    ok = {s["function"] for s in summary["functions"] if s["file"] and s["verified"]
          and s["evidence"]["verdict"] in ("sufficient", "partial")}
    snap = Snapshot.load(tmp / "snapshot.json")
    roles: dict[str, list[str]] = {}
    for f in snap.functions():
        roles.setdefault(f.role_arn, []).append(f.arn)
    return {r.rsplit("/", 1)[-1]: fns for r, fns in roles.items() if all(f in ok for f in fns)}


def test_without_yes_nothing_is_written(aws, generated):
    before = _raw_state(aws)
    r = _run("apply", generated / "policies", "--min-age", 0, "--allow-partial", "--endpoint-url", aws.endpoint_url)
    assert "not written: add --yes" in r.output
    assert _raw_state(aws) == before
    assert not (generated / "policies" / "backups").exists()


def test_apply_gives_exactly_the_generated_grants_and_rollback_restores_every_byte(aws, generated):
    before = _raw_state(aws)
    roles = _sufficient_roles(generated)
    assert len(roles) >= 4, "the demo has roles whose every function was tightened"
    r = _run("apply", generated / "policies", "--min-age", 0, "--allow-partial", "--yes", "--json", "--endpoint-url", aws.endpoint_url)
    out = json.loads(r.output)
    written = {a.rsplit("/", 1)[-1] for a in out["written"]}
    assert written == set(roles), out["refused"]
    # a fresh scan shows exactly the generated grants on every role written
    r = _run("scan", "--endpoint-url", aws.endpoint_url, "-o", generated / "after.json")
    assert r.exit_code == 0, r.output
    after = Snapshot.load(generated / "after.json")
    for name, fns in roles.items():
        role = next(x for x in after.roles() if x.name == name)
        docs = [json.loads((generated / "policies" / f"{fn.rsplit(':', 1)[-1]}.json").read_text()) for fn in fns]
        statements = [st for d in docs for st in d["Statement"]]
        assert role.managed_policy_arns == []
        assert len(role.inline_policies) == 1
        got = role.inline_policies[0].document["Statement"]
        strip = lambda sts: sorted(json.dumps({k: v for k, v in s.items() if k != "Sid"}, sort_keys=True) for s in sts)  # noqa: E731
        assert strip(got) == sorted(set(strip(statements))), name
    # roles not written are untouched
    for name in set(before) - written:
        assert _raw_state(aws)[name] == before[name]
    # rollback: the same document texts, attachments and boundaries as before
    backup = out["backup"]
    assert Path(backup).parent == generated / "policies" / "backups"
    r = _run("rollback", backup, "--yes", "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 0, r.output
    assert _raw_state(aws) == before
    # and a fresh scan is the scan from before: the same roles, grants and customer policies
    r = _run("scan", "--endpoint-url", aws.endpoint_url, "-o", generated / "restored.json")
    assert r.exit_code == 0, r.output
    grants = lambda s: ({r.arn: (sorted((p.name, json.dumps(p.document)) for p in r.inline_policies),  # noqa: E731
                                 sorted(r.managed_policy_arns), r.permissions_boundary_arn) for r in s.roles()},
                        sorted((p.arn, json.dumps(p.document)) for a in s.accounts for p in a.policies if not p.aws_managed))
    assert grants(Snapshot.load(generated / "restored.json")) == grants(Snapshot.load(generated / "snapshot.json"))
    iam = aws.client("iam")
    assert not [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Path"] == "/iam-analyzer/"]


def test_a_role_changed_after_the_snapshot_is_refused(aws, generated):
    roles = sorted(_sufficient_roles(generated))
    changed = roles[0]
    iam = aws.client("iam")
    iam.put_role_policy(RoleName=changed, PolicyName="added-later", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    before = _raw_state(aws)[changed]
    r = _run("apply", generated / "policies", "--min-age", 0, "--allow-partial", "--yes", "--json", "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 1
    out = json.loads(r.output)
    refused = {x["role"].rsplit("/", 1)[-1]: x["reason"] for x in out["refused"]}
    assert "changed since the snapshot" in refused[changed]
    assert _raw_state(aws)[changed] == before
    assert {a.rsplit("/", 1)[-1] for a in out["written"]} == set(roles) - {changed}


def test_a_backup_that_cannot_be_written_stops_everything(aws, generated):
    before = _raw_state(aws)
    blocker = generated / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    r = _run("apply", generated / "policies", "--min-age", 0, "--allow-partial", "--yes", "--backup", blocker / "backups",
             "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 2
    assert "backup cannot be written" in r.output and "nothing was changed" in r.output
    assert "Traceback" not in r.output
    assert _raw_state(aws) == before


def test_an_interrupted_apply_leaves_a_complete_backup_that_rollback_restores(aws, generated, monkeypatch):
    from iam_analyzer.collect.aws import apply as writer

    before = _raw_state(aws)
    assert len(_sufficient_roles(generated)) >= 2
    real = writer.iam_client
    calls = {"deletes": 0}

    def faulty(clients):
        c = real(clients)

        def fault(**_kw):  # the connection drops once the first role is done
            calls["deletes"] += 1
            if calls["deletes"] > 1:
                raise ConnectionError("connection reset")
        c.meta.events.register("before-call.iam.DeleteRolePolicy", fault)
        return c

    monkeypatch.setattr(writer, "iam_client", faulty)
    r = _run("apply", generated / "policies", "--min-age", 0, "--allow-partial", "--yes", "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 1
    assert "stopped while writing role" in r.output and "rollback" in r.output
    assert _raw_state(aws) != before
    monkeypatch.setattr(writer, "iam_client", real)
    backups = sorted((generated / "policies" / "backups").glob("backup-*.json"))
    assert len(backups) == 1
    saved = json.loads(backups[0].read_text())
    assert {r["name"] for r in saved["roles"]} == set(_sufficient_roles(generated))
    r = _run("rollback", backups[0], "--yes", "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 0, r.output
    assert _raw_state(aws) == before


def test_refusals_young_roles_partial_evidence_and_stack_tags(aws, generated):
    r = _run("apply", generated / "policies", "--json", "--endpoint-url", aws.endpoint_url)  # default --min-age 14
    out = json.loads(r.output)
    assert out["planned"] == {} and out["refused"]
    assert all("evidence for" in x["reason"] and "is partial (--allow-partial" in x["reason"] for x in out["refused"])
    r = _run("apply", generated / "policies", "--allow-partial", "--json", "--endpoint-url", aws.endpoint_url)
    out = json.loads(r.output)
    assert out["planned"] == {} and out["refused"]
    assert all("younger than --min-age 14" in x["reason"] for x in out["refused"])
    role = sorted(_sufficient_roles(generated))[0]
    aws.client("iam").tag_role(RoleName=role, Tags=[{"Key": "owner-tool", "Value": "terraform"}])
    r = _run("scan", "--endpoint-url", aws.endpoint_url, "-o", generated / "snapshot.json")
    r = _run("apply", generated / "policies", "--min-age", 0, "--allow-partial", "--managed-tag", "owner-tool", "--json",
             "--endpoint-url", aws.endpoint_url)
    out = json.loads(r.output)
    refused = {x["role"].rsplit("/", 1)[-1]: x["reason"] for x in out["refused"]}
    assert "owner-tool=terraform" in refused[role] and "patch the template" in refused[role]


def test_a_large_policy_goes_into_managed_policies_and_rollback_deletes_them(aws, generated):
    """A policy file replaced by a larger one (still within what the role grants: s3:* on *)."""
    before = _raw_state(aws)
    summary = json.loads((generated / "policies" / "summary.json").read_text())
    entry = next(s for s in summary["functions"] if s["role"].endswith("/uploads-role"))
    big = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"Bucket{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"}
        for i in range(150)]}
    (generated / "policies" / entry["file"]).write_text(json.dumps(big))
    r = _run("apply", generated / "policies", "--role", "uploads-role", "--min-age", 0, "--allow-partial", "--yes",
             "--json", "--endpoint-url", aws.endpoint_url)
    out = json.loads(r.output)
    assert r.exit_code == 0 and len(out["written"]) == 1, out
    iam = aws.client("iam")
    attached = iam.list_attached_role_policies(RoleName="uploads-role")["AttachedPolicies"]
    assert len(attached) >= 2 and iam.list_role_policies(RoleName="uploads-role")["PolicyNames"] == []
    got = []
    for a in attached:
        version = iam.get_policy(PolicyArn=a["PolicyArn"])["Policy"]["DefaultVersionId"]
        got += iam.get_policy_version(PolicyArn=a["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]["Statement"]
    assert got == big["Statement"]
    r = _run("rollback", out["backup"], "--yes", "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 0, r.output
    assert _raw_state(aws) == before
    assert not [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Path"] == "/iam-analyzer/"]


def test_norepo_statements_are_never_touched(aws, generated):
    iam = aws.client("iam")
    (name,) = iam.list_role_policies(RoleName="uploads-role")["PolicyNames"]
    keep = {"Sid": "NOREPOBreakGlass", "Effect": "Allow", "Action": "s3:GetBucketPolicy", "Resource": "*"}
    iam.put_role_policy(RoleName="uploads-role", PolicyName="break-glass", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [keep]}, indent=4))
    raw_before = _raw_state(aws)["uploads-role"]["inline"]["break-glass"]
    r = _run("scan", "--endpoint-url", aws.endpoint_url, "-o", generated / "snapshot.json")
    assert r.exit_code == 0, r.output
    r = _run("apply", generated / "policies", "--role", "uploads-role", "--min-age", 0, "--allow-partial", "--yes",
             "--json", "--endpoint-url", aws.endpoint_url)
    assert r.exit_code == 0, r.output
    after = _raw_state(aws)["uploads-role"]
    assert after["inline"]["break-glass"] == raw_before  # the same text, never rewritten
    assert sorted(after["inline"]) == ["break-glass", "iam-analyzer-least-privilege"] and name not in after["inline"]


def test_every_call_of_apply_and_rollback_is_in_the_documented_policy(aws, generated):
    """docs/apply-policy.json, apart from the scanner's read-only policy, covers every call,
    on the resource the call names (the demo's roles live under /service-role/)."""
    from iam_analyzer import stages
    from iam_analyzer.analyze.apply_plan import PlanOptions
    from iam_analyzer.collect.aws.session import Clients
    from iam_analyzer.iam.api_actions import actions_for
    from iam_analyzer.iam.evaluate import Request, Result, evaluate
    from iam_analyzer.iam.policy import parse_policy
    from tests.paths import ROOT

    summary = json.loads((generated / "policies" / "summary.json").read_text())
    entry = next(s for s in summary["functions"] if s["role"].endswith("/uploads-role"))
    big = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"B{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"}
        for i in range(150)]}  # so that managed policies are created and deleted too
    (generated / "policies" / entry["file"]).write_text(json.dumps(big))
    clients = Clients(aws.session, endpoint_url=aws.endpoint_url)
    calls = []
    # the hook sees the serialised request: IAM's query protocol carries the parameters in its body
    clients.add_hook(lambda service, op, request: calls.append((service, op, dict(request["body"]))))
    snap = Snapshot.load(generated / "snapshot.json")
    the_plan, _ = stages.apply_plan(snap, generated / "policies",
                                    PlanOptions(min_age_days=0, allow_partial=True))
    outcome = stages.apply(clients, the_plan, generated / "backups", yes=True)
    assert outcome.written
    assert stages.rollback(clients, Path(outcome.backup), yes=True).written
    policy = parse_policy(json.loads((ROOT / "docs" / "apply-policy.json").read_text()))
    ops = {op for _, op, _ in calls}
    assert {"PutRolePolicy", "DeleteRolePolicy", "CreatePolicy", "AttachRolePolicy", "DetachRolePolicy",
            "DeletePolicy"} <= ops
    for service, op, params in calls:
        if "RoleName" in params:  # attach and detach are authorised on the role
            resource = f"arn:aws:iam::{ACCOUNT}:role/service-role/{params['RoleName']}"
        elif op == "CreatePolicy":
            resource = f"arn:aws:iam::{ACCOUNT}:policy{params['Path']}{params['PolicyName']}"
        else:
            resource = params["PolicyArn"]
        for action in actions_for(service, op).actions:
            assert evaluate(Request(action, resource), [policy]).result is Result.ALLOW, (action, resource)


# -- bad input: one line naming the file and the place, exit 2, nothing written -----------------


def test_bad_backups_and_folders_are_one_line_and_exit_2(tmp_path):
    not_json = tmp_path / "backup-a.json"
    not_json.write_text('{"kind": "iam-analyzer-role-backup", ')
    r = _run("rollback", not_json, "--yes")
    assert r.exit_code == 2 and str(not_json) in r.output and "line 1" in r.output and "Traceback" not in r.output
    wrong = tmp_path / "backup-b.json"
    wrong.write_text(json.dumps({"kind": "iam-analyzer-role-backup", "schema_version": 1, "roles": [
        {"arn": "arn:aws:iam::123456789012:role/x", "name": "x", "inline": [{"name": "p"}]}]}))
    r = _run("rollback", wrong, "--yes")
    assert r.exit_code == 2 and f"{wrong}: roles[0].inline[0]: needs 'name' and 'document_text'" in r.output
    other = tmp_path / "backup-c.json"
    other.write_text(json.dumps({"kind": "iam-analyzer-usage"}))
    r = _run("rollback", other)
    assert r.exit_code == 2 and "not a backup written by iam-analyzer apply" in r.output
    (tmp_path / "policies").mkdir()
    r = _run("apply", tmp_path / "policies")
    assert r.exit_code == 2 and "no snapshot.json beside it" in r.output
    (tmp_path / "snapshot.json").write_text(json.dumps(Snapshot().to_json()))
    r = _run("apply", tmp_path / "policies")
    assert r.exit_code == 2 and f"{tmp_path / 'policies' / 'summary.json'}: no such file" in r.output
    assert "Traceback" not in r.output


def test_a_role_of_another_account_is_refused(aws, generated):
    """An Organization snapshot holds roles of member accounts: credentials for this account
    must not write to a role of the same name here."""
    path = generated / "snapshot.json"
    arn = f"arn:aws:iam::{ACCOUNT}:role/service-role/uploads-role"
    path.write_text(path.read_text().replace(arn, arn.replace(ACCOUNT, "999999999999")))
    before = _raw_state(aws)
    r = _run("apply", generated / "policies", "--role", "uploads-role", "--min-age", 0, "--allow-partial", "--yes",
             "--json", "--endpoint-url", aws.endpoint_url)
    out = json.loads(r.output)
    assert r.exit_code == 1 and out["written"] == [] and out["backup"] is None
    assert f"the role of that name here is {arn}, not the snapshot's" in out["refused"][0]["reason"]
    assert _raw_state(aws) == before
