"""The report's pictures: escalation paths, the account overview, per-function reach and diff,
escaping of every label, and the size bound (details packed once past 100 functions)."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

from iam_analyzer import stages
from iam_analyzer.emit import lazy, pictures, report, svg
from tests.emit.account import snapshot, usage


def render(snap, use=None, tmp: Path | None = None, formats=("html", "json")):
    analysis = stages.analyze(snap, use)
    results = stages.generate(snap, use)
    paths = stages.report(snap, use, analysis, results, tmp, formats)
    return Path(paths["html"]).read_text(), json.loads(Path(paths["json"]).read_text())


def section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}"')
    return html[start:html.index("</section>", start)]


def test_escalation_is_drawn_from_principal_through_method_to_power(tmp_path):
    html, model = render(snapshot(), None, tmp_path)
    esc = section(html, "escalations")
    assert '<svg class="pic escalation"' in esc
    titles = re.findall(r"<title[^>]*>([^<]*)</title>", esc)
    assert any(t.startswith("Escalation path: deployer-role can reach administrator") for t in titles)
    assert ">lambda:UpdateFunctionCode<" in esc and ">on public-status<" in esc
    assert ">administrator<" in esc and ">admin-role<" in esc
    assert "dashed" not in esc  # nothing conditional here
    assert model["escalations"] and model["overview"]["counts"]["escalation_edges"] >= 1


def test_a_conditional_step_is_dashed_and_says_what_would_complete_it():
    hop_ok = {"from": "arn:aws:iam::1:user/alice", "to": "arn:aws:iam::1:role/ops", "method": "AssumeRole",
              "conditional": False, "requires": [{"action": "sts:AssumeRole", "resource": "arn:aws:iam::1:role/ops", "result": "ALLOW"}]}
    hop_cond = {"from": "arn:aws:iam::1:role/ops", "to": "arn:aws:iam::1:role/admin", "method": "PassRoleLambdaInvoke",
                "conditional": True, "requires": [
                    {"action": "iam:PassRole", "resource": "arn:aws:iam::1:role/admin", "result": "CONDITIONAL"},
                    {"action": "lambda:CreateFunction", "resource": "*", "result": "ALLOW"}]}
    e = {"principal": "arn:aws:iam::1:user/alice", "principal_type": "user", "path": [hop_ok, hop_cond],
         "yields": "administrator: arn:aws:iam::1:role/admin", "conditional": True}
    p = svg.escalation(e)
    assert [s["dashed"] for s in p["steps"]] == [False, True, False]
    assert p["steps"][1]["completion"] == "needs the condition on iam:PassRole to hold"
    assert [n["label"] for n in p["nodes"]] == ["alice", "ops", "admin", "administrator"]
    # the accuracy analysis may name the missing step itself: that text wins
    e2 = dict(e, requires=[{"action": "lambda:InvokeFunction", "resource": "*"}])
    assert svg.escalation(e2)["steps"][1]["completion"] == "needs lambda:InvokeFunction on *"
    # a path marked conditional with no step marked: its last step is the one drawn dashed
    e3 = dict(e, path=[dict(hop_cond, conditional=False)], requires="a tag aws:ResourceTag/team=ops on the role")
    steps = svg.escalation(e3)["steps"]
    assert steps[0]["dashed"] and steps[0]["completion"] == "a tag aws:ResourceTag/team=ops on the role"
    model = {"escalations": [e], "overview": {"rows": [], "edges": []}}
    html = _render_partial("partials/escalations.svg.j2", model)
    assert html.count('class="esc dashed"') == 1 and "needs the condition on iam:PassRole to hold" in html


def test_a_class_node_is_never_drawn_as_a_principal():
    # the graph's shorthand "any role Lambda can be passed" as a step's target: drawn to the role
    # the finding names (target), the class said in words where nothing names the role
    ci, admin = "arn:aws:iam::1:role/ci", "arn:aws:iam::1:role/admin"
    klass = "class:passable:lambda.amazonaws.com"
    assume = {"from": "arn:aws:iam::1:user/alice", "to": ci, "method": "AssumeRole", "conditional": False,
              "requires": [{"action": "sts:AssumeRole", "resource": ci, "result": "ALLOW"}]}
    pass_ = {"from": ci, "to": klass, "method": "PassRoleLambdaInvoke", "conditional": False, "targets": 3,
             "requires": [{"action": "iam:PassRole", "resource": admin, "result": "ALLOW"}]}
    e = {"principal": "arn:aws:iam::1:user/alice", "principal_type": "user", "path": [assume, pass_],
         "yields": f"administrator: {admin}", "conditional": False, "requires": None, "complete": True,
         "target": admin, "targets": 1}
    p = svg.escalation(e)
    assert [n["label"] for n in p["nodes"]] == ["alice", "ci", "admin", "administrator"]
    assert p["nodes"][2]["sub"] == "role, 1 of 3 targets" and "any role passable to lambda" in p["nodes"][2]["full"]
    assert not any("class:" in n["label"] + n["sub"] for n in p["nodes"])
    edges = pictures.escalation_edges([e])
    assert {(x["from"], x["to"]) for x in edges} == {("arn:aws:iam::1:user/alice", ci), (ci, admin)}
    assert pictures.path_text(e) == "alice \u2014AssumeRole\u2192 ci \u2014PassRoleLambdaInvoke\u2192 admin"
    # nothing names the role: the class is drawn in words, and is never a row of the overview
    lost = dict(e, target=None)
    assert svg.escalation(lost)["nodes"][2]["label"] == "any role passable to lambda"
    assert all(not x["to"].startswith("class:") for x in pictures.escalation_edges([lost]))
    # the first step's target count is the finding's; a step's own needs say what completes it
    e2 = dict(e, path=[dict(pass_, **{"from": e["principal"], "to": admin, "conditional": True,
                                      "needs": "an existing Lambda function that runs as admin"})],
              conditional=True, complete=False, targets=4, requires="an existing Lambda function that runs as admin")
    p2 = svg.escalation(e2)
    assert p2["nodes"][1]["sub"] == "role, 1 of 4 targets" and p2["steps"][0]["dashed"]
    assert p2["steps"][0]["completion"] == "an existing Lambda function that runs as admin"
    assert p2["steps"][0]["completion_lines"] == ["an existing Lambda function that runs as", "admin"]
    assert "has 4 targets" in p2["caption"]


def _render_partial(name, model):
    from iam_analyzer.emit.render import render_template

    return render_template(name, r=model, layout=svg, escalation_limit=10)


def test_overview_groups_functions_by_role_and_names_principals(tmp_path):
    html, model = render(snapshot(), usage(snapshot()), tmp_path)
    rows = {r["name"]: r for r in model["overview"]["rows"]}
    assert rows["admin-role"]["admin"] and rows["admin-role"]["public"] == [
        {"function": "public-status", "how": ["URL auth NONE", "policy: *"]}]
    assert rows["shared-role"]["shared"] and rows["shared-role"]["functions"] == ["worker-a", "worker-b"]
    assert rows["deployer-role"]["escalation"]
    ov = section(html, "overview")
    assert html.index('id="overview"') < html.index('id="summary"')  # at the top
    for name in ("admin-role", "shared-role", "deployer-role", "public-status", "worker-a, worker-b",
                 "administrator", "shared by 2 functions", "URL auth NONE, policy: *"):
        assert name in ov, name
    assert re.search(r'<path d="M[^"]*" class="esc" marker-end', ov)  # an escalation edge between roles


def test_function_reach_per_service_and_policy_diff(tmp_path):
    html, model = render(snapshot(), usage(snapshot()), tmp_path)
    fn = next(f for f in model["functions"] if f["name"] == "worker-a")
    assert fn["reach"]["used"] == {"s3": 1}
    assert fn["reach"]["unused"]["dynamodb"] > 10 and "s3" in fn["reach"]["unused"]
    assert fn["reach"]["kept"].get("s3")
    signs = {(line["sign"], line["text"].split(" on ")[0]) for line in fn["diff"]["lines"]}
    assert ("-", "Allow dynamodb:*, s3:*") in signs
    # S3 data events were recorded for one bucket only: S3's object actions on * cannot be proven
    # unused, so the generated policy keeps them (unverified) and grants the s3:GetObject seen
    assert any(s == "+" and t.startswith("Allow s3:") for s, t in signs)
    assert "s3:GetObject" in {a for st in fn["policy"][0]["Statement"] for a in st["Action"]}
    assert fn["evidence"]["verdict"] == "sufficient" and fn["unverified"] > 0
    details = section(html, "details")
    assert "reachable, never used" in details and "kept by the generated policy" in details
    assert '<span class="ddel">- Allow dynamodb:*, s3:* on *</span>' in details


def test_every_label_is_escaped_and_free_of_control_characters(tmp_path):
    html, _ = render(snapshot(evil=True), None, tmp_path)
    for sid in ("overview", "escalations", "details"):
        part = section(html, sid)
        assert "<script>window.__xss" not in part, sid
        if sid != "details":  # the pictures' labels; details also hold the raw names as text
            assert "\x07" not in part, sid
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;&amp;&#34;&#39;" in section(html, "overview")
    assert svg.escape("<a & 'b' \"c\"\x00\x1b>") == "&lt;a &amp; &#39;b&#39; &quot;c&quot;  &gt;"
    assert svg.label("x\ny\tz", 10) == "x y z" and svg.label("abcdefghijkl", 5) == "abcd\u2026"


def test_past_100_functions_details_travel_once_compressed(tmp_path):
    html, model = render(snapshot(extra_functions=150), None, tmp_path)
    assert len(model["functions"]) == 154
    drawn = lazy.drawn(model)
    # the administrator's function and the escalating role's function are drawn up front
    assert {f["arn"] for f in model["functions"] if f["name"] in ("public-status", "deployer")} <= drawn
    assert len(drawn) <= lazy.DRAWN_LIMIT
    blob = re.search(r'<script type="application/octet-stream" id="lazy-details">([^<]+)</script>', html).group(1)
    bodies = json.loads(gzip.decompress(base64.b64decode(blob)))
    assert len(bodies) == 154 - len(drawn) and html.count("data-lazy-slot=") == len(bodies)
    assert all("reachable, never used" in b for b in bodies.values())
    assert "<!--lazy:" not in html
    assert report.to_html(model) == html  # deterministic: same model, same bytes


def test_a_class_of_existing_resources_is_named_in_words():
    assert pictures.class_label("class:existing:codebuild.amazonaws.com:111122223333") == \
        "any role an existing codebuild resource may run as"
