"""iam-analyzer: least-privilege AWS Lambda execution roles, with evidence."""

__version__ = "0.1.0"
