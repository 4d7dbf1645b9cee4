"""Stage 1 of the aggregation: records counted by their raw key, per UTC day, in C.

``RAW_KEY`` is every field a record is aggregated by (who, eventSource, eventName, category,
error, typed request parameters, resources, region, account): all hashable (see
``records.Record``), read by ``operator.attrgetter`` and counted by ``collections.Counter``'s
C loop, the only per-record work besides decoding. ``Pending`` holds the counts of many
files, at most ``max_keys`` distinct keys at once, and hands them to ``aggregate.Folder``.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections import _count_elements  # the C loop behind Counter.update
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from iam_analyzer.collect.cloudtrail.stats import _max, _min



class Folder(Protocol):
    """What counting hands its batches to (``aggregate.Folder``; a protocol, as aggregate
    imports this module)."""

    agg: Any

    def fold(self, *args: Any, **kwargs: Any) -> Any: ...

# The fields a record is counted by, read in C. Everything hashable: see records.Record.
RAW_KEY = operator.attrgetter("userIdentity.sessionContext.sessionIssuer.arn", "userIdentity.arn",
                              "eventSource", "eventName", "eventCategory", "managementEvent",
                              "errorCode", "eventType", "awsRegion", "recipientAccountId",
                              "requestParameters", "resources")
_TIME = operator.attrgetter("eventTime")


# CloudTrail writes eventTime as 2024-05-01T12:00:00Z. Anything else, or a time past this
# horizon (a day after the run started), is a value that is not what it claims: the record is
# dropped and counted, so it can neither become the window's last event nor a day bucket.
EVENT_TIME_PATTERN = r"\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-6]\d(?:\.\d{1,9})?Z"
_EVENT_TIME = re.compile(EVENT_TIME_PATTERN).fullmatch
HORIZON = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Pending:
    """Stage 1 across files: raw-key counts per UTC day of event time, accumulated in C.

    Most calls repeat (the same function, action and resource, many times a day), so
    counting across files before folding makes the fold run once per distinct key per day
    instead of once per record. First and last seen are therefore given as the bounds of
    the UTC day of the log file they were read from (a log file goes to the day of its
    first record).
    """

    # 50k keys: about 110 MiB per worker on the benchmark's corpus; half as many made each
    # repeated call fold twice as often (about 10% more CPU end to end)
    def __init__(self, folder: "Folder", max_keys: int = 50_000):
        self.folder = folder
        self.max_keys = max_keys
        self.buckets: dict[str, list] = {}  # day -> [counts, first, last]
        self.size = 0

    def add(self, records: list, since: str | None, until: str | None) -> int:
        """Count ``records`` in; returns how many were dropped for an eventTime that is not a
        CloudTrail time (``garbage``) or lies in the future (``9999-12-31``)."""
        agg = self.folder.agg
        n = len(records)
        if not n:
            return 0
        times = list(map(_TIME, records))
        lo, hi = min(times), max(times)
        bad = 0
        if not (_EVENT_TIME(lo) and _EVENT_TIME(hi)) or hi > HORIZON:
            keep = [r for r, t in zip(records, times) if _EVENT_TIME(t) and t <= HORIZON]
            bad = n - len(keep)
            n, records = len(keep), keep
            if not n:
                return bad
            times = list(map(_TIME, records))
            lo, hi = min(times), max(times)
        agg.events += n
        if (since is not None and lo < since) or (until is not None and hi > until):
            keep = [r for r, t in zip(records, times)
                    if (since is None or t >= since) and (until is None or t <= until)]
            agg.out_of_window += n - len(keep)
            if not keep:
                return bad
            records = keep
            times = list(map(_TIME, keep))
            lo, hi = min(times), max(times)
        agg.first_event = _min(agg.first_event, lo)
        agg.last_event = _max(agg.last_event, hi)
        # A file goes to the day its first record falls in; stats carry that day's fixed
        # bounds, so results do not depend on which worker read which file.
        day = lo[:10]
        bucket = self.buckets.get(day)
        if bucket is None:
            bucket = self.buckets[day] = [Counter(), day + "T00:00:00Z", day + "T23:59:59Z"]
        before = len(bucket[0])
        _count_elements(bucket[0], map(RAW_KEY, records))
        self.size += len(bucket[0]) - before
        if self.size > self.max_keys:
            self.flush()
        return bad

    def flush(self) -> None:
        for counts, first, last in self.buckets.values():
            self.folder.fold(counts, first, last)
        self.buckets.clear()
        self.size = 0
