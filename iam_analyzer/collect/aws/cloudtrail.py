"""CloudTrail sources that talk to AWS: log files in S3, and the LookupEvents API."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterator

from iam_analyzer.collect.cloudtrail.records import decode_record
from iam_analyzer.collect.cloudtrail.sources import LOG_SUFFIXES, NOT_LOGS, Unit
from iam_analyzer.collect.aws.session import Clients

_YEAR = re.compile(r"/CloudTrail/[a-z0-9-]+/(\d{4})/$")
_MONTH = re.compile(r"/CloudTrail/[a-z0-9-]+/(\d{4})/(\d{2})/$")
_DAY = re.compile(r"/CloudTrail/[a-z0-9-]+/(\d{4})/(\d{2})/(\d{2})/$")
_SKIP = tuple(f"{name}/" for name in NOT_LOGS)


def parse_s3_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url}")
    rest = url[5:]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url}")
    return bucket, prefix


class S3Source:
    """CloudTrail log files under ``s3://bucket/prefix``: only date folders inside the window
    are listed; objects are read by the workers."""

    def __init__(self, clients: Clients, url: str, region: str, since: date | None = None, until: date | None = None):
        self.clients = clients
        self.url = url
        self.bucket, self.prefix = parse_s3_url(url)
        self.region = region
        self.since, self.until = since, until
        self.outside_window = 0  # date folders left out
        self.outside_days: list[date] = []  # first and last date of those folders

    def describe(self) -> dict:
        return {"type": "s3", "location": self.url}

    def _in_window(self, y: int, m: int | None = None, d: int | None = None) -> bool:
        lo = self.since or date.min
        hi = self.until or date.max
        if m is None:
            return lo.year <= y <= hi.year
        if d is None:
            return (lo.year, lo.month) <= (y, m) <= (hi.year, hi.month)
        try:
            return lo <= date(y, m, d) <= hi
        except ValueError:
            return False

    def units(self) -> Iterator[Unit]:
        s3 = self.clients.client("s3", self.region)
        paginator = s3.get_paginator("list_objects_v2")
        stack = [self.prefix]
        while stack:
            prefix = stack.pop()
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    if key.endswith(LOG_SUFFIXES):
                        yield Unit("s3", f"s3://{self.bucket}/{key}")
                subs = [cp["Prefix"] for cp in page.get("CommonPrefixes", [])]
                for sub in sorted(subs, reverse=True):
                    if any(sub.endswith(s) for s in _SKIP):
                        continue
                    probe = "/" + sub
                    m = _DAY.search(probe) or _MONTH.search(probe) or _YEAR.search(probe)
                    if m and not self._in_window(*(int(g) for g in m.groups())):
                        self.outside_window += 1
                        parts = [int(g) for g in m.groups()] + [1, 1]
                        try:
                            d = date(parts[0], parts[1], parts[2])
                        except ValueError:
                            continue
                        self.outside_days = [min([d, *self.outside_days[:1]]), max([d, *self.outside_days[-1:]])]
                        continue
                    stack.append(sub)


def s3_reader_factory(endpoint_url: str | None, region: str, profile: str | None = None) -> Callable[[], Callable[[str], bytes]]:
    """Builds, inside a worker process, a function that downloads ``s3://bucket/key``."""

    def factory() -> Callable[[str], bytes]:
        import boto3

        from iam_analyzer.collect.aws.session import DEFAULT_CONFIG

        client = boto3.session.Session(profile_name=profile).client("s3", region_name=region,
                                                                    endpoint_url=endpoint_url, config=DEFAULT_CONFIG)

        def read(location: str) -> bytes:
            bucket, key = parse_s3_url(location)
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()

        return read

    return factory


class RateLimiter:
    """At most ``rate`` calls per second (LookupEvents allows about 2 per account and region)."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate
        self.clock, self.sleep = clock, sleep
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            if now < self.next:
                self.sleep(self.next - now)
                now = self.next
            self.next = now + self.interval


class LookupEventsSource:
    """Management events from the CloudTrail API (the last 90 days, no data events)."""

    def __init__(self, clients: Clients, regions: list[str], since: datetime | None, until: datetime | None = None,
                 rate: float = 2.0, limiter: RateLimiter | None = None):
        self.clients = clients
        self.regions = regions
        self.until = until or datetime.now(timezone.utc)
        self.since = since or (self.until - timedelta(days=90))
        self.limiter = limiter or RateLimiter(rate)
        self.calls = 0
        self.unreadable = 0

    def describe(self) -> dict:
        return {"type": "lookup-events", "location": ",".join(self.regions)}

    def units(self) -> Iterator[Unit]:
        for region in self.regions:
            client = self.clients.client("cloudtrail", region)
            token = None
            page_no = 0
            while True:
                kwargs = {"StartTime": self.since, "EndTime": self.until, "MaxResults": 50}
                if token:
                    kwargs["NextToken"] = token
                self.limiter.wait()
                self.calls += 1
                resp = client.lookup_events(**kwargs)
                records = []
                for ev in resp.get("Events", []):
                    raw = ev.get("CloudTrailEvent")
                    try:
                        records.append(decode_record(raw))
                    except (TypeError, ValueError):  # msgspec errors are ValueErrors
                        self.unreadable += 1
                page_no += 1
                yield Unit("records", f"lookup-events:{region}:page-{page_no}", records)
                token = resp.get("NextToken")
                if not token:
                    break
