"""Environment variables: what a value references, and whether it looks like a secret.

Every value is inspected once, in memory, by ``inspect``; what comes out is the variable's
name, the verdict (``looks_secret`` and which pattern) and the ARNs of AWS resources the
value names. The value itself never leaves this function: not in the result, not in a log
line, not in an exception message.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.model import EnvVar

# (pattern name, regex on the value)
_VALUE_PATTERNS = (
    ("aws-access-key-id", re.compile(r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("private-key", re.compile(r"-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("github-token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("stripe-key", re.compile(r"\b[sr]k_(live|test)_[A-Za-z0-9]{16,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("url-with-password", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
    ("connection-string-password", re.compile(r"(?i)(password|pwd)=[^;\s]{3,}")),
)
_SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|"
    r"auth[_-]?key|access[_-]?key|client[_-]?secret|signing[_-]?key|encryption[_-]?key|session[_-]?key|dsn)"
)
# an SSM parameter's name (``/app/db-password``): where a secret is kept, not the secret
_PARAMETER_PATH = re.compile(r"/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
# a variable whose name says it holds a reference (``DB_PASSWORD_PARAM_NAME``, ``API_KEY_SSM_PATH``)
_REFERENCE_NAME = re.compile(r"(?i)(?:^|_)(?:arn|name|param|parameter|path|ssm)$")
_BENIGN_VALUES = re.compile(r"(?i)^(true|false|yes|no|on|off|none|null|\d{1,6}|debug|info|warn|error|prod|dev|test|staging)$")
_QUEUE_URL = re.compile(r"^https://(?:sqs\.)?([a-z0-9-]+)\.(?:queue\.)?amazonaws\.com(?:\.cn)?/(\d{12})/([A-Za-z0-9_.-]+)$")
_QUEUE_URL_LEGACY = re.compile(r"^https://queue\.amazonaws\.com/(\d{12})/([A-Za-z0-9_.-]+)$")
_ANY_QUEUE_URL = re.compile(r"^https?://[^/\s]+/(\d{12})/([A-Za-z0-9_.-]{1,80})$")  # VPC endpoints, emulators
_S3_URL = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$")
_ARN_IN_TEXT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s,;\"']+")


@dataclass
class ResourceIndex:
    """Names of resources that exist in an account/region, for recognising bare names."""

    by_name: dict[str, set[str]] = field(default_factory=dict)  # name -> ARNs

    def add(self, name: str, arn: str) -> None:
        self.by_name.setdefault(name, set()).add(arn)

    def lookup(self, name: str) -> set[str]:
        return self.by_name.get(name, set())

    def merge(self, other: "ResourceIndex") -> "ResourceIndex":
        out = ResourceIndex({k: set(v) for k, v in self.by_name.items()})
        for k, v in other.by_name.items():
            out.by_name.setdefault(k, set()).update(v)
        return out


def _entropy(s: str) -> float:
    counts = Counter(s)
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _references(value: str, index: ResourceIndex) -> list[str]:
    v = value.strip()
    refs: set[str] = set()
    for m in _ARN_IN_TEXT.finditer(v):
        if arnlib.is_arn(m.group(0)):
            refs.add(m.group(0))
    m = _QUEUE_URL.match(v)
    if m:
        region, account, name = m.groups()
        refs.add(f"arn:aws:sqs:{region}:{account}:{name}")
    m = _QUEUE_URL_LEGACY.match(v)
    if m:
        account, name = m.groups()
        refs.add(f"arn:aws:sqs:us-east-1:{account}:{name}")
    m = _ANY_QUEUE_URL.match(v)
    if m and not refs:
        account, name = m.groups()
        refs.update(a for a in index.lookup(name) if a.startswith("arn:") and ":sqs:" in a and f":{account}:" in a)
    m = _S3_URL.match(v)
    if m:
        refs.add(f"arn:aws:s3:::{m.group(1)}")
    if not refs and 0 < len(v) <= 512 and "\n" not in v:
        refs.update(index.lookup(v))
        if not v.startswith("/"):
            refs.update(a for a in index.lookup("/" + v) if ":parameter/" in a)
    return sorted(refs)


def _secret_verdict(name: str, value: str, has_refs: bool) -> str | None:
    for label, rx in _VALUE_PATTERNS:
        if rx.search(value):
            return label
    if has_refs:
        return None  # it names a resource (an ARN, a secret's name), it is not the secret
    v = value.strip()
    if not v or v == "*" or _BENIGN_VALUES.match(v):
        return None  # "*": a value the readers only know at deployment (SSM, a secret's reference)
    if _SECRET_NAME.search(name) and not _PARAMETER_PATH.fullmatch(v) and not _REFERENCE_NAME.search(name):
        return "secret-like-name"
    if len(v) >= 32 and " " not in v and re.fullmatch(r"[A-Za-z0-9+/=_-]+", v) and _entropy(v) >= 4.2:
        return "high-entropy"
    return None


def inspect(name: str, value: str | None, index: ResourceIndex | None = None) -> EnvVar:
    """The stored form of one variable: its name, references and secret verdict. Never the value."""
    value = value or ""
    refs = _references(value, index or ResourceIndex())
    pattern = _secret_verdict(name, value, bool(refs))
    return EnvVar(name=name, looks_secret=pattern is not None, secret_pattern=pattern,
                  references=[] if pattern else refs)


def inspect_all(variables: dict[str, str] | None, index: ResourceIndex | None = None) -> list[EnvVar]:
    return [inspect(k, v, index) for k, v in sorted((variables or {}).items())]
