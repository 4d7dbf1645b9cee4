"""Stand-ins for registry modules that Lambda teams call most, read when ``terraform init`` has not
installed the real module: each is a small HCL module shipped with the package (``stand_ins/``)
that declares the function, its role and the policies the module's documented inputs attach, so
the gate finds the function instead of nothing. Inputs a stand-in does not model are named by the
reader as unresolved: what they would grant is not seen, and the reader says so."""

from __future__ import annotations

import re
from pathlib import Path

_HERE = Path(__file__).parent / "stand_ins"

# registry source (without host and version) -> stand-in folder
_SOURCES = {"terraform-aws-modules/lambda/aws": "lambda"}
# inputs of the real module that grant nothing the role would miss, though not modelled
_INERT = {"source_path", "publish", "artifacts_dir", "build_in_docker", "hash_extra", "store_on_s3", "s3_bucket",
          "tags", "function_tags", "role_tags", "cloudwatch_logs_retention_in_days", "cloudwatch_logs_tags",
          "architectures", "ephemeral_storage_size", "create_package", "local_existing_package", "recreate_missing_package",
          "ignore_source_code_hash", "trigger_on_package_timestamp", "docker_file", "docker_image", "docker_pip_cache",
          "create_current_version_allowed_triggers", "create_unqualified_alias_allowed_triggers",
          "reserved_concurrent_executions", "provisioned_concurrent_executions", "number_of_policy_jsons",
          "number_of_policies", "snap_start", "logging_log_format", "logging_log_group", "cloudwatch_logs_log_group_class"}
_HOST = re.compile(r"^(registry\.terraform\.io/|app\.terraform\.io/)")


def stand_in(source: object) -> Path | None:
    """The stand-in folder for a module ``source``, or None."""
    if not isinstance(source, str):
        return None
    key = _HOST.sub("", source.strip()).lower()
    name = _SOURCES.get(key)
    return _HERE / name if name else None


def unmodelled(folder: Path, inputs: list[str]) -> list[str]:
    """Inputs given to the stand-in at ``folder`` that it neither declares nor knows to be inert."""
    declared = set(re.findall(r'^variable "([^"]+)"', (folder / "variables.tf").read_text(), re.M))
    return sorted(n for n in inputs if n not in declared and n not in _INERT)
