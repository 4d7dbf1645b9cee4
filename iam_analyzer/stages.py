"""The library API: one function per pipeline stage.

The command line, ``audit``, ``demo`` and the tests all call these; nothing here calls back
into the command line. Each stage takes plain data (a snapshot, a usage document, options)
and returns plain data; writing files is a separate, explicit step where a stage has one.

    scan      -> Snapshot                      (collect: AWS, read-only)
    usage     -> usage document                (collect: CloudTrail files, S3, LookupEvents)
    analyze   -> Analysis (findings)           (analyze: rule pack, graph)
    generate  -> list of generated policies    (analyze: generator)
    report    -> report files                  (emit)
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from iam_analyzer import __version__
from iam_analyzer.model import Snapshot

Say = Callable[[str], None]


def _iso(d: datetime | None) -> str | None:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if d else None


# -- scan ----------------------------------------------------------------------------------


def scan(clients, options, org_role: str | None = None, progress=None) -> Snapshot:
    """Inventory the account(s) behind ``clients`` into a snapshot (read-only)."""
    from iam_analyzer.collect.aws.inventory import scan as run_scan

    return run_scan(clients, options, org_role=org_role, progress=progress)


# -- usage ---------------------------------------------------------------------------------


@dataclass
class UsageRequest:
    """Where to read CloudTrail from, and the window."""

    locations: list[str] = field(default_factory=list)  # folders, files or s3:// URLs
    lookup_events: bool = False
    since: datetime | None = None
    until: datetime | None = None
    regions: list[str] = field(default_factory=list)  # for LookupEvents and the S3 client
    profile: str | None = None
    workers: int | None = None


@dataclass
class UsageRun:
    document: dict
    units: int  # files, objects or pages found in the window
    files_read: int
    outside_window: int  # files found but outside the window


def function_of(snapshot: Snapshot | None):
    """Lambda role sessions are named after the function: (role ARN, session) -> function ARN."""
    if snapshot is None:
        return None
    by_role_session = {(f.role_arn, f.name): f.arn for f in snapshot.functions()}
    return lambda principal, session: by_role_session.get((principal, session))


def usage(request: UsageRequest, clients=None, snapshot: Snapshot | None = None,
          progress: Callable[[int, int], None] | None = None) -> UsageRun:
    """Read CloudTrail into the usage document (docs/usage.md).

    ``clients`` is needed only for s3:// locations and LookupEvents. Raises FileNotFoundError
    or ValueError for a location that cannot be used, and botocore errors for AWS failures.
    """
    from iam_analyzer.collect.cloudtrail.pipeline import (
        Window,
        default_workers,
        run,
        to_document,
    )
    from iam_analyzer.collect.cloudtrail.sources import FolderSource

    window = Window(since=_iso(request.since), until=_iso(request.until))
    first = request.since.date() if request.since else None
    last = request.until.date() if request.until else None
    home = request.regions[0] if request.regions else (
        (clients.session.region_name if clients else None) or "us-east-1")
    units, sources, s3_factory, outside = [], [], None, 0
    for loc in request.locations:
        if loc.startswith("s3://"):
            from iam_analyzer.collect.aws.cloudtrail import S3Source, s3_reader_factory

            src = S3Source(clients, loc, home, first, last)
            s3_factory = s3_reader_factory(clients.endpoint_url, home, request.profile)
        else:
            src = FolderSource(loc, first, last)
        units.extend(src.units())
        outside += src.outside_window
        sources.append(src.describe())
    if request.lookup_events:
        from iam_analyzer.collect.aws.cloudtrail import LookupEventsSource

        src = LookupEventsSource(clients, request.regions or [home], request.since, request.until)
        units.extend(src.units())
        sources.append(src.describe())
    agg = run(units, window, workers=request.workers or default_workers(), s3_factory=s3_factory,
              progress=(lambda i: progress(i, len(units))) if progress else None)
    doc = to_document(agg, window, sources, function_of(snapshot), outside_window_files=outside)
    return UsageRun(document=doc, units=len(units), files_read=agg.files_read, outside_window=outside)


# -- analyze -------------------------------------------------------------------------------


@dataclass
class Analysis:
    reported: list
    suppressed: list
    notes: list[str]
    rules: dict

    def document(self, source: dict) -> dict:
        """The findings JSON (schema: iam_analyzer/schemas/findings.schema.json)."""
        from iam_analyzer.iam.catalog import default_catalog

        return {
            "schema_version": 1,
            "kind": "iam-analyzer-findings",
            "tool": {"name": "iam-analyzer", "version": __version__},
            "catalog": default_catalog().info.as_dict(),
            "source": source,
            "summary": {"total": len(self.reported), "by_severity": dict(Counter(f.severity for f in self.reported)),
                        "by_category": dict(Counter(f.category for f in self.reported)),
                        "suppressed": len(self.suppressed)},
            "findings": [f.as_dict() for f in self.reported],
            "suppressed": [f.as_dict() for f in self.suppressed],
            "notes": self.notes,
            "rules": {r.id: {"title": r.title, "severity": r.severity, "category": r.category}
                      for r in self.rules.values()},
        }


def analysis_from_document(doc: dict, where: str = "findings") -> Analysis:
    """An Analysis from a findings file written by ``analyze -o`` or ``audit`` (no rules re-run).

    Rule texts come from the shipped pack; a rule the pack does not know keeps the title,
    severity and category the file recorded. Raises ValueError naming the file and the place.
    """
    from iam_analyzer.emit.inputs import findings_from_document

    reported, suppressed, notes, rules = findings_from_document(doc, where)
    return Analysis(reported, suppressed, notes, rules)


def analyze(snapshot: Snapshot, usage_doc: dict | None, rule_dirs=(), config_path: str | None = None) -> Analysis:
    """Run the rule pack. Raises analyze.checks.engine.RuleError for a bad rule or configuration."""
    from iam_analyzer.analyze.checks.detect import analyze as run_rules
    from iam_analyzer.analyze.checks.engine import Config, load_rules

    rules = load_rules(list(rule_dirs))
    cfg = Config.load(config_path)
    reported, suppressed, notes = run_rules(snapshot, usage_doc, rules, cfg)
    return Analysis(reported, suppressed, notes, rules)


# -- generate ------------------------------------------------------------------------------


def generate(snapshot: Snapshot, usage_doc: dict | None, options=None, functions: list[str] | None = None) -> list:
    """A tightened, verified policy per function (analyze/generate)."""
    from iam_analyzer.analyze.generate.deployed import Options, generate_all

    return generate_all(snapshot, usage_doc, options or Options(), functions or None)


def write_policies(results: list, out_dir: Path, fmt: str = "json") -> dict:
    """Write each function's policy and explanation, shared-role unions, and summary.json.

    Returns the summary document.
    """
    from iam_analyzer.analyze.generate.deployed import role_union
    from iam_analyzer.emit.policy_formats import FORMATS, safe_name

    out_dir.mkdir(parents=True, exist_ok=True)
    ext, render = FORMATS[fmt]
    unique_names = len({r.function.name for r in results}) == len(results)
    summary, by_role = [], {}
    for r in results:
        base = safe_name(r.function.name if unique_names else f"{r.function.region}-{r.function.name}")
        if r.documents:
            (out_dir / f"{base}{ext}").write_text(render(r), encoding="utf-8")
        (out_dir / f"{base}.explain.json").write_text(json.dumps(r.explanation(), indent=1) + "\n", encoding="utf-8")
        by_role.setdefault(r.function.role_arn, []).append(r)
        summary.append({"function": r.function.arn, "role": r.function.role_arn,
                        "file": f"{base}{ext}" if r.documents else None,
                        "granted_actions_before": r.before, "granted_actions_after": r.after,
                        "reduction_percent": r.reduction, "verified": r.verification.get("ok", False),
                        "kept": len(r.entries), "not_granted_today": len(r.not_granted), "warnings": r.warnings})
    shared = []
    for role_arn, rs in sorted(by_role.items()):
        if len(rs) > 1:
            union = role_union(rs)
            name = f"role-{safe_name(role_arn.rsplit('/', 1)[-1])}.json"
            (out_dir / name).write_text(json.dumps(union, indent=2) + "\n", encoding="utf-8")
            shared.append({"role": role_arn, "functions": [r.function.arn for r in rs],
                           "note": "one role serves several functions: the union is written; a role per function "
                                   "would let each keep only its own permissions"})
    reductions = [s["reduction_percent"] for s in summary if s["granted_actions_before"]]
    doc = {"functions": summary, "shared_roles": shared,
           "average_reduction_percent": round(sum(reductions) / len(reductions), 1) if reductions else 0.0,
           "all_verified": all(s["verified"] for s in summary if s["file"])}
    (out_dir / "summary.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return doc


# -- report --------------------------------------------------------------------------------

REPORT_FILES = {"html": "report.html", "json": "report.json", "sarif": "report.sarif", "md": "report.md"}


def report(snapshot: Snapshot, usage_doc: dict | None, analysis: Analysis, results: list, out_dir: Path,
           formats=tuple(REPORT_FILES)) -> dict[str, str]:
    """Render the reports (one model, every format) into ``out_dir``; returns format -> path.

    The one way to make a report: audit, demo and ``iam-analyzer report`` all call this.
    ``analysis`` may come from ``analyze`` or from a findings file (``analysis_from_document``),
    ``results`` from ``generate`` or from a policies folder (``emit.inputs.load_policies``).
    """
    from iam_analyzer.analyze.checks.detect import Model
    from iam_analyzer.emit import report as report_mod

    m = Model(snapshot, usage_doc)
    admins = {arn for arn, p in m.analyzer.principals.items() if p.kind == "role" and m.analyzer.is_admin(p)}
    model = report_mod.build(snapshot, usage_doc, analysis.reported, analysis.rules, results,
                             m.escalations, analysis.notes, admins=admins)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in formats:
        path = out_dir / REPORT_FILES[fmt]
        path.write_text(report_mod.RENDERERS[fmt](model), encoding="utf-8")
        paths[fmt] = str(path)
    return paths
