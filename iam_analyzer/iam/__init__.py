"""IAM semantics, in one place: catalog, policies, ARNs, wildcards, evaluation, comparison.

No other module of iam-analyzer matches action strings or ARNs by itself.
"""

from .arn import Arn, ArnError
from .catalog import Catalog, default_catalog, expand_actions, load_catalog
from .compare import NewAccess, allowed_actions, new_access
from .evaluate import Decision, Request, Result, evaluate
from .minimize import minimize_actions
from .policy import Policy, PolicyError, Statement, normalise, parse_policy, parse_policy_lenient

__all__ = [
    "Arn", "ArnError", "Catalog", "Decision", "NewAccess", "Policy", "PolicyError", "Request",
    "Result", "Statement", "allowed_actions", "default_catalog", "evaluate", "expand_actions",
    "load_catalog", "minimize_actions", "new_access", "normalise", "parse_policy",
    "parse_policy_lenient",
]
