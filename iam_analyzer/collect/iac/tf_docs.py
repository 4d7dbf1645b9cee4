"""Pieces of the Terraform configuration reader: attributes the provider computes (ARNs, ids and
names built from names, data sources), policy documents
(``data "aws_iam_policy_document"`` merged with its source and override documents),
``file()``/``templatefile()`` inside the module's tree, and the root module's variables
(``--param``, ``--var-file``, ``terraform.tfvars``, ``*.auto.tfvars``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iam_analyzer.iam.policy import loads_document

from . import tf_map
from .loader import LoadError, read_bounded
from .terraform import Instance
from .tf_expr import UNKNOWN, Scope, Text, plain, text
from .tf_hcl import HclError, parse_bytes, parse_expression, parse_file

if TYPE_CHECKING:
    from .tf_module import ModuleDef, ModuleInst, Res
    from .tf_types import ReaderLike as Reader

_TEMPLATE_END = "IAM_ANALYZER_TEMPLATE_END_7f3a"
MAX_READ_FILES = 200  # file()/templatefile() calls that read a file, per root module


def _statements(doc_text: Any) -> list[tuple[dict, tuple]]:
    if not isinstance(doc_text, str) or doc_text in ("", "*"):
        return []
    try:
        doc = loads_document(doc_text)
    except ValueError:
        return []
    stmts = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(stmts, dict):
        stmts = [stmts]
    stmts = [s for s in stmts if isinstance(s, dict)] if isinstance(stmts, list) else []
    places = doc_text.statement_places() if isinstance(doc_text, Text) else []
    return [(s, places[i] if i < len(places) else (None, None)) for i, s in enumerate(stmts)]


def policy_document(reader: "Reader", res: "Res") -> Any:
    """The ``json`` of a ``data "aws_iam_policy_document"``, with where each statement was written.

    Merged as the provider merges: the source documents' statements first, then the document's
    own (replacing a source statement of the same ``Sid``), then each override document's
    (replacing any earlier statement of the same ``Sid``)."""
    blocks = res.attr("statement") if any(b.type in ("statement", "dynamic") for b in res.block.body.blocks) else []
    blocks = blocks if isinstance(blocks, list) else []
    inst = Instance({"address": res.address, "type": res.type, "name": res.name,
                     "values": {"statement": plain(blocks)}}, "", {})
    own = tf_map.policy_document(reader.plan, inst)["Statement"]
    own_places = [(res.block.file, getattr(b, "line", None) or res.block.line) for b in blocks if isinstance(b, dict)]
    merged: list[tuple[dict, tuple]] = []

    def add(items: list[tuple[dict, tuple]]) -> None:
        for st, place in items:
            sid = st.get("Sid")
            at = next((i for i, (s, _) in enumerate(merged) if sid and s.get("Sid") == sid), None)
            if at is None:
                merged.append((st, place))
            else:
                merged[at] = (st, place)

    for key, legacy in (("source_policy_documents", "source_json"), ("override_policy_documents", "override_json")):
        if key == "override_policy_documents":
            add(list(zip(own, own_places)))
        for attr in (legacy, key):
            if attr not in res.block.body.attrs:
                continue
            docs = res.attr(attr)
            docs = [docs] if attr == legacy else docs
            if not isinstance(docs, list):
                docs = [UNKNOWN]
            for d in docs:
                if not isinstance(d, str) or d == "*" or d is UNKNOWN:
                    a = res.block.body.attrs[attr]
                    reader.note(reader.root, a.file, a.line, f"{res.address}: a document in {attr} is known only "
                                "after apply: its statements are not read")
                    continue
                add(_statements(d))
    version = res.attr("version") if "version" in res.block.body.attrs else None
    doc: dict[str, Any] = {"Version": version if isinstance(version, str) else "2012-10-17"}
    pid = res.attr("policy_id") if "policy_id" in res.block.body.attrs else None
    if isinstance(pid, str):
        doc["Id"] = pid
    doc["Statement"] = [s for s, _ in merged]
    places = [p if p[0] else (res.block.file, res.block.line) for _, p in merged]
    return text(json.dumps(doc), res.block.file, res.block.line, places)


# -- files -----------------------------------------------------------------------------------


def file_functions(reader: "Reader", mod: "ModuleInst") -> dict:
    def locate(scope: Scope, line: int, name: Any) -> Path | None:
        if not isinstance(name, str) or name in ("", "*") or "*" in name:
            return None
        p = Path(name)
        p = (p if p.is_absolute() else reader.root / p).resolve()
        if not any(p == a or a in p.parents for a in reader.allowed):
            reader.note(reader.root, scope.file, line, f"{name}: outside the configuration's folders: not read, read as *")
            return None
        reader.reads += 1
        if reader.reads > MAX_READ_FILES:
            reader.note(reader.root, scope.file, line,
                        f"over {MAX_READ_FILES} files read by file()/templatefile(): read as *")
            return None
        return p

    def content(scope: Scope, line: int, name: Any) -> str | None:
        p = locate(scope, line, name)
        if p is None:
            return None
        try:
            return read_bounded(p, 4 * 1024 * 1024).decode("utf-8")
        except (OSError, LoadError, UnicodeDecodeError) as e:
            reader.note(reader.root, scope.file, line, f"{name}: cannot be read ({e}): read as *")
            return None

    def at_call(value: str, scope: Scope, line: int) -> Text:
        n = len(_statements(text(value)))  # every statement of a file is placed at the call
        return text(value, scope.file, line, [(scope.file, line)] * n)

    def file_(ev, scope, line, name):
        c = content(scope, line, name)
        return UNKNOWN if c is None else at_call(c, scope, line)

    def templatefile(ev, scope, line, name, variables=None):
        c = content(scope, line, name)
        if c is None or variables is UNKNOWN:
            return UNKNOWN
        if _TEMPLATE_END in c:
            return UNKNOWN
        try:
            body = parse_bytes(f"t = <<{_TEMPLATE_END}\n{c}\n{_TEMPLATE_END}\n".encode(), scope.file)
        except HclError as e:
            reader.note(reader.root, scope.file, line, f"{name}: not a valid template ({e}): read as *")
            return UNKNOWN
        names = dict(variables) if isinstance(variables, dict) else {}
        inner = Scope(lambda root, steps, ln: (UNKNOWN, 0), scope.file, names, functions=scope.functions)
        v = ev.eval(body.attrs["t"].expr, inner)
        if isinstance(v, str):
            v = v[:-1] if v.endswith("\n") and not c.endswith("\n") else v
            return at_call(v, scope, line)
        return v

    def fileexists(ev, scope, line, name):
        p = locate(scope, line, name)
        return UNKNOWN if p is None else p.is_file()

    return {"file": file_, "templatefile": templatefile, "fileexists": fileexists}


# -- root variables --------------------------------------------------------------------------


def _no_references(root: str, steps: list, line: int) -> tuple[Any, int]:
    return UNKNOWN, 0


def _var_file(reader: "Reader", path: Path, errors: list[str]) -> dict:
    out: dict[str, Any] = {}
    name = str(path)
    if path.name.endswith(".json"):
        try:
            data = json.loads(read_bounded(path, 4 * 1024 * 1024))
        except (OSError, LoadError, ValueError) as e:
            errors.append(f"{name}: cannot be read as JSON variables: {e}")
            return out
        return data if isinstance(data, dict) else out
    try:
        body = parse_file(name)
    except (HclError, LoadError) as e:
        errors.append(f"{name}: {e}")
        return out
    except OSError as e:
        errors.append(f"{name}: cannot read: {e.strerror or e}")
        return out
    for k, a in body.attrs.items():
        out[k] = reader.safe_eval(a.expr, Scope(_no_references, name), a.line)
    return out


def _typed(reader: "Reader", block: Any, value: str) -> Any:
    """A ``--param`` value for a variable: as written for a string, parsed for other types."""
    t = block.body.attrs.get("type") if block is not None else None
    if t is None or t.expr.text.decode().strip() == "string":
        return value
    node = parse_expression(value, "--param")
    if node is None:
        return value
    v = reader.safe_eval(node, Scope(_no_references, "--param"), 1)
    return value if v is UNKNOWN else v


def root_variables(reader: "Reader", defn: "ModuleDef", params: dict, var_files: list[str]) -> tuple[dict, list[str]]:
    """Root module inputs in Terraform's order: terraform.tfvars, *.auto.tfvars, --var-file, --param."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    auto = [defn.folder / "terraform.tfvars", defn.folder / "terraform.tfvars.json"]
    try:
        auto += sorted(p for p in defn.folder.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json")))
    except OSError:
        pass
    for p in auto:
        if p.is_file():
            values.update(_var_file(reader, p, errors))
    for vf in var_files:
        p = Path(vf)
        if not p.exists():
            errors.append(f"{vf}: no such variables file")
            continue
        values.update(_var_file(reader, p, errors))
    for k, v in params.items():
        if k in defn.variables:
            values[k] = _typed(reader, defn.variables[k], v) if isinstance(v, str) else v
    return {k: v for k, v in values.items() if k in defn.variables}, errors


__all__ = ["policy_document", "file_functions", "root_variables"]
