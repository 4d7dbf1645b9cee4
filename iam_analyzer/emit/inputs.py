"""Reading back what earlier stages wrote, for ``iam-analyzer report``: a findings file and a
policies folder. A reviewer handed these files renders the same report without re-running
anything and without an AWS account.

Errors are ValueError naming the file and the place; a function or entry that cannot be
used is skipped and named in the returned notes, the rest is still used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iam_analyzer.analyze.checks.engine import SEVERITIES, Finding, Rule, load_rules
from iam_analyzer.analyze.generate.deployed import Dropped, Entry, Result_
from iam_analyzer.inputs import LIMITS, InputError, load_json, read_text
from iam_analyzer.model import Snapshot

_FINDING_FIELDS = ("rule_id", "title", "severity", "category", "subject", "message")


def _type(v: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "null"}.get(type(v), type(v).__name__)


def _expect(d: dict, key: str, kinds: tuple, what: str, where: str) -> None:
    if key in d and d[key] is not None and not isinstance(d[key], kinds):
        raise ValueError(f"{where}: {key} must be {what}, not {_type(d[key])}")


def load_findings(path: str | Path) -> dict:
    """A findings file, read at the door (regular file, size, depth, UTF-8): an InputError
    naming the file and the place otherwise."""
    return load_json(path, "findings")


def _finding(d, where: str) -> Finding:
    if not isinstance(d, dict) or any(not isinstance(d.get(k), str) for k in _FINDING_FIELDS):
        raise ValueError(f"{where}: a finding needs {', '.join(_FINDING_FIELDS)} as text")
    if d["severity"] not in SEVERITIES:
        raise ValueError(f"{where}: unknown severity {d['severity']!r}")
    for key in ("location", "evidence", "suppressed"):
        _expect(d, key, (dict,), "a mapping", where)
    for key in ("remediation", "fingerprint"):
        _expect(d, key, (str,), "text", where)
    return Finding(rule_id=d["rule_id"], title=d["title"], severity=d["severity"], category=d["category"],
                   subject=d["subject"], message=d["message"], evidence=d.get("evidence") or {},
                   remediation=d.get("remediation") or "", fingerprint=d.get("fingerprint") or "",
                   suppressed=d.get("suppressed"), location=d.get("location"))


def findings_from_document(doc, where: str = "findings") -> tuple[list, list, list, dict]:
    """(reported, suppressed, notes, rules) from a findings file; rules from the shipped pack."""
    if not isinstance(doc, dict) or doc.get("kind") != "iam-analyzer-findings":
        raise ValueError(f"{where}: not a findings file from iam-analyzer analyze or audit")
    raw_notes = doc.get("notes") or []
    if not isinstance(raw_notes, list):
        raw_notes = [f"skipped: {where}: notes must be a list, not {_type(raw_notes)}"]
    notes = [n for n in raw_notes if isinstance(n, str)]
    lists = []
    for key in ("findings", "suppressed"):
        items = doc.get(key) or []
        if not isinstance(items, list):
            raise ValueError(f"{where}: {key}: a list is expected")
        got = []
        for i, d in enumerate(items):
            try:
                got.append(_finding(d, f"{where}: {key}[{i}]"))
            except ValueError as e:
                notes.append(f"skipped: {e}")
        lists.append(got)
    pack = load_rules()
    rules: dict[str, Rule] = {}
    recorded = doc.get("rules") if isinstance(doc.get("rules"), dict) else {}
    for rid in sorted({f.rule_id for f in lists[0] + lists[1]} | set(recorded)):
        if rid in pack:
            rules[rid] = pack[rid]
            continue
        r = recorded.get(rid) if isinstance(recorded.get(rid), dict) else {}
        sev = r.get("severity") if r.get("severity") in SEVERITIES else "info"
        rules[rid] = Rule(id=rid, title=str(r.get("title") or rid), severity=sev, category=str(r.get("category") or ""),
                          why="(a rule that is not in this installation's rule pack)", fix="")
    return lists[0], lists[1], notes, rules


def _documents(path: Path) -> list[dict]:
    if path.suffix == ".json":
        d = load_json(path, "policy")
        docs = d.get("PolicyDocuments", [d]) if isinstance(d, dict) else []
    elif path.suffix in (".yaml", ".yml"):
        from iam_analyzer.collect.iac.loader import LoadError, loads, plain

        try:
            d = plain(loads(read_text(path, LIMITS["policy"])))  # bounded: depth, aliases, numbers
        except LoadError as e:
            raise InputError(path, str(e)) from None
        d = d if isinstance(d, dict) else {}
        pols = d.get("Policies") if isinstance(d.get("Policies"), list) else []
        docs = [p.get("PolicyDocument") for p in pols if isinstance(p, dict)]
    else:
        return []  # Terraform: the report shows counts, not the document
    docs = docs if isinstance(docs, list) else []
    return [x for x in docs if isinstance(x, dict) and "Statement" in x]


def _summary_entry(s: Any, where: str) -> dict:
    """One function of summary.json, its fields checked for the types generate writes."""
    if not isinstance(s, dict):
        raise ValueError(f"{where}: must be a mapping, not {_type(s)}")
    for key in ("granted_actions_before", "granted_actions_after"):
        if key in s and s[key] is not None and (isinstance(s[key], bool) or not isinstance(s[key], int)):
            raise ValueError(f"{where}: {key} must be a number, not {_type(s[key])}")
    _expect(s, "warnings", (list,), "a list", where)
    _expect(s, "file", (str,), "a file name", where)
    _expect(s, "function", (str,), "a function ARN", where)
    return s


def load_policies(folder: Path, snapshot: Snapshot) -> tuple[list[Result_], list[str]]:
    """Generated policies from a folder written by ``generate -o`` or ``audit`` (summary.json,
    each function's policy file and ``.explain.json``). Returns (results, notes)."""
    summary_path = folder / "summary.json"
    if not summary_path.exists() and not summary_path.is_symlink():
        raise ValueError(f"{summary_path}: no such file (a policies folder from generate or audit has one)")
    summary = load_json(summary_path)
    if not isinstance(summary, dict) or not isinstance(summary.get("functions"), list):
        raise ValueError(f"{summary_path}: no 'functions' list")
    functions = {f.arn: f for f in snapshot.functions()}
    results, notes = [], []
    for i, s in enumerate(summary["functions"]):
        where = f"{summary_path}: functions[{i}]"
        try:
            s = _summary_entry(s, where)
        except ValueError as e:
            notes.append(f"{e}; skipped")
            continue
        fn = functions.get(s.get("function"))
        if fn is None:
            notes.append(f"{where}: function not in the snapshot; skipped")
            continue
        res = Result_(function=fn, role=snapshot.find_role(fn.role_arn),
                      before=int(s.get("granted_actions_before") or 0), after=int(s.get("granted_actions_after") or 0),
                      warnings=[w for w in s.get("warnings") or [] if isinstance(w, str)])
        try:
            if s.get("file"):
                res.documents = _documents(folder / Path(s["file"]).name)
            explain_name = Path(s["file"]).stem if s.get("file") else None
            explain = folder / f"{explain_name}.explain.json" if explain_name else None
            if explain is not None and (explain.exists() or explain.is_symlink()):
                e = load_json(explain)
                if not isinstance(e, dict):
                    raise InputError(explain, f"must be a mapping, not {_type(e)}")
                for key, kinds, what in (("verification", (dict,), "a mapping"), ("kept", (list,), "a list"),
                                         ("dropped_unused_by_service", (dict,), "a mapping"),
                                         ("dropped_unverified", (list,), "a list")):
                    try:
                        _expect(e, key, kinds, what, str(explain))
                    except ValueError as bad:
                        raise InputError(explain, str(bad).split(": ", 1)[1]) from None
                res.verification = e.get("verification") or {}
                res.entries = [Entry(k["action"], str(k.get("resource", "*")), str(k.get("origin", "observed")),
                                     k.get("evidence") if isinstance(k.get("evidence"), dict) else {})
                               for k in e.get("kept") or [] if isinstance(k, dict) and isinstance(k.get("action"), str)]
                res.unused_by_service = e.get("dropped_unused_by_service") or {}
                res.dropped = [Dropped([a for a in d["actions"] if isinstance(a, str)], str(d.get("resource", "*")),
                                       str(d.get("reason", "")),
                                       d.get("add_back") if isinstance(d.get("add_back"), dict) else {})
                               for d in e.get("dropped_unverified") or [] if isinstance(d, dict) and isinstance(d.get("actions"), list)]
            else:
                res.verification = {"ok": bool(s.get("verified"))}
        except InputError as e:
            notes.append(f"{where}: {e}; shown without its policy")
        except (OSError, ValueError) as e:
            notes.append(f"{where}: {s.get('file')}: cannot be read ({e}); shown without its policy")
        results.append(res)
    return results, notes
