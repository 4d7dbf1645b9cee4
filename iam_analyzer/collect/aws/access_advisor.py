"""IAM Access Advisor for execution roles (``scan --access-advisor``).

For each role, ``GenerateServiceLastAccessedDetails`` (Granularity ``ACTION_LEVEL``: IAM adds
per-action times for the services it tracks at that level) starts a job; the job is polled
with ``GetServiceLastAccessedDetails`` (paged with Marker) until it completes. Jobs run on a
small thread pool: IAM throttles this API at a modest rate, so concurrency is bounded
(``workers``) and a throttled call is retried with exponential backoff and jitter, on top of
botocore's own retries. A role whose report cannot be had gets ``AccessAdvisor(error=...)``
and the scan goes on.

The report is stored on the snapshot's ``Role.access_advisor``: it describes the role (like
its policies and ``last_used``), is read with the scan's credentials in each account, and
does not depend on any trail. ``analyze.access_advisor.trail_gaps`` compares it with a
usage document.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Callable, Iterable

import botocore.exceptions

from iam_analyzer.collect.aws.session import error_code
from iam_analyzer.model import AccessAdvisor, ActionLastAccessed, Role, ServiceLastAccessed

log = logging.getLogger(__name__)

THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
             "LimitExceeded", "LimitExceededException"}
DEFAULT_WORKERS = 4


def _iso(t) -> str | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(t)


class _Backoff:
    def __init__(self, attempts: int, base: float, sleep: Callable[[float], None]):
        self.attempts, self.base, self.sleep = attempts, base, sleep

    def call(self, fn, **kwargs):
        for attempt in range(self.attempts):
            try:
                return fn(**kwargs)
            except botocore.exceptions.ClientError as e:
                code, _ = error_code(e)
                if code not in THROTTLED or attempt == self.attempts - 1:
                    raise
                delay = self.base * (2 ** attempt) * (0.5 + random.random() / 2)
                log.info("%s throttled; retrying in %.1fs", fn.__name__ if hasattr(fn, "__name__") else "call", delay)
                self.sleep(delay)
        raise AssertionError("unreachable")


def _report(pages: list[dict]) -> AccessAdvisor:
    services = []
    for page in pages:
        for s in page.get("ServicesLastAccessed", []):
            ns = s.get("ServiceNamespace", "")
            actions = [ActionLastAccessed(action=f"{ns}:{a['ActionName']}", last_accessed=_iso(a.get("LastAccessedTime")),
                                          last_accessed_region=a.get("LastAccessedRegion"),
                                          last_accessed_entity=a.get("LastAccessedEntity"))
                       for a in s.get("TrackedActionsLastAccessed", []) or []]
            services.append(ServiceLastAccessed(
                service_namespace=ns, service_name=s.get("ServiceName", ""),
                last_authenticated=_iso(s.get("LastAuthenticated")),
                last_authenticated_region=s.get("LastAuthenticatedRegion"),
                last_authenticated_entity=s.get("LastAuthenticatedEntity"),
                actions=sorted(actions, key=lambda a: a.action)))
    services.sort(key=lambda s: s.service_namespace)
    return AccessAdvisor(generated_at=_iso(pages[0].get("JobCompletionDate")) if pages else None, services=services)


def role_report(client, role_arn: str, *, poll: float = 1.0, max_wait: float = 300.0, attempts: int = 6,
                sleep: Callable[[float], None] = time.sleep) -> AccessAdvisor:
    """Access Advisor's report for one role (never raises for AWS errors: see ``error``)."""
    b = _Backoff(attempts, poll, sleep)
    try:
        job = b.call(client.generate_service_last_accessed_details, Arn=role_arn, Granularity="ACTION_LEVEL")["JobId"]
        waited = 0.0
        delay = poll
        while True:
            page = b.call(client.get_service_last_accessed_details, JobId=job)
            status = page.get("JobStatus")
            if status == "COMPLETED":
                break
            if status == "FAILED":
                err = page.get("Error") or {}
                return AccessAdvisor(error=f"job failed: {err.get('Code', '')} {err.get('Message', '')}".strip())
            if waited >= max_wait:
                return AccessAdvisor(error=f"job {job} still {status} after {max_wait:.0f}s")
            sleep(delay)
            waited += delay
            delay = min(delay * 2, 8.0)
        pages = [page]
        while page.get("IsTruncated") and page.get("Marker"):
            page = b.call(client.get_service_last_accessed_details, JobId=job, Marker=page["Marker"])
            pages.append(page)
        return _report(pages)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        code, message = error_code(e)
        return AccessAdvisor(error=f"{code}: {message}"[:300])


def collect(client, roles: Iterable[Role], *, workers: int = DEFAULT_WORKERS, progress=None,
            **kwargs) -> int:
    """Fill ``role.access_advisor`` for each role, ``workers`` jobs at a time. Returns how
    many roles got a report."""
    roles = list(roles)
    if not roles:
        return 0
    done = 0

    def one(role: Role) -> None:
        role.access_advisor = role_report(client, role.arn, **kwargs)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(roles)))) as pool:
        for i, _ in enumerate(pool.map(one, roles)):
            if progress:
                progress("access advisor", i + 1, len(roles))
    for role in roles:
        if role.access_advisor and role.access_advisor.error is None:
            done += 1
    return done


def execution_roles(account) -> list[Role]:
    """The account's roles that Lambda functions run as."""
    used = {f.role_arn for f in account.functions}
    return [r for r in account.roles if r.arn in used]
