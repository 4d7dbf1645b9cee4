"""Reading one function: its configuration, resource policy, aliases, URLs, event-invoke
configuration, concurrency, code signing and (``scan --code``) the SDK calls of its package.
A part of ``AccountScanner`` (``inventory.py``), kept in its own module."""

from __future__ import annotations

import json

from iam_analyzer.collect.envvars import ResourceIndex, inspect_all
from iam_analyzer.collect.gaad import document as _doc
from iam_analyzer.collect.invokers import invokers_from_policy
from iam_analyzer.iam import arn as arnlib
from iam_analyzer.model import Alias, EventInvokeConfig, EventSourceMapping, Function, FunctionUrl


class FunctionReader:
    """The per-function calls of the scanner (mixed into AccountScanner)."""

    def _function_from_config(self, cfg: dict, region: str, index: ResourceIndex) -> Function:
        vpc = cfg.get("VpcConfig") or {}
        logging_cfg = cfg.get("LoggingConfig") or {}
        env = (cfg.get("Environment") or {}).get("Variables") or {}
        fn = Function(
            arn=cfg["FunctionArn"].split(":$LATEST")[0], name=cfg["FunctionName"],
            account_id=self.account_id, region=region, role_arn=cfg.get("Role", ""),
            runtime=cfg.get("Runtime"), handler=cfg.get("Handler"), package_type=cfg.get("PackageType", "Zip"),
            architectures=list(cfg.get("Architectures", [])), memory_size=cfg.get("MemorySize"),
            timeout=cfg.get("Timeout"), last_modified=cfg.get("LastModified"), code_sha256=cfg.get("CodeSha256"),
            layers=[layer["Arn"] for layer in cfg.get("Layers", [])],
            vpc_id=vpc.get("VpcId") or None, subnet_ids=sorted(vpc.get("SubnetIds", [])),
            security_group_ids=sorted(vpc.get("SecurityGroupIds", [])),
            kms_key_arn=cfg.get("KMSKeyArn"), tracing_mode=(cfg.get("TracingConfig") or {}).get("Mode"),
            dead_letter_target=(cfg.get("DeadLetterConfig") or {}).get("TargetArn"),
            file_systems=[{"arn": f["Arn"], "local_mount_path": f.get("LocalMountPath")} for f in cfg.get("FileSystemConfigs", [])],
            code_signing_config_arn=None,
            logging_group=logging_cfg.get("LogGroup") if logging_cfg.get("LogGroup") not in (None, f"/aws/lambda/{cfg['FunctionName']}") else None,
            environment=inspect_all(env, index),
        )
        del env  # values are not kept past this point
        return fn

    def _function_details(self, fn: Function, region: str) -> None:
        """Three calls per function (resource policy, aliases, event-invoke configuration);
        the URL configuration only where a resource policy lets someone call a URL, unless
        ``thorough`` is set; reserved concurrency only when ``thorough``."""
        pol = self.call("lambda", region, "get_policy", FunctionName=fn.name, missing_ok=True, resource=fn.arn)
        if pol:
            fn.resource_policy = _doc(pol.get("Policy"))
            fn.invokers, errors = invokers_from_policy(fn.resource_policy)
            for e in errors:
                self._gap("lambda", "get_policy", ValueError(f"unreadable resource policy statement: {e}"), region, fn.arn)
        if self.opt.thorough or _mentions_url(fn.resource_policy):
            url = self.call("lambda", region, "get_function_url_config", FunctionName=fn.name, missing_ok=True,
                            resource=fn.arn)
            if url and url.get("FunctionUrl"):
                fn.urls.append(_url(url, None))
        for a in self.paginate("lambda", region, "list_aliases", "Aliases", FunctionName=fn.name):
            alias = Alias(name=a["Name"], arn=a["AliasArn"], function_version=a.get("FunctionVersion", ""))
            apol = self.call("lambda", region, "get_policy", FunctionName=fn.name, Qualifier=a["Name"],
                             missing_ok=True, resource=alias.arn)
            alias_doc = _doc(apol.get("Policy")) if apol else None
            if alias_doc and alias_doc != fn.resource_policy:  # an alias policy that differs from the function's
                alias.resource_policy = alias_doc
                inv, _ = invokers_from_policy(alias_doc, qualifier=a["Name"])
                fn.invokers.extend(inv)
            if self.opt.thorough or _mentions_url(alias_doc):
                aurl = self.call("lambda", region, "get_function_url_config", FunctionName=fn.name,
                                 Qualifier=a["Name"], missing_ok=True, resource=alias.arn)
                if aurl and aurl.get("FunctionUrl") and not any(u.url == aurl["FunctionUrl"] for u in fn.urls):
                    alias.url = _url(aurl, a["Name"])
                    fn.urls.append(alias.url)
            fn.aliases.append(alias)
        for c in self.paginate("lambda", region, "list_function_event_invoke_configs", "FunctionEventInvokeConfigs",
                               FunctionName=fn.name):
            dest = c.get("DestinationConfig") or {}
            fn.event_invoke_configs.append(EventInvokeConfig(
                qualifier=_qualifier(c.get("FunctionArn", "")),
                maximum_retry_attempts=c.get("MaximumRetryAttempts"),
                maximum_event_age_seconds=c.get("MaximumEventAgeInSeconds"),
                on_success=(dest.get("OnSuccess") or {}).get("Destination"),
                on_failure=(dest.get("OnFailure") or {}).get("Destination"),
            ))
        if self.opt.code:
            self._code_calls(fn, region)
        if self.opt.thorough:
            conc = self.call("lambda", region, "get_function_concurrency", FunctionName=fn.name, missing_ok=True,
                             resource=fn.arn)
            if conc:
                fn.reserved_concurrency = conc.get("ReservedConcurrentExecutions")

    def _code_calls(self, fn: Function, region: str) -> None:
        """The SDK calls in the function's deployment package (only the calls are kept)."""
        from iam_analyzer.collect.aws.packages import PackageError, package_calls

        if fn.package_type != "Zip":
            self._gap("lambda", "GetFunction", ValueError("container image: its code is not read"), region, fn.arn)
            return
        got = self.call("lambda", region, "get_function", FunctionName=fn.name, resource=fn.arn)
        location = ((got or {}).get("Code") or {}).get("Location")
        if not location:
            return
        try:
            scan = package_calls(location, fetch=self.opt.code_fetch)
        except (PackageError, OSError, ValueError) as e:
            self._gap("lambda", "GetFunction", PackageError(f"deployment package not read: {e}"), region, fn.arn)
            return
        fn.code_calls = scan.calls
        for p in scan.problems[:5]:
            self._gap("lambda", "GetFunction", PackageError(f"deployment package: {p}"), region, fn.arn)

    def _code_signing(self, region: str) -> dict[str, str]:
        out = {}
        for cfg in self.paginate("lambda", region, "list_code_signing_configs", "CodeSigningConfigs"):
            arn = cfg["CodeSigningConfigArn"]
            for f in self.paginate("lambda", region, "list_functions_by_code_signing_config", "FunctionArns",
                                   CodeSigningConfigArn=arn):
                out[f] = arn
        return out


def _source_type(arn: str | None, esm: dict) -> str:
    if not arn:
        return "self-managed-kafka" if esm.get("SelfManagedEventSource") else "unknown"
    parsed = arnlib.try_parse(arn)
    svc = parsed.service if parsed else ""
    if svc == "dynamodb":
        return "dynamodb"
    return {"sqs": "sqs", "kinesis": "kinesis", "kafka": "kafka", "mq": "mq", "rds": "docdb"}.get(svc, svc or "unknown")




def _mentions_url(policy: dict | None) -> bool:
    """Does a resource policy let anyone call a function URL? (A URL needs such a grant
    for any caller outside the account, and for everyone when its AuthType is NONE.)"""
    text = json.dumps(policy or {}).lower()
    return "invokefunctionurl" in text or "functionurlauthtype" in text or '"lambda:*"' in text or '"action": "*"' in text


def _function_name(arn_or_name: str) -> str:
    parts = arn_or_name.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return arn_or_name


def _qualifier(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[7] if len(parts) >= 8 else None


def _url(cfg: dict, qualifier: str | None) -> FunctionUrl:
    return FunctionUrl(url=cfg["FunctionUrl"], auth_type=cfg.get("AuthType", ""), qualifier=qualifier,
                       cors=cfg.get("Cors") or {}, invoke_mode=cfg.get("InvokeMode"))


def _esm(m: dict) -> EventSourceMapping:
    src = m.get("EventSourceArn")
    failure = ((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return EventSourceMapping(
        uuid=m["UUID"], event_source_arn=src, source_type=_source_type(src, m), function_arn=m.get("FunctionArn", ""),
        state=m.get("State", ""), batch_size=m.get("BatchSize"), starting_position=m.get("StartingPosition"),
        filter_criteria=[f.get("Pattern", "") for f in (m.get("FilterCriteria") or {}).get("Filters", [])],
        destination_on_failure=failure,
        self_managed_endpoints=(m.get("SelfManagedEventSource") or {}).get("Endpoints", {}),
        source_access=[{"type": s.get("Type"), "uri": s.get("URI")} for s in m.get("SourceAccessConfigurations", [])],
    )
