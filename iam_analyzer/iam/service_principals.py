"""Service principals that run a Lambda function with its execution role.

``lambda.amazonaws.com`` assumes the role for every function. A Lambda@Edge function's role
must also trust ``edgelambda.amazonaws.com`` (the service that replicates and runs it at
CloudFront's edge locations: AWS's Lambda@Edge documentation asks for both), so a trust
policy naming both lets nobody but Lambda act with the role.
"""

from __future__ import annotations

LAMBDA_EXECUTION_SERVICES = frozenset({"lambda.amazonaws.com", "edgelambda.amazonaws.com"})


def runs_lambda_functions(service: str) -> bool:
    """Does this service principal run functions with their execution role (case as IAM compares it)?"""
    return service.lower() in LAMBDA_EXECUTION_SERVICES
