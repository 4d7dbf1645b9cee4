"""The files one handler runs: its module and what that module imports inside the package.

A SAM project often puts several functions in one ``CodeUri``; each function's role must hold
its own handler's calls only. ``handler_files(root, handler, runtime)`` starts at the
``Handler``'s file and follows local imports, transitively:

- Python: ``import a.b``, ``from a import b``, ``from .b import c`` and ``from .. import d``,
  resolved as modules (``a/b.py``) or packages (``a/b/__init__.py``) of the code folder;
  a package's ``__init__`` is part of every import through it.
- JavaScript / TypeScript: ``import ... from``, ``export ... from``, side-effect ``import``,
  ``require(...)`` and ``import(...)`` of relative paths, with Node's resolution (the file,
  the file with a JS/TS extension, a folder's ``index``; a ``.js`` name that TypeScript
  compiles from ``.ts``), and bare names mapped by the ``paths`` / ``baseUrl`` of the nearest
  ``tsconfig.json`` (up to the template's folder). Packages (``node_modules``) are not read.

Nothing is run; files are only parsed for their imports.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILES = 2000
MAX_BYTES = 2_000_000  # a file larger than this (a bundle) is not followed; read_code says so
JS_EXT = (".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx")
_TS_FOR_JS = {".js": (".ts", ".tsx"), ".mjs": (".mts",), ".cjs": (".cts",), ".jsx": (".tsx",)}
_JS_SPEC = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+|;\s*import\s+)(['"])([^'"\n]+)\1""", re.M)


@dataclass
class Entry:
    files: list[Path] = field(default_factory=list)  # the handler's file first
    start: Path | None = None
    notes: list[str] = field(default_factory=list)  # one line each: a tsconfig.json that could not be used


def _read(p: Path, limit: int = MAX_BYTES) -> str | None:
    try:
        if p.stat().st_size > limit:
            return None
        return p.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def handler_module(handler: str) -> str:
    """``pkg/app.handler`` / ``pkg.app.handler`` -> ``pkg/app`` / ``pkg.app`` (no suffix)."""
    return handler.rsplit(".", 1)[0] if "." in handler else handler


def handler_files(root: Path, handler: str, runtime: str | None = None, limit: Path | None = None,
                  entry_points: list[str] | None = None) -> Entry:
    """The handler's file and the local files it imports (empty when the file is not found).
    ``limit``: the highest folder a ``tsconfig.json`` is looked for in (the template's).
    ``entry_points``: SAM's esbuild ``BuildProperties.EntryPoints`` (the handler names the
    bundle, built from the entry point of the same name)."""
    try:
        return _handler_files(root.resolve(), handler, runtime, limit, entry_points)
    except (OSError, RuntimeError) as e:  # a symlink loop, a folder that vanished
        return Entry(notes=[f"{root}: cannot follow the handler's imports: {e}"])


def _handler_files(root: Path, handler: str, runtime: str | None, limit: Path | None,
                   entry_points: list[str] | None) -> Entry:
    module = handler_module(handler)
    runtime = runtime or ""
    start = None
    if entry_points:
        stem = module.replace("\\", "/").rsplit("/", 1)[-1]
        named = [e for e in entry_points if Path(e).stem == stem] or (entry_points if len(entry_points) == 1 else [])
        for e in named:
            start = _js_file(root / e) or _py_file(root / e)
            if start is not None:
                break
    if start is None and not runtime.startswith("nodejs"):
        start = _py_file(root / module.replace(".", "/"))
    if start is None and not runtime.startswith("python"):
        start = _js_file(root / module)
    if start is None:
        return Entry()
    if not _inside(start.resolve(), root):  # a Handler or entry point like ../../x.handler: not the code folder's
        return Entry(notes=[f"{root}: handler {handler} points outside the code folder: not followed"])
    start = start.resolve()
    todo = [start]
    if start.suffix == ".py":  # the packages above the handler's module run first
        rel = start.relative_to(root).with_suffix("").parts
        todo += _py_chain(root, ".".join(rel[:-1])) if len(rel) > 1 else []
    limit = (limit or root).resolve()
    if not _inside(root, limit):
        limit = root
    notes: list[str] = []
    seen: list[Path] = []
    while todo and len(seen) < MAX_FILES:
        f = todo.pop(0)
        if f in seen:
            continue
        seen.append(f)
        text = _read(f)
        if text is None:
            continue
        todo.extend(_py_imports(root, f, text) if f.suffix == ".py" else _js_imports(root, limit, f, text, notes))
    return Entry(seen, start, sorted(set(notes)))


# -- Python --

def _py_file(stem: Path) -> Path | None:
    p = stem.with_name(stem.name + ".py")
    if p.is_file():
        return p
    p = stem / "__init__.py"
    return p if p.is_file() else None


def _py_find(root: Path, dotted: str) -> Path | None:
    return _py_file(root.joinpath(*dotted.split("."))) if dotted else None


def _py_chain(root: Path, dotted: str) -> list[Path]:
    """``a.b.c`` -> the files Python runs to import it: ``a/__init__``, ``a/b/__init__``, ``a/b/c``."""
    out = []
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        p = _py_find(root, ".".join(parts[:i]))
        if p is not None:
            out.append(p)
    return out


def _py_imports(root: Path, f: Path, text: str) -> list[Path]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    try:
        pkg = list(f.parent.relative_to(root).parts)
    except ValueError:
        pkg = []
    out: list[Path] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.extend(_py_chain(root, a.name))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                if node.level - 1 > len(pkg):
                    continue  # above the code folder
                base = ".".join(up + ([base] if base else []))
            if base:
                out.extend(_py_chain(root, base))
            for a in node.names:
                sub = f"{base}.{a.name}" if base else a.name
                p = _py_find(root, sub)
                if p is not None:
                    out.append(p)
    return out


# -- JavaScript / TypeScript --

def _js_file(target: Path) -> Path | None:
    """Node's (and TypeScript's) resolution of a path without ``node_modules``."""
    if target.is_file() and target.suffix in JS_EXT:
        return target
    for ts in _TS_FOR_JS.get(target.suffix, ()):  # './util.js' written in TypeScript as util.ts
        p = target.with_suffix(ts)
        if p.is_file():
            return p
    for ext in JS_EXT:
        p = target.with_name(target.name + ext)
        if p.is_file():
            return p
    if target.is_dir():
        pkg = target / "package.json"
        if pkg.is_file():
            try:
                main = json.loads(_read(pkg, 1_000_000) or "{}").get("main")
            except (ValueError, AttributeError, RecursionError):
                main = None
            if isinstance(main, str) and main:
                p = _js_file(target / main) if (target / main) != target else None
                if p is not None:
                    return p
        for ext in JS_EXT:
            p = target / f"index{ext}"
            if p.is_file():
                return p
    return None


def _js_imports(root: Path, limit: Path, f: Path, text: str, notes: list[str]) -> list[Path]:
    out: list[Path] = []
    config = None
    for _, spec in _JS_SPEC.findall(_strip_js_comments(text)):
        if spec.startswith(("./", "../")) or spec in (".", ".."):
            p = _js_file((f.parent / spec).resolve())
            if p is not None and _inside(p, root):
                out.append(p)
            continue
        if spec.startswith(("@aws-sdk/", "aws-sdk", "node:")):
            continue
        if config is None:
            config = tsconfig_for(f.parent, limit, notes)
        for target in config.targets(spec):
            p = _js_file(target)
            if p is not None and _inside(p.resolve(), limit):  # a mapping out of the project is not followed
                out.append(p)
                break
    return out


def _inside(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False


@dataclass
class TsConfig:
    base: Path | None = None  # baseUrl (or the tsconfig's folder when only paths are set)
    paths: dict[str, list[str]] = field(default_factory=dict)

    def targets(self, spec: str) -> list[Path]:
        """Where ``import x from 'spec'`` may point, by ``paths`` (longest prefix first), then
        ``baseUrl``."""
        if self.base is None:
            return []
        out: list[Path] = []
        for pattern in sorted(self.paths, key=lambda p: -len(p.split("*")[0])):
            if "*" in pattern:
                head, _, tail = pattern.partition("*")
                if spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(head) + len(tail):
                    star = spec[len(head): len(spec) - len(tail)]
                    out.extend(self.base / t.replace("*", star, 1) for t in self.paths[pattern] if isinstance(t, str))
            elif spec == pattern:
                out.extend(self.base / t for t in self.paths[pattern] if isinstance(t, str))
        out.append(self.base / spec)
        return out


def tsconfig_for(folder: Path, limit: Path, notes: list[str] | None = None) -> TsConfig:
    """The nearest ``tsconfig.json`` at or above ``folder``, not above ``limit``. One that
    cannot be read adds a line to ``notes`` and maps nothing."""
    folder, limit = folder.resolve(), limit.resolve()
    cur = folder
    while True:
        p = cur / "tsconfig.json"
        if p.is_file():
            return _read_tsconfig(p, 0, notes if notes is not None else [])
        if cur == limit or cur.parent == cur or not _inside(cur, limit):
            return TsConfig()
        cur = cur.parent


def _read_tsconfig(p: Path, depth: int, notes: list[str]) -> TsConfig:
    text = _read(p, 1_000_000)
    if text is None:
        notes.append(f"{p}: cannot read (or larger than 1 MB): its paths are not used")
        return TsConfig()
    try:
        data = json.loads(_jsonc(text))
    except ValueError as e:
        line = getattr(e, "lineno", 0)
        notes.append(f"{p}:{line}: not valid JSON: its paths are not used")
        return TsConfig()
    except RecursionError:
        notes.append(f"{p}: nested too deeply: its paths are not used")
        return TsConfig()
    if not isinstance(data, dict):
        notes.append(f"{p}: not a JSON object: its paths are not used")
        return TsConfig()
    inherited = TsConfig()
    ext = data.get("extends")
    if isinstance(ext, str) and ext.startswith(".") and depth < 5:  # a local base config
        target = (p.parent / ext).resolve()
        target = target if target.suffix == ".json" else target.with_name(target.name + ".json")
        if target.is_file():
            inherited = _read_tsconfig(target, depth + 1, notes)
    opts = data.get("compilerOptions") if isinstance(data.get("compilerOptions"), dict) else {}
    paths = opts.get("paths") if isinstance(opts.get("paths"), dict) else None
    base = opts.get("baseUrl")
    out = TsConfig(inherited.base, dict(inherited.paths))
    if isinstance(base, str):
        out.base = (p.parent / base).resolve()
    if paths is not None:
        out.paths = {k: [t for t in v if isinstance(t, str)] for k, v in paths.items() if isinstance(v, list)}
        if out.base is None:
            out.base = p.parent.resolve()  # TypeScript 4.1+: paths without baseUrl are relative to the config
    return out


def _jsonc(text: str) -> str:
    """JSON with comments and trailing commas (tsconfig.json) -> JSON."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i: j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def _strip_js_comments(text: str) -> str:
    """Comments removed (an import in a comment is not one); strings are kept as they are."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"(^|[^:'\"\\])//[^\n]*", r"\1", text)
