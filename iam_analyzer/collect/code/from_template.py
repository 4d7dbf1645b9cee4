"""A template function's own code: SAM ``CodeUri`` / ``InlineCode``, CloudFormation
``Code.ZipFile``, so ``new-role --template T --function F`` needs no ``--code``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from iam_analyzer.collect.iac.loader import LoadError, load_file


def function_code(template: str | Path, logical_id: str) -> tuple[list[Path], list[tuple[str, str, str]], list[str]]:
    """(code folders or files, inline sources as (path, module, text), notes)."""
    notes: list[str] = []
    try:
        data = load_file(Path(template))
    except (LoadError, OSError) as e:
        return [], [], [f"{template}: {e}"]
    from iam_analyzer.collect.iac.serverless import is_service

    if is_service(data):
        return _service_code(Path(template), data, logical_id)
    resources = data.get("Resources") if isinstance(data, dict) else None
    res = resources.get(logical_id) if isinstance(resources, dict) else None
    if not isinstance(res, dict):
        return [], [], []
    props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
    glob = ((data.get("Globals") or {}).get("Function") or {}) if isinstance(data.get("Globals"), dict) else {}
    runtime = str(props.get("Runtime") or glob.get("Runtime") or "")
    suffix = ".js" if runtime.startswith("nodejs") else ".py"
    inline = props.get("InlineCode")
    if inline is None and isinstance(props.get("Code"), dict):
        inline = props["Code"].get("ZipFile")
    if isinstance(inline, str):
        return [], [(f"{template}#{logical_id}{suffix}", logical_id, inline)], notes
    uri = props.get("CodeUri", glob.get("CodeUri"))
    handler = props.get("Handler", glob.get("Handler"))
    if isinstance(uri, str) and uri and not uri.startswith("s3://"):
        path = (Path(template).parent / uri).resolve()
        if path.is_dir() and isinstance(handler, str):
            files = entry_files(path, handler)
            if files:  # the handler and what it imports, not every file of a shared folder
                return files, [], notes
        if path.exists():
            return [path], [], notes
        notes.append(f"{template}: {logical_id} CodeUri {uri} does not exist here")
    elif uri is not None:
        notes.append(f"{template}: {logical_id} code is not local (CodeUri {uri if isinstance(uri, str) else 'an object'}); "
                     "give --code")
    return [], [], notes


def _service_code(template: Path, data: dict, key: str) -> tuple[list[Path], list, list[str]]:
    """A Serverless Framework function's handler file: ``handler`` is relative to the service."""
    functions = data.get("functions") if isinstance(data.get("functions"), dict) else {}
    fn = functions.get(key)
    if not isinstance(fn, dict):
        return [], [], []
    handler = fn.get("handler")
    if not isinstance(handler, str) or "${" in handler:
        return [], [], [f"{template}: function {key} has no handler read offline (an image or a variable); give --code"]
    files = entry_files(template.parent, handler)
    if files:
        return files, [], []
    return [], [], [f"{template}: function {key}: handler {handler} not found beside the service; give --code"]


_JS_IMPORT = re.compile(r"""(?:from\s+|require\(\s*|import\(\s*)['"](\.{1,2}/[^'"]+)['"]""")


def entry_files(root: Path, handler: str) -> list[Path]:
    """The handler's file and the local files it imports, transitively (Python modules of the
    folder; JS/TS relative imports). Empty when the handler's file is not found."""
    module = handler.rsplit(".", 1)[0] if "." in handler else handler
    start = _find(root, module.replace(".", "/")) or _find(root, module)
    if start is None:
        return []
    seen: list[Path] = []
    todo = [start]
    while todo and len(seen) < 2000:
        f = todo.pop()
        if f in seen:
            continue
        seen.append(f)
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        todo.extend(_local_imports(root, f, text))
    return seen


def _find(root: Path, stem: str) -> Path | None:
    for suffix in (".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"):
        p = root / f"{stem}{suffix}"
        if p.is_file():
            return p
    p = root / stem / "__init__.py"
    return p if p.is_file() else None


def _local_imports(root: Path, f: Path, text: str) -> list[Path]:
    out: list[Path] = []
    if f.suffix == ".py":
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return out
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = f.parent.relative_to(root).parts
                    pkg = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                    base = ".".join(list(pkg) + ([base] if base else []))
                names = [base] + [f"{base}.{a.name}" if base else a.name for a in node.names]
            for n in names:
                p = _find(root, n.replace(".", "/")) if n else None
                if p is not None:
                    out.append(p)
        return out
    for rel in _JS_IMPORT.findall(text):
        target = (f.parent / rel).resolve()
        try:
            target.relative_to(root.resolve())
        except ValueError:
            continue  # outside the function's folder
        p = target if target.is_file() else _find(target.parent, target.name) or _find(target, "index")
        if p is not None:
            out.append(p)
    return out
