"""What a pre-commit hook pays at start: `lint` loads none of the heavy libraries, and `check`
of a SAM template it has seen before does not load the SAM translator (issue #28). Times
are measured in benchmarks/startup.py, never here."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import DATA

HEAVY = ("samtranslator", "boto3", "networkx", "jinja2", "tree_sitter")

_PROBE = """
import json, sys
from iam_analyzer.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "loaded": sorted(m for m in %r if m in sys.modules)}), file=sys.stderr)
""" % (HEAVY,)


def _run(args, cache, tmp_path):
    env = {"IAM_ANALYZER_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    probe = json.loads(p.stderr.strip().splitlines()[-1])
    return p.stdout, probe


def test_lint_loads_no_heavy_library(tmp_path):
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}))
    out, probe = _run(["lint", str(policy)], tmp_path / "cache", tmp_path)
    assert probe["exit"] == 0, out
    assert probe["loaded"] == []


def test_check_of_an_unchanged_sam_template_does_not_load_the_translator(tmp_path):
    template = DATA / "iac" / "sam" / "template.yaml"
    cache = tmp_path / "cache"
    first, p1 = _run(["check", str(template), "--format", "json"], cache, tmp_path)
    assert "samtranslator" in p1["loaded"]  # the first run translates
    second, p2 = _run(["check", str(template), "--format", "json"], cache, tmp_path)
    assert "samtranslator" not in p2["loaded"]
    assert p1["exit"] == p2["exit"] and p1["exit"] in (0, 1)
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in ("created_at", "generated_at")}
    assert strip(first) == strip(second)
    assert json.loads(second)["functions"] or json.loads(second).get("summary")


def test_a_changed_template_is_translated_again(tmp_path):
    src = (DATA / "iac" / "sam" / "template.yaml").read_text()
    template = tmp_path / "template.yaml"
    template.write_text(src)
    cache = tmp_path / "cache"
    _run(["check", str(template), "--format", "json"], cache, tmp_path)
    template.write_text(src.replace("FunctionName: orders-api", "FunctionName: orders-api-v2"))
    out, probe = _run(["check", str(template), "--format", "json"], cache, tmp_path)
    assert "samtranslator" in probe["loaded"]
    assert "orders-api-v2" in out
