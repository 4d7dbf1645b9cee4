"""Every AWS API operation the product calls, by botocore service name.

This is the product's AWS surface in one place. ``tests/collect/aws/test_surface.py`` checks
that every call written in the collectors and the demo is listed here, and that the pinned
moto serves each listed operation in the protocol the pinned botocore speaks for its service,
so an upgrade that changes a protocol (botocore 1.44.18 moved Athena from ``json`` to
``rest-json``) fails there, by name, instead of somewhere in an end-to-end test.
``scripts/test_newest.sh`` runs the same checks against the newest releases.
"""

from __future__ import annotations

# The scanner (read-only inventory), usage sources, Access Advisor and Organizations.
SCANNER: dict[str, tuple[str, ...]] = {
    "sts": ("get_caller_identity", "assume_role"),
    "ec2": ("describe_regions",),
    "organizations": ("list_accounts", "list_roots", "list_organizational_units_for_parent", "list_accounts_for_parent",
                      "list_policies", "describe_policy", "list_targets_for_policy", "list_parents"),
    "iam": ("get_account_authorization_details", "get_policy", "get_policy_version",
            "generate_service_last_accessed_details", "get_service_last_accessed_details"),
    "lambda": ("list_functions", "get_function", "get_function_concurrency", "get_function_url_config",
               "get_policy", "list_aliases", "list_code_signing_configs", "list_functions_by_code_signing_config",
               "list_function_event_invoke_configs", "list_event_source_mappings"),
    "s3": ("list_buckets", "get_bucket_notification_configuration", "list_objects_v2", "get_object"),
    "sns": ("list_topics", "list_subscriptions"),
    "sqs": ("list_queues",),
    "events": ("list_event_buses", "list_rules", "list_targets_by_rule"),
    "scheduler": ("list_schedules", "get_schedule"),
    "apigateway": ("get_rest_apis", "get_resources"),
    "apigatewayv2": ("get_apis", "get_integrations"),
    "logs": ("describe_log_groups", "describe_subscription_filters"),
    "dynamodb": ("list_tables",),
    "secretsmanager": ("list_secrets",),
    "ssm": ("describe_parameters",),
    "cloudtrail": ("describe_trails", "lookup_events", "start_query", "describe_query", "get_query_results", "cancel_query"),
    "athena": ("start_query_execution", "get_query_execution", "get_query_results", "stop_query_execution",
               "get_table_metadata", "get_work_group"),
}

# The only writer (collect/aws/apply.py: apply and rollback), apart from the read-only scanner;
# its permissions are docs/apply-policy.json.
WRITER: dict[str, tuple[str, ...]] = {
    "iam": ("get_role", "list_role_policies", "get_role_policy", "list_attached_role_policies", "get_policy",
            "get_policy_version", "list_policy_versions", "create_policy", "delete_policy", "delete_policy_version",
            "put_role_policy", "delete_role_policy", "attach_role_policy", "detach_role_policy",
            "put_role_permissions_boundary", "delete_role_permissions_boundary"),
}

# Operations moto does not implement, answered in the tests by botocore's Stubber instead
# (DESIGN.md: moto lacks LookupEvents, Access Advisor and CloudTrail Lake queries).
STUBBED: frozenset[tuple[str, str]] = frozenset({
    ("cloudtrail", "lookup_events"), ("cloudtrail", "start_query"), ("cloudtrail", "describe_query"),
    ("cloudtrail", "get_query_results"), ("cloudtrail", "cancel_query"),
    ("iam", "generate_service_last_accessed_details"), ("iam", "get_service_last_accessed_details"),
})


def services() -> list[str]:
    return sorted(set(SCANNER) | set(WRITER))


def operations() -> list[tuple[str, str]]:
    return sorted({(s, op) for table in (SCANNER, WRITER) for s, ops in table.items() for op in ops})
