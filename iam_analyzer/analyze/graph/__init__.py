"""The permission graph and escalation analysis (see ``analyzer`` for the module map)."""

from iam_analyzer.analyze.graph.build import build_graph, export
from iam_analyzer.analyze.graph.effective import Analyzer
from iam_analyzer.analyze.graph.escalation import Escalations
from iam_analyzer.analyze.graph.gaad import snapshot_from_gaad

__all__ = ["Analyzer", "Escalations", "build_graph", "export", "snapshot_from_gaad"]
