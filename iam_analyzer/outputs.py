"""Writing outputs safely: check the destination before the work, write atomically after it.

An hour of CloudTrail reading must not be lost to a missing folder or a read-only disk found
only at the end, and a half-written snapshot must never replace a good one. So:

* ``check_file`` / ``check_folder`` run before any work: the destination (or the folder it
  will be created in) exists as the right kind of thing and is writable, and the names a
  command will write inside an output folder are not taken by the wrong kind of thing;
* ``write_text`` writes to a temporary file beside the destination, flushes it, then renames
  it over the destination (atomic on POSIX): a reader sees the old file or the new one.

Every failure is an ``OutputError`` naming the path and the reason; the command line prints
it and exits 2.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """An output cannot be written. The message names the path and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(path, reason)

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


def reason(e: OSError) -> str:
    return {errno.ENOSPC: "no space left on device", errno.EROFS: "read-only file system",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EDQUOT: "disk quota exceeded", errno.ENOTDIR: "a parent is a file, not a folder",
            errno.EISDIR: "is a folder", errno.ENOENT: "no such folder"}.get(e.errno, e.strerror or str(e))


def _nearest_existing(folder: Path) -> Path:
    p = folder
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _check_creatable(folder: Path, shown: Path) -> None:
    """``folder`` exists and is a writable folder, or can be created."""
    if folder.exists():
        if not folder.is_dir():
            raise OutputError(shown, f"{folder} is a file, not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(shown, f"folder {folder} is not writable")
        return
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise OutputError(shown, f"{base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(shown, f"folder {base} is not writable, so {folder} cannot be created")


def check_file(path: str | os.PathLike, create_parents: bool = False) -> None:
    """Before the work: ``path`` can be written as a regular file."""
    p = Path(path)
    real = os.path.realpath(p)
    if any(real == r or real.startswith(r + os.sep) for r in ("/proc", "/sys", "/dev")) and real != os.devnull:
        raise OutputError(p, f"resolves to {real}, a kernel or device file, not a regular file")
    if p.exists() and not p.is_file():
        raise OutputError(p, "is a folder" if p.is_dir() else "exists and is not a regular file")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(p, "the file is not writable")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists() and not create_parents:
        raise OutputError(p, f"no such folder {parent}")
    _check_creatable(parent, p)


def check_folder(path: str | os.PathLike, files: tuple[str, ...] = (), folders: tuple[str, ...] = ()) -> None:
    """Before the work: ``path`` is (or can be made) a writable folder in which ``files`` can
    be written as files and ``folders`` made as folders."""
    p = Path(path)
    _check_creatable(p, p)
    for name in files:
        q = p / name
        if q.exists() and not q.is_file():
            raise OutputError(q, "is a folder" if q.is_dir() else "exists and is not a regular file")
        if q.exists() and not os.access(q, os.W_OK):
            raise OutputError(q, "the file is not writable")
    for name in folders:
        q = p / name
        if q.exists() and not q.is_dir():
            raise OutputError(q, "is a file, not a folder")
        if q.exists() and not os.access(q, os.W_OK | os.X_OK):
            raise OutputError(q, "the folder is not writable")


def make_folder(path: str | os.PathLike) -> Path:
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(p, "is a file, not a folder") from None
    except OSError as e:
        raise OutputError(p, reason(e)) from None
    return p


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write atomically: a temporary file in the same folder, fsync, rename over ``path``."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(p, "is a folder")
    folder = p.parent if str(p.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, 0o644 & ~_umask())
        except OSError:
            pass
        os.replace(tmp, p)
        tmp = None
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(p, reason(e)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK
