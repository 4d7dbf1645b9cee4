"""Push sources: the services that invoke a function by its resource policy rather than by an
event source mapping (SNS subscriptions, EventBridge rules and schedules, API Gateway
integrations, CloudWatch Logs subscriptions, S3 notifications). A part of ``AccountScanner``
(``inventory.py``), kept in its own module."""

from __future__ import annotations

import re

from iam_analyzer.model import Account, Trigger


class PushSourceReader:
    """The push-source calls of the scanner (mixed into AccountScanner)."""

    def _push_sources(self, region: str) -> list[Trigger]:
        out: list[Trigger] = []
        for s in self.paginate("sns", region, "list_subscriptions", "Subscriptions"):
            if s.get("Protocol") == "lambda":
                out.append(Trigger("sns", s["TopicArn"], s["Endpoint"], {"subscription_arn": s.get("SubscriptionArn")}))
        rules = [(bus["Name"], rule)
                 for bus in self.paginate("events", region, "list_event_buses", "EventBuses") or [{"Name": "default"}]
                 for rule in self.paginate("events", region, "list_rules", "Rules", EventBusName=bus["Name"])]

        def rule_targets(item) -> list[Trigger]:
            bus, rule = item
            return [Trigger("eventbridge-rule", rule["Arn"], t["Arn"], {
                        "schedule": rule.get("ScheduleExpression"), "event_pattern": rule.get("EventPattern"),
                        "state": rule.get("State"), "bus": bus})
                    for t in self.paginate("events", region, "list_targets_by_rule", "Targets", Rule=rule["Name"],
                                           EventBusName=bus)
                    if ":lambda:" in t.get("Arn", "")]

        def schedule(sch) -> list[Trigger]:
            full = self.call("scheduler", region, "get_schedule", Name=sch["Name"], GroupName=sch.get("GroupName", "default"))
            target = (full or {}).get("Target") or sch.get("Target") or {}
            if ":lambda:" not in target.get("Arn", ""):
                return []
            return [Trigger("eventbridge-schedule", sch["Arn"], target["Arn"], {
                "schedule": (full or {}).get("ScheduleExpression"), "role_arn": target.get("RoleArn"),
                "state": sch.get("State")})]

        def rest_api(api) -> list[Trigger]:
            found = []
            for res in self.paginate("apigateway", region, "get_resources", "items", restApiId=api["id"], embed=["methods"]):
                for verb, method in (res.get("resourceMethods") or {}).items():
                    fn_arn = _lambda_from_uri(((method or {}).get("methodIntegration") or {}).get("uri", ""))
                    if fn_arn:
                        found.append(Trigger("apigateway-rest", f"arn:{self.partition}:apigateway:{region}::/restapis/{api['id']}",
                                             fn_arn, {"api_name": api.get("name"), "path": res.get("path"), "method": verb,
                                                      "authorization": (method or {}).get("authorizationType")}))
            return found

        def http_api(api) -> list[Trigger]:
            found = []
            for integ in self.paginate("apigatewayv2", region, "get_integrations", "Items", ApiId=api["ApiId"]):
                uri = integ.get("IntegrationUri", "")
                fn_arn = uri if ":lambda:" in uri and ":function:" in uri and "/invocations" not in uri else _lambda_from_uri(uri)
                if fn_arn:
                    found.append(Trigger("apigateway-http", f"arn:{self.partition}:apigateway:{region}::/apis/{api['ApiId']}",
                                         fn_arn, {"api_name": api.get("Name"), "protocol": api.get("ProtocolType")}))
            return found

        for lst in self._map(rule_targets, rules):
            out.extend(lst)
        for lst in self._map(schedule, self.paginate("scheduler", region, "list_schedules", "Schedules")):
            out.extend(lst)
        for lst in self._map(rest_api, self.paginate("apigateway", region, "get_rest_apis", "items")):
            out.extend(lst)
        for lst in self._map(http_api, self.paginate("apigatewayv2", region, "get_apis", "Items")):
            out.extend(lst)
        groups = self.paginate("logs", region, "describe_log_groups", "logGroups")

        def subs(g: dict) -> list[Trigger]:
            found = []
            for flt in self.paginate("logs", region, "describe_subscription_filters", "subscriptionFilters",
                                     logGroupName=g["logGroupName"]):
                if ":lambda:" in flt.get("destinationArn", ""):
                    found.append(Trigger("logs-subscription", g.get("arn", "").removesuffix(":*"), flt["destinationArn"],
                                         {"filter_name": flt.get("filterName"), "pattern": flt.get("filterPattern")}))
            return found

        for lst in self._map(subs, groups):
            out.extend(lst)
        return out

    def _list_bucket_notifications(self, region: str, bucket: str) -> list[Trigger]:
        cfg = self.call("s3", region, "get_bucket_notification_configuration", Bucket=bucket,
                        resource=f"arn:{self.partition}:s3:::{bucket}")
        out = []
        for c in (cfg or {}).get("LambdaFunctionConfigurations", []):
            out.append(Trigger("s3", f"arn:{self.partition}:s3:::{bucket}", c["LambdaFunctionArn"],
                               {"events": c.get("Events", []), "filter": c.get("Filter")}))
        return out

    def _attach_s3_triggers(self, acct: Account, region: str, buckets: list[str]) -> None:
        by_arn = {(f.region, f.name): f for f in acct.functions}
        for lst in self._map(lambda b: self._list_bucket_notifications(region, b), buckets):
            for t in lst:
                parts = t.function_arn.split(":")
                key = (parts[3], parts[6]) if len(parts) >= 7 else None
                if key in by_arn:
                    by_arn[key].triggers.append(t)


_URI_FN = re.compile(r"functions/(arn:[^/]+:lambda:[^/]+:\d{12}:function:[^/]+)/invocations")


def _lambda_from_uri(uri: str) -> str | None:
    m = _URI_FN.search(uri or "")
    return m.group(1) if m else None
