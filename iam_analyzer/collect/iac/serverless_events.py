"""A Serverless Framework function's ``events:`` (and ``url:``, ``onError``, ``destinations``) ->
the CloudFormation resources the framework compiles them to, and the statements it adds to the
function's role.

The resources (event source mappings, S3 buckets with notifications, SNS topics and
subscriptions, EventBridge rules and schedules, log subscription filters, ``AWS::Lambda::Permission``
for every invoker, function URLs, event invoke configs) are then read by the CloudFormation
reader like any template's, so triggers and invokers are the scanner's. API Gateway REST and
HTTP API routes become triggers directly (the framework's API resources carry nothing else the
model keeps). The role statements are the framework's own, built from ``iam/lambda_service.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iam_analyzer.iam import lambda_service as ls
from iam_analyzer.model import Trigger

from .loader import LDict, line_of
from .serverless_sources import _BY_TYPE, _DELIVER, PullSources, RoleStatement, _d, _name_in, _node, normalize

__all__ = ["Compiled", "Events", "RoleStatement", "normalize", "route_trigger"]

@dataclass
class Compiled:
    resources: LDict
    statements: list[RoleStatement] = field(default_factory=list)
    # (trigger type, details, source ARN builder input) made once the function's ARN is known
    routes: list[tuple[str, dict, str]] = field(default_factory=list)
    notes: list[tuple[int | None, str]] = field(default_factory=list)


class Events(PullSources):
    """Compile the events of every function of one service into ``Compiled``."""

    def __init__(self, *, partition: str, region: str, account: str, service: str, stage: str,
                 provider: dict, user_types: dict[str, str], function_logicals: dict[str, str]):
        self.p, self.region, self.account = partition, region, account
        self.service, self.stage = service, stage
        self.provider = provider
        self.user_types = user_types  # logical id -> Type, of the resources: section
        self.fns = function_logicals  # function key -> logical id
        self.resources = LDict()

    # -- helpers -----------------------------------------------------------------------------

    def fn_arn(self, logical: str) -> dict:
        return {"Fn::GetAtt": [logical, "Arn"]}

    def _add(self, logical: str, rtype: str, props: dict, line: int | None) -> LDict:
        res = _node(line, Type=rtype, Properties=_node(line, props))
        self.resources[logical] = res
        self.resources.key_lines[logical] = line
        return res

    def _permission(self, logical: str, fn_logical: str, principal: str, source_arn: Any, line: int | None,
                    **extra) -> None:
        if logical in self.resources:
            return
        props = {"FunctionName": self.fn_arn(fn_logical), "Action": extra.pop("Action", "lambda:InvokeFunction"),
                 "Principal": principal}
        if source_arn is not None:
            props["SourceArn"] = source_arn
        props.update(extra)
        self._add(logical, "AWS::Lambda::Permission", props, line)

    def _esm(self, logical: str, fn_logical: str, source: Any, ev: dict, line: int | None, **extra) -> None:
        props: dict = {"FunctionName": self.fn_arn(fn_logical)}
        if source is not None:
            props["EventSourceArn"] = source
        if "batchSize" in ev:
            props["BatchSize"] = ev["batchSize"]
        if "startingPosition" in ev:
            props["StartingPosition"] = ev["startingPosition"]
        if ev.get("enabled") is False:
            props["Enabled"] = False
        patterns = ev.get("filterPatterns")
        if isinstance(patterns, list):
            props["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in patterns]}
        props.update(extra)
        self._add(logical, "AWS::Lambda::EventSourceMapping", props, line)

    def _service_of(self, target: Any, declared: str | None = None) -> str | None:
        if declared:
            return declared
        if isinstance(target, str):
            if target in self.fns:
                return "lambda"
            a = ls.delivery_action(target)
            return a.split(":", 1)[0] if a else None
        name = _name_in(target)
        return _BY_TYPE.get(self.user_types.get(name, ""))

    def _target(self, value: Any) -> tuple[Any, str | None]:
        """A destination as the framework accepts it: an ARN, a function of this service, an
        intrinsic, or ``{type, arn}``."""
        declared = None
        if isinstance(value, dict) and "arn" in value:
            declared, value = value.get("type"), value["arn"]
        if isinstance(value, str) and value in self.fns:
            return self.fn_arn(self.fns[value]), "lambda"
        service = self._service_of(value, declared if isinstance(declared, str) else None)
        return value, service

    # -- one function -------------------------------------------------------------------------

    def function(self, key: str, logical: str, fn: dict, out: Compiled) -> None:
        n = normalize(key)
        counters: dict[str, int] = {}
        events = fn.get("events")
        for ev in events if isinstance(events, list) else []:
            if not isinstance(ev, dict) or len(ev) != 1:
                out.notes.append((line_of(ev) or line_of(fn), f"function {key}: an event that is not one mapping: not read"))
                continue
            (etype, spec), = ev.items()
            line = line_of(ev, etype)
            counters[etype] = counters.get(etype, 0) + 1
            handler = getattr(self, f"ev_{etype}", None)
            if handler is None:
                out.notes.append((line, f"function {key}: event type {etype} is not read"))
                continue
            handler(n, logical, spec, line, counters[etype], out)
        self._url(n, logical, fn, out)
        self._on_error(logical, fn, out)
        self._destinations(n, logical, fn, out)

    def _url(self, n: str, logical: str, fn: dict, out: Compiled) -> None:
        url = fn.get("url")
        if not url:
            return
        line = line_of(fn, "url")
        spec = _d(url)
        auth = "AWS_IAM" if str(spec.get("authorizer", "")).lower() == "aws_iam" else "NONE"
        props = {"TargetFunctionArn": self.fn_arn(logical), "AuthType": auth}
        if isinstance(spec.get("cors"), dict):
            props["Cors"] = spec["cors"]
        if spec.get("invokeMode"):
            props["InvokeMode"] = spec["invokeMode"]
        self._add(f"{n}LambdaFunctionUrl", "AWS::Lambda::Url", props, line)
        if auth == "NONE":
            self._permission(f"{n}LambdaPermissionFnUrl", logical, "*", None, line,
                             Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE")

    def _on_error(self, logical: str, fn: dict, out: Compiled) -> None:
        target = fn.get("onError")
        if target is None:
            return
        line = line_of(fn, "onError")
        value, service = self._target(target)
        action = _DELIVER.get(service or "")
        if action in ("sns:Publish", "sqs:SendMessage"):
            out.statements.append(RoleStatement("onError", (action,), [value], line))

    def _destinations(self, n: str, logical: str, fn: dict, out: Compiled) -> None:
        dest = _d(fn.get("destinations"))
        if not dest:
            return
        line = line_of(fn, "destinations")
        config = {}
        for key, prop in (("onSuccess", "OnSuccess"), ("onFailure", "OnFailure")):
            if dest.get(key) is None:
                continue
            value, service = self._target(dest[key])
            config[prop] = {"Destination": value}
            action = _DELIVER.get(service or "")
            if action:
                out.statements.append(RoleStatement("destinations", (action,), [value], line_of(dest, key) or line))
            else:
                out.notes.append((line, f"destination {key} of {logical}: its service is not known offline"))
        self._add(f"{n}LambdaEvConf", "AWS::Lambda::EventInvokeConfig",
                  {"FunctionName": {"Ref": logical}, "Qualifier": "$LATEST", "DestinationConfig": config}, line)

    # -- push sources ------------------------------------------------------------------------------

    def ev_s3(self, n, logical, spec, line, i, out):
        ev = spec if isinstance(spec, dict) else {"bucket": spec}
        bucket = ev.get("bucket")
        if not isinstance(bucket, str):
            out.notes.append((line, f"an s3 event of {logical} names its bucket with a value not known offline"))
            bucket = "*"
        events = ev.get("event") or "s3:ObjectCreated:*"
        rules = [{"Name": k, "Value": v} for r in ev.get("rules") or [] if isinstance(r, dict) for k, v in r.items()]
        config = {"Event": events, "Function": self.fn_arn(logical)}
        if rules:
            config["Filter"] = {"S3Key": {"Rules": rules}}
        bucket_arn = f"arn:{self.p}:s3:::{bucket}"
        if ev.get("existing"):
            flt = {"Key": {"FilterRules": rules}} if rules else None
            out.routes.append(("s3", {"events": [events], "filter": flt}, bucket_arn))
        else:
            b_logical = f"S3Bucket{normalize(bucket)}"
            res = self.resources.get(b_logical)
            if res is None:
                self._add(b_logical, "AWS::S3::Bucket", {"BucketName": bucket,
                                                         "NotificationConfiguration": {"LambdaConfigurations": []}}, line)
                res = self.resources[b_logical]
            res["Properties"]["NotificationConfiguration"]["LambdaConfigurations"].append(config)
        self._permission(f"{n}LambdaPermission{normalize(bucket)}S3", logical, "s3.amazonaws.com", bucket_arn, line,
                         SourceAccount=self.account)

    def ev_sns(self, n, logical, spec, line, i, out):
        ev = spec if isinstance(spec, dict) else {"arn" if str(spec).startswith("arn:") else "topicName": spec}
        arn = ev.get("arn")
        name = ev.get("topicName") or _name_in(arn)
        if arn is None:
            t_logical = f"SNSTopic{normalize(name)}"
            topic = self.resources.get(t_logical) or self._add(t_logical, "AWS::SNS::Topic",
                                                               {"TopicName": name, "Subscription": []}, line)
            topic["Properties"]["Subscription"].append({"Endpoint": self.fn_arn(logical), "Protocol": "lambda"})
            arn = {"Ref": t_logical}
        else:
            props = {"TopicArn": arn, "Protocol": "lambda", "Endpoint": self.fn_arn(logical)}
            if ev.get("filterPolicy"):
                props["FilterPolicy"] = ev["filterPolicy"]
            self._add(f"{n}SnsSubscription{normalize(name)}", "AWS::SNS::Subscription", props, line)
        self._permission(f"{n}LambdaPermission{normalize(name)}SNS", logical, "sns.amazonaws.com", arn, line)

    def ev_schedule(self, n, logical, spec, line, i, out):
        ev = spec if isinstance(spec, dict) else {"rate": spec}
        rates = ev.get("rate")
        for j, rate in enumerate(rates if isinstance(rates, list) else [rates]):
            suffix = f"{i}" if j == 0 else f"{i}{j}"
            if str(ev.get("method", "")).lower() == "scheduler":
                self._add(f"{n}Schedule{suffix}", "AWS::Scheduler::Schedule", {
                    "ScheduleExpression": rate, "State": "DISABLED" if ev.get("enabled") is False else "ENABLED",
                    "Target": {"Arn": self.fn_arn(logical)}}, line)
                continue
            r_logical = f"{n}EventsRuleSchedule{suffix}"
            props = {"ScheduleExpression": rate, "State": "DISABLED" if ev.get("enabled") is False else "ENABLED",
                     "Targets": [{"Id": f"{n}Schedule", "Arn": self.fn_arn(logical)}]}
            if ev.get("name"):
                props["Name"] = ev["name"]
            self._add(r_logical, "AWS::Events::Rule", props, line)
            self._permission(f"{n}LambdaPermissionEventsRuleSchedule{suffix}", logical, "events.amazonaws.com",
                             {"Fn::GetAtt": [r_logical, "Arn"]}, line)

    def _rule(self, r_logical, n, logical, props, line):
        props["Targets"] = [{"Id": f"{n}Target", "Arn": self.fn_arn(logical)}]
        props.setdefault("State", "ENABLED")
        self._add(r_logical, "AWS::Events::Rule", props, line)
        self._permission(f"{r_logical}LambdaPermission", logical, "events.amazonaws.com",
                         {"Fn::GetAtt": [r_logical, "Arn"]}, line)

    def ev_eventBridge(self, n, logical, spec, line, i, out):  # noqa: N802 - the framework's spelling
        ev = _d(spec)
        props: dict = {}
        bus = ev.get("eventBus")
        if isinstance(bus, str) and bus and bus != "default":
            props["EventBusName"] = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
        elif isinstance(bus, dict):
            props["EventBusName"] = bus
        if ev.get("pattern") is not None:
            props["EventPattern"] = ev["pattern"]
        if ev.get("schedule"):
            props["ScheduleExpression"] = ev["schedule"]
        if ev.get("name"):
            props["Name"] = ev["name"]
        if ev.get("enabled") is False:
            props["State"] = "DISABLED"
        self._rule(f"{n}EventBridgeRule{i}", n, logical, props, line)

    def ev_cloudwatchEvent(self, n, logical, spec, line, i, out):  # noqa: N802
        ev = _d(spec)
        props: dict = {}
        if ev.get("event") is not None:
            props["EventPattern"] = ev["event"]
        if ev.get("name"):
            props["Name"] = ev["name"]
        if ev.get("enabled") is False:
            props["State"] = "DISABLED"
        self._rule(f"{n}EventsRuleCloudWatchEvent{i}", n, logical, props, line)

    def ev_cloudwatchLog(self, n, logical, spec, line, i, out):  # noqa: N802
        ev = spec if isinstance(spec, dict) else {"logGroup": spec}
        group = ev.get("logGroup")
        group_text = group if isinstance(group, str) else "*"
        self._add(f"{n}LogsSubscriptionFilterCloudWatchLog{i}", "AWS::Logs::SubscriptionFilter",
                  {"DestinationArn": self.fn_arn(logical), "FilterPattern": ev.get("filter", ""), "LogGroupName": group},
                  line)
        self._permission(f"{n}LambdaPermissionLogsSubscriptionFilterCloudWatchLog{i}", logical,
                         f"logs.{self.region}.amazonaws.com",
                         f"arn:{self.p}:logs:{self.region}:{self.account}:log-group:{group_text}:*", line)

    def ev_http(self, n, logical, spec, line, i, out):
        ev = spec if isinstance(spec, dict) else dict(zip(("method", "path"), str(spec).split(None, 1)))
        auth = _authorization(ev.get("authorizer"))
        path = "/" + str(ev.get("path") or "").strip("/")
        out.routes.append(("apigateway-rest", {"api_name": self._api_name(), "path": path,
                                               "method": str(ev.get("method") or "ANY").upper(), "authorization": auth},
                           self._rest_api_id()))
        self._permission(f"{n}LambdaPermissionApiGateway", logical, "apigateway.amazonaws.com",
                         f"arn:{self.p}:execute-api:{self.region}:{self.account}:{self._rest_api_id()}/*/*", line)

    def ev_httpApi(self, n, logical, spec, line, i, out):  # noqa: N802
        api = _d(self.provider.get("httpApi"))
        api_id = api.get("id") if isinstance(api.get("id"), str) else f"{self.service}-{self.stage}-HttpApi-*"
        out.routes.append(("apigateway-http", {"api_name": api.get("name") or f"{self.stage}-{self.service}",
                                               "protocol": "HTTP"}, api_id))
        self._permission(f"{n}LambdaPermissionHttpApi", logical, "apigateway.amazonaws.com",
                         f"arn:{self.p}:execute-api:{self.region}:{self.account}:{api_id}/*", line)

    def ev_alb(self, n, logical, spec, line, i, out):
        self._permission(f"{n}LambdaPermissionAlb", logical, "elasticloadbalancing.amazonaws.com",
                         f"arn:{self.p}:elasticloadbalancing:{self.region}:{self.account}:targetgroup/*", line)

    def _api_name(self) -> str:
        return str(self.provider.get("apiName") or f"{self.stage}-{self.service}")

    def _rest_api_id(self) -> str:
        given = _d(self.provider.get("apiGateway")).get("restApiId")
        return given if isinstance(given, str) and given else f"{self.service}-{self.stage}-ApiGatewayRestApi-*"


def _authorization(authorizer: Any) -> str:
    """API Gateway's authorizationType for an ``http`` event's ``authorizer``."""
    if authorizer is None:
        return "NONE"
    if isinstance(authorizer, str):
        return "AWS_IAM" if authorizer.lower() == "aws_iam" else "CUSTOM"
    a = _d(authorizer)
    t = str(a.get("type", "")).upper()
    if t in ("AWS_IAM", "COGNITO_USER_POOLS"):
        return t
    if ":cognito-idp:" in str(a.get("arn", "")):
        return "COGNITO_USER_POOLS"
    return "CUSTOM"


def route_trigger(kind: str, details: dict, source: str, fn_arn: str, region: str, partition: str) -> Trigger:
    """A route or an existing bucket's notification as the scanner's trigger."""
    from iam_analyzer.iam import arn_builders as ab

    if kind == "s3":
        return Trigger("s3", source, fn_arn, details)
    return Trigger(kind, ab.api_source_arn(source, region, partition, kind == "apigateway-http"), fn_arn, details)
