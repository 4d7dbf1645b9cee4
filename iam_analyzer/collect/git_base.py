"""The base of a pull request, read from a git ref without touching the working tree.

``export_ref(ref, paths)`` writes the files of ``paths`` as they are at ``ref`` into a new
temporary folder (``git archive`` piped into tar: no checkout, no index change, no worktree
metadata) and returns that folder and the same paths inside it. The caller removes the
folder (``shutil.rmtree``) when done; ``exported`` does it as a context manager.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path


class GitError(ValueError):
    pass


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=300)
    except FileNotFoundError:
        raise GitError("git is not installed") from None


def toplevel(start: str = ".") -> str | None:
    r = _git(["rev-parse", "--show-toplevel"], start)
    return r.stdout.decode().strip() if r.returncode == 0 else None


def is_ref(ref: str, cwd: str = ".") -> bool:
    return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd).returncode == 0


def _safe_extract(data: bytes, dest: str) -> None:
    root = os.path.realpath(dest)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            target = os.path.realpath(os.path.join(root, m.name))
            if not (target == root or target.startswith(root + os.sep)):
                continue  # never write outside the folder
            if m.issym() or m.islnk():
                continue  # a template is a file: links are not followed
            if m.isdir():
                os.makedirs(target, exist_ok=True)
            elif m.isfile():
                os.makedirs(os.path.dirname(target), exist_ok=True)
                src = tar.extractfile(m)
                with open(target, "wb") as out:
                    shutil.copyfileobj(src, out)


def export_ref(ref: str, paths: list[str], cwd: str = ".") -> tuple[str, list[str]]:
    """Files of ``paths`` (relative to ``cwd`` or absolute, inside the repository) at ``ref``,
    in a new temporary folder. Returns (folder, the paths inside it, in the same order).
    A path that did not exist at ``ref`` is simply absent there (everything in it is new)."""
    top = toplevel(cwd)
    if top is None:
        why = _git(["rev-parse", "--show-toplevel"], cwd).stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"{os.path.abspath(cwd)}: {why[0] if why else 'not inside a git repository'}")
    if not is_ref(ref, top):
        raise GitError(f"{ref!r} is not a commit, branch or tag of {top}")
    rels = []
    for p in paths:
        rel = os.path.relpath(os.path.realpath(os.path.join(cwd, p)), os.path.realpath(top))
        if rel.startswith(".."):
            raise GitError(f"{p} lies outside the repository {top}")
        rels.append("." if rel == "." else rel.replace(os.sep, "/"))
    tmp = tempfile.mkdtemp(prefix="iam-analyzer-base-")
    # the samconfig next to a template names its stack (collect/iac/identity.py): export it too
    from iam_analyzer.collect.iac.identity import SAMCONFIG_FILES

    extra = {f"{os.path.dirname(rel) or '.'}/{n}".removeprefix("./") for rel in rels if rel != "."
             for n in SAMCONFIG_FILES}
    folders = _companion_folders(rels)
    companions = sorted(_companions_at(ref, top, folders))
    extra |= set(companions)
    try:
        extra |= {_service_folder(rel) for rel in rels if _service_folder(rel)}
        for rel in sorted(set(rels) | (extra - set(companions))):
            spec = [] if rel == "." else ["--", rel]
            r = _git(["archive", "--format=tar", ref, *spec], top)
            if r.returncode != 0:
                continue  # not there at the base
            _safe_extract(r.stdout, tmp)
        for i in range(0, len(companions), 200):  # all exist at ref: one archive per batch
            r = _git(["--literal-pathspecs", "archive", "--format=tar", ref, "--", *companions[i:i + 200]], top)
            if r.returncode == 0:
                _safe_extract(r.stdout, tmp)
        _renamed(ref, top, rels, extra, tmp, folders)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp, [str(Path(tmp) / rel) if rel != "." else tmp for rel in rels]


# files a template reads beside itself: nested stacks and applications (``Location:
# storage/template.yaml``), ``AWS::Include``, state machine definitions (``DefinitionUri``)
_COMPANION_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".toml")
_MAX_COMPANIONS = 2000


def _companion_folders(rels: list[str]) -> list[str]:
    """The folders of the template files given (a folder given is exported whole anyway)."""
    return sorted({os.path.dirname(rel) or "." for rel in rels
                   if rel != "." and rel.lower().endswith(_COMPANION_SUFFIXES)})


def _is_companion(path: str, folders: list[str]) -> bool:
    return path.lower().endswith(_COMPANION_SUFFIXES) and _under(path, folders)


def _companions_at(ref: str, top: str, folders: list[str]) -> set[str]:
    """Template-like files under the templates' folders at ``ref`` (bounded), so a base read
    from an export finds the nested templates and definitions the head finds beside it."""
    out: set[str] = set()
    for folder in folders:
        spec = [] if folder == "." else ["--", folder]
        r = _git(["ls-tree", "-r", "-z", "--name-only", ref, *spec], top)
        if r.returncode != 0:
            continue
        for name in r.stdout.decode(errors="replace").split("\0"):
            if name and _is_companion(name, [folder]):
                out.add(name)
                if len(out) >= _MAX_COMPANIONS:
                    return out
    return out


def _under(path: str, rels: list[str]) -> bool:
    return any(rel == "." or path == rel or path.startswith(rel.rstrip("/") + "/") for rel in rels)


def _renamed(ref: str, top: str, rels: list[str], extra: set[str], tmp: str, folders: list[str] = ()) -> None:
    """A file the change moved (``git mv app photos``) is written at its new place with its
    content at ``ref``, so the base and the head have it at the same path: a renamed folder
    is not a deleted stack and a new one. Renames are git's (``git diff -M``, ref against the
    working tree)."""
    r = _git(["diff", "-M", "--name-status", "--diff-filter=R", "-z", ref, "--"], top)
    if r.returncode != 0:
        return
    fields = r.stdout.decode(errors="replace").split("\0")
    root = os.path.realpath(tmp)
    i = 0
    while i + 2 < len(fields):
        status, old, new = fields[i], fields[i + 1], fields[i + 2]
        i += 3
        if not status.startswith("R") or not (_under(new, rels) or new in extra or _is_companion(new, list(folders))):
            continue
        target = os.path.realpath(os.path.join(root, new))
        if not target.startswith(root + os.sep) or os.path.exists(target):
            continue
        blob = _git(["show", f"{ref}:{old}"], top)
        if blob.returncode != 0:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as out:
            out.write(blob.stdout)


def _service_folder(rel: str) -> str | None:
    """A Serverless Framework service pulls in files beside it (``${file(...)}``): its folder."""
    from iam_analyzer.collect.iac.serverless import SERVICE_FILES

    if rel == "." or Path(rel).name.lower() not in SERVICE_FILES:
        return None
    parent = str(Path(rel).parent).replace(os.sep, "/")
    return parent if parent not in ("", ".") else "."


@contextmanager
def exported(ref: str, paths: list[str], cwd: str = "."):
    tmp, inside = export_ref(ref, paths, cwd)
    try:
        yield tmp, inside
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
