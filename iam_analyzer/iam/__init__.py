"""IAM semantics, in one place: catalog, policies, ARNs, wildcards, evaluation, comparison.

No other module of iam-analyzer matches action strings or ARNs by itself.

The other names are loaded on first use (PEP 562), so a command that needs only the policy
parser and the catalog (``lint``) does not import the comparison and the minimiser at start.
"""

from __future__ import annotations

import importlib

# bound now: ``evaluate`` names both a submodule and its function, and the package has always
# meant the function (importing the submodule later must not change that)
from .evaluate import Decision, Request, Result, evaluate  # noqa: F401

_WHERE = {
    "Arn": "arn", "ArnError": "arn",
    "Catalog": "catalog", "default_catalog": "catalog", "expand_actions": "catalog", "load_catalog": "catalog",
    "NewAccess": "compare", "allowed_actions": "compare", "new_access": "compare",
    "minimize_actions": "minimize",
    "Policy": "policy", "PolicyError": "policy", "Statement": "policy", "normalise": "policy",
    "parse_policy": "policy", "parse_policy_lenient": "policy",
}

__all__ = sorted([*_WHERE, "Decision", "Request", "Result", "evaluate"])


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
