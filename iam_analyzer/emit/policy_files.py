"""The generator's output folder: a policy and an explanation per function, a union per
shared role, and ``summary.json``. Shared by ``generate`` and ``audit``."""

from __future__ import annotations

import json
from pathlib import Path

from iam_analyzer.analyze.generate.code_evidence import code_outlook, outlook_lines
from iam_analyzer.analyze.generate.deployed import Result_, role_union
from iam_analyzer.emit.policy_formats import FORMATS, safe_name
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.outputs import make_folder, write_text


def write_policies(results: list[Result_], out: Path, fmt: str = "json") -> dict:
    """Write every file; returns the summary document (also written as summary.json).

    A function whose evidence is insufficient gets its explanation (why, and what to do)
    but no policy: ``"file": null``. The average reduction counts tightened functions only."""
    make_folder(out)
    ext, render = FORMATS[fmt]
    unique = len({r.function.name for r in results}) == len(results)
    summary = []
    by_role: dict = {}
    for r in results:
        base = safe_name(r.function.name if unique else f"{r.function.region}-{r.function.name}")
        written = r.tightened
        if written:
            write_text(out / f"{base}{ext}", render(r))
            by_role.setdefault(r.function.role_arn, []).append(r)
        write_text(out / f"{base}.explain.json", json.dumps(r.explanation(), indent=1) + "\n")
        ev = r.evidence_dict()
        summary.append({"function": r.function.arn, "role": r.function.role_arn,
                        "file": f"{base}{ext}" if written else None,
                        "evidence": {"verdict": ev["verdict"], "reasons": ev["reasons"], "what_to_do": ev["what_to_do"]},
                        "granted_actions_before": r.before, "granted_actions_after": r.after if written else r.before,
                        "reduction_percent": r.reduction, "verified": bool(written and r.verification.get("ok")),
                        "kept": len(r.entries), "not_granted_today": len(r.not_granted), "warnings": r.warnings})
    shared = []
    for role_arn, rs in sorted(by_role.items()):
        if len(rs) > 1:
            union = role_union(rs)
            write_text(out / f"role-{safe_name(role_arn.rsplit('/', 1)[-1])}.json", json.dumps(union, indent=2) + "\n")
            shared.append({"role": role_arn, "functions": [r.function.arn for r in rs],
                           "note": "one role serves several functions: the union is written; a role per function "
                                   "would let each keep only its own permissions"})
    tightened = [s for s in summary if s["file"]]
    reductions = [s["reduction_percent"] for s in tightened if s["granted_actions_before"]]
    verdicts = [s["evidence"]["verdict"] for s in summary]
    doc = {"functions": summary, "shared_roles": shared,
           "tightened": len(tightened), "not_tightened": len(summary) - len(tightened),
           "evidence": {v: verdicts.count(v) for v in ("sufficient", "partial", "insufficient")},
           "average_reduction_percent": round(sum(reductions) / len(reductions), 1) if reductions else 0.0,
           "all_verified": all(s["verified"] for s in tightened),
           "code": code_outlook(results)}
    write_text(out / "summary.json", json.dumps(doc, indent=1) + "\n")
    return doc


def summary_lines(doc: dict) -> list[str]:
    """One line per function, then the totals: what a person reads on the terminal."""
    lines = []
    for s in doc["functions"]:
        parsed = arnlib.try_parse(s["function"])
        name = parsed.resource_id if parsed else s["function"]
        ev = s["evidence"]
        if s["file"] is None:
            why = ev["reasons"][:3] if ev["verdict"] != "sufficient" else []
            why = why or [w for w in s.get("warnings") or [] if isinstance(w, str)][:3] or ["the role grants none of it"]
            lines.append(f"{name}: not tightened, {ev['verdict']} evidence: " + "; ".join(why))
            continue
        status = "verified" if s["verified"] else "NOT VERIFIED"
        note = f", {ev['verdict']} evidence ({'; '.join(ev['reasons'][:2])})" if ev["verdict"] != "sufficient" else ""
        lines.append(f"{name}: {s['granted_actions_before']} -> {s['granted_actions_after']} actions "
                     f"({s['reduction_percent']:.0f}% fewer), {status}{note}")
    lines.append(f"{doc['tightened']} of {len(doc['functions'])} function(s) tightened "
                 f"(average reduction {doc['average_reduction_percent']}%), {doc['not_tightened']} not tightened "
                 f"for lack of evidence")
    return lines + outlook_lines(doc.get("code") or {})
