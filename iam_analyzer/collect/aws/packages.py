"""A deployed function's code, read for its SDK calls: the package is never stored.

``GetFunction`` returns a presigned URL for the deployment package. It is downloaded in
chunks up to a size cap, opened as a zip in memory, and only the handler sources
(Python, JavaScript, TypeScript; not ``node_modules``, virtualenvs or the SDKs themselves)
are read, each up to a cap, with a cap on everything read (zip bombs). What is kept is the
list of calls found, with file and line; the bytes are dropped when the function returns.
"""

from __future__ import annotations

import io
import urllib.request
import zipfile
from pathlib import PurePosixPath
from typing import Callable, Iterator
from urllib.parse import urlparse

from iam_analyzer.collect.code import JS_SUFFIXES, MAX_FILE_BYTES, PY_SUFFIXES, SKIP_DIRS, CodeScan, read_sources

MAX_PACKAGE_BYTES = 80 * 1024 * 1024  # zipped; Lambda allows 50 MB direct and larger from S3
MAX_SOURCE_BYTES = 64 * 1024 * 1024  # uncompressed handler sources read from one package
MAX_SOURCE_FILES = 5000  # handler source files read from one package
CHUNK = 1024 * 1024

Fetch = Callable[[str, int], Iterator[bytes]]


class PackageError(Exception):
    pass


def _check_url(url: str) -> None:
    u = urlparse(url)
    if u.scheme == "https" or (u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost", "::1")):
        return
    raise PackageError(f"refusing to download the package from a {u.scheme or 'schemeless'} URL")


def http_fetch(url: str, limit: int, timeout: float = 60.0) -> Iterator[bytes]:
    """Stream ``url`` in chunks; stops with PackageError past ``limit`` bytes."""
    _check_url(url)
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - scheme checked above
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise PackageError(f"package is {int(length) // (1024 * 1024)} MB, over the {limit // (1024 * 1024)} MB cap")
        while True:
            chunk = resp.read(CHUNK)
            if not chunk:
                return
            yield chunk


def download(url: str, limit: int = MAX_PACKAGE_BYTES, fetch: Fetch | None = None) -> bytes:
    buf = io.BytesIO()
    for chunk in (fetch or http_fetch)(url, limit):
        buf.write(chunk)
        if buf.tell() > limit:
            raise PackageError(f"package is over the {limit // (1024 * 1024)} MB cap")
    return buf.getvalue()


def _wanted(name: str) -> bool:
    p = PurePosixPath(name)
    return (p.suffix in PY_SUFFIXES + JS_SUFFIXES and not name.endswith(".d.ts")
            and not any(part in SKIP_DIRS or part.endswith((".dist-info", ".egg-info")) for part in p.parts[:-1]))


def _module(name: str) -> str:
    parts = list(PurePosixPath(name).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def calls_in_zip(data: bytes, label: str = "") -> CodeScan:
    """SDK calls in a deployment package held in memory. Paths are those inside the zip."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise PackageError(f"not a zip file: {e}") from None
    sources, problems, budget = [], [], MAX_SOURCE_BYTES
    with z:
        for info in z.infolist():
            if info.is_dir() or not _wanted(info.filename):
                continue
            if info.file_size > MAX_FILE_BYTES:
                problems.append(f"{label}{info.filename}: skipped: larger than {MAX_FILE_BYTES // 1_000_000} MB")
                continue
            if len(sources) >= MAX_SOURCE_FILES:
                problems.append(f"{label}: stopped reading sources past {MAX_SOURCE_FILES} files")
                break
            if info.file_size > budget:
                problems.append(f"{label}: stopped reading sources past {MAX_SOURCE_BYTES // (1024 * 1024)} MB")
                break
            try:
                raw = z.read(info)
            except (zipfile.BadZipFile, RuntimeError, OSError, NotImplementedError) as e:
                problems.append(f"{label}{info.filename}: cannot read: {e}")
                continue
            budget -= len(raw)
            sources.append((info.filename, _module(info.filename), raw.decode("utf-8", "replace")))
    scan = read_sources(sources)
    scan.problems = problems + scan.problems
    return scan


def package_calls(location: str, limit: int = MAX_PACKAGE_BYTES, fetch: Fetch | None = None) -> CodeScan:
    """Download (streamed, capped) and read one package; raises PackageError."""
    return calls_in_zip(download(location, limit, fetch))
