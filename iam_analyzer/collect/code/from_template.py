"""A template function's own code: SAM ``CodeUri`` / ``InlineCode``, CloudFormation
``Code.ZipFile``, so ``new-role --template T --function F`` needs no ``--code``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iam_analyzer.collect.iac.loader import LoadError, load_file

from .entry import handler_files


def function_code(template: str | Path, logical_id: str) -> tuple[list[Path], list[tuple[str, str, str]], list[str]]:
    """(code files or folders, inline sources as (path, module, text), notes)."""
    code = template_code(template, logical_id)
    return code.paths, code.inline, code.notes


@dataclass
class TemplateCode:
    paths: list[Path] = field(default_factory=list)  # the handler's files (or the code folder)
    inline: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    root: Path | None = None  # the code folder (CodeUri)
    handler: str | None = None
    runtime: str | None = None
    entry_points: list[str] = field(default_factory=list)  # SAM esbuild BuildProperties.EntryPoints


def function_build(template: str | Path, logical_id: str) -> TemplateCode:
    """The function's Handler, Runtime and esbuild entry points, without reading its code."""
    return template_code(template, logical_id, read=False)


def template_code(template: str | Path, logical_id: str, read: bool = True) -> TemplateCode:
    """Where a template function's code is, and which of its files the handler runs."""
    out = TemplateCode()
    try:
        data = load_file(Path(template))
    except (LoadError, OSError) as e:
        out.notes.append(f"{template}: {e}")
        return out
    from iam_analyzer.collect.iac.serverless import is_service

    if is_service(data):
        return _service_code(Path(template), data, logical_id, out, read)
    resources = data.get("Resources") if isinstance(data, dict) else None
    res = resources.get(logical_id) if isinstance(resources, dict) else None
    if not isinstance(res, dict):
        return out
    props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
    glob = ((data.get("Globals") or {}).get("Function") or {}) if isinstance(data.get("Globals"), dict) else {}
    glob = glob if isinstance(glob, dict) else {}
    runtime = str(props.get("Runtime") or glob.get("Runtime") or "")
    handler = props.get("Handler", glob.get("Handler"))
    out.runtime = runtime or None
    out.handler = handler if isinstance(handler, str) else None
    meta = res.get("Metadata") if isinstance(res.get("Metadata"), dict) else {}
    build = meta.get("BuildProperties") if isinstance(meta.get("BuildProperties"), dict) else {}
    entries = build.get("EntryPoints") if str(meta.get("BuildMethod", "")).lower() == "esbuild" else None
    out.entry_points = [e for e in entries if isinstance(e, str)] if isinstance(entries, list) else []
    if not read:
        return out
    suffix = ".js" if runtime.startswith("nodejs") else ".py"
    inline = props.get("InlineCode")
    if inline is None and isinstance(props.get("Code"), dict):
        inline = props["Code"].get("ZipFile")
    if isinstance(inline, str):
        out.inline.append((f"{template}#{logical_id}{suffix}", logical_id, inline))
        return out
    uri = props.get("CodeUri", glob.get("CodeUri"))
    if isinstance(uri, str) and uri and not uri.startswith("s3://"):
        path = (Path(template).parent / uri).resolve()
        if path.is_dir():
            out.root = path
            if out.handler:
                entry = handler_files(path, out.handler, out.runtime, Path(template).parent, out.entry_points)
                out.notes += entry.notes
                if entry.files:  # the handler and what it imports, not every file of a shared folder
                    out.paths = entry.files
                    return out
                out.notes.append(f"{template}: {logical_id} handler {out.handler}: no such file in {uri}; "
                                 "every file of the folder is read")
            out.paths = [path]
            return out
        if path.exists():
            out.paths = [path]
            return out
        out.notes.append(f"{template}: {logical_id} CodeUri {uri} does not exist here")
    elif uri is not None:
        out.notes.append(f"{template}: {logical_id} code is not local (CodeUri {uri if isinstance(uri, str) else 'an object'}); "
                         "give --code")
    return out


def _service_code(template: Path, data: dict, key: str, out: TemplateCode, read: bool) -> TemplateCode:
    """A Serverless Framework function's handler file: ``handler`` is relative to the service
    folder, ``runtime`` the function's or the provider's."""
    functions = data.get("functions") if isinstance(data.get("functions"), dict) else {}
    fn = functions.get(key)
    if not isinstance(fn, dict):
        return out
    provider = data.get("provider") if isinstance(data.get("provider"), dict) else {}
    runtime = fn.get("runtime", provider.get("runtime"))
    out.runtime = runtime if isinstance(runtime, str) and "${" not in runtime else None
    handler = fn.get("handler")
    if not isinstance(handler, str) or "${" in handler:
        out.notes.append(f"{template}: function {key} has no handler read offline (an image or a variable); give --code")
        return out
    out.handler, out.root = handler, template.parent.resolve()
    if not read:
        return out
    entry = handler_files(template.parent, handler, out.runtime, template.parent)
    out.notes += entry.notes
    if entry.files:
        out.paths = entry.files
    else:
        out.notes.append(f"{template}: function {key}: handler {handler} not found beside the service; give --code")
    return out


def entry_files(root: Path, handler: str, runtime: str | None = None) -> list[Path]:
    """The handler's file and the local files it imports, transitively."""
    return handler_files(root, handler, runtime).files
