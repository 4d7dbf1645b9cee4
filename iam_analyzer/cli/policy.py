"""lint, actions, catalog: the IAM core on its own, no account needed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iam_analyzer import __version__
from iam_analyzer.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNUSABLE,
    echo_json,
)

# -- lint --------------------------------------------------------------------------------------


def _collect_paths(paths: tuple[str, ...]) -> list[Path]:
    """Files to lint. In a folder, anything that is not a regular file (a FIFO, a device) is
    listed too, so it is reported as not read rather than silently left out."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.json") if not q.is_dir()))
        else:
            out.append(p)
    return out


@click.command()
@click.argument("policy_files", nargs=-1, required=True, metavar="POLICY_FILE...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Output format. markdown suits a pull-request comment.")
@click.option("--kind", type=click.Choice(["auto", "identity", "managed", "inline", "resource", "trust", "scp", "rcp"]),
              default="auto", show_default=True,
              help="Kind of policy. auto: a policy with Principal is a resource or trust policy, else identity "
                   "(read as managed). inline: attached to one role, user or group (Version may be left out). "
                   "scp, rcp: AWS Organizations service and resource control policies.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "low", "info"]), default="info", show_default=True,
              help="Exit 1 when a finding at or above this severity is found.")
def lint(policy_files: tuple[str, ...], fmt: str, kind: str, fail_on: str) -> None:
    """Validate IAM policy documents.

    POLICY_FILE may be a policy document, a folder (every *.json below it is linted), or a
    file that wraps one (PolicyDocument, PolicyVersion.Document, AssumeRolePolicyDocument).
    A malformed file is reported with its location and the other files are still linted.

    Exit codes: 0 no finding, 1 findings, 2 a file could not be read.
    """
    from iam_analyzer.analyze.lint import (
        SEVERITIES,
        FileResult,
        lint_file,
        make_finding,
    )
    from iam_analyzer.iam.catalog import default_catalog
    from iam_analyzer.inputs import InputError

    cat = default_catalog()
    results: list[FileResult] = []
    unreadable = False
    for path in _collect_paths(policy_files):
        try:
            res = lint_file(path, cat, kind)
        except InputError as e:
            unreadable = True
            click.echo(f"iam-analyzer: {path}: cannot read: {e.detail}", err=True)
            res = FileResult(str(path), [make_finding("PL001", f"cannot read: {e.detail}", "(file)")])
        except OSError as e:
            unreadable = True
            click.echo(f"iam-analyzer: {path}: cannot read: {e.strerror}", err=True)
            res = FileResult(str(path), [make_finding("PL001", f"cannot read: {e.strerror}", "(file)")])
        results.append(res)
        if fmt != "text":
            for f in res.findings:
                if f.id in ("PL001", "PL002"):
                    click.echo(f"iam-analyzer: {path}: {f.location}: {f.message}", err=True)
    if fmt == "json":
        echo_json({"catalog": cat.info.as_dict(), "files": [r.as_dict() for r in results]})
    elif fmt == "markdown":
        from iam_analyzer.emit.render import render_template

        click.echo(render_template("lint.md.j2", results=results, catalog=cat.info, version=__version__), nl=False)
    else:
        for r in results:
            for f in r.findings:
                click.echo(f"{r.path}: {f.location}: {f.severity} {f.id} {f.message}")
        total = sum(len(r.findings) for r in results)
        click.echo(f"{len(results)} file(s), {total} finding(s); catalog {cat.info.version} ({cat.info.date})", err=True)
    threshold = SEVERITIES.index(fail_on)
    failing = any(SEVERITIES.index(f.severity) <= threshold for r in results for f in r.findings)
    sys.exit(EXIT_UNUSABLE if unreadable else EXIT_FINDINGS if failing else EXIT_OK)


# -- actions -----------------------------------------------------------------------------------


@click.command()
@click.argument("patterns", nargs=-1, required=True, metavar="PATTERN...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--access-level", "levels", multiple=True,
              type=click.Choice(["List", "Read", "Write", "Tagging", "Permissions management"], case_sensitive=False),
              help="Show only actions of this access level (repeatable).")
def actions(patterns: tuple[str, ...], fmt: str, levels: tuple[str, ...]) -> None:
    """Expand action patterns (s3:Get*, s3:*Object*, ec2:Describe?pc*, *) against the catalog.

    Shows each action with its access level and the resource types it can be scoped to
    ("*" only when it has none). Exits 1 when a pattern matches no action.
    """
    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    wanted = {lv.lower() for lv in levels}
    rows = []
    missing = []
    for pattern in patterns:
        found = cat.expand(pattern)
        if not found:
            missing.append(pattern)
        for act in found:
            if wanted and act.access_level.lower() not in wanted:
                continue
            types = cat.action_resource_types(act)
            rows.append({
                "pattern": pattern,
                "action": act.full_name,
                "access_level": act.access_level,
                "resource_types": [
                    {"name": rt.name, "arn": rt.arn_format,
                     "required": next((r.required for r in act.resource_types if r.name.lower() == rt.name.lower()), False)}
                    for rt in types
                ],
                "condition_keys": list(act.condition_keys),
                "description": act.description,
            })
    for m in missing:
        click.echo(f"iam-analyzer: {m!r} matches no action in catalog {cat.info.version}", err=True)
    if fmt == "json":
        echo_json({"catalog": cat.info.as_dict(), "actions": rows, "unmatched": missing})
    else:
        width = max((len(r["action"]) for r in rows), default=10)
        for r in rows:
            types = ", ".join(t["name"] for t in r["resource_types"]) or '* (no resource type)'
            click.echo(f"{r['action']:<{width}}  {r['access_level']:<22}  {types}")
        click.echo(f"{len(rows)} action(s)", err=True)
    sys.exit(EXIT_FINDINGS if missing else EXIT_OK)


# -- catalog -----------------------------------------------------------------------------------


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def catalog(fmt: str) -> None:
    """Show the IAM action catalog in use: source, version, date and counts."""
    from collections import Counter

    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    levels = Counter(a.access_level for a in cat.actions.values())
    data = {**cat.info.as_dict(), "access_levels": dict(sorted(levels.items())),
            "resource_types": sum(len(v) for v in cat.resource_types.values())}
    if fmt == "json":
        echo_json(data)
    else:
        click.echo(f"source:   {data['source']}")
        click.echo(f"version:  {data['version']}")
        click.echo(f"date:     {data['date']}")
        click.echo(f"services: {data['services']}")
        click.echo(f"actions:  {data['actions']}")
        click.echo(f"resource types: {data['resource_types']}")
        for lv, n in data["access_levels"].items():
            click.echo(f"  {lv}: {n}")


