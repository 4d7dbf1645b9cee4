"""The CI gate's outputs: JSON (schema: iam_analyzer/schemas/check.schema.json), SARIF 2.1.0
pointing at template lines, a short Markdown PR comment, and text for a terminal.

``document(result, verdict)`` builds the JSON; every other format renders from it, so they
never disagree.
"""

from __future__ import annotations

import json
import os

from iam_analyzer import __version__
from iam_analyzer.emit.render import md_code, md_escape

MARKER = "<!-- iam-analyzer-check -->"  # the GitHub Action finds and updates its comment by this
MARKDOWN_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def display_path(path: str | None) -> str | None:
    """A path as a pull request shows it: relative to the current folder, with forward slashes."""
    if not path:
        return path
    rel = os.path.relpath(path) if os.path.isabs(path) else os.path.normpath(path)
    if rel.startswith(".."):
        rel = path
    return rel.replace(os.sep, "/")


def _loc(path, line) -> dict:
    return {"path": display_path(path), "line": line}


def _policies(snap, role) -> list[dict]:
    out = []
    if role is None:
        return out
    for p in role.inline_policies:
        loc = p.location or role.location
        out.append({"name": p.name, "kind": "inline", "document": p.document,
                    "file": display_path(loc.path) if loc else None, "line": loc.line if loc else None})
    for arn in role.managed_policy_arns:
        mp = snap.find_policy(arn)
        kind = "aws-managed" if (mp.aws_managed if mp else ":aws:policy/" in arn) else "managed"
        loc = mp.location if mp else None
        out.append({"name": mp.name if mp else arn.rsplit("/", 1)[-1], "kind": kind, "arn": arn,
                    "document": mp.document if mp else None,
                    "file": display_path(loc.path) if loc else None, "line": loc.line if loc else None})
    if role.permissions_boundary_arn:
        mp = snap.find_policy(role.permissions_boundary_arn)
        out.append({"name": mp.name if mp else role.permissions_boundary_arn.rsplit("/", 1)[-1], "kind": "boundary",
                    "arn": role.permissions_boundary_arn, "document": mp.document if mp else None,
                    "file": display_path(mp.location.path) if mp and mp.location else None,
                    "line": mp.location.line if mp and mp.location else None})
    return out


def _change(ch) -> dict:
    d = ch.as_dict()
    d["location"] = _loc(d["location"]["path"], d["location"]["line"])
    return d


def _escalations(findings) -> list[dict]:
    """Escalation paths among the (new, with a base) findings: who, through which hops, to what."""
    out = []
    for f in findings:
        ev = f.evidence or {}
        if f.category == "privilege-escalation" and isinstance(ev.get("path"), list):
            out.append({"subject": f.subject, "rule": f.rule, "severity": f.severity, "yields": ev.get("yields"),
                        "conditional": bool(ev.get("conditional")),
                        "path": [{"method": h.get("method"), "to": h.get("to")} for h in ev["path"] if isinstance(h, dict)],
                        "location": _loc(f.path, f.line)})
    return out


def document(result, fail_on: str = "high", fail_on_new_access: bool = False) -> dict:
    from iam_analyzer.iam.catalog import default_catalog

    snap = result.head.snapshot
    reasons = result.blocking(fail_on, fail_on_new_access)
    functions = []
    for fn in sorted(snap.functions(), key=lambda f: ((f.location.path if f.location else ""), f.name)):
        role = snap.find_role(fn.role_arn)
        loc = fn.location
        functions.append({
            "name": fn.name, "logical_id": loc.logical_id if loc else None,
            "file": display_path(loc.path) if loc else None, "line": loc.line if loc else None,
            "role": fn.role_arn, "policies": _policies(snap, role),
            "suggested_policy": result.suggestions.get(fn.name),
        })
    return {
        "schema_version": 1,
        "kind": "iam-analyzer-check",
        "tool": {"name": "iam-analyzer", "version": __version__},
        "catalog": default_catalog().info.as_dict(),
        "verdict": {"status": "blocked" if reasons else "pass", "reasons": reasons, "fail_on": fail_on,
                    "fail_on_new_access": fail_on_new_access},
        "base": {"ref": result.base, "kind": result.base_kind} if result.base else None,
        "inputs": [{"path": display_path(i.path), "kind": i.kind, "errors": list(i.errors)} for i in result.head.inputs],
        "functions": functions,
        "findings": [{**f.as_dict(), "location": _loc(f.path, f.line)} for f in result.findings],
        "new_access": [_change(c) for c in result.new_access],
        "removed_access": [_change(c) for c in result.removed_access],
        # new access the organization's SCPs/RCPs deny anyway (not counted by --fail-on-new-access)
        "new_access_denied": [_change(c) for c in getattr(result, "new_access_denied", [])],
        "escalations": _escalations(result.findings),
        "would_break": [{**w.as_dict(), "location": _loc(w.location.path, w.location.line) if w.location else None}
                        for w in result.would_break],
        "summary": {"functions": len(snap.functions()), "roles": len(snap.roles()), "findings": len(result.findings),
                    "existing_findings": result.existing_findings, "suppressed": result.suppressed,
                    "baseline": sum(1 for f in result.findings if f.baseline),
                    "new_access": len(result.new_access), "removed_access": len(result.removed_access),
                    "escalations": sum(1 for f in result.findings if f.category == "privilege-escalation"),
                    "would_break": len(result.would_break),
                    "new_access_denied": len(getattr(result, "new_access_denied", []))},
        "notes": list(result.notes),
    }


def to_json(doc: dict) -> str:
    return json.dumps(doc, indent=1) + "\n"


# -- SARIF --------------------------------------------------------------------------------------

_SYNTHETIC = {
    "IA-NEW-ACCESS": ("new access against the base", "The change grants actions or resources the base did not."),
    "IA-WOULD-BREAK": ("a permission used in production is removed",
                       "The change removes a permission the function used inside the usage window: it would fail."),
}


def _result(rule: str, level: str, text: str, path, line, fp: str | None, props: dict) -> dict:
    r = {"ruleId": rule, "level": level, "message": {"text": text}, "properties": props}
    if path:
        r["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": path},
                                                "region": {"startLine": max(1, int(line or 1))}}}]
    if fp:
        r["partialFingerprints"] = {"iamAnalyzerFingerprint/v1": fp}
    return r


def to_sarif(doc: dict) -> str:
    rules: dict[str, dict] = {}
    results = []
    for f in doc["findings"]:
        rules.setdefault(f["rule"], {"id": f["rule"], "name": f["rule"], "shortDescription": {"text": f["title"]},
                                     "defaultConfiguration": {"level": _LEVEL[f["severity"]]},
                                     "properties": {"tags": ["security", f["category"]],
                                                    "security-severity": _SCORE[f["severity"]]}})
        results.append(_result(f["rule"], _LEVEL[f["severity"]], f"{f['subject']}: {f['message']}",
                               f["location"]["path"], f["location"]["line"], f["fingerprint"],
                               {"severity": f["severity"], "category": f["category"], "origin": f.get("origin"),
                                "baseline": bool(f.get("baseline"))}))
    new_level = "error" if doc["verdict"]["fail_on_new_access"] else "warning"
    for c in doc["new_access"]:
        more = f" and {c['actions_total'] - len(c['actions'])} more" if c["actions_total"] > len(c["actions"]) else ""
        text = (f"{c['subject']} gains {', '.join(c['actions'][:10])}{more} on {', '.join(c['resources'][:5])}"
                + (f" (functions: {', '.join(c['functions'])})" if c["functions"] else ""))
        results.append(_result("IA-NEW-ACCESS", new_level, text, c["location"]["path"], c["location"]["line"], None,
                               {"role": c["role"], "actions_total": c["actions_total"]}))
    for w in doc["would_break"]:
        loc = w.get("location") or {}
        results.append(_result("IA-WOULD-BREAK", "error",
                               f"{w['function']} used {w['action']} on {w['resource']} {w['count']} time(s), last "
                               f"{w['last_seen']}: the change removes it", loc.get("path"), loc.get("line"), None, {}))
    for rid in ("IA-NEW-ACCESS", "IA-WOULD-BREAK"):
        title, why = _SYNTHETIC[rid]
        rules[rid] = {"id": rid, "name": rid, "shortDescription": {"text": title}, "fullDescription": {"text": why},
                      "defaultConfiguration": {"level": "error" if rid == "IA-WOULD-BREAK" else new_level},
                      "properties": {"tags": ["security"]}}
    index = {rid: i for i, rid in enumerate(rules)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "iam-analyzer", "version": doc["tool"]["version"],
                                "informationUri": "https://github.com/iam-analyzer/iam-analyzer",
                                "rules": list(rules.values())}},
            "results": results,
            "properties": {"verdict": doc["verdict"], "catalog": doc["catalog"]},
        }],
    }
    return json.dumps(sarif, indent=1) + "\n"


# -- Markdown (a pull-request comment) -----------------------------------------------------------


def _where(loc: dict | None) -> str:
    if not loc or not loc.get("path"):
        return ""
    return md_escape(f"{loc['path']}:{loc['line']}" if loc.get("line") else loc["path"])


def _md(doc: dict, rows: int) -> str:
    v, s = doc["verdict"], doc["summary"]
    ok = v["status"] == "pass"
    out = [MARKER, f"## iam-analyzer check: {'✅ pass' if ok else '❌ blocked'}", ""]
    for r in v["reasons"]:
        out.append(f"- {md_escape(r)}")
    base = f" against {md_code(doc['base']['ref'])}" if doc.get("base") else ""
    n = {k: md_escape(v) for k, v in s.items()}
    out.append(f"\n{n['functions']} function(s), {n['roles']} role(s){base}: {n['findings']} "
               f"{'new ' if doc.get('base') else ''}finding(s), {n['new_access']} statement(s) with new access, "
               f"{n['would_break']} permission(s) that would break"
               + (f"; {n['existing_findings']} finding(s) already on the base" if doc.get("base") else "") + ".")
    errors = [e for i in doc["inputs"] for e in i["errors"]]
    if errors:
        out += ["", "**Could not be read:**"] + [f"- {md_escape(e)}" for e in errors[:rows]]
    if doc["notes"]:
        out += ["", "<details><summary>Notes</summary>", ""] + [f"- {md_escape(n)}" for n in doc["notes"][:5]] + \
            ([f"- … {len(doc['notes']) - 5} more"] if len(doc["notes"]) > 5 else []) + ["</details>"]
    if doc["would_break"]:
        out += ["", "### Would break", "", "| function | action | resource | calls | last seen |", "| --- | --- | --- | --- | --- |"]
        for w in doc["would_break"][:rows]:
            out.append(f"| {md_escape(w['function'])} | {md_code(w['action'])} | {md_escape(w['resource'])} "
                       f"| {md_escape(w['count'])} | {md_escape(w['last_seen'])} |")
        out += _more(len(doc["would_break"]), rows)
    if doc["new_access"]:
        out += ["", "### New access", "", "| role | actions | resources | where |", "| --- | --- | --- | --- |"]
        for c in doc["new_access"][:rows]:
            acts = ", ".join(c["actions"][:6]) + (f" +{c['actions_total'] - 6}" if c["actions_total"] > 6 else "")
            res = ", ".join(c["resources"][:3]) + (f" +{len(c['resources']) - 3}" if len(c["resources"]) > 3 else "")
            out.append(f"| {md_escape(c['subject'])} | {md_escape(acts)} | {md_escape(res)} | {_where(c['location'])} |")
        out += _more(len(doc["new_access"]), rows)
    if doc.get("new_access_denied"):
        out += ["", "### New access the organization denies anyway", "",
                "| role | actions | denied by | where |", "| --- | --- | --- | --- |"]
        for c in doc["new_access_denied"][:rows]:
            acts = ", ".join(c["actions"][:6]) + (f" +{c['actions_total'] - 6}" if c["actions_total"] > 6 else "")
            out.append(f"| {md_escape(c['subject'])} | {md_escape(acts)} | {md_escape(', '.join(c['denied_by'][:3]))} "
                       f"| {_where(c['location'])} |")
        out += _more(len(doc["new_access_denied"]), rows)
    if doc["escalations"]:
        out += ["", "### New escalation paths" if doc.get("base") else "### Escalation paths", ""]
        for e in doc["escalations"][:rows]:
            hops = " → ".join(f"{md_escape(h['method'])} ({md_escape(str(h['to']).rsplit('/', 1)[-1])})" for h in e["path"])
            out.append(f"- **{md_escape(e['subject'])}**: {hops}; yields {md_escape(e['yields'])} ({_where(e['location'])})")
        out += _more(len(doc["escalations"]), rows)
    if doc["findings"]:
        out += ["", "### Findings" if not doc.get("base") else "### New findings", "",
                "| severity | rule | subject | finding | where |", "| --- | --- | --- | --- | --- |"]
        for f in doc["findings"][:rows]:
            out.append(f"| {md_escape(f['severity'])}{' (baseline)' if f.get('baseline') else ''} | {md_escape(f['rule'])} | {md_escape(f['subject'])} | "
                       f"{md_escape(f['message'][:300])} | {_where(f['location'])} |")
        out += _more(len(doc["findings"]), rows)
    entries = [(f["name"], f["suggested_policy"]) for f in doc["functions"] if f.get("suggested_policy")]
    suggested = [(n, sp) for n, sp in entries if sp.get("suggested", True)]
    for name, sp in suggested[:max(1, rows // 5)]:
        body = json.dumps(sp["documents"][0] if len(sp["documents"]) == 1 else sp["documents"], indent=1)
        if len(body) > 4000:
            body = body[:4000] + "\n... (see the JSON output)"
        ev = sp.get("evidence") or {}
        why = [f"Evidence: {md_escape(ev['verdict'])}" + (": " + md_escape("; ".join(ev["reasons"])) if ev.get("reasons")
                                                          else "")] if ev.get("verdict") else []
        out += ["", f"<details><summary>Suggested policy for {md_escape(name)}: {md_escape(sp['before'])} → {md_escape(sp['after'])} "
                    f"actions</summary>", "", *why, *([""] if why else []), "```json", body.replace("```", "'''"), "```",
                "</details>"]
    withheld = [(n, sp) for n, sp in entries if not sp.get("suggested", True)]
    if withheld:
        out += ["", "### No tightened policy suggested (insufficient evidence)", ""]
        for name, sp in withheld[:rows]:
            ev = sp.get("evidence") or {}
            todo = "; ".join(ev.get("what_to_do") or [])
            out.append(f"- **{md_escape(name)}**: {md_escape('; '.join(ev.get('reasons') or []))}"
                       + (f". To do: {md_escape(todo)}" if todo else ""))
        out += _more(len(withheld), rows)
    out += ["", f"<sub>iam-analyzer {md_escape(doc['tool']['version'])}, catalog {md_escape(doc['catalog'].get('version'))}"
                f"; full results in the SARIF/JSON output.</sub>", ""]
    return "\n".join(out)


def _more(total: int, shown: int) -> list[str]:
    return [f"\n… and {total - shown} more (see the JSON or SARIF output)"] if total > shown else []


def to_markdown(doc: dict, limit: int = MARKDOWN_LIMIT) -> str:
    rows = 20
    text = _md(doc, rows)
    while len(text) > limit and rows > 1:
        rows = max(1, rows // 2)
        text = _md(doc, rows)
    return text[:limit]


# -- text ------------------------------------------------------------------------------------------


def _place(loc: dict) -> str:
    """``path:line``, or the path alone where there is no line (a file that could not be read)."""
    return f"{loc.get('path')}:{loc['line']}" if loc.get("line") else str(loc.get("path"))


def to_text(doc: dict) -> str:
    out = []
    for i in doc["inputs"]:
        for e in i["errors"]:
            out.append(f"error: {e}")
    for c in doc.get("new_access_denied", []):
        out.append(f"{c['location']['path']}:{c['location']['line']}: new, denied by {', '.join(c['denied_by'][:3])}: "
                   f"{c['subject']}: {', '.join(c['actions'][:8])}")
    for w in doc["would_break"]:
        loc = w.get("location") or {}
        out.append(f"{_place(loc)}: WOULD BREAK {w['function']}: {w['action']} on {w['resource']} "
                   f"used {w['count']} time(s), last {w['last_seen']}")
    for c in doc["new_access"]:
        more = f" (+{c['actions_total'] - 8} more)" if c["actions_total"] > 8 else ""
        out.append(f"{_place(c['location'])}: NEW ACCESS {c['subject']}: "
                   f"{', '.join(c['actions'][:8])}{more} on {', '.join(c['resources'][:4])}")
    for c in doc["removed_access"]:
        out.append(f"{_place(c['location'])}: removed {c['subject']}: "
                   f"{', '.join(c['actions'][:8])} on {', '.join(c['resources'][:4])}")
    for f in doc["findings"]:
        out.append(f"{_place(f['location'])}: {f['severity']} {f['rule']} {f['subject']}: {f['message']}"
                   + (" (baseline)" if f.get("baseline") else ""))
    for f in doc["functions"]:
        sp = f.get("suggested_policy")
        if sp and sp.get("suggested", True):
            ev = sp.get("evidence") or {}
            said = f", evidence {ev['verdict']}" + (": " + "; ".join(ev["reasons"]) if ev.get("reasons") else "") \
                if ev.get("verdict") else ""
            out.append(f"suggested policy for {f['name']}: {sp['before']} -> {sp['after']} actions{said} (in the JSON output)")
        elif sp:
            ev = sp.get("evidence") or {}
            out.append(f"no tightened policy suggested for {f['name']}: insufficient evidence: "
                       + "; ".join(ev.get("reasons") or []) + (" (to do: " + "; ".join(ev["what_to_do"]) + ")"
                                                               if ev.get("what_to_do") else ""))
    v, s = doc["verdict"], doc["summary"]
    out.append(f"{v['status'].upper()}: " + ("; ".join(v["reasons"]) if v["reasons"] else "nothing blocks")
               + f" ({s['functions']} function(s), {s['findings']} finding(s), {s['new_access']} new access, "
               f"{s['would_break']} would break)")
    return "\n".join(out) + "\n"


RENDERERS = {"json": to_json, "sarif": to_sarif, "markdown": to_markdown, "text": to_text}


def render(fmt: str, doc: dict) -> str:
    return to_json(doc) if fmt == "json" else RENDERERS[fmt](doc)
