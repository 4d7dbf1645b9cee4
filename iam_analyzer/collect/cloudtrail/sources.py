"""Where CloudTrail records come from.

A source yields *units* of work. A unit is read by ``read_unit`` into records, in whatever
process handles it, so a folder of files and an S3 prefix parallelise the same way.

* ``FolderSource``: a folder exactly as CloudTrail delivers it
  (``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz``), plain ``.json`` files, or
  a single file. Date folders outside the window are skipped without being opened.
* ``S3Source`` (in ``iam_analyzer.collect.aws.cloudtrail``): ``s3://bucket/prefix``, listing only the
  date prefixes inside the window.
* ``LookupEventsSource`` (same module): the CloudTrail API, management events only.

A SQL engine over the same logs (Athena, CloudTrail Lake) fits as another source whose units
are result pages turned into records: the aggregation does not change.
"""

from __future__ import annotations

import os
import re
import stat
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, Protocol

try:  # ISA-L's gzip is several times faster than zlib's; zlib is the fallback
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is a dependency, but stay usable without it
    _zlib = zlib

# A log file never expands to this much; a gzip bomb (a few KiB becoming many GiB) stops here.
MAX_DECOMPRESSED = 2048 << 20


def gunzip(data: bytes) -> bytes:
    """Every gzip member of ``data``, bounded by MAX_DECOMPRESSED (ValueError beyond it);
    a member cut short is an EOFError ("truncated gzip file")."""
    parts, total = [], 0
    while data:
        d = _zlib.decompressobj(31)
        out = d.decompress(data, MAX_DECOMPRESSED - total + 1)
        total += len(out)
        if total > MAX_DECOMPRESSED:
            raise ValueError(f"expands to more than {MAX_DECOMPRESSED >> 20} MiB (a gzip bomb?): not read")
        if not d.eof:
            raise EOFError("truncated gzip file")
        parts.append(out)
        data = d.unused_data.lstrip(b"\x00")
        if data[:2] != b"\x1f\x8b":  # trailing bytes that are not another member: the records are kept
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)


_DATE_DIR = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")


@dataclass(frozen=True)
class Unit:
    kind: str  # "file" | "s3" | "records"
    location: str  # path, or s3://bucket/key
    payload: object = None  # for "records": already decoded records (LookupEvents)

    def __str__(self) -> str:
        return self.location


class Source(Protocol):
    def units(self) -> Iterator[Unit]: ...

    def describe(self) -> dict: ...


# Folders CloudTrail writes beside its logs that hold no API calls: digests (hashes of the log
# files), Insights events, aggregated events.
NOT_LOGS = ("CloudTrail-Digest", "CloudTrail-Insight", "CloudTrail-Aggregated")


LOG_SUFFIXES = (".json.gz", ".json", ".jsonl", ".jsonl.gz")


def date_of(path: str) -> date | None:
    m = _DATE_DIR.search(path.replace(os.sep, "/"))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def decode_bytes(data: bytes, location: str) -> bytes:
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data)
    elif location.endswith(".gz"):
        raise ValueError("not gzip data despite the .gz name")
    if data[:3] == b"\xef\xbb\xbf":  # a byte-order mark, as editors on Windows write: still UTF-8 JSON
        return data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ValueError("UTF-16 text, not UTF-8 JSON: not read")
    return data


class FolderSource:
    def __init__(self, path: str | os.PathLike, since: date | None = None, until: date | None = None):
        self.path = Path(path)
        self.since = since
        self.until = until
        self.outside_window = 0
        self.outside_days: list[date] = []  # first and last date folder left out

    def describe(self) -> dict:
        return {"type": "folder", "location": str(self.path)}

    def _outside(self, d: date, files: int) -> None:
        self.outside_window += files
        self.outside_days = [min([d, *self.outside_days[:1]]), max([d, *self.outside_days[-1:]])]

    def units(self) -> Iterator[Unit]:
        from iam_analyzer.inputs import special_reason

        if special_reason(self.path):  # /proc/self is not walked: read_file names it as skipped
            yield Unit("file", str(self.path))
            return
        if self.path.is_file():
            yield Unit("file", str(self.path))
            return
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such file or folder")
        if not self.path.is_dir():  # a FIFO or device given by name: reported as skipped, never opened for reading
            yield Unit("file", str(self.path))
            return
        for root, dirs, files in os.walk(self.path):
            dirs[:] = sorted(d for d in dirs if d not in NOT_LOGS)
            d = date_of(os.path.relpath(root, self.path) + "/")
            if d is not None and ((self.since and d < self.since) or (self.until and d > self.until)):
                self._outside(d, sum(len(fs) for _, _, fs in os.walk(root)))
                dirs[:] = []
                continue
            for name in sorted(files):
                if name.endswith(LOG_SUFFIXES) and not name.startswith("."):
                    yield Unit("file", os.path.join(root, name))


# CloudTrail delivers files of at most a few tens of MiB; anything far larger is not its log
MAX_FILE_BYTES = 2048 << 20


def read_file(path: str) -> bytes:
    """A regular file's bytes. A FIFO, device or socket among the logs is refused without a
    blocking open (reading a FIFO would wait for a writer forever); so is a link into /proc, /sys
    or /dev (their files block, never end, or hold the process's own environment)."""
    from iam_analyzer.inputs import special_reason

    why = special_reason(path)
    if why:
        raise ValueError(why)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"not a regular file ({_kind(st.st_mode)}): not read")
        if st.st_size > MAX_FILE_BYTES:
            raise ValueError(f"{st.st_size} bytes, more than the {MAX_FILE_BYTES >> 20} MiB a CloudTrail log file can be: not read")
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read()
    finally:
        if fd >= 0:
            os.close(fd)


def _kind(mode: int) -> str:
    from iam_analyzer.inputs import file_kind

    return file_kind(mode)


def outside_window_message(files: int, days: list, since: date | None, until: date | None) -> str:
    """Every log file found lies outside the window: say how many, when, and the window."""
    span = f" dated {days[0]} to {days[-1]}" if days else ""
    return (f"all {files} CloudTrail file(s) found{span} lie outside the window "
            f"{since or 'the beginning'} to {until or 'now'}: no events read (widen --since or --until)")


def all_units(sources: Iterable[Source]) -> list[Unit]:
    out: list[Unit] = []
    for s in sources:
        out.extend(s.units())
    return out
