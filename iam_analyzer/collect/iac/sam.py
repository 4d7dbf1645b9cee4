"""SAM templates, transformed offline by the real translator (``aws-sam-translator``).

The translator is given everything it would otherwise ask AWS for: the region and partition
(a stand-in session), the AWS managed policy names -> ARNs (from the shipped data, so
``Policies: [AmazonS3ReadOnlyAccess]`` works), and parameter values (defaults, then overrides).
Serverless applications (``AWS::Serverless::Application``) would make the translator call the
Serverless Application Repository: they are turned into plain nested stacks first.

Translation is the slow step (tens of milliseconds per template, and a quarter of a second to
import the translator), so results are cached per (template content, parameters, region,
account): for the life of the process (a CI check that reads the base and the head of a pull
request translates each unchanged template once), and on disk in the user's cache folder,
keyed also by the translator's version and the managed-policy data, so a pre-commit hook
that checks an unchanged template does not import the translator at all.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import threading
from types import SimpleNamespace
from typing import Any

from iam_analyzer.iam import managed_policies

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
SAR_PLACEHOLDER = "serverless-application"  # TemplateURL given to applications from the repository
_CACHE: dict[str, Any] = {}
_CACHE_MAX = 4096
_LOCK = threading.Lock()
_DISK_FORMAT = 1
_DISK_MAX = 256  # translations kept on disk; the oldest go first


class SamError(ValueError):
    pass


def is_sam(template: dict) -> bool:
    t = template.get("Transform")
    names = t if isinstance(t, list) else [t]
    if any(isinstance(n, str) and n.startswith("AWS::Serverless") for n in names):
        return True
    res = template.get("Resources")
    return isinstance(res, dict) and any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::Serverless::") for r in res.values())


class _PolicyMap:
    """What the translator calls for AWS managed policy names: answered from shipped data."""

    def __init__(self, partition: str):
        self.partition = partition

    def load(self) -> dict[str, str]:
        return managed_policies.names_to_arns(self.partition)


def _prepare(template: dict) -> dict:
    t = copy.deepcopy(template)
    # SAM accepts the transform as a list with other (macro) transforms: keep only SAM's.
    tr = t.get("Transform")
    if isinstance(tr, list):
        t["Transform"] = SAM_TRANSFORM
    elif tr is None:
        t["Transform"] = SAM_TRANSFORM
    glob = t.get("Globals")
    for section in (glob.values() if isinstance(glob, dict) else ()):
        if isinstance(section, dict):
            _local_uris(section)
    for logical, res in list((t.get("Resources") or {}).items()):
        if isinstance(res, dict) and isinstance(res.get("Properties"), dict):
            _local_uris(res["Properties"])
        if isinstance(res, dict) and res.get("Type") == "AWS::Serverless::Application":
            props = res.get("Properties") or {}
            loc = props.get("Location")
            res["Type"] = "AWS::CloudFormation::Stack"
            res["Properties"] = {"TemplateURL": loc if isinstance(loc, str) else SAR_PLACEHOLDER,
                                 "Parameters": props.get("Parameters") or {}}
    return t


_URI_PROPS = ("CodeUri", "ContentUri", "DefinitionUri")


def _local_uris(props: dict) -> None:
    """``CodeUri: src/`` is a local folder that ``sam package`` uploads: the translator wants an
    S3 URI, and the code's location does not change permissions, so stand one in."""
    for key in _URI_PROPS:
        v = props.get(key)
        if isinstance(v, str) and not v.startswith("s3://"):
            props[key] = "s3://iam-analyzer-local/" + (v.strip("./") or "code")


def transform(template: dict, params: dict[str, Any], region: str, partition: str, account: str) -> dict:
    """The CloudFormation template SAM would deploy. Raises ``SamError`` with the translator's message."""
    key_src = json.dumps([template, params, region, partition, account], sort_keys=True, default=str)
    key = hashlib.sha256(key_src.encode()).hexdigest()
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return copy.deepcopy(hit)
    disk = _disk_path(key_src)
    out = _disk_read(disk) if disk else None
    if out is None:
        out = _translate(_prepare(template), params, region, partition, account)
        if disk:
            try:  # what a later run reads back, so the first run sees exactly the same
                text = json.dumps(out, separators=(",", ":"))
                out = json.loads(text)
            except (TypeError, ValueError, RecursionError):
                text = None
            if text is not None:
                _disk_write(disk, text)
    with _LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = out
    return copy.deepcopy(out)


# -- the translations on disk -----------------------------------------------------------------


def _translator_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("aws-sam-translator")
    except metadata.PackageNotFoundError:
        return None


def _disk_path(key_src: str) -> str | None:
    """Where this translation is kept: named by everything the output depends on."""
    version = _translator_version()
    if version is None:
        return None
    from iam_analyzer import __version__
    from iam_analyzer.iam.catalog_cache import cache_dir

    try:
        st = os.stat(managed_policies.DATA_FILE)
        data = f"{st.st_mtime_ns}:{st.st_size}"
    except OSError:
        data = "-"
    ident = json.dumps([_DISK_FORMAT, version, __version__, data, key_src])
    return os.path.join(cache_dir(), "sam", hashlib.sha256(ident.encode()).hexdigest() + ".json")


def _disk_read(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("Resources"), dict) else None


def _disk_write(path: str, text: str) -> None:
    """Atomically, keeping the newest ``_DISK_MAX`` translations; a folder that cannot be
    written only means translating next time."""
    from iam_analyzer.iam.catalog_cache import write_cache_file

    def oldest(others: list[str]) -> list[str]:
        kept = [p for p in others if p.endswith(".json")]
        if len(kept) < _DISK_MAX:
            return []
        kept.sort(key=lambda p: os.stat(p).st_mtime_ns)
        return kept[: len(kept) + 1 - _DISK_MAX]

    write_cache_file(path, text.encode("utf-8"), oldest)


_PATCHED = False


def _reuse_policy_templates() -> None:
    """The translator re-reads and re-validates its policy templates file (a JSON Schema
    check, ~50 ms) on every template; the file is static, so build its processor once."""
    global _PATCHED
    if _PATCHED:
        return
    _PATCHED = True
    try:
        from samtranslator.plugins.policies.policy_templates_plugin import PolicyTemplatesForResourcePlugin
        from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
        from samtranslator.translator import translator as tr
    except ImportError:  # a translator without these internals: keep its own behaviour
        return
    processor = PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())
    if hasattr(tr, "make_policy_template_for_function_plugin"):
        tr.make_policy_template_for_function_plugin = lambda: PolicyTemplatesForResourcePlugin(processor)


def _translate(template: dict, params: dict[str, Any], region: str, partition: str, account: str) -> dict:
    _reuse_policy_templates()
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError as e:  # pragma: no cover - install_requires has it
        raise SamError(f"the SAM translator is not installed ({e})") from None
    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)  # its own errors come back as exceptions
    values = dict(params)
    values.setdefault("AWS::Region", region)
    values.setdefault("AWS::Partition", partition)
    values.setdefault("AWS::AccountId", account)
    session = SimpleNamespace(region_name=region)  # the translator only reads region_name
    policy_map = _PolicyMap(partition)
    translator = Translator(None, Parser(), boto_session=session)  # type: ignore[arg-type]
    try:
        return translator.translate(template, parameter_values=values,
                                    get_managed_policy_map=policy_map.load)
    except InvalidDocumentException as e:
        msgs = sorted({getattr(c, "message", str(c)) for c in getattr(e, "causes", [])}) or [str(e)]
        raise SamError("SAM translator: " + "; ".join(m.replace("\n", " ") for m in msgs)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise SamError(f"SAM translator failed: {type(e).__name__}: {e}") from None
