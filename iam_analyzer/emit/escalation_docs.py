"""Generate ``docs/escalation.md`` from ``rules/escalation.yaml``: every escalation method the
graph knows, with the catalog path it covers, what it needs and what it yields.

    python -m iam_analyzer.emit.escalation_docs [OUT_FILE]

A test fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from iam_analyzer.analyze.graph.principals import escalation_chains, escalation_methods

CATALOG = "https://pathfinding.cloud/paths/"
TARGETS = {"*": "any resource", "same": "the same resource", "self-or-user": "the principal itself or another user",
           "self-or-role": "the principal itself or another role", "other-user": "another user", "other-role": "another role",
           "group": "a group", "passable-role": "a role {service} may assume", "existing": "an existing resource of a role {service} may assume",
           "function": "a Lambda function", "policy": "a customer-managed policy", "trusting-role": "a role that trusts the principal"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _refs(refs) -> str:
    return ", ".join(f"[{r}]({CATALOG}{r})" for r in refs) or "(not in the catalog)"


def _requires(m: dict) -> str:
    parts = []
    for r in m["requires"]:
        on = TARGETS.get(r["target"], r["target"]).format(service=r.get("service", ""))
        parts.append(f"`{r['action']}` on {on}")
    return "; ".join(parts)


def render() -> str:
    methods = escalation_methods()
    chains = escalation_chains()
    n = sum(len(m.get("ref", [])) for m in methods) + len(chains)
    lines = ["# Privilege-escalation methods", "",
             "Generated from `rules/escalation.yaml` by `python -m iam_analyzer.emit.escalation_docs`.", "",
             f"The escalation graph (`graph escalations`, rule IAM005, the report's escalation paths) knows "
             f"{len(methods)} methods. They cover {n} paths of DataDog's public catalog "
             f"[pathfinding.cloud](https://pathfinding.cloud), each by its id; the catalog's two-step paths are two "
             "methods in a row, which the graph joins by itself.", "",
             "A path is **complete** when the input shows everything it needs: the principal's permissions, the role "
             "it reaches (and its trust policy), and, for Lambda, the function that runs as that role. A path is "
             "**conditional** when it also needs something the input cannot show (an existing build project, "
             "instance, stack or task definition: a snapshot holds IAM and Lambda only, a GAAD file IAM only); the "
             "finding then says what (`requires`). When one of a method's permissions is missing, the method is not "
             "reported. Where a method's permissions include another's that reaches the same role "
             "(`UpdateFunctionCode` and `UpdateFunctionCode` + `InvokeFunction`), the smaller one is reported.", "",
             "| method | catalog | requires | must exist | conditional on | yields |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in methods:
        needs = m.get("needs", "").replace("{name}", "the role").split(" (the input")[0]
        if not needs and m["requires"][0]["target"] == "function":
            needs = "the function, when the input has no function inventory (a GAAD file)"
        lines.append(f"| {m['id']}: {_cell(m['name'])} | {_refs(m.get('ref', []))} | {_cell(_requires(m))} | "
                     f"{_cell(m['exists'])} | {_cell(needs) or 'nothing'} | {_cell(m['yields'])} |")
    lines += ["", "## Two-step paths", "",
              "| catalog | path | steps |", "| --- | --- | --- |"]
    for c in chains:
        lines.append(f"| {_refs([c['ref']])} | {_cell(c['name'])} | {' then '.join(c['steps'])} |")
    lines += [""]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "docs/escalation.md")
    out.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
