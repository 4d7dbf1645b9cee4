"""The one-command audit: scan -> usage -> analyze -> generate -> report, into one folder."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from iam_analyzer.emit import report as report_mod
from iam_analyzer.collect.aws.inventory import ScanOptions, scan
from iam_analyzer.collect.aws.session import Clients
from iam_analyzer.analyze.checks.detect import Model, analyze
from iam_analyzer.emit.policy_formats import FORMATS, safe_name
from iam_analyzer.analyze.generate.deployed import Options, generate_all
from iam_analyzer.analyze.checks.engine import Config, load_rules
from iam_analyzer.collect.cloudtrail.pipeline import Window, default_workers, run, to_document
from iam_analyzer.collect.cloudtrail.sources import FolderSource

log = logging.getLogger("iam_analyzer.audit")


@dataclass
class AuditOptions:
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    org_role: str | None = None
    cloudtrail: list[str] = field(default_factory=list)  # folders or s3:// URLs; empty: the account's trails
    lookup_events: bool = False
    since: datetime | None = None
    until: datetime | None = None
    workers: int | None = None
    config: str | None = None
    rule_dirs: list[str] = field(default_factory=list)
    policy_format: str = "json"
    profile: str | None = None
    code: bool = False  # read deployment packages for SDK calls (scan --code)
    code_fetch: object = None  # packages.Fetch instead of HTTPS (the demo, tests)


def _iso(d: datetime | None) -> str | None:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if d else None


def trail_locations(clients: Clients, region: str) -> list[str]:
    """The S3 locations the account's CloudTrail trails deliver to."""
    out = []
    for t in clients.client("cloudtrail", region).describe_trails().get("trailList", []):
        bucket = t.get("S3BucketName")
        if bucket:
            prefix = (t.get("S3KeyPrefix") or "").strip("/")
            out.append(f"s3://{bucket}/{prefix + '/' if prefix else ''}")
    return sorted(set(out))


def run_audit(clients: Clients, out_dir: Path, opt: AuditOptions,
              say: Callable[[str], None] = lambda m: None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    home = opt.regions[0] if opt.regions else (clients.session.region_name or "us-east-1")
    say("scanning the account (read-only)")
    snapshot = scan(clients, ScanOptions(regions=opt.regions or [home], all_regions=opt.all_regions, code=opt.code,
                                         code_fetch=opt.code_fetch), org_role=opt.org_role)
    snapshot.save(out_dir / "snapshot.json")
    say(f"{len(snapshot.functions())} function(s) in {len(snapshot.accounts)} account(s)")

    locations = list(opt.cloudtrail)
    if not locations and not opt.lookup_events:
        try:
            locations = trail_locations(clients, home)
        except Exception as e:  # noqa: BLE001 - an audit goes on without usage, and says so
            log.warning("could not read the account's trails: %s", e)
        say(f"CloudTrail: {', '.join(locations) if locations else 'no trail found; management events via LookupEvents'}")
        if not locations:
            opt.lookup_events = True
    window = Window(_iso(opt.since), _iso(opt.until))
    units, sources, s3_factory = [], [], None
    from iam_analyzer.collect.aws.cloudtrail import LookupEventsSource, S3Source, s3_reader_factory

    for loc in locations:
        if loc.startswith("s3://"):
            src = S3Source(clients, loc, home, opt.since.date() if opt.since else None, opt.until.date() if opt.until else None)
            s3_factory = s3_reader_factory(clients.endpoint_url, home, opt.profile)
        else:
            src = FolderSource(loc, opt.since.date() if opt.since else None, opt.until.date() if opt.until else None)
        units.extend(src.units())
        sources.append(src.describe())
    if opt.lookup_events:
        src = LookupEventsSource(clients, opt.regions or [home], opt.since, opt.until)
        try:
            units.extend(src.units())
            sources.append(src.describe())
        except Exception as e:  # noqa: BLE001
            log.warning("LookupEvents failed: %s", e)
    say(f"reading {len(units)} CloudTrail file(s)")
    agg = run(units, window, workers=opt.workers or default_workers(), s3_factory=s3_factory)
    by_role_session = {(f.role_arn, f.name): f.arn for f in snapshot.functions()}
    usage = to_document(agg, window, sources, lambda p, s: by_role_session.get((p, s)))
    (out_dir / "usage.json").write_text(json.dumps(usage, indent=1) + "\n")
    say(f"{usage['events']['total']} event(s), {len(usage['files']['skipped'])} file(s) skipped")

    rules = load_rules(opt.rule_dirs)
    cfg = Config.load(opt.config)
    reported, suppressed, notes = analyze(snapshot, usage, rules, cfg)
    from iam_analyzer.cli import _findings_document

    (out_dir / "findings.json").write_text(json.dumps(
        _findings_document(reported, suppressed, notes, rules, {"snapshot": "snapshot.json", "usage": "usage.json"}),
        indent=1) + "\n")
    say(f"{len(reported)} finding(s)")

    results = generate_all(snapshot, usage, Options())
    pol_dir = out_dir / "policies"
    pol_dir.mkdir(exist_ok=True)
    ext, render = FORMATS[opt.policy_format]
    for r in results:
        if r.documents:
            (pol_dir / f"{safe_name(r.function.name)}{ext}").write_text(render(r))
        (pol_dir / f"{safe_name(r.function.name)}.explain.json").write_text(json.dumps(r.explanation(), indent=1) + "\n")
    say(f"{sum(1 for r in results if r.documents)} policy(ies) generated, "
        f"{sum(1 for r in results if r.verification.get('ok'))} verified")

    model = report_mod.build(snapshot, usage, reported, rules, results, Model(snapshot, usage).escalations, notes)
    paths = {}
    for fmt, fn in report_mod.RENDERERS.items():
        name = {"md": "report.md", "sarif": "report.sarif"}.get(fmt, f"report.{fmt}")
        (out_dir / name).write_text(fn(model), encoding="utf-8")
        paths[fmt] = str(out_dir / name)
    return {"paths": paths, "findings": reported, "model": model, "results": results}
