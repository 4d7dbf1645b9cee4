"""The one-command audit: scan -> usage -> analyze -> generate -> report, into one folder."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from iam_analyzer import stages
from iam_analyzer.analyze.evidence import DEFAULT_MIN_WINDOW_DAYS
from iam_analyzer.analyze.generate.deployed import Options
from iam_analyzer.collect.aws.inventory import ScanOptions
from iam_analyzer.collect.aws.session import Clients
from iam_analyzer.emit.policy_files import summary_lines
from iam_analyzer.outputs import make_folder, write_text

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
    min_window_days: float = DEFAULT_MIN_WINDOW_DAYS
    code: bool = False  # read deployment packages for SDK calls (scan --code)
    code_fetch: object = None  # packages.Fetch instead of HTTPS (the demo, tests)
    organization: bool = False  # also read the Organization's SCPs and RCPs (scan --organization)
    org_policies: tuple = ()  # (policies, facts) of --scp/--rcp files (stages.read_guardrails)


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
    """scan -> usage -> analyze -> generate -> report, every stage through iam_analyzer.stages."""
    make_folder(out_dir)
    home = opt.regions[0] if opt.regions else (clients.session.region_name or "us-east-1")
    say("scanning the account (read-only)")
    snapshot = stages.scan(clients, ScanOptions(regions=opt.regions or [home], all_regions=opt.all_regions,
                                                code=opt.code, code_fetch=opt.code_fetch,
                                                organization=opt.organization), org_role=opt.org_role)
    stages.require_account(snapshot)  # no credentials or no endpoint: exit 2, never "0 policies generated"
    if opt.org_policies:
        stages.apply_guardrails(snapshot, *opt.org_policies)
    snapshot.save(out_dir / "snapshot.json")
    say(f"{len(snapshot.functions())} function(s) in {len(snapshot.accounts)} account(s)")

    locations = list(opt.cloudtrail)
    lookup_events = opt.lookup_events
    if not locations and not lookup_events:
        try:
            locations = trail_locations(clients, home)
        except Exception as e:  # noqa: BLE001 - an audit goes on without usage, and says so
            log.warning("could not read the account's trails: %s", e)
        say(f"CloudTrail: {', '.join(locations) if locations else 'no trail found; management events via LookupEvents'}")
        if not locations:
            lookup_events = True
    request = stages.UsageRequest(locations=locations, lookup_events=lookup_events, since=opt.since, until=opt.until,
                                  regions=opt.regions or [home], profile=opt.profile, workers=opt.workers)
    try:
        run = stages.usage(request, clients, snapshot)
    except Exception as e:  # noqa: BLE001 - LookupEvents may be denied; read the files alone then
        if not request.lookup_events:
            raise
        log.warning("LookupEvents failed: %s", e)
        request.lookup_events = False
        run = stages.usage(request, clients, snapshot)
    usage = run.document
    say(f"read {run.files_read} of {run.units} CloudTrail file(s)")
    write_text(out_dir / "usage.json", json.dumps(usage, indent=1) + "\n")
    say(f"{usage['events']['total']} event(s), {len(usage['files']['skipped'])} file(s) skipped")
    for m in run.messages:
        say(f"warning: {m}")

    analysis = stages.analyze(snapshot, usage, opt.rule_dirs, opt.config)
    write_text(out_dir / "findings.json", json.dumps(
        analysis.document({"snapshot": "snapshot.json", "usage": "usage.json"}), indent=1) + "\n")
    say(f"{len(analysis.reported)} finding(s)")

    results = stages.generate(snapshot, usage, Options(min_window_days=opt.min_window_days))
    summary = stages.write_policies(results, out_dir / "policies", opt.policy_format)
    for line in summary_lines(summary):
        say(line)

    paths = stages.report(snapshot, usage, analysis, results, out_dir)
    return {"paths": paths, "findings": analysis.reported, "results": results, "analysis": analysis,
            "summary": summary}
