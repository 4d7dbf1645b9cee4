"""Load YAML and JSON into nodes that remember their line, with CloudFormation's short-form tags.

Every mapping becomes a ``LDict`` and every sequence a ``LList``; both carry ``line`` (1-based,
the line where the node starts) and ``LDict`` also ``key_lines`` (key -> line of the key). Scalars
stay plain ``str``/``int``/... so the rest of the reader works on ordinary Python values.

YAML goes through libyaml when it is available. JSON (text starting with ``{`` or ``[``) goes
through the standard library's decoder with hooks that record lines: ten times faster than
YAML for the tens of megabytes a Terraform plan can reach. JSON that is not strict JSON is
tried as YAML (flow style) before it is reported.

Untrusted input is bounded: the file size, the nesting depth and the number of nodes once
aliases are expanded (a "billion laughs" document is refused, not walked). Problems are raised
as ``LoadError`` with a one-line message naming the line.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import json.scanner
import re
import stat
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 128
MAX_NODES = 5_000_000
# Text once aliases are expanded: without aliases a document holds no more than its file, so a
# real one never comes near; a few aliases to a large leaf would (and Fn::ToJsonString over them).
MAX_EXPANDED_CHARS = MAX_BYTES
# YAML is built into objects by libyaml before any bound on the result can be checked, and
# costs some hundred bytes of memory per node: CloudFormation takes at most 1 MB of template
# (Serverless services and configuration are smaller still), so YAML text is bounded first.
# JSON (Terraform plans run to tens of MB) keeps MAX_BYTES, its values counted before building.
MAX_YAML_BYTES = 8 * 1024 * 1024
MAX_INT_DIGITS = 400  # as iam_analyzer.inputs: an account id has 12 digits; int() of 5,000 is refused by Python

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LoadError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line

    def __str__(self) -> str:
        msg = self.args[0]
        return f"line {self.line}: {msg}" if self.line else msg


class LDict(dict):
    __slots__ = ("line", "key_lines")

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.line: int | None = None
        self.key_lines: dict = {}


class LList(list):
    __slots__ = ("line",)

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.line: int | None = None


def line_of(node: Any, key: Any = None) -> int | None:
    """The line of a node, or of one key of a mapping node (falling back to the node's line)."""
    if key is not None and isinstance(node, LDict):
        return node.key_lines.get(key) or node.line
    return getattr(node, "line", None)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LDict:
    out = LDict()
    out.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for knode, vnode in node.value:
        key = loader.construct_object(knode, deep=True)
        try:
            hash(key)
        except TypeError:
            raise LoadError("a mapping key is not a plain value", knode.start_mark.line + 1) from None
        if key in out:
            raise LoadError(f"duplicate key {key!r}", knode.start_mark.line + 1)
        out[key] = loader.construct_object(vnode, deep=True)
        out.key_lines[key] = knode.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    out = LList(loader.construct_object(v, deep=True) for v in node.value)
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
# Dates stay text, as CloudFormation reads them ("2012-10-17" must not become a date).
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)



def _too_long(line: int | None) -> LoadError:
    return LoadError(f"a number of more than {MAX_INT_DIGITS} digits: refused", line)


def _bounded_int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    if sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
        raise _too_long(node.start_mark.line + 1)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _bounded_int)

# Short-form intrinsic functions: !Ref x -> {"Ref": x}, !GetAtt a.b -> {"Fn::GetAtt": ["a", "b"]}.
_SHORT = ("Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
          "Transform", "If", "Equals", "And", "Or", "Not", "Length", "ToJsonString", "ForEach", "GetAtt")


def _intrinsic(name: str):
    key = "Ref" if name == "Ref" else "Condition" if name == "Condition" else f"Fn::{name}"

    def construct(loader: _Loader, node: yaml.Node) -> LDict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt" and isinstance(value, str):
                first, _, rest = value.partition(".")
                value = [first, rest] if rest else [first]
        elif isinstance(node, yaml.SequenceNode):
            value = _sequence(loader, node)
        else:
            value = _mapping(loader, node)
        out = LDict({key: value})
        out.line = node.start_mark.line + 1
        out.key_lines[key] = out.line
        return out

    return construct


for _name in _SHORT + ("Ref", "Condition"):
    _Loader.add_constructor(f"!{_name}", _intrinsic(_name))


def _unknown_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    raise LoadError(f"unknown tag !{suffix}", node.start_mark.line + 1)


_Loader.add_multi_constructor("!", _unknown_tag)


def _check_bounds(data: Any, max_depth: int, max_nodes: int) -> None:
    """Walk without recursion: refuse deep nesting and alias bombs (by values and by the text
    they hold once expanded) before anyone recurses or serialises."""
    stack = [(data, 1, None)]
    count = chars = 0
    while stack:
        node, depth, where = stack.pop()
        where = getattr(node, "line", None) or where
        count += 1
        if count > max_nodes:
            raise LoadError(f"more than {max_nodes} values (after expanding aliases): refused")
        if depth > max_depth:
            raise LoadError(f"nested deeper than {max_depth} levels: refused", getattr(node, "line", None))
        if isinstance(node, dict):
            chars += sum(len(k) for k in node if isinstance(k, str))
            stack.extend((v, depth + 1, where) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, where) for v in node)
        elif isinstance(node, str):
            chars += len(node)
        if chars > MAX_EXPANDED_CHARS:
            raise LoadError(f"more than {MAX_EXPANDED_CHARS} characters of text (after expanding aliases): refused",
                            where)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)


def _json_values_at_most(text: str, max_nodes: int) -> None:
    """Refuse JSON holding more than ``max_nodes`` values before building any. Outside strings,
    values = 1 + colons + array items, array items <= ``[`` + commas in arrays, and commas in
    objects >= colons - ``{``: so values <= 1 + commas + ``[`` + ``{`` (exact without empties)."""
    marks = text.count(",") + text.count("[") + text.count("{")
    if marks < max_nodes:
        return
    outside = _JSON_STRING.sub('""', text)
    marks = outside.count(",") + outside.count("[") + outside.count("{")
    if marks >= max_nodes:
        raise LoadError(f"more than {max_nodes} values: refused")


def _loads_json(text: str) -> Any:
    """JSON with lines, ten times faster than through YAML (Terraform plans run to tens of MB):
    the standard decoder's pure-Python scanner, with object and array hooks that record the
    line each starts on (a key's line is its value's, as formatted JSON writes them together)."""
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None, _w=None):
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        out = LDict(pairs)
        out.line = line_at(s_and_end[1] - 1)
        for k, v in pairs:
            ln = getattr(v, "line", None)
            if ln:
                out.key_lines[k] = ln
        return out, end

    def parse_array(s_and_end, scan_once, _w=None):
        values, end = json.decoder.JSONArray(s_and_end, scan_once)
        out = LList(values)
        out.line = line_at(s_and_end[1] - 1)
        return out, end

    def parse_int(digits: str) -> int:
        if len(digits) > MAX_INT_DIGITS + 1:
            raise _too_long(None)
        return int(digits)

    dec = json.JSONDecoder(parse_int=parse_int)
    dec.parse_object = parse_object  # type: ignore[assignment]
    dec.parse_array = parse_array  # type: ignore[assignment]
    dec.memo = {}  # type: ignore[attr-defined]
    dec.scan_once = json.scanner.py_make_scanner(dec)  # type: ignore[attr-defined]
    return dec.decode(text)


def loads(text: str, *, max_depth: int = MAX_DEPTH,
          max_nodes: int = MAX_NODES) -> Any:
    """Parse YAML or JSON text into line-aware nodes. Raises ``LoadError``."""
    json_error = None
    if text.lstrip()[:1] in ("{", "["):
        _json_values_at_most(text, max_nodes)
        try:
            data = _loads_json(text)
        except RecursionError:
            raise LoadError(f"nested too deeply (over {max_depth} levels): refused") from None
        except LoadError as e:
            m = re.search(r"\d{%d,}" % (MAX_INT_DIGITS + 1), text) if e.line is None else None
            raise (_too_long(text.count("\n", 0, m.start()) + 1) if m else e) from None
        except ValueError as e:  # not strict JSON: may still be YAML flow style
            json_error = e
        else:
            _check_bounds(data, max_depth, max_nodes)
            return data
    if len(text) > MAX_YAML_BYTES:
        raise LoadError(f"{len(text)} characters of YAML, over the {MAX_YAML_BYTES}-character limit "
                        "(CloudFormation takes at most 1 MB of template): refused")
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except LoadError:
        raise
    except RecursionError:
        raise LoadError(f"nested too deeply (over {max_depth} levels): refused") from None
    except yaml.MarkedYAMLError as e:
        if isinstance(json_error, json.JSONDecodeError):
            je = json_error
            raise LoadError(f"invalid JSON: {je.msg} (column {je.colno})", je.lineno) from None
        else:
            mark = e.problem_mark or e.context_mark
            what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
            raise LoadError(f"invalid YAML: {what}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as e:
        raise LoadError(f"invalid YAML: {e}") from None
    _check_bounds(data, max_depth, max_nodes)
    return data


def read_bounded(path: str | Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (a FIFO, a device or a link to one
    is refused, never read forever). Raises ``LoadError`` or ``OSError``."""
    from iam_analyzer.inputs import file_kind, special_reason

    p = Path(path)
    why = special_reason(p)
    if why:
        raise LoadError(why)
    st = p.stat()
    if not stat.S_ISREG(st.st_mode):
        raise LoadError(f"{file_kind(st.st_mode)}, not a regular file: refused")
    if st.st_size > max_bytes:
        raise LoadError(f"file is {st.st_size} bytes, over the {max_bytes}-byte limit: refused")
    with open(p, "rb") as fh:
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise LoadError(f"file is over the {max_bytes}-byte limit: refused")
    return raw


# Parsed documents by content: a CI check reads the base and the head of a change, mostly the
# same files. Callers treat the result as read-only.
_CACHE: dict[tuple, Any] = {}


def load_file(path: str | Path, *, max_bytes: int = MAX_BYTES, **kw: Any) -> Any:
    """Read and parse one file (cached by content). Raises ``LoadError`` or ``OSError``."""
    raw = read_bounded(path, max_bytes)
    key = (hashlib.sha256(raw).hexdigest(), tuple(sorted(kw.items())))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        start = e.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)  # the decoder counts after the BOM
        line = raw.count(b"\n", 0, start) + 1
        col = start - (raw.rfind(b"\n", 0, start) + 1) + 1
        raise LoadError(f"column {col}: not UTF-8 text (byte {start})", line) from None
    data = loads(text, **kw)
    if len(_CACHE) >= 4096:
        _CACHE.clear()
    _CACHE[key] = data
    return data


def plain(node: Any) -> Any:
    """A deep copy as plain dicts and lists (for libraries that check exact types)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
