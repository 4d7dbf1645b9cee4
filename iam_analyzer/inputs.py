"""Reading input files safely: every document is checked at the door.

A security tool reads files an attacker can influence (anyone allowed ``iam:PutRolePolicy``
writes the policies it reads), so each reader here bounds what it accepts before decoding:

* regular files only: a FIFO, a device or a socket is refused without being opened for
  a blocking read (opening a FIFO for reading would wait for a writer forever);
* a size limit per kind of document, checked on the open file;
* UTF-8 only (a leading byte-order mark is accepted);
* nesting depth and number length bounded by a linear pre-scan of the raw text
  (Python's json has no depth limit; a 5,000-digit integer costs quadratic time);
* then a schema check (``iam_analyzer.jsonvalid``) that names the JSON path of the first problem.

Every failure is an ``InputError`` whose message names the file and the place; commands
print it and exit 2 (or skip the file and go on, where other files can still be used).
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from typing import Any

import msgspec

MiB = 1024 * 1024
# Size limits by kind of document: far above real ones, far below what would exhaust memory.
LIMITS = {"snapshot": 2048 * MiB, "usage": 1024 * MiB, "findings": 512 * MiB, "gaad": 1024 * MiB,
          "config": 4 * MiB, "rule": 1 * MiB, "policy": 16 * MiB, "json": 512 * MiB}
MAX_DEPTH = 128  # IAM documents nest a dozen levels; a snapshot adds a few more
MAX_NUMBER_DIGITS = 400  # a float has 17 significant digits; an account id 12; a timestamp 13


class InputError(ValueError):
    """A document that cannot be used. The message starts with the file's name."""

    def __init__(self, path: str | os.PathLike, message: str):
        self.path = str(path)
        self.detail = message
        super().__init__(f"{path}: {message}")


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def file_kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


# Kernel and device file systems: their "regular" files (/proc/kmsg, /proc/self/environ,
# /sys/...) block, never end, or hold the process's own secrets. Refused after resolving links.
_SPECIAL_ROOTS = ("/proc", "/sys", "/dev")


def special_reason(path: str | os.PathLike) -> str | None:
    """Why ``path`` (after resolving links) must not be read as an input, or None."""
    real = os.path.realpath(path)
    for root in _SPECIAL_ROOTS:
        if real == root or real.startswith(root + os.sep):
            return f"resolves to {real}, a kernel or device file, not a regular file: not read"
    return None


def is_regular(path: str | os.PathLike) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def read_bytes(path: str | os.PathLike, limit: int = LIMITS["json"]) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or an InputError."""
    why = special_reason(path)
    if why:
        raise InputError(path, why)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as e:
        raise InputError(path, f"cannot open: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(path, f"{file_kind(st.st_mode)}, not a regular file: not read")
        if st.st_size > limit:
            raise InputError(path, f"{st.st_size} bytes, more than the limit of {limit} for this kind of file")
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(limit + 1)
        if data is None:  # a non-blocking read with nothing to give: not a file that ends
            raise InputError(path, "gives no data without waiting: not a regular file, not read")
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise InputError(path, f"more than the limit of {limit} bytes for this kind of file")
    return data


def read_text(path: str | os.PathLike, limit: int = LIMITS["config"]) -> str:
    """A UTF-8 text file (for YAML), bounded like every other input."""
    return decode_utf8(read_bytes(path, limit), path)


def decode_utf8(data: bytes, path: str | os.PathLike) -> str:
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, col = position(data, e.start)
        raise InputError(path, f"line {line} column {col}: not UTF-8 text ({e.reason})") from None


# -- bounded JSON ---------------------------------------------------------------------------------

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_LONG_NUMBER = re.compile(rb"[0-9]{%d,}" % (MAX_NUMBER_DIGITS + 1))
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DIGITS_ONLY = bytes(ord("0") if chr(b).isdigit() and b < 128 else ord(" ") for b in range(256))


def position(data: bytes, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of a byte offset."""
    offset = max(0, min(offset, len(data)))
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def check_bounds(data: bytes, path: str | os.PathLike, max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth`` or with a number longer than
    MAX_NUMBER_DIGITS digits, in time linear in the size of the text (strings are skipped)."""
    long_digits = data.translate(_DIGITS_ONLY).find(b"0" * (MAX_NUMBER_DIGITS + 1)) >= 0
    if data.count(b"[") + data.count(b"{") <= max_depth and not long_digits:
        return
    outside = _STRING.sub(b'""', data)
    m = _LONG_NUMBER.search(outside) if long_digits else None
    if m:
        line, col = _where_outside(data, m.group())
        raise InputError(path, f"line {line} column {col}: a number of more than {MAX_NUMBER_DIGITS} digits")
    brackets = outside.translate(None, _NOT_BRACKETS)
    if len(brackets) <= max_depth:
        return
    depth = 0
    for i, depth in enumerate(itertools.accumulate(map(_STEP.__getitem__, brackets))):
        if depth > max_depth:
            raise InputError(path, f"JSON nested more than {max_depth} levels deep")


def _where_outside(data: bytes, digits: bytes) -> tuple[int, int]:
    for m in re.finditer(re.escape(digits), data):
        before = data[:m.start()]
        if len(_STRING.sub(b"", before).split(b'"')) % 2 == 1:  # not inside a string
            return position(data, m.start())
    return position(data, data.find(digits))


def decode_json(data: bytes, path: str | os.PathLike, max_depth: int = MAX_DEPTH) -> Any:
    """Decode JSON text already read, within the bounds. Errors name the line and column."""
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    check_bounds(data, path, max_depth)
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        text = str(e)
        m = re.search(r"\(byte (\d+)\)", text)
        if "UTF-8" in text:
            decode_utf8(data, path)  # raises with the place
        if m:
            line, col = position(data, int(m.group(1)))
            msg = re.sub(r"\s*\(byte \d+\)", "", text).replace("JSON is malformed: ", "")
            raise InputError(path, f"line {line} column {col}: invalid JSON: {msg}") from None
        if not data.strip():
            raise InputError(path, "invalid JSON: the file is empty") from None
        if "truncated" in text.lower():
            line, col = position(data, len(data.rstrip()))
            raise InputError(path, f"line {line} column {col}: invalid JSON: the document ends early (truncated)") from None
        raise InputError(path, f"invalid JSON: {text}") from None
    except msgspec.ValidationError as e:  # a number out of range
        raise InputError(path, f"invalid JSON: {e}") from None
    except RecursionError:
        raise InputError(path, f"JSON nested more than {max_depth} levels deep") from None


def load_json(path: str | os.PathLike, kind: str = "json", schema: dict | str | None = None) -> Any:
    """Read, bound, decode and (given a schema or a shipped schema's name) validate a document."""
    doc = decode_json(read_bytes(path, LIMITS.get(kind, LIMITS["json"])), path)
    if schema is not None:
        validate(doc, schema, path)
    return doc


def validate(doc: Any, schema: dict | str, path: str | os.PathLike) -> None:
    from iam_analyzer.jsonvalid import first_error

    if isinstance(schema, str):
        schema = shipped_schema(schema)
    err = first_error(doc, schema)
    if err is not None:
        where, message = err
        raise InputError(path, f"{where}: {message}")


_SCHEMAS: dict[str, dict] = {}


def shipped_schema(name: str) -> dict:
    if name not in _SCHEMAS:
        from iam_analyzer.schema_files import load

        _SCHEMAS[name] = load(name)
    return _SCHEMAS[name]


# -- policy text, as lint reads it -----------------------------------------------------------------


def loads_checked(text: str, path: str | os.PathLike = "(text)") -> tuple[Any, list[str]]:
    """JSON text decoded within the bounds, refusing NaN and Infinity (not JSON, though Python
    reads them) and noting duplicate keys (the last one wins here; other tools keep the first).
    Returns (document, duplicate key names). Raises InputError, or json.JSONDecodeError."""
    import json

    check_bounds(text.encode("utf-8", "surrogatepass"), path)
    duplicates: list[str] = []

    def pairs(items):
        seen: set = set()
        for k, _ in items:
            if k in seen:
                duplicates.append(k)
            seen.add(k)
        return dict(items)

    def constant(name):
        raise InputError(path, f"invalid JSON: {name} is not a JSON number")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant), duplicates
    except RecursionError:
        raise InputError(path, f"JSON nested more than {MAX_DEPTH} levels deep") from None
