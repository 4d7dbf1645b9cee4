"""The rule pack run over a snapshot: the findings a reviewer reads (``stages.analyze`` and the
CI gate both call this; it sits below both, so neither imports the other).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from iam_analyzer import __version__
from iam_analyzer.model import Snapshot


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


def analyze(snapshot: Snapshot, usage_doc: dict | None, rule_dirs=(), config_path: str | None = None) -> Analysis:
    """Run the rule pack. Raises analyze.checks.engine.RuleError for a bad rule or configuration."""
    from iam_analyzer.analyze.checks.detect import analyze as run_rules
    from iam_analyzer.analyze.checks.engine import Config, load_rules

    from iam_analyzer.analyze.checks.engine import rule_error
    from iam_analyzer.analyze.checks.validate import check_config_ids

    rules = load_rules(list(rule_dirs))
    cfg = Config.load(config_path)
    check_config_ids(cfg, rules, cfg.path, rule_error)
    reported, suppressed, notes = run_rules(snapshot, usage_doc, rules, cfg)
    return Analysis(reported, suppressed, notes, rules)
