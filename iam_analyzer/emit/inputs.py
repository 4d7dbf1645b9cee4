"""Reading back what earlier stages wrote, for ``iam-analyzer report``: a findings file and a
policies folder. A reviewer handed these files renders the same report without re-running
anything and without an AWS account.

Errors are ValueError naming the file and the place; a function or entry that cannot be
used is skipped and named in the returned notes, the rest is still used.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from iam_analyzer.analyze.checks.engine import SEVERITIES, Finding, Rule, load_rules
from iam_analyzer.analyze.generate.deployed import Dropped, Entry, Result_
from iam_analyzer.model import Snapshot

_FINDING_FIELDS = ("rule_id", "title", "severity", "category", "subject", "message")


def _finding(d, where: str) -> Finding:
    if not isinstance(d, dict) or any(not isinstance(d.get(k), str) for k in _FINDING_FIELDS):
        raise ValueError(f"{where}: a finding needs {', '.join(_FINDING_FIELDS)} as text")
    if d["severity"] not in SEVERITIES:
        raise ValueError(f"{where}: unknown severity {d['severity']!r}")
    return Finding(rule_id=d["rule_id"], title=d["title"], severity=d["severity"], category=d["category"],
                   subject=d["subject"], message=d["message"], evidence=d.get("evidence") or {},
                   remediation=d.get("remediation") or "", fingerprint=d.get("fingerprint") or "",
                   suppressed=d.get("suppressed"), location=d.get("location"))


def findings_from_document(doc, where: str = "findings") -> tuple[list, list, list, dict]:
    """(reported, suppressed, notes, rules) from a findings file; rules from the shipped pack."""
    if not isinstance(doc, dict) or doc.get("kind") != "iam-analyzer-findings":
        raise ValueError(f"{where}: not a findings file from iam-analyzer analyze or audit")
    notes = [n for n in doc.get("notes") or [] if isinstance(n, str)]
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
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        d = json.loads(text)
        docs = d.get("PolicyDocuments", [d]) if isinstance(d, dict) else []
    elif path.suffix in (".yaml", ".yml"):
        d = yaml.safe_load(text) or {}
        docs = [p.get("PolicyDocument") for p in (d.get("Policies") or []) if isinstance(p, dict)]
    else:
        return []  # Terraform: the report shows counts, not the document
    return [x for x in docs if isinstance(x, dict) and "Statement" in x]


def load_policies(folder: Path, snapshot: Snapshot) -> tuple[list[Result_], list[str]]:
    """Generated policies from a folder written by ``generate -o`` or ``audit`` (summary.json,
    each function's policy file and ``.explain.json``). Returns (results, notes)."""
    summary_path = folder / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{summary_path}: no such file (a policies folder from generate or audit has one)") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{summary_path}: line {e.lineno} column {e.colno}: invalid JSON: {e.msg}") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("functions"), list):
        raise ValueError(f"{summary_path}: no 'functions' list")
    functions = {f.arn: f for f in snapshot.functions()}
    results, notes = [], []
    for i, s in enumerate(summary["functions"]):
        where = f"{summary_path}: functions[{i}]"
        fn = functions.get(s.get("function")) if isinstance(s, dict) else None
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
            if explain is not None and explain.exists():
                e = json.loads(explain.read_text(encoding="utf-8"))
                res.verification = e.get("verification") or {}
                res.entries = [Entry(k["action"], k.get("resource", "*"), k.get("origin", "observed"), k.get("evidence") or {})
                               for k in e.get("kept") or [] if isinstance(k, dict) and isinstance(k.get("action"), str)]
                res.unused_by_service = e.get("dropped_unused_by_service") or {}
                res.dropped = [Dropped([a for a in d["actions"] if isinstance(a, str)], str(d.get("resource", "*")),
                                       str(d.get("reason", "")), d.get("add_back") or {})
                               for d in e.get("dropped_unverified") or [] if isinstance(d, dict) and isinstance(d.get("actions"), list)]
            else:
                res.verification = {"ok": bool(s.get("verified"))}
        except (OSError, ValueError, yaml.YAMLError, AttributeError) as e:
            notes.append(f"{where}: {s.get('file')}: cannot be read ({e}); shown without its policy")
        results.append(res)
    return results, notes
