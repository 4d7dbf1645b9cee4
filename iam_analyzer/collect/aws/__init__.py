"""The only code that talks to AWS (boto3): sessions, the inventory scanner, CloudTrail sources."""
