"""The permission graph as networkx: who can invoke what, what runs as which role, who can
escalate to whom; and its export formats."""

from __future__ import annotations

import networkx as nx

from iam_analyzer.analyze.graph.effective import Analyzer
from iam_analyzer.analyze.graph.escalation import Escalations
from iam_analyzer.model import Snapshot


def build_graph(snapshot: Snapshot, usage: dict | None = None, analyzer: Analyzer | None = None,
                with_escalation: bool = True) -> nx.MultiDiGraph:
    an = analyzer or Analyzer(snapshot)
    g = nx.MultiDiGraph()
    for arn, p in an.principals.items():
        g.add_node(arn, kind=p.kind, name=p.name, admin=an.is_admin(p) if p.kind != "group" else False)
        for name, _ in p.policies:
            g.add_node(name, kind="policy")
            g.add_edge(arn, name, key="has_policy", type="has_policy")
        for ga in p.groups:
            g.add_edge(arn, ga, key="member_of", type="member_of")
        for name, pol in p.policies:
            for st in pol.statements:
                if not st.is_allow:
                    continue
                for res in st.resource_patterns:
                    node = f"resource:{res}"
                    g.add_node(node, kind="resource", pattern=res)
                    g.add_edge(arn, node, key=f"{name}#{st.index}:{res}", type="grants",
                               actions=",".join(st.action_patterns), not_action=st.not_actions is not None,
                               conditional=bool(st.conditions), policy=name, statement=st.index)
    for fn in snapshot.functions():
        g.add_node(fn.arn, kind="function", name=fn.name, region=fn.region, runtime=fn.runtime or "")
        g.add_edge(fn.arn, fn.role_arn, key="runs_as", type="runs_as")
        for inv in fn.invokers:
            if inv.effect != "Allow":
                continue
            node = "*" if inv.principal_type == "everyone" else (
                f"service:{inv.principal}" if inv.principal_type == "service" else
                f"account:{inv.principal.split(':')[4] if inv.principal.startswith('arn:') else inv.principal}"
                if inv.principal_type == "account" else inv.principal)
            g.add_node(node, kind="invoker", principal_type=inv.principal_type)
            g.add_edge(node, fn.arn, key=f"invokes:{inv.sid}", type="invokes", source_arn=inv.source_arn or "",
                       source_account=inv.source_account or "", actions=",".join(inv.actions),
                       url_auth=inv.function_url_auth_type or "")
        for t in fn.triggers:
            g.add_node(t.source_arn, kind="trigger", trigger_type=t.type)
            g.add_edge(t.source_arn, fn.arn, key=f"triggers:{t.type}", type="triggers")
        for m in fn.event_source_mappings:
            if m.event_source_arn:
                g.add_node(m.event_source_arn, kind="trigger", trigger_type=m.source_type)
                g.add_edge(m.event_source_arn, fn.arn, key=f"triggers:{m.uuid}", type="triggers")
        for u in fn.urls:
            node = f"url:{u.url}"
            g.add_node(node, kind="function_url", auth_type=u.auth_type)
            g.add_edge(node, fn.arn, key="invokes:url", type="invokes", url_auth=u.auth_type)
    if with_escalation:
        esc = Escalations(an)
        for arn, p in an.principals.items():
            for h in esc.edges_from(p):
                etype = {"AssumeRole": "can_assume", "UpdateFunctionCode": "can_modify_function",
                         "UpdateFunctionConfiguration": "can_modify_function"}.get(h.method, "can_pass_role" if h.method.startswith("PassRole") else "can_escalate")
                g.add_edge(h.source, h.target, key=f"{etype}:{h.method}", type=etype, method=h.method,
                           conditional=h.conditional or bool(h.needs), needs=(h.needs or "").format(name="any of its members"))
                if h.members and g.nodes[h.target].get("kind") != "class":
                    # a class of principals (every role a service may assume, every user):
                    # one edge from each principal that reaches all of them, one to each member
                    g.nodes[h.target].update(kind="class", name=h.target, members=len(h.members))
                    for m in h.members:
                        g.add_edge(h.target, m, key="member", type="member")
    if usage:
        for p in usage.get("principals", []):
            if p.get("function"):
                for a in p.get("actions", []):
                    node = f"resource:{a['resource']}"
                    g.add_node(node, kind="resource", pattern=a["resource"])
                    g.add_edge(p["function"], node, key=f"used:{a['action']}", type="used", action=a["action"], count=a["count"])
    return g


def export(g: nx.MultiDiGraph, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(nx.node_link_data(g, edges="links"), indent=1, default=str)
    if fmt == "graphml":
        h = nx.MultiDiGraph()
        for n, d in g.nodes(data=True):
            h.add_node(n, **{k: (v if isinstance(v, (str, int, float, bool)) else str(v)) for k, v in d.items()})
        for u, v, k, d in g.edges(keys=True, data=True):
            h.add_edge(u, v, key=k, **{kk: (vv if isinstance(vv, (str, int, float, bool)) else str(vv)) for kk, vv in d.items()})
        return "\n".join(nx.generate_graphml(h))
    if fmt == "dot":
        lines = ["digraph iam {", "  rankdir=LR;"]
        ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
        for n, d in g.nodes(data=True):
            label = _dot_escape(d.get("name") or n)
            shape = {"function": "box", "role": "ellipse", "user": "ellipse", "resource": "note", "invoker": "diamond"}.get(d.get("kind"), "plaintext")
            lines.append(f'  {ids[n]} [label="{label}", shape={shape}];')
        for u, v, d in g.edges(data=True):
            lines.append(f'  {ids[u]} -> {ids[v]} [label="{_dot_escape(d.get("type", ""))}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt}")


def _dot_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
