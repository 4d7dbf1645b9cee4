"""One report model for every format (HTML, JSON, SARIF, Markdown), and the renderers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone

from iam_analyzer import __version__
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.analyze.org import denied_actions
from iam_analyzer.iam.compare import allowed_actions
from iam_analyzer.emit.inventory_view import role_policies
from iam_analyzer.analyze.generate.code_evidence import code_outlook, outlook_lines
from iam_analyzer.analyze.generate.deployed import role_documents
from iam_analyzer.analyze.needs import requirements
from iam_analyzer.model import Snapshot
from iam_analyzer.emit.render import render_template
from iam_analyzer.emit import lazy, pictures, svg
from iam_analyzer.analyze.checks.engine import SEVERITIES, Finding, Rule

MARKDOWN_LIMIT = 65_000


def build(snapshot: Snapshot, usage: dict | None, findings: list[Finding], rules: dict[str, Rule],
          generated: list | None = None, escalations: list[dict] | None = None, notes: list[str] | None = None,
          admins: set[str] | None = None) -> dict:
    cat = default_catalog()
    gen_by_fn = {g.function.arn: g for g in generated or []}
    findings_by_subject: dict[str, list[str]] = {}
    for f in findings:
        findings_by_subject.setdefault(f.subject, []).append(f.fingerprint)
    usage_by = {}
    for p in (usage or {}).get("principals", []):
        if p.get("function"):
            usage_by[p["function"]] = p
    functions = []
    for fn in sorted(snapshot.functions(), key=lambda f: (f.account_id, f.region, f.name)):
        role = snapshot.find_role(fn.role_arn)
        granted = allowed_actions(role_policies(snapshot, role), cat) if role else set()
        boundary = snapshot.find_policy(role.permissions_boundary_arn) if role and role.permissions_boundary_arn else None
        if boundary is not None:
            from iam_analyzer.iam.policy import parse_policy_lenient

            granted &= allowed_actions(parse_policy_lenient(boundary.document)[0], cat)
        # effective permissions: what the organization's SCPs/RCPs deny everywhere is not granted
        denied = denied_actions(snapshot, fn.role_arn, fn.account_id, fn.region, granted) if role else set()
        granted -= denied
        used = {a["action"].lower() for a in usage_by.get(fn.arn, {}).get("actions", []) if a.get("count")}
        required = {r.action.lower() for r in requirements(fn, snapshot)}
        useful = (used | required) & granted
        g = gen_by_fn.get(fn.arn)
        tightened = bool(g and g.tightened)
        evidence = g.evidence_dict() if g else None
        resources = sorted({a["resource"] for a in usage_by.get(fn.arn, {}).get("actions", []) if a.get("count")})
        functions.append({
            "name": fn.name, "arn": fn.arn, "account": fn.account_id, "region": fn.region, "runtime": fn.runtime or "",
            "role": fn.role_arn, "role_name": role.name if role else fn.role_arn.rsplit("/", 1)[-1],
            "invokers": sorted({i.principal for i in fn.invokers if i.effect == "Allow"} | {f"url ({u.auth_type})" for u in fn.urls}),
            "triggers": sorted({f"{t.type}: {t.source_arn}" for t in fn.triggers} |
                               {f"{m.source_type}: {m.event_source_arn}" for m in fn.event_source_mappings}),
            "granted": len(granted), "denied_by_guardrails": len(denied), "used": len(used & granted), "required": len(required & granted),
            "score": round(len(useful) / len(granted), 3) if granted else 1.0,
            "after": g.after if tightened else None,
            "reduction": g.reduction if tightened else None,
            "policy": g.documents if tightened else None,
            "verified": g.verification.get("ok") if tightened else None,
            "evidence": evidence,
            "resources": resources[:12],
            "findings": findings_by_subject.get(fn.arn, []) + findings_by_subject.get(fn.role_arn, []),
            "unverified": sum(1 for e in g.entries if e.origin == "unverified") if g else 0,
            "code_calls": [{"file": c.path, "line": c.line, "operation": f"{c.service}:{c.operation}"} for c in fn.code_calls],
            "code_kept": sum(1 for e in g.entries if e.origin == "code") if g else 0,
            "reach": pictures.reach(granted, used, required, g, cat),
            "diff": pictures.policy_diff([d for _, d in role_documents(snapshot, role)] if role else [],
                                         g.documents if g else None),
        })
    gaps = [{"account": a.account_id, "service": c.service, "operation": c.operation, "error": c.error_code,
             "region": c.region, "resource": c.resource} for a in snapshot.accounts for c in a.coverage]
    data_events = (usage or {}).get("data_events", {})
    scores = [f["score"] for f in functions if f["granted"]]
    reductions = [f["reduction"] for f in functions if f["reduction"] is not None and f["granted"]]
    verdicts = [f["evidence"]["verdict"] for f in functions if f["evidence"]]
    not_tightened = [{"name": f["name"], "arn": f["arn"], "region": f["region"], "reasons": f["evidence"]["reasons"],
                      "what_to_do": f["evidence"]["what_to_do"]}
                     for f in functions if f["evidence"] and f["evidence"]["verdict"] == "insufficient"]
    return {
        "schema_version": 1,
        "kind": "iam-analyzer-report",
        "tool": {"name": "iam-analyzer", "version": __version__},
        "catalog": cat.info.as_dict(),
        "generated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "accounts": sorted({a.account_id for a in snapshot.accounts}),
        "regions": sorted({r for a in snapshot.accounts for r in a.regions}),
        "summary": {
            "functions": len(functions),
            "findings": len(findings),
            "by_severity": {s: n for s, n in sorted(Counter(f.severity for f in findings).items(), key=lambda kv: SEVERITIES.index(kv[0]))},
            "by_category": dict(sorted(Counter(f.category for f in findings).items())),
            "average_score": round(sum(scores) / len(scores), 3) if scores else None,
            # over the functions a policy was generated for: the others were not tightened
            "average_reduction_percent": round(sum(reductions) / len(reductions), 1) if reductions else None,
            "tightened": len(reductions),
            "evidence": {v: verdicts.count(v) for v in ("sufficient", "partial", "insufficient")},
            "not_tightened": not_tightened,
            "coverage_gaps": gaps,
            "usage_window": (usage or {}).get("window"),
            "data_events": {"present": data_events.get("present", False),
                            "services": sorted((data_events.get("by_service") or {}).keys())},
            "usage_loaded": usage is not None,
            "code": code_outlook(generated or []),
        },
        "functions": functions,
        "findings": [f.as_dict() for f in findings],
        "escalations": escalations or [],
        "overview": pictures.overview(snapshot, escalations or [], admins or set()),
        "rules": {r.id: {"title": r.title, "severity": r.severity, "category": r.category, "why": r.why, "fix": r.fix,
                         "enabled": r.enabled} for r in sorted(rules.values(), key=lambda r: r.id)},
        "notes": notes or [],
    }


EVIDENCE_LIMIT = 160  # characters of evidence shown per finding in HTML (report.json has all of it)


def _evidence(d) -> str:
    d = {k: v for k, v in d.items() if k != "document"} if "document" in d and "policy" in d else d
    text = json.dumps(d, separators=(",", ":"))
    return text if len(text) <= EVIDENCE_LIMIT else text[:EVIDENCE_LIMIT] + " … (see report.json)"


def to_html(model: dict) -> str:
    html = render_template("report.html.j2", r=model, policy_json=lambda d: json.dumps(d, indent=1), evidence=_evidence,
                           code_lines=outlook_lines(model["summary"].get("code") or {}),
                           layout=svg, drawn=lazy.drawn(model), escalation_limit=lazy.ESCALATIONS_DRAWN)
    return lazy.pack(html)


def to_json(model: dict) -> str:
    return json.dumps(model, indent=1) + "\n"


_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def to_sarif(model: dict) -> str:
    rules = []
    index = {}
    for i, (rid, r) in enumerate(model["rules"].items()):
        index[rid] = i
        rules.append({
            "id": rid, "name": rid,
            "shortDescription": {"text": r["title"]},
            "fullDescription": {"text": r["why"]},
            "help": {"text": f"{r['why']}\n\nFix: {r['fix']}", "markdown": f"{r['why']}\n\n**Fix:** {r['fix']}"},
            "defaultConfiguration": {"level": _LEVEL[r["severity"]], "enabled": r["enabled"]},
            "properties": {"tags": ["security", r["category"]], "security-severity": _SCORE[r["severity"]],
                           "precision": "high"},
        })
    results = []
    for f in model["findings"]:
        loc: dict = {"logicalLocations": [{"fullyQualifiedName": f["subject"], "kind": "resource"}]}
        if f.get("location") and f["location"].get("file"):
            loc["physicalLocation"] = {"artifactLocation": {"uri": f["location"]["file"]},
                                       "region": {"startLine": max(1, int(f["location"].get("line") or 1))}}
        results.append({
            "ruleId": f["rule_id"], "ruleIndex": index.get(f["rule_id"], 0), "level": _LEVEL[f["severity"]],
            "message": {"text": f["message"]}, "locations": [loc],
            "partialFingerprints": {"iamAnalyzerFingerprint/v1": f["fingerprint"]},
            "properties": {"severity": f["severity"], "category": f["category"]},
        })
    notes = [{"level": "warning", "descriptor": {"id": "not-tightened"},
              "message": {"text": f"{n['name']} ({n['region']}): not tightened, not enough evidence: "
                                  + "; ".join(n["reasons"]) + (". To do: " + "; ".join(n["what_to_do"]) if n["what_to_do"] else "")},
              "locations": [{"logicalLocations": [{"fullyQualifiedName": n["arn"], "kind": "resource"}]}]}
             for n in model["summary"].get("not_tightened", [])]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "iam-analyzer", "version": model["tool"]["version"], "semanticVersion": model["tool"]["version"],
                                "informationUri": "https://github.com/iam-analyzer/iam-analyzer", "rules": rules}},
            "results": results,
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
            "properties": {"catalog": model["catalog"],
                           "evidence": {f["arn"]: f["evidence"]["verdict"] for f in model["functions"] if f.get("evidence")}},
        }],
    }
    return json.dumps(sarif, indent=1) + "\n"


MARKDOWN_PATHS = 20  # escalation paths listed in report.md (report.json and the HTML have them all)


def _md_paths(model: dict) -> list[dict]:
    """The escalation paths as lines: the most powerful and certain first."""
    out = []
    for e in svg.ordered(model.get("escalations") or []):
        targets = e.get("targets")
        out.append({"principal": pictures.short(e.get("principal", "?")), "type": e.get("principal_type") or "principal",
                    "path": pictures.path_text(e), "yields": e.get("yields", ""),
                    "targets": targets if isinstance(targets, int) and targets > 1 else None,
                    "requires": (e.get("requires") if isinstance(e.get("requires"), str) else None)
                    if e.get("conditional") else None, "conditional": bool(e.get("conditional"))})
    return out


def to_markdown(model: dict, limit: int = MARKDOWN_LIMIT) -> str:
    paths = _md_paths(model)
    code_lines = outlook_lines(model["summary"].get("code") or {})
    text = render_template("report.md.j2", r=model, shown=len(model["findings"]), omitted=0, paths=paths,
                           path_limit=MARKDOWN_PATHS, code_lines=code_lines)
    shown = len(model["findings"])
    while len(text) > limit and shown > 0:
        shown = max(0, shown - max(1, shown // 5))
        trimmed = dict(model, findings=model["findings"][:shown])
        text = render_template("report.md.j2", r=trimmed, shown=shown, omitted=len(model["findings"]) - shown,
                               paths=paths, path_limit=MARKDOWN_PATHS, code_lines=code_lines)
    return text


RENDERERS = {"html": to_html, "json": to_json, "sarif": to_sarif, "md": to_markdown}
