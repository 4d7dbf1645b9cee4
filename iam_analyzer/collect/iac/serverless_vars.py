"""Serverless Framework variables (``${source:address, fallback}``), resolved offline and bounded.

Resolved: ``${self:a.b}`` (this service's own values), ``${sls:stage}``, ``${opt:stage}`` /
``${opt:region}`` / ``${opt:x}`` and ``${param:x}`` and ``${env:X}`` (from ``--param``),
``${aws:region}``/``${aws:accountId}``, ``${file(path)}`` and ``${file(path):a.b}`` (YAML or JSON,
relative to the file that names it), ``${strToBool(x)}``; fallbacks in order
(``${opt:stage, 'dev'}``, ``${env:A, env:B, 'x'}``); variables inside addresses
(``${self:custom.${sls:stage}.table}``). What only deployment knows (``${cf:...}``,
``${ssm:...}``, ``${s3:...}``, an ``env``/``param`` with no value and no fallback, a ``.js``
file) becomes ``*`` and is listed with file and line. Files are read only under the service's
folder or the working folder. ``${AWS::Region}`` and ``${Res.Arn}`` are
left for CloudFormation's ``Fn::Sub``. Nothing is run.

Untrusted input is bounded: a chain of references at most ``MAX_CHAIN`` deep, a reference to
itself (directly or in a cycle) is a placeholder, and the values produced, counted as the
tree they expand to, stay under ``MAX_VALUES``, so a service whose variables fan out (each
value naming the one before twice) is refused, not expanded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .constants import WILDCARD
from .constants import text as _text
from .loader import LDict, LList, LoadError, line_of, load_file
from .resolve import Unresolved

MAX_CHAIN = 32
MAX_VALUES = 200_000
MAX_TEXT = 1_000_000
_MISSING = object()
_SOURCE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*(\(|:)")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DEPLOY_ONLY = {"cf": "a CloudFormation stack output", "ssm": "an SSM parameter", "s3": "an S3 object",
                "sls:instanceId": "the deployment's instance id", "git": "the git checkout",
                "secretsmanager": "a Secrets Manager secret", "vault": "a Vault secret", "terraform": "Terraform state"}


class VariableError(ValueError):
    """A service whose variables cannot be resolved within the bounds (one line, with the line)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.args[0]}" if self.line else self.args[0]


class FDict(LDict):
    """A mapping read from a file pulled in with ``${file(...)}``: remembers that file, and the
    line of the service that pulls it in (``at``)."""

    __slots__ = ("path", "at")


class FList(LList):
    __slots__ = ("path", "at")


def path_of(node: Any, default: str) -> str:
    return getattr(node, "path", None) or default


class Variables:
    """Resolve every variable of one service document (``resolve_all``), or of one value."""

    def __init__(self, path: str, doc: Any, params: dict[str, Any], *, region: str, account: str,
                 unresolved: list[Unresolved]):
        self.path = path
        self.doc = doc
        self.params = params
        self.region = region
        self.account = account
        self.stage = "dev"
        self.unresolved = unresolved
        self.included: set[str] = set()
        self._seen: set[tuple] = set()
        self._memo: dict[tuple, tuple[Any, int]] = {}
        self._active: set[tuple] = set()
        self._budget = MAX_VALUES
        self._at: list[int | None] = []  # lines of the ${file()} references being resolved
        self.warnings: list[str] = []

    def forget(self) -> None:
        """Drop remembered values (after the stage or region changed)."""
        self._memo.clear()

    # -- bookkeeping ----------------------------------------------------------------------------

    def note(self, path: str, line: int | None, what: str) -> None:
        if (path, line, what) not in self._seen:
            self._seen.add((path, line, what))
            self.unresolved.append(Unresolved(path, line, what))

    def _spend(self, n: int, line: int | None) -> None:
        self._budget -= n
        if self._budget < 0:
            raise VariableError(f"variables expand to more than {MAX_VALUES} values: refused", line)

    # -- values ---------------------------------------------------------------------------------

    def resolve(self, node: Any, path: str | None = None, line: int | None = None, chain: int = 0) -> Any:
        """A copy of ``node`` with every variable resolved (mappings and lists keep their lines)."""
        value, _size = self._resolve(node, path or self.path, line, chain)
        return value

    def _resolve(self, node: Any, path: str, line: int | None, chain: int) -> tuple[Any, int]:
        if isinstance(node, str):
            if "${" not in node:
                return node, 1
            value = self.interpolate(node, path, line, chain)
            return value, _size(value)
        if isinstance(node, dict):
            out = FDict() if path != self.path else LDict()
            if isinstance(out, FDict):
                out.path, out.at = path, self._at[0] if self._at else None
            out.line = line_of(node) or line
            size = 1
            for k, v in node.items():
                kl = line_of(node, k)
                key = self.interpolate(k, path, kl, chain) if isinstance(k, str) and "${" in k else k
                key = key if isinstance(key, (str, int, float, bool)) or key is None else _text(key)
                r, n = self._resolve(v, path, kl, chain)
                out[key] = r
                if kl:
                    out.key_lines[key] = kl
                size += n
            self._spend(1, out.line)
            return out, size
        if isinstance(node, list):
            lst = FList() if path != self.path else LList()
            if isinstance(lst, FList):
                lst.path, lst.at = path, self._at[0] if self._at else None
            lst.line = line_of(node) or line
            size = 1
            for v in node:  # a text item has no line of its own: the line of the key holding the list
                r, n = self._resolve(v, path, (line or lst.line) if isinstance(v, str) else lst.line, chain)
                lst.append(r)
                size += n
            self._spend(1, lst.line)
            return lst, size
        return node, 1

    def interpolate(self, text: str, path: str, line: int | None, chain: int = 0) -> Any:
        """Text with its variables replaced; a text that is one variable gives that value as is."""
        if len(text) > MAX_TEXT:
            raise VariableError(f"a value of {len(text)} characters: refused", line)
        pieces: list[Any] = []
        i = 0
        while i < len(text):
            j = text.find("${", i)
            if j < 0:
                pieces.append(text[i:])
                break
            end = _closing(text, j + 2)
            if end < 0:
                pieces.append(text[i:])
                break
            pieces.append(text[i:j])
            inner = text[j + 2:end]
            if _is_variable(inner):
                pieces.append(self.variable(inner, path, line, chain))
            else:
                pieces.append(text[j:end + 1])  # ${AWS::Region}, ${Res.Arn}: for Fn::Sub
            i = end + 1
        kept = [p for p in pieces if not (isinstance(p, str) and p == "")]
        if len(kept) == 1 and not isinstance(kept[0], str):
            return kept[0]
        out = "".join(_text(p) if not isinstance(p, str) else p for p in kept)
        if len(out) > MAX_TEXT:
            raise VariableError(f"variables expand a value to {len(out)} characters: refused", line)
        return out

    def variable(self, expr: str, path: str, line: int | None, chain: int = 0) -> Any:
        """One ``${...}`` body: the address, then each fallback until one has a value."""
        if chain >= MAX_CHAIN:
            self.note(path, line, f"variable ${{{expr.strip()}}}: references nested more than {MAX_CHAIN} deep")
            return WILDCARD
        candidates = _split_top(expr)
        for n, raw in enumerate(candidates):
            raw = shown = raw.strip()  # notes show what was written: a nested value may be a secret
            if n > 0:
                literal = _literal(raw)
                if literal is not _MISSING:
                    return literal
            if "${" in raw:
                raw = _text(self.interpolate(raw, path, line, chain + 1))
            if not _is_variable(raw):
                return raw if n > 0 else WILDCARD
            value = self._source(raw.strip(), path, line, chain + 1, n == len(candidates) - 1, shown)
            if value is not _MISSING:
                return value
        self.note(path, line, f"variable ${{{expr.strip()}}} has no value and no fallback")
        return WILDCARD

    # -- sources --------------------------------------------------------------------------------

    def _source(self, expr: str, path: str, line: int | None, chain: int, last: bool, shown: str) -> Any:
        m = _SOURCE.match(expr)
        source = m.group(1) if m else ""
        rest = expr[m.end():] if m else expr
        if m and m.group(2) == "(":
            close = _closing_paren(rest)
            args, address = rest[:close], rest[close + 1:].lstrip()
            address = address[1:] if address.startswith(":") else address
        else:
            args, address = "", rest
        address = address.strip()
        if source == "self":
            return self._self(address, line, chain)
        if source == "sls":
            if address == "stage":
                return self.stage
            what = _DEPLOY_ONLY.get(f"sls:{address}", f"sls:{address}")
            self.note(path, line, f"${{{shown}}} is {what}, known at deployment")
            return WILDCARD
        if source in ("opt", "param", "env"):
            key = "stage" if (source == "opt" and address == "stage") else address
            if key in self.params:
                return self.params[key]
            if source == "param":  # the service's own `params:` (v3) or `stages:` (v4): the stage's, then default
                for where in (f"params.{self.stage}", f"stages.{self.stage}.params", "params.default",
                              "stages.default.params"):
                    value = self._self(f"{where}.{address}", line, chain)
                    if value is not _MISSING:
                        return value
            if source == "opt" and address == "region" and last:
                return self.region  # no --region: the provider's region, as the framework does
            if last:
                self.note(path, line, f"${{{shown}}}: no value given (--param {address if shown == expr else '...'}=...)")
                return WILDCARD
            return _MISSING
        if source == "aws":
            if address == "region":
                return self.region
            if address == "accountId":
                return self.account
        if source == "strToBool":
            return _literal_text(args).strip().lower() in ("true", "1")
        if source == "file":
            return self._file(_literal_text(args).strip(), address, path, line, chain, last)
        what = _DEPLOY_ONLY.get(source, f"a variable of source {source or '?'}")
        self.note(path, line, f"${{{shown}}} is {what}, read at deployment")
        return WILDCARD

    def _self(self, address: str, line: int | None, chain: int) -> Any:
        key = ("self", address)
        if key in self._memo:
            value, size = self._memo[key]
            self._spend(size, line)
            return value
        if key in self._active:
            self.note(self.path, line, f"${{self:{address}}} refers to itself")
            return WILDCARD
        node = self._walk(address, line, chain)
        if node is _MISSING:
            # the framework fills these before resolving: the stage and region in effect
            return {"provider.stage": self.stage, "provider.region": self.region}.get(address, _MISSING)
        self._active.add(key)
        try:
            value, size = self._resolve(node, path_of(node, self.path), line_of(node) or line, chain)
        finally:
            self._active.discard(key)
        self._memo[key] = (value, size)
        return value

    def _walk(self, address: str, line: int | None, chain: int) -> Any:
        """The node at ``address``; a section that is itself a variable (``custom: ${file(x.yml)}``)
        is resolved on the way down."""
        node = self.doc
        for part in address.split(".") if address else []:
            if isinstance(node, str) and "${" in node:
                node = self.interpolate(node, path_of(node, self.path), line, chain + 1)
            node = _lookup(node, part)
            if node is _MISSING:
                return _MISSING
        return node

    def _file(self, rel: str, address: str, path: str, line: int | None, chain: int, last: bool) -> Any:
        base = Path(path).parent
        target = (base / rel) if rel else base
        if target.suffix.lower() in (".js", ".cjs", ".mjs", ".ts"):
            self.note(path, line, f"${{file({rel})}} is computed by JavaScript: not run")
            return WILDCARD
        resolved = target.resolve()
        root = Path(self.path).parent.resolve()
        if Path(rel).is_absolute() or not (_inside(resolved, root) or _inside(resolved, Path.cwd().resolve())):
            self.warnings.append(f"{path}: line {line}: ${{file({rel})}} is outside the service's folder and the "
                                 "working folder: not read")
            self.note(path, line, f"${{file({rel})}} is outside the service's folder: not read")
            return WILDCARD
        key = ("file", str(resolved) if rel else "", address)
        if key in self._memo:
            value, size = self._memo[key]
            self._spend(size, line)
            return value
        if key in self._active:
            self.note(path, line, f"${{file({rel})}} includes itself")
            return WILDCARD
        try:
            data = load_file(target)
        except (LoadError, OSError) as e:
            if isinstance(e, FileNotFoundError) and not last:
                return _MISSING
            why = (e.strerror or str(e)) if isinstance(e, OSError) else str(e)
            self.warnings.append(f"{path}: line {line}: ${{file({rel})}}: {target}: {why}; read as \"*\"")
            self.note(path, line, f"${{file({rel})}} could not be read")
            return WILDCARD
        self.included.add(str(resolved))
        node = _lookup(data, address) if address else data
        if node is _MISSING:
            return _MISSING
        self._active.add(key)
        self._at.append(line if path == self.path or not self._at else self._at[-1])
        try:
            value, size = self._resolve(node, str(target), line_of(node), chain)
        finally:
            self._active.discard(key)
            self._at.pop()
        self._memo[key] = (value, size)
        return value


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


# -- text helpers --------------------------------------------------------------------------------


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` closing a ``${`` whose body starts at ``start``, or -1."""
    depth = 1
    quote = None
    i = start
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"" and depth == 1:
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _closing_paren(text: str) -> int:
    depth = 1
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def _split_top(expr: str) -> list[str]:
    """Split on commas outside quotes, parentheses and nested ``${}``."""
    out, cur, depth, quote = [], [], 0, None
    for c in expr:
        if quote:
            cur.append(c)
            if c == quote:
                quote = None
            continue
        if c in "'\"":
            quote = c
        elif c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        elif c == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    out.append("".join(cur))
    return out


def _is_variable(body: str) -> bool:
    m = _SOURCE.match(body)
    if m is None:
        return False
    return not body[m.end():].startswith(":")  # AWS::Region is CloudFormation's


def _literal(raw: str) -> Any:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if _NUMBER.match(raw):
        return int(raw) if "." not in raw else float(raw)
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    return _MISSING


def _literal_text(raw: str) -> str:
    v = _literal(raw.strip())
    return v if isinstance(v, str) else raw.strip()


def _lookup(doc: Any, address: str) -> Any:
    node = doc
    if not address:
        return node
    for part in address.split("."):
        if isinstance(node, dict):
            hit = next((v for k, v in node.items() if str(k) == part), _MISSING)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            hit = node[int(part)]
        else:
            return _MISSING
        if hit is _MISSING:
            return _MISSING
        node = hit
    return node


def _size(value: Any) -> int:
    """How many values a resolved value is (mappings and lists counted as trees, iteratively)."""
    n, todo = 0, [value]
    while todo:
        v = todo.pop()
        n += 1
        if isinstance(v, dict):
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
        if n > MAX_VALUES:
            break
    return n
