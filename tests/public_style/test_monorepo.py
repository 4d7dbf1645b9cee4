"""Every public-style project in one repository, checked from its root: each project is read once
with its own kind, every function of every project is found, and an unchanged repository shows no
access change against HEAD."""

from __future__ import annotations

from .common import ROOT, check, committed
from .test_serverless_projects import EXPECTED as SERVICES
from .test_terraform_projects import EXPECTED as CONFIGS


def test_the_whole_repository_checked_from_its_root(tmp_path, monkeypatch):
    root = committed(ROOT, tmp_path)
    monkeypatch.chdir(root)
    code, doc, _ = check(".", "--base", "HEAD", "--fail-on", "high", "--fail-on-new-access")
    assert [i for i in doc["inputs"] if i["errors"]] == []
    assert {i["kind"] for i in doc["inputs"]} == {"serverless", "terraform"}
    expected = sorted(n for e in (SERVICES, CONFIGS) for fns in e.values() for n in fns)
    assert sorted(f["name"] for f in doc["functions"]) == expected
    assert doc["new_access"] == [] and doc["removed_access"] == []
    assert code == 0
