"""boto3 sessions and clients: credentials, retries, endpoint override, call recording.

This package (``iam_analyzer.collect.aws``) is the only code that imports boto3.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import boto3
import botocore.config
import botocore.exceptions

log = logging.getLogger("iam_analyzer.collect.aws")

# Adaptive retries back off on throttling; the pool matches the scanner's thread count.
DEFAULT_CONFIG = botocore.config.Config(
    retries={"mode": "adaptive", "max_attempts": 8},
    max_pool_connections=32,
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="iam-analyzer",
)


@dataclass
class CallLog:
    """Counts every API call made (service, operation), thread-safely."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, service: str, operation: str) -> None:
        with self.lock:
            self.counts[(service, operation)] = self.counts.get((service, operation), 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Clients:
    """Creates and caches clients per (service, region) for one set of credentials."""

    def __init__(self, session: boto3.session.Session, endpoint_url: str | None = None,
                 config: botocore.config.Config | None = None, call_log: CallLog | None = None):
        self.session = session
        self.endpoint_url = endpoint_url
        self.config = config or DEFAULT_CONFIG
        self.call_log = call_log or CallLog()
        self._cache: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self._hooks: list = []

    def add_hook(self, fn) -> None:
        """Register ``fn(service, operation, params)`` to run before every call (tests, -v)."""
        self._hooks.append(fn)

    def client(self, service: str, region: str):
        key = (service, region)
        with self._lock:
            c = self._cache.get(key)
            if c is None:
                c = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self.config)
                c.meta.events.register("before-call", self._before_call)
                self._cache[key] = c
            return c

    def _before_call(self, model, params, **_kw) -> None:
        service = model.service_model.service_name
        self.call_log.record(service, model.name)
        log.debug("call %s.%s", service, model.name)
        for fn in self._hooks:
            fn(model.service_model.signing_name or service, model.name, params)

    def for_credentials(self, credentials: dict) -> "Clients":
        """Clients for assumed-role credentials, sharing this object's endpoint, config and log."""
        s = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.session.region_name,
        )
        other = Clients(s, self.endpoint_url, self.config, self.call_log)
        other._hooks = self._hooks
        return other


def make_session(profile: str | None = None, region: str | None = None) -> boto3.session.Session:
    """The standard credential chain (environment, profile, SSO, instance role ...)."""
    try:
        return boto3.session.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as e:
        raise UsageError(str(e)) from None


class UsageError(Exception):
    """The scan cannot start (bad profile, no credentials): exit code 2."""


def error_code(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return err.get("Code", "ClientError"), err.get("Message", str(exc))
    return type(exc).__name__, str(exc)
