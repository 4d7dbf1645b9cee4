"""AWS SDK calls in handler code: Python (ast) and JavaScript/TypeScript (tree-sitter).

``read_code(paths)`` reads files and folders and returns every SDK call it can attribute to
an API operation, with its file, line and the resource-naming arguments as written. Code is
parsed, never run or imported. A file that cannot be parsed is a one-line problem; the other
files are still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iam_analyzer.inputs import file_kind, special_reason
from iam_analyzer.model import CodeCall

PY_SUFFIXES = (".py",)
JS_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx")
SKIP_DIRS = {"node_modules", ".venv", "venv", "__pycache__", ".git", "site-packages", "dist-packages", ".aws-sam",
             "cdk.out", ".serverless", "botocore", "boto3", "s3transfer"}
MAX_FILE_BYTES = 2_000_000  # generated bundles past this are skipped, with a note


@dataclass
class CodeScan:
    calls: list[CodeCall] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: int = 0


def _files(paths: list[str | Path]) -> list[tuple[Path, Path]]:
    """(file, root it was found under)."""
    out = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and f.suffix in PY_SUFFIXES + JS_SUFFIXES and not any(part in SKIP_DIRS for part in rel[:-1]) \
                        and not f.name.endswith(".d.ts"):
                    out.append((f, p))
        else:
            out.append((p, p.parent))
    return out


def _module_name(f: Path, root: Path) -> str:
    rel = f.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or f.stem


def read_sources(sources: list[tuple[str, str, str]], handler: tuple[str, str] | None = None) -> CodeScan:
    """Analyse in-memory sources: (display path, module name, text). Used for deployment
    packages, which are read from memory and never written to disk. ``handler``: (display
    path, function name) of the handler whose calls are wanted: functions nothing it runs
    refers to are left out."""
    from . import python

    scan = CodeScan(files=len(sources))
    py = [s for s in sources if s[0].endswith(PY_SUFFIXES)]
    js = [s for s in sources if s[0].endswith(JS_SUFFIXES)]
    if py:
        calls, problems = python.analyse(py, handler if handler and handler[0].endswith(PY_SUFFIXES) else None)
        scan.calls.extend(calls)
        scan.problems.extend(problems)
    if js:
        from . import javascript

        calls, problems = javascript.analyse([(p, text) for p, _, text in js],
                                             handler if handler and handler[0].endswith(JS_SUFFIXES) else None)
        scan.calls.extend(calls)
        scan.problems.extend(problems)
    scan.calls.sort(key=lambda c: (c.path, c.line, c.service, c.operation))
    return scan


def _not_regular(f: Path) -> str:
    try:
        return f"{file_kind(f.stat().st_mode)}, not a regular file: not read"
    except OSError as e:  # a dangling link, a folder we may not enter
        return e.strerror or "cannot be opened"


def read_code(paths: list[str | Path], root: str | Path | None = None,
              handler: tuple[str | Path, str] | None = None) -> CodeScan:
    """``root``: the package the files belong to (a handler's code folder), so module names
    (and with them imports between the files) are those Python sees. ``handler``: (file,
    function name) of the handler whose calls are wanted."""
    sources, problems = [], []
    for f, found_under in _files(paths):
        base = Path(root) if root is not None else found_under
        try:
            f.resolve().relative_to(base.resolve())
            mod_root = base.resolve()
        except ValueError:
            mod_root = found_under.resolve()
        if not f.is_file():
            why = "no such file" if not f.exists() and not f.is_symlink() else _not_regular(f)
            problems.append(f"{f}: cannot read: {why}")
            continue
        special = special_reason(f)
        if special:
            problems.append(f"{f}: cannot read: {special}")
            continue
        if f.suffix not in PY_SUFFIXES + JS_SUFFIXES:
            problems.append(f"{f}: skipped: not a Python, JavaScript or TypeScript file")
            continue
        try:
            if f.stat().st_size > MAX_FILE_BYTES:
                problems.append(f"{f}: skipped: larger than {MAX_FILE_BYTES // 1_000_000} MB (a bundle?)")
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            problems.append(f"{f}: cannot read: {e.strerror}")
            continue
        sources.append((str(f), _module_name(f.resolve(), mod_root), text))
    scan = read_sources(sources, (str(handler[0]), handler[1]) if handler else None)
    scan.problems = problems + scan.problems
    return scan
