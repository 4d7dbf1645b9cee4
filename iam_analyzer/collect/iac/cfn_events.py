"""What invokes a function, read from the resources that configure it.

Lambda permissions become resource-policy statements (then invokers, as ``scan`` reads
``GetPolicy``); event source mappings; push triggers from S3 notifications, SNS
subscriptions, EventBridge rules and schedules, CloudWatch Logs subscription filters and API
Gateway integrations (methods, OpenAPI bodies, HTTP API integrations). Trigger types and
detail keys are the scanner's.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from iam_analyzer.iam import arn as arnlib
from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.model import EventSourceMapping, Function, Trigger

from .loader import line_of



class StackReader(Protocol):
    """What these readers need of ``cfn.StackReader`` (a protocol, so cfn, which dispatches here,
    is not imported back)."""

    s: Any  # the resolve.Stack being read
    parts: Any  # result.Parts

    def props(self, logical: str) -> dict: ...
    def arn(self, logical: str) -> str: ...

_ESM_SOURCES = {"dynamodb": "dynamodb", "sqs": "sqs", "kinesis": "kinesis", "kafka": "kafka", "mq": "mq", "rds": "docdb"}


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else ([] if v is None else [v])


def is_lambda_arn(value: str | None) -> bool:
    a = arnlib.try_parse(value or "")
    return a is not None and a.service == "lambda" and a.resource_type == "function"


def source_type(arn: str | None, self_managed: bool = False) -> str:
    if not arn:
        return "self-managed-kafka" if self_managed else "unknown"
    a = arnlib.try_parse(arn)
    svc = a.service if a else ""
    return _ESM_SOURCES.get(svc, svc or "unknown")


def permission_statement(sid: str, p: dict, resource: str, partition: str = "aws") -> dict:
    principal = _s(p.get("Principal")) or "*"
    if principal == "*":
        who: Any = "*"
    elif principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        who = {"Service": principal}
    elif principal.isdigit() and len(principal) == 12:
        who = {"AWS": ab.account_root(principal, partition)}
    else:
        who = {"AWS": principal}
    cond: dict[str, dict[str, str]] = {}
    if _s(p.get("SourceArn")):
        cond.setdefault("ArnLike", {})["AWS:SourceArn"] = p["SourceArn"]
    if _s(p.get("SourceAccount")):
        cond.setdefault("StringEquals", {})["AWS:SourceAccount"] = p["SourceAccount"]
    if _s(p.get("PrincipalOrgID")):
        cond.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = p["PrincipalOrgID"]
    if _s(p.get("FunctionUrlAuthType")):
        cond.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = p["FunctionUrlAuthType"]
    st = {"Sid": sid, "Effect": "Allow", "Principal": who, "Action": _s(p.get("Action")) or "lambda:InvokeFunction",
          "Resource": resource}
    if cond:
        st["Condition"] = cond
    return st


def read(r: "StackReader", logical: str, rtype: str) -> None:
    handler = _HANDLERS.get(rtype)
    if handler is not None:
        handler(r, logical)


def _link(r: "StackReader", fn_ref: str | None, action) -> None:
    if fn_ref:
        r.parts.links.append((fn_ref, action, r.s.path))


def _trigger(r: "StackReader", t: Trigger) -> None:
    _link(r, t.function_arn, lambda fn: fn.triggers.append(t))


def permission(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    fn_ref = _s(p.get("FunctionName"))
    if not fn_ref:
        return
    sid = logical
    _, qualifier = ab.function_name_and_qualifier(fn_ref)

    def add(fn: Function) -> None:
        st = permission_statement(sid, p, ab.qualified(fn.arn, qualifier), r.s.partition)
        pol = fn.resource_policy if isinstance(fn.resource_policy, dict) else None
        if pol is None:
            pol = fn.resource_policy = {"Version": "2012-10-17", "Id": "default", "Statement": []}
        pol["Statement"].append(st)
        from iam_analyzer.collect.invokers import invokers_from_policy
        inv, _ = invokers_from_policy({"Version": "2012-10-17", "Statement": [st]}, qualifier=qualifier)
        fn.invokers.extend(inv)

    _link(r, fn_ref, add)


def event_source_mapping(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    fn_ref = _s(p.get("FunctionName"))
    src = _s(p.get("EventSourceArn"))
    sm = _d(p.get("SelfManagedEventSource"))
    failure = _s(_d(_d(p.get("DestinationConfig")).get("OnFailure")).get("Destination"))
    enabled = p.get("Enabled", True)
    m = EventSourceMapping(
        uuid=f"{r.s.name}/{logical}", event_source_arn=src, source_type=source_type(src, bool(sm)),
        function_arn=fn_ref or "", state="Disabled" if enabled in (False, "false", "False") else "Enabled",
        batch_size=_int(p.get("BatchSize")), starting_position=_s(p.get("StartingPosition")),
        filter_criteria=[json.dumps(f.get("Pattern"), sort_keys=True) if not isinstance(f.get("Pattern"), str) else f["Pattern"]
                         for f in _l(_d(p.get("FilterCriteria")).get("Filters")) if isinstance(f, dict)],
        destination_on_failure=failure,
        self_managed_endpoints=_d(_d(sm.get("Endpoints"))),
        source_access=[{"type": a.get("Type"), "uri": a.get("URI")} for a in _l(p.get("SourceAccessConfigurations"))
                       if isinstance(a, dict)],
    )
    _link(r, fn_ref, lambda fn: fn.event_source_mappings.append(m))


def bucket(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    configs = _l(_d(p.get("NotificationConfiguration")).get("LambdaConfigurations"))
    if not configs:
        return
    arn = r.arn(logical)
    for c in configs:
        if not isinstance(c, dict):
            continue
        rules = _l(_d(_d(c.get("Filter")).get("S3Key")).get("Rules"))
        flt = {"Key": {"FilterRules": [{"Name": x.get("Name"), "Value": x.get("Value")} for x in rules if isinstance(x, dict)]}} \
            if rules else None
        _trigger(r, Trigger("s3", arn, _s(c.get("Function")) or "", {"events": [c.get("Event")] if c.get("Event") else [],
                                                                      "filter": flt}))


def subscription(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    if str(p.get("Protocol", "")).lower() == "lambda":
        _trigger(r, Trigger("sns", _s(p.get("TopicArn")) or "*", _s(p.get("Endpoint")) or "",
                            {"subscription_arn": None}))


def topic(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    for sub in _l(p.get("Subscription")):
        if isinstance(sub, dict) and str(sub.get("Protocol", "")).lower() == "lambda":
            _trigger(r, Trigger("sns", r.arn(logical), _s(sub.get("Endpoint")) or "", {"subscription_arn": None}))


def rule(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    pattern = p.get("EventPattern")
    if pattern is not None and not isinstance(pattern, str):
        pattern = json.dumps(pattern, sort_keys=True)
    bus = _s(p.get("EventBusName")) or "default"
    for t in _l(p.get("Targets")):
        target = _s(_d(t).get("Arn"))
        if is_lambda_arn(target):
            # the scanner's convention: every rule target is "eventbridge-rule", a schedule in details
            _trigger(r, Trigger("eventbridge-rule", r.arn(logical), target, {
                "schedule": _s(p.get("ScheduleExpression")), "event_pattern": pattern,
                "state": _s(p.get("State")) or "ENABLED", "bus": bus.rsplit("/", 1)[-1]}))


def schedule(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    target = _d(p.get("Target"))
    if is_lambda_arn(_s(target.get("Arn"))):
        _trigger(r, Trigger("eventbridge-schedule", r.arn(logical), target["Arn"], {
            "schedule": _s(p.get("ScheduleExpression")), "role_arn": _s(target.get("RoleArn")),
            "state": _s(p.get("State")) or "ENABLED"}))


def log_subscription(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    dest = _s(p.get("DestinationArn"))
    group = _s(p.get("LogGroupName")) or "*"
    if is_lambda_arn(dest):
        group_arn = ab.build(ab.CFN["AWS::Logs::LogGroup"], group, r.s.partition, r.s.region, r.s.account,
                             LogGroupName=group) or "*"
        _trigger(r, Trigger("logs-subscription", group_arn, dest, {"filter_name": _s(p.get("FilterName")),
                                                                    "pattern": p.get("FilterPattern")}))


def _rest_path(r: "StackReader", ref: Any, depth: int = 0) -> str:
    """The path of an API Gateway resource, from its PathPart and ParentId chain."""
    if depth > 64 or not isinstance(ref, dict) or "Ref" not in ref:
        return "/"
    logical = ref.get("Ref")
    if r.s.resource_type(str(logical)) != "AWS::ApiGateway::Resource":
        return "/"
    props = r.s.props(str(logical))
    part = r.s.resolve(props.get("PathPart"), line_of(props, "PathPart"))
    parent = _rest_path(r, props.get("ParentId"), depth + 1)
    return parent.rstrip("/") + "/" + str(part)


def _api_name(r: "StackReader", api_ref: Any, fallback: str | None) -> str | None:
    if isinstance(api_ref, dict) and "Ref" in api_ref and str(api_ref["Ref"]) in r.s.resources:
        name = r.s.props(str(api_ref["Ref"])).get("Name")
        v = r.s.resolve(name, None) if name is not None else None
        return v if isinstance(v, str) else str(api_ref["Ref"])
    return fallback


def method(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    raw = r.s.props(logical)
    fn_arn = ab.lambda_invocation_target(_s(_d(p.get("Integration")).get("Uri")) or "")
    if not fn_arn:
        return
    api_id = _s(p.get("RestApiId")) or "*"
    _trigger(r, Trigger("apigateway-rest", ab.api_source_arn(api_id, r.s.region, r.s.partition), fn_arn, {
        "api_name": _api_name(r, raw.get("RestApiId"), api_id), "path": _rest_path(r, raw.get("ResourceId")),
        "method": _s(p.get("HttpMethod")), "authorization": _s(p.get("AuthorizationType")) or "NONE"}))


def _openapi(r: "StackReader", logical: str, body: Any, http: bool, name: str | None, protocol: str | None) -> None:
    api_id = f"{r.s.name}-{logical}-*"  # what Ref gives for an API: its id, made at deployment
    for path, ops in _d(_d(body).get("paths")).items():
        for verb, op in _d(ops).items():
            integ = _d(_d(op).get("x-amazon-apigateway-integration"))
            uri = _s(integ.get("uri"))
            fn_arn = ab.lambda_invocation_target(uri or "") or (uri if is_lambda_arn(uri) else None)
            if not fn_arn:
                continue
            method_name = "ANY" if verb == "x-amazon-apigateway-any-method" else str(verb).upper()
            if http:
                details = {"api_name": name, "protocol": protocol or "HTTP"}
            else:
                auth = _openapi_auth(body, _d(op).get("security", _d(body).get("security")))
                details = {"api_name": name, "path": path, "method": method_name, "authorization": auth}
            _trigger(r, Trigger("apigateway-http" if http else "apigateway-rest",
                                ab.api_source_arn(api_id, r.s.region, r.s.partition, http), fn_arn, details))


_AUTHTYPES = {"awssigv4": "AWS_IAM", "cognito_user_pools": "COGNITO_USER_POOLS"}


def _openapi_auth(body: Any, security: Any) -> str:
    """API Gateway's authorizationType for an OpenAPI operation, as the scanner reads it from
    the method: NONE (also for API keys alone), AWS_IAM, COGNITO_USER_POOLS or CUSTOM."""
    schemes = {**_d(_d(body).get("securityDefinitions")), **_d(_d(_d(body).get("components")).get("securitySchemes"))}
    found = "NONE"
    for requirement in _l(security):
        for scheme_name in _d(requirement):
            scheme = _d(schemes.get(scheme_name))
            authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
            if authtype in _AUTHTYPES:
                return _AUTHTYPES[authtype]
            if authtype or scheme.get("x-amazon-apigateway-authorizer"):
                found = "CUSTOM"
            # an apiKey scheme without an authorizer is an API key: authorization stays NONE
    return found


def rest_api(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    _openapi(r, logical, p.get("Body"), False, _s(p.get("Name")) or logical, None)


def http_api(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    _openapi(r, logical, p.get("Body"), True, _s(p.get("Name")) or logical, _s(p.get("ProtocolType")) or "HTTP")
    target = _s(p.get("Target"))  # quick-create: the API's only integration
    if is_lambda_arn(target):
        _trigger(r, Trigger("apigateway-http", ab.api_source_arn(f"{r.s.name}-{logical}-*", r.s.region, r.s.partition, True),
                            target, {"api_name": _s(p.get("Name")) or logical, "protocol": _s(p.get("ProtocolType")) or "HTTP"}))


def http_integration(r: "StackReader", logical: str) -> None:
    p = r.props(logical)
    raw = r.s.props(logical)
    uri = _s(p.get("IntegrationUri")) or ""
    fn_arn = uri if is_lambda_arn(uri) else ab.lambda_invocation_target(uri)
    if not fn_arn:
        return
    api_id = _s(p.get("ApiId")) or "*"
    api_ref = raw.get("ApiId")
    protocol = None
    if isinstance(api_ref, dict) and str(api_ref.get("Ref")) in r.s.resources:
        pt = r.s.resolve(r.s.props(str(api_ref["Ref"])).get("ProtocolType"), None)
        protocol = pt if isinstance(pt, str) else None
    _trigger(r, Trigger("apigateway-http", ab.api_source_arn(api_id, r.s.region, r.s.partition, True), fn_arn,
                        {"api_name": _api_name(r, api_ref, api_id), "protocol": protocol or "HTTP"}))


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None and not isinstance(v, bool) else None
    except (TypeError, ValueError):
        return None


_HANDLERS = {
    "AWS::Lambda::Permission": permission,
    "AWS::Lambda::EventSourceMapping": event_source_mapping,
    "AWS::S3::Bucket": bucket,
    "AWS::SNS::Subscription": subscription,
    "AWS::SNS::Topic": topic,
    "AWS::Events::Rule": rule,
    "AWS::Scheduler::Schedule": schedule,
    "AWS::Logs::SubscriptionFilter": log_subscription,
    "AWS::ApiGateway::Method": method,
    "AWS::ApiGateway::RestApi": rest_api,
    "AWS::ApiGatewayV2::Api": http_api,
    "AWS::ApiGatewayV2::Integration": http_integration,
}
