"""The permission graph: who can invoke what, what runs as which role, and escalation paths.

The implementation lives in small modules of this package (``principals``: principals and their
policies; ``effective``: effective permissions; ``escalation``: the escalation search; ``build``: the
networkx graph and its exports; ``gaad``: GAAD input). This module keeps the names other code
imports.
"""

from iam_analyzer.analyze.graph.build import build_graph, export
from iam_analyzer.analyze.graph.effective import Analyzer
from iam_analyzer.analyze.graph.escalation import Escalations, Hop
from iam_analyzer.analyze.graph.gaad import snapshot_from_gaad
from iam_analyzer.analyze.graph.principals import ADMIN_PROBES, Principal, escalation_methods, principals_from_account

__all__ = ["ADMIN_PROBES", "Analyzer", "Escalations", "Hop", "Principal", "build_graph", "escalation_methods",
           "export", "principals_from_account", "snapshot_from_gaad"]
