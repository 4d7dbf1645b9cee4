"""Run sources through decoding and aggregation on worker processes; build the usage JSON.

Workers pull units from a shared queue (so a slow file does not idle the others), keep
one aggregate each, and hand it back at the end; the parent merges them. Merging is
commutative, so the result does not depend on the number of workers or the order of files.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

import msgspec

from iam_analyzer import __version__
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.collect.cloudtrail.aggregate import OBJECT_LIMIT, Aggregate, Folder, Pending
from iam_analyzer.collect.cloudtrail.records import decode_file_counted
from iam_analyzer.collect.cloudtrail.sources import Unit, decode_bytes, outside_window_message, read_file

USAGE_SCHEMA_VERSION = 1


@dataclass
class Window:
    since: str | None = None  # ISO time, inclusive
    until: str | None = None


# -- reading one unit -------------------------------------------------------------------------

_s3_reader: Callable[[str], bytes] | None = None  # set in workers that read from S3


def set_s3_reader(fn: Callable[[str], bytes] | None) -> None:
    global _s3_reader
    _s3_reader = fn


def process_unit(unit: Unit, window: Window, agg: Aggregate, pending: Pending) -> None:
    bad, reason = 0, None
    try:
        if unit.kind == "records":
            records = unit.payload
        else:
            data = read_file(unit.location) if unit.kind == "file" else _s3_reader(unit.location)  # type: ignore[misc]
            decoded = decode_file_counted(decode_bytes(data, unit.location))
            records, bad, reason = decoded.records, decoded.skipped, decoded.reason
    except RecursionError:
        agg.skipped.append([unit.location, "not a CloudTrail log file: JSON nested too deeply"])
        return
    except (OSError, EOFError, zlib.error, ValueError, msgspec.DecodeError, msgspec.ValidationError) as e:
        agg.skipped.append([unit.location, _reason(e)])
        return
    except Exception as e:  # noqa: BLE001 - one bad file must never stop the rest
        agg.skipped.append([unit.location, f"{type(e).__name__}: {e}"[:300]])
        return
    note_file_read(agg, unit.location)
    bad_time = pending.add(records, window.since, window.until)
    if bad_time:
        bad += bad_time
        note = f"{bad_time} with an eventTime that is not a CloudTrail time or lies in the future"
        reason = f"{reason}; {note}" if reason else note
    if bad:
        agg.skipped_records.append([unit.location, bad, reason or ""])


def note_file_read(agg: Aggregate, location: str) -> None:
    """Count a file read, and the account and region its path names (every engine calls this)."""
    agg.files_read += 1
    named = _NAMED.search(location)
    if named:  # AWSLogs/<account>/CloudTrail/<region>/...: the file says what it covers
        agg.cell(named.group(1), named.group(2))[4] += 1


_NAMED = re.compile(r"AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/CloudTrail/([a-z0-9-]+)/")


def _reason(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if isinstance(e, EOFError) or "end-of-stream" in text or "Compressed file ended" in text:
        return "truncated gzip file"
    if isinstance(e, (msgspec.DecodeError, msgspec.ValidationError)):
        return f"not a CloudTrail log file: {text}"[:300]
    return text[:300]


@contextlib.contextmanager
def _no_gc():
    """Aggregation makes millions of short-lived tuples and no reference cycles: the cyclic
    collector would only re-scan the growing tables (about a fifth of the fold's time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _worker(queue, results, window: Window, s3_factory) -> None:
    gc.disable()  # see _no_gc
    if s3_factory is not None:
        set_s3_reader(s3_factory())
    agg = Aggregate()
    pending = Pending(Folder(agg))
    while True:
        unit = queue.get()
        if unit is None:
            break
        process_unit(unit, window, agg, pending)
    pending.flush()
    results.put(agg)


def run(units: Iterable[Unit], window: Window, workers: int = 1, s3_factory=None,
        progress: Callable[[int], None] | None = None) -> Aggregate:
    """Aggregate every unit. ``s3_factory`` builds an S3 reader inside each worker."""
    units = list(units)
    if workers <= 1 or len(units) <= 1:
        if s3_factory is not None:
            set_s3_reader(s3_factory())
        agg = Aggregate()
        pending = Pending(Folder(agg))
        with _no_gc():
            for i, u in enumerate(units):
                process_unit(u, window, agg, pending)
                if progress:
                    progress(i + 1)
            pending.flush()
        return agg
    default_catalog()  # load once here: forked workers inherit it instead of each loading it
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    queue = ctx.Queue(maxsize=workers * 64)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(queue, results, window, s3_factory), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    for i, u in enumerate(units):
        queue.put(u)
        if progress:
            progress(i + 1)
    for _ in procs:
        queue.put(None)
    total = Aggregate()
    parts = [results.get() for _ in procs]
    for p in procs:
        p.join()
    for part in sorted(parts, key=lambda a: a.files_read):  # any order gives the same result
        total.merge(part)
    return total


# -- the usage document -------------------------------------------------------------------------


def _stat_dict(action: str, resource: str, st: list, first: str | None, last: str | None) -> dict:
    # the day bounds, clamped to the events read: never later than the last event
    # (the end of today is in the future) nor earlier than the first
    lo = st[2] if first is None or st[2] >= first else first
    hi = st[3] if last is None or st[3] <= last else last
    return {"action": action, "resource": resource, "count": st[0], "denied": st[1],
            "first_seen": min(lo, hi), "last_seen": hi, "data_event": st[4]}


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def window_dict(window: Window, first_event: str | None, last_event: str | None) -> dict:
    """The window asked for and read: ``start`` is ``since`` (else the first event), ``end``
    is ``until`` (else the last event read), ``days`` between them."""
    start = window.since or first_event
    end = window.until or last_event
    a, b = _parse_time(start), _parse_time(end)
    days = round(max(0.0, (b - a).total_seconds() / 86400), 1) if a and b else 0.0
    return {"since": window.since, "until": window.until, "first_event": first_event, "last_event": last_event,
            "start": start, "end": end, "days": days}


def coverage_list(agg: Aggregate) -> list[dict]:
    """Per account and region: the log files, management and data events read, on which days."""
    out = []
    for (account, region), (mgmt, data, days, services, files) in sorted(agg.coverage.items()):
        ds = sorted(days)
        out.append({"account": account or None, "region": region or None, "files": files,
                    "management_events": mgmt, "data_events": data,
                    "first_day": ds[0] if ds else None, "last_day": ds[-1] if ds else None, "days": len(ds),
                    "services": sorted(services)})
    return out


def to_document(agg: Aggregate, window: Window, sources: list[dict], function_of: Callable | None = None,
                outside_window_files: int = 0) -> dict:
    """The usage JSON (documented in docs/usage.md)."""
    principals: dict = {}
    for (principal, session), table in agg.uses.items():
        entry = principals.setdefault((principal, session), {})
        for (action, resource), st in table.items():
            entry[(action, resource)] = st
    for (principal, session, action, bucket), (level, items) in agg.objects.items():
        entry = principals.setdefault((principal, session), {})
        for obj, st in items.items():
            entry[(action, f"{bucket}/{obj}")] = st
    out_principals = []
    for (principal, session), table in sorted(principals.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        out_principals.append({
            "arn": principal,
            "type": "role" if ":role/" in (principal or "") else "user" if ":user/" in (principal or "") else "other",
            "session": session,
            "function": function_of(principal, session) if function_of else None,
            "actions": [_stat_dict(a, r, st, agg.first_event, agg.last_event) for (a, r), st in sorted(table.items())],
        })
    data_by_service: dict = {}
    for (svc, res), n in sorted(agg.data_seen.items()):
        data_by_service.setdefault(svc, {})[res] = n
    cat = default_catalog()
    return {
        "schema_version": USAGE_SCHEMA_VERSION,
        "kind": "iam-analyzer-usage",
        "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "tool": {"name": "iam-analyzer", "version": __version__},
        "catalog": cat.info.as_dict(),
        "window": window_dict(window, agg.first_event, agg.last_event),
        "sources": sources,
        "coverage": coverage_list(agg),
        "files": {"read": agg.files_read, "skipped": [{"path": p, "reason": r} for p, r in sorted(agg.skipped)],
                  "outside_window": outside_window_files,
                  "skipped_records": [{"path": p, "count": n, "reason": r} for p, n, r in sorted(agg.skipped_records)]},
        "events": {"total": agg.events, "attributed": agg.attributed, "out_of_window": agg.out_of_window,
                   "no_principal": agg.no_principal, "not_api_call": agg.not_api_call,
                   "unmapped": sum(agg.unmapped.values()), "params_unreadable": agg.params_unreadable,
                   "records_skipped": sum(n for _, n, _ in agg.skipped_records)},
        "unmapped": [{"event_source": s, "event_name": n, "count": c}
                     for (s, n), c in sorted(agg.unmapped.items(), key=lambda kv: (-kv[1], kv[0]))],
        "data_events": {"present": bool(agg.data_seen), "by_service": data_by_service},
        "object_key_limit": OBJECT_LIMIT,
        "principals": out_principals,
    }


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def input_messages(units: int, agg: Aggregate, outside: int, outside_days: list, window: Window) -> tuple[list[str], bool]:
    """Warnings about what the sources gave, and whether nothing at all could be read.

    No file in the window (an empty location, or every file outside the window) is a
    warning: the usage document then says that no events were read, and the generator
    tightens nothing for lack of evidence. Files that exist but none readable is fatal."""
    if units and agg.files_read == 0:
        return ["no CloudTrail file could be read"], True
    since, until = (window.since or "")[:10] or None, (window.until or "")[:10] or None
    if not units:
        if outside:
            return [outside_window_message(outside, outside_days, since, until)], False
        return ["no CloudTrail files in the window: no events read, so no policy will be tightened"], False
    if agg.events and agg.out_of_window == agg.events:
        return [f"all {agg.events} event(s) of the {agg.files_read} file(s) read lie outside the window "
                f"{since or 'the beginning'} to {until or 'now'}: no events read (widen --since or --until)"], False
    return [], False
