"""Two engines, one answer on hostile logs: ``--engine duckdb`` gives the document
``--engine files`` gives, whatever the records hold, whatever the files are named, and within a
memory cap; never a crash (exit 3)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from iam_analyzer.cli import main
from iam_analyzer.collect.cloudtrail import duckdb_checks, duckdb_engine
from iam_analyzer.collect.cloudtrail.pipeline import Window, run, to_document
from iam_analyzer.collect.cloudtrail.sources import FolderSource
from iam_analyzer.collect.cloudtrail.synth import Caller, record

ACCOUNT = "123456789012"
CALLER = Caller(ACCOUNT, "app-role", "app-fn")
T0 = datetime(2026, 11, 1, 10, tzinfo=timezone.utc)
WINDOW = Window("2026-11-01T00:00:00Z", "2026-11-02T23:59:59Z")


def good(i: int = 0, **changes) -> dict:
    r = record(CALLER, T0 + timedelta(minutes=i), "dynamodb.amazonaws.com", "GetItem", {"tableName": "orders"},
               [{"ARN": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"}])
    r.update(changes)
    return r


def folder(root: Path) -> Path:
    d = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "11" / "01"
    d.mkdir(parents=True, exist_ok=True)
    return d


def write(root: Path, name: str, doc, raw: bytes | None = None) -> Path:
    p = folder(root) / name
    p.write_bytes(gzip.compress(raw if raw is not None else json.dumps(doc).encode()))
    return p


def both(root: Path) -> tuple[dict, dict]:
    """The usage documents of the two engines, without what names the run."""
    units = list(FolderSource(root).units())
    out = []
    for agg in (run(units, WINDOW, workers=1), duckdb_engine.run(units, WINDOW)):
        doc = to_document(agg, WINDOW, [])
        doc.pop("created_at")
        out.append(doc)
    return out[0], out[1]


def test_null_or_missing_event_source_and_name(tmp_path):
    missing_source = {k: v for k, v in good(3).items() if k != "eventSource"}
    missing_name = {k: v for k, v in good(4).items() if k != "eventName"}
    write(tmp_path, "a.json.gz", {"Records": [good(0), good(1, eventSource=None), good(2, eventName=None)]})
    write(tmp_path, "b.json.gz", {"Records": [good(5), missing_source, missing_name]})
    files, duck = both(tmp_path)
    assert duck == files
    assert files["files"]["read"] == 2
    assert files["events"]["records_skipped"] == 2  # the nulls; missing fields read as ""
    assert files["events"]["total"] == 4


def test_every_record_wrongly_typed_is_exit_2_not_3(tmp_path):
    write(tmp_path, "a.json.gz", {"Records": [{"eventTime": 5, "eventSource": 3, "eventName": [1], "userIdentity": "x"},
                                             {"eventTime": True, "eventName": {}}, 7, None]})
    files, duck = both(tmp_path)
    assert duck == files and files["files"]["read"] == 0 and len(files["files"]["skipped"]) == 1
    res = CliRunner().invoke(main, ["usage", "--engine", "duckdb", "--cloudtrail", str(tmp_path),
                                    "-o", str(tmp_path / "u.json")])
    assert res.exit_code == 2, res.output
    assert "no CloudTrail file could be read" in res.output


def test_bad_event_times_are_dropped_and_counted_alike(tmp_path):
    write(tmp_path, "a.json.gz", {"Records": [
        good(0), good(1, eventTime="9999-12-31T00:00:00Z"), good(2, eventTime="garbage"), good(3, eventTime=12345),
        good(4, eventTime="2026-11-01 10:04:00")]})
    files, duck = both(tmp_path)
    assert duck == files
    assert files["events"]["total"] == 1
    assert files["window"]["last_event"] == "2026-11-01T10:00:00Z"  # never 9999
    (skipped,) = files["files"]["skipped_records"]
    assert skipped["count"] == 4


def test_wrong_types_in_some_records(tmp_path):
    write(tmp_path, "a.json.gz", {"Records": [
        good(0), good(1, errorCode=5), good(2, managementEvent="yes"), good(3, resources="x"),
        good(4, requestParameters=[1, 2]), good(5, userIdentity={"arn": 5}), good(6, requestParameters={"key": [[1]]}),
        good(7, managementEvent="true"), good(8, requestParameters={"tableName": "orders", "limit": 1e400}), 5, "x"]})
    files, duck = both(tmp_path)
    assert duck == files
    assert files["files"]["read"] == 1 and files["events"]["total"] >= 2


@pytest.mark.parametrize("records", [{"a": 1}, "abc", None, 5])
def test_a_file_whose_records_is_not_a_list_is_not_read(tmp_path, records):
    write(tmp_path, "bad.json.gz", {"Records": records})
    write(tmp_path, "good.json.gz", {"Records": [good(0)]})
    files, duck = both(tmp_path)
    assert duck == files
    assert files["files"]["read"] == 1
    assert [s["path"].rsplit("/", 1)[-1] for s in files["files"]["skipped"]] == ["bad.json.gz"]


def test_names_with_glob_characters_are_read_as_names(tmp_path):
    write(tmp_path, "a*.json.gz", {"Records": [good(0)]})
    write(tmp_path, "ab.json.gz", {"Records": [good(1), good(2)]})
    write(tmp_path, "x[1].json.gz", {"Records": [good(3)]})
    write(tmp_path, "x1.json.gz", {"Records": [good(4), good(5), good(6)]})
    write(tmp_path, "q?.json.gz", {"Records": [good(7)]})
    write(tmp_path, "qq.json.gz", {"Records": [good(8)]})
    files, duck = both(tmp_path)
    assert duck == files
    assert files["files"]["read"] == 6 and files["events"]["total"] == 9


def test_a_good_file_named_like_the_start_of_a_broken_one_is_read(tmp_path):
    good_file = write(tmp_path, "log.json", {"Records": [good(0), good(1)]})
    broken = folder(tmp_path) / "log.json.gz"
    broken.write_bytes(gzip.compress(json.dumps({"Records": [good(2)]}).encode())[:30])
    assert str(broken).startswith(str(good_file))
    files, duck = both(tmp_path)
    assert duck == files
    assert files["files"]["read"] == 1 and files["events"]["total"] == 2
    assert [s["path"] for s in files["files"]["skipped"]] == [str(broken)]


def test_memory_and_threads_follow_the_budget():
    lim = duckdb_checks.limits(budget=4 << 30)
    assert lim.memory == 2 << 30
    assert 1 <= lim.threads <= min(os.cpu_count() or 1, 8)
    assert lim.largest <= lim.memory // (16 * lim.threads)
    small = duckdb_checks.limits(budget=512 << 20)
    assert small.threads == 1 and small.largest == 16 << 20


def test_a_record_too_large_for_duckdbs_share_is_read_by_the_file_path(tmp_path, monkeypatch):
    big = good(0, requestParameters={"tableName": "orders", "padding": "p" * (20 << 20)})
    write(tmp_path, "big.json.gz", {"Records": [big, good(1)]})
    write(tmp_path, "small.json.gz", {"Records": [good(2)]})
    monkeypatch.setattr(duckdb_checks, "memory_budget", lambda: 512 << 20)
    seen = []
    real = duckdb_checks.check_query
    monkeypatch.setattr(duckdb_checks, "check_query", lambda files, m: seen.extend(files) or real(files, m))
    files, duck = both(tmp_path)
    assert duck == files and files["events"]["total"] == 3
    assert [Path(f).name for f in seen] == ["small.json.gz"]  # the big one never reached DuckDB


_CAPPED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from iam_analyzer.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_a_300_mb_record_under_a_4_gb_cap_with_default_threads(tmp_path):
    payload = json.dumps({"Records": [good(0, requestParameters={"tableName": "orders", "padding": "PAD"}), good(1)]})
    write(tmp_path / "trail", "big.json.gz", None, raw=payload.replace("PAD", "p" * (300 << 20)).encode())
    docs = {}
    for engine in ("files", "duckdb"):
        out = tmp_path / f"{engine}.json"
        p = subprocess.run([sys.executable, "-c", _CAPPED, "usage", "--engine", engine, "--cloudtrail",
                            str(tmp_path / "trail"), "--since", "2026-10-30", "--until", "2026-11-03", "-o", str(out)],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        docs[engine] = {k: v for k, v in json.loads(out.read_text()).items() if k not in ("created_at", "sources")}
    assert docs["duckdb"] == docs["files"]
    assert docs["files"]["events"]["total"] == 2
