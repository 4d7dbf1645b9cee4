"""Values of the Terraform evaluator: ``UNKNOWN`` (known only after apply), ``Text`` (a string
that remembers where it and its policy statements were written), the scope of names, limits."""

from __future__ import annotations

from typing import Any, Callable

from .loader import LDict, LList, line_of

MAX_STEPS = 2_000_000
MAX_ITEMS = 10_000  # elements of one collection made by a for expression, range or a function
MAX_TEXT = 1_000_000  # characters of one string
MAX_CHARS = 50_000_000  # characters of all strings one reading makes


class _Unknown:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        return True  # a condition on an unknown value is taken as true (the caller records it)


UNKNOWN = _Unknown()


class EvalLimit(Exception):
    """One expression is over a size limit (a collection, a string, ``range``): it is unknown."""


class BudgetSpent(EvalLimit):
    """The evaluation budget of a reading is spent: what is left is unknown."""


class Text(str):
    """A string with where it was written: ``line`` of its first character, ``file``; ``places``
    [(file, line)] of each policy statement when known (jsonencode of an object literal)."""

    file: str | None = None
    line: int | None = None
    places: list | None = None

    def statement_places(self) -> list:
        if self.places is not None:
            return self.places
        if not self.line or "Statement" not in self:
            return []
        from .loader import loads

        try:
            doc = loads(str(self))
        except Exception:  # noqa: BLE001 - not JSON: no statement lines, the mapper notes it
            return []
        stmts = doc.get("Statement") if isinstance(doc, dict) else None
        if isinstance(stmts, dict):
            stmts = [stmts]
        return [(self.file, self.line + (line_of(s) or 1) - 1) for s in stmts] if isinstance(stmts, list) else []


def text(value: str, file: str | None = None, line: int | None = None, places: list | None = None) -> Text:
    t = Text(value)
    t.file, t.line, t.places = file, line, places
    return t


def has_unknown(v: Any, depth: int = 0) -> bool:
    if v is UNKNOWN:
        return True
    if depth > 64:
        return False
    if isinstance(v, dict):
        return any(has_unknown(x, depth + 1) for x in v.values())
    if isinstance(v, list):
        return any(has_unknown(x, depth + 1) for x in v)
    return False


def to_string(v: Any) -> str:
    """A value inside a string template; unknown and non-strings Terraform would reject read as ``*``."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if v is None:
        return ""
    return "*"


class Scope:
    """Names an expression can see: for-expression and template variables over the module's."""

    def __init__(self, resolve: Callable, file: str, names: dict | None = None, parent: "Scope | None" = None,
                 functions: dict | None = None):
        self.resolve = resolve  # (root name, steps [(kind, key)], line) -> (value, steps consumed)
        self.file = file
        self.names = names or {}
        self.parent = parent
        self.functions = functions if functions is not None else (parent.functions if parent else {})

    def child(self, names: dict) -> "Scope":
        return Scope(self.resolve, self.file, names, self, self.functions)

    def lookup(self, name: str) -> tuple[bool, Any]:
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return True, s.names[name]
            s = s.parent
        return False, None


def plain(v: Any, depth: int = 0) -> Any:
    """A value for a resource's attributes: ``UNKNOWN`` written as ``*`` (the plan reader's placeholder)."""
    if v is UNKNOWN:
        return "*"
    if depth > 64:
        return "*"
    if isinstance(v, dict) and not hasattr(v, "attr"):
        out = LDict((str(k), plain(x, depth + 1)) for k, x in v.items())
        out.line, out.key_lines = getattr(v, "line", None), getattr(v, "key_lines", {})
        return out
    if isinstance(v, list):
        out_l = LList(plain(x, depth + 1) for x in v)
        out_l.line = getattr(v, "line", None)
        return out_l
    if hasattr(v, "attr"):
        return "*"
    if isinstance(v, Text) and "Statement" not in v:
        return str(v)  # where a string was written matters only for policy documents
    return v
