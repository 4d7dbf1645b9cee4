"""Unified diffs of patched files, with paths as ``git apply`` expects them (relative to the
repository root, ``a/`` and ``b/`` prefixes)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path


def repo_root(path: Path) -> Path | None:
    p = path.resolve()
    for parent in [p, *p.parents]:
        if (parent / ".git").exists():
            return parent
    return None


def relative(path: Path, base: Path | None = None) -> str:
    base = base or repo_root(path) or Path.cwd()
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive
        return path.as_posix()


def unified(path: Path, old: str, new: str, base: Path | None = None) -> str:
    rel = relative(path, base)
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{rel}", f"b/{rel}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
