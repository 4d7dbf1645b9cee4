"""Generate ``docs/rules/<ID>.md`` (and an index) from the rule files.

    python -m iam_analyzer.emit.rules_docs [DOCS_DIR]

A test fails when the committed pages differ from what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from iam_analyzer.analyze.checks.engine import Rule, load_rules


def page(rule: Rule) -> str:
    lines = [f"# {rule.id}: {rule.title}", "",
             f"- Severity: **{rule.severity}**", f"- Category: {rule.category}",
             f"- Enabled by default: {'yes' if rule.enabled else 'no'}",
             f"- Detection: {'check `' + rule.matcher['check'] + '` (Python)' if rule.matcher.get('check') else 'declarative matcher on `' + rule.matcher['subject'] + '`'}",
             "", "## What it finds, and why it matters", "", rule.why, "", "## How to fix it", "", rule.fix, ""]
    if rule.example:
        lines += ["## Example", ""]
        if "bad" in rule.example:
            lines += ["Reported:", "", "```json", json.dumps(rule.example["bad"], indent=2), "```", ""]
        if "good" in rule.example:
            lines += ["Not reported:", "", "```json", json.dumps(rule.example["good"], indent=2), "```", ""]
    if rule.references:
        lines += ["## References", ""] + [f"- {r}" for r in rule.references] + [""]
    lines += [f"Select or ignore it by id (`{rule.id}`) or category (`{rule.category}`) in `.iam-analyzer.yaml`.", ""]
    return "\n".join(lines)


def index(rules: dict[str, Rule]) -> str:
    lines = ["# Rules", "", "Generated from `rules/*.yaml` by `python -m iam_analyzer.emit.rules_docs`.", "",
             "| id | title | severity | category | default |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(rules.values(), key=lambda r: r.id):
        lines.append(f"| [{r.id}]({r.id}.md) | {r.title} | {r.severity} | {r.category} | {'on' if r.enabled else 'off'} |")
    return "\n".join(lines) + "\n"


def render_all() -> dict[str, str]:
    rules = load_rules()
    out = {f"{r.id}.md": page(r) for r in rules.values()}
    out["README.md"] = index(rules)
    return out


def main(argv: list[str]) -> None:
    folder = Path(argv[0] if argv else "docs/rules")
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
