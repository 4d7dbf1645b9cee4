"""graph: the permission graph, escalation paths, blast radius, who-can."""

from __future__ import annotations

import re

import click

from iam_analyzer.cli.common import (
    check_output_file,
    echo_json,
    fail,
    guardrail_options,
    load_model,
    load_usage,
    model_options,
    write_output,
)

# XML 1.0 allows no control characters but tab, newline and carriage return, not even escaped
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """GraphML of names with control characters (IAM allows few, tags and snapshots anything)
    stays well-formed XML: each forbidden character becomes U+FFFD."""
    return _XML_FORBIDDEN.sub("\ufffd", text)


@click.group()
def graph() -> None:
    """The permission graph: invokers -> functions -> roles -> resources, and escalation paths."""


@graph.command("export")
@model_options
@guardrail_options
@click.option("--usage", "usage_path", type=click.Path(dir_okay=False), help="Add what each function used.")
@click.option("--format", "fmt", type=click.Choice(["graphml", "json", "dot"]), default="json", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def graph_export(snapshot_path, gaad_path, usage_path, fmt, output) -> None:
    """Write the graph as GraphML, node-link JSON or Graphviz dot."""

    from iam_analyzer.analyze.graph.build import build_graph, export

    check_output_file(output)
    snap = load_model(snapshot_path, gaad_path)
    usage_doc = load_usage(usage_path)
    g = build_graph(snap, usage_doc)
    text = export(g, fmt)
    write_output(output, xml_safe(text) if fmt == "graphml" else text)
    click.echo(f"{output}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges", err=True)


@graph.command("escalations")
@model_options
@guardrail_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_escalations(snapshot_path, gaad_path, fmt) -> None:
    """Privilege-escalation paths: each principal that can reach more privilege, and how.

    Works on effective permissions (all policies of a principal and its groups, explicit
    Deny, the permissions boundary, conditions), so an escalation split across two policies
    is found and an Allow cancelled by a Deny is not. Unknown conditions are marked
    conditional. Methods are defined in rules/escalation.yaml.
    """
    from iam_analyzer.analyze.graph import Analyzer, Escalations
    from iam_analyzer.iam.catalog import default_catalog

    snap = load_model(snapshot_path, gaad_path)
    found, _ = Escalations(Analyzer(snap)).find()
    if fmt == "json":
        echo_json({"escalations": found, "catalog": default_catalog().info.as_dict()})
        return
    for f in found:
        steps = " -> ".join(f"{h['method']} -> {h['to'].rsplit('/', 1)[-1]}" for h in f["path"])
        cond = (f" (conditional: requires {f['requires']})" if f.get("requires") else " (conditional)") if f["conditional"] else ""
        if f.get("targets", 1) > 1:
            cond += f" [{f['targets']} targets]"
        click.echo(f"{f['principal']}: {steps}; yields {f['yields']}{cond}")
    click.echo(f"{len(found)} escalation path(s)", err=True)


@graph.command("blast-radius")
@click.argument("target", metavar="FUNCTION_OR_ROLE")
@model_options
@guardrail_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_blast_radius(target, snapshot_path, gaad_path, fmt) -> None:
    """What a function (or role) can reach: its role's actions and resources, directly and
    through escalation paths."""
    from iam_analyzer.analyze.graph.blast import blast_radius

    snap = load_model(snapshot_path, gaad_path)
    try:
        data = blast_radius(snap, target)
    except KeyError as e:
        fail(str(e).strip("'\""))
    if fmt == "json":
        echo_json(data)
        return
    click.echo(f"{data['subject']} runs as {data['role']}: {data['granted_actions']} actions")
    for svc, item in data["direct"].items():
        click.echo(f"  {svc}: {item['actions']} actions on {', '.join(item['resources'][:5])}")
    for e in data["escalations"]:
        click.echo(f"  escalation: {e['method']} -> {e['yields']}")


@graph.command("who-can")
@click.argument("action")
@click.argument("resource", required=False, default=None)
@model_options
@guardrail_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def graph_who_can(action, resource, snapshot_path, gaad_path, fmt) -> None:
    """Every principal (and the functions running as it) allowed ACTION on RESOURCE."""
    from iam_analyzer.analyze.graph.blast import who_can

    snap = load_model(snapshot_path, gaad_path)
    rows = who_can(snap, action, resource)
    if fmt == "json":
        echo_json({"action": action, "resource": resource, "principals": rows})
        return
    for r in rows:
        fns = f" (functions: {', '.join(r['functions'])})" if r["functions"] else ""
        click.echo(f"{r['result']:<12} {r['principal']}{fns}")
    click.echo(f"{len(rows)} principal(s)", err=True)


