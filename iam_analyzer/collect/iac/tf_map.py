"""Terraform resource instances -> functions, roles, policies and links (as ``scan`` records them)."""

from __future__ import annotations

from typing import Any

from iam_analyzer.iam import arn_builders as ab
from iam_analyzer.iam.policy import loads_document
from iam_analyzer.model import (
    Alias, EventInvokeConfig, EventSourceMapping, Function, FunctionUrl, InlinePolicy, ManagedPolicy, Role, Trigger,
)

from .cfn_events import is_lambda_arn, permission_statement, source_type
from .resolve import WILDCARD
from .result import TRUST_POLICY, Parts

from .tf_types import Instance, PlanLike as Plan


def _b(v: Any) -> dict:
    """The first block of a nested block list (Terraform writes blocks as lists)."""
    if isinstance(v, list) and v and isinstance(v[0], dict):
        return v[0]
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else ([] if v is None else [v])


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _doc(plan: "Plan", inst: "Instance", attr: str) -> tuple[dict, Any]:
    """The policy document an attribute holds, and the value it was read from (for its lines)."""
    v = plan.get(inst, attr)
    if isinstance(v, dict):
        return v, v
    if isinstance(v, str) and v not in ("", WILDCARD):
        try:
            d = loads_document(v)
            return (d if isinstance(d, dict) else {}), v
        except ValueError:
            if inst.unknown.get(attr) is True:
                plan.note(inst, f"{attr} is built at apply from values not known yet: its statements are not read")
            else:
                plan.note(inst, f"{attr} is not valid JSON: its statements are not read")
    return {}, v


def policy_document(plan: "Plan", inst: "Instance") -> dict:
    """A data.aws_iam_policy_document: its ``json`` when known, else built from its statements."""
    js = inst.values.get("json")
    if isinstance(js, str) and js and inst.unknown.get("json") is not True:
        try:
            return loads_document(js)
        except ValueError:
            pass
    for merged in ("source_policy_documents", "override_policy_documents", "source_json", "override_json"):
        if inst.values.get(merged) or inst.unknown.get(merged):
            plan.note(inst, f"{merged} is merged only at apply: the document is read from its own statements")
    stmts = []
    unknown_stmts = inst.unknown.get("statement") if isinstance(inst.unknown.get("statement"), list) else []
    for i, st in enumerate(_l(inst.values.get("statement"))):
        if not isinstance(st, dict):
            continue
        unk = unknown_stmts[i] if i < len(unknown_stmts) and isinstance(unknown_stmts[i], dict) else {}
        out: dict[str, Any] = {"Effect": st.get("effect") or "Allow"}
        if _s(st.get("sid")) and "*" not in st["sid"]:  # a Sid known only in part is no Sid: two such
            out["Sid"] = st["sid"]  # statements must not replace each other when documents merge
        for key, field in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                           ("not_resources", "NotResource")):
            vals = [str(x) for x in _l(st.get(key)) if x is not None]
            if unk.get(key):  # some items are known only after apply
                refs = _statement_refs(plan, inst, i, key)
                vals = [v for v in vals if v] + (refs or [WILDCARD])
                if not refs:
                    plan.note(inst, f"statement {i} {key} known only after apply: read as *")
            if vals:
                out[field] = sorted(set(vals))
        for key, field in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks = [b for b in _l(st.get(key)) if isinstance(b, dict)]
            if blocks:
                out[field] = {str(b.get("type")): sorted(str(x) for x in _l(b.get("identifiers"))) for b in blocks}
                if out[field].get("*") == ["*"] and len(out[field]) == 1:
                    out[field] = "*"
        conds: dict[str, dict[str, list[str]]] = {}
        for c in _l(st.get("condition")):
            if isinstance(c, dict):
                conds.setdefault(str(c.get("test")), {})[str(c.get("variable"))] = [str(x) for x in _l(c.get("values"))]
        if conds:
            out["Condition"] = conds
        stmts.append(out)
    return {"Version": "2012-10-17", "Statement": stmts}


def _statement_refs(plan: "Plan", inst: "Instance", index: int, key: str) -> list[str]:
    cfg = plan.config.get(inst.config_address) or {}
    blocks = (cfg.get("expressions") or {}).get("statement") if isinstance(cfg.get("expressions"), dict) else None
    if not isinstance(blocks, list) or index >= len(blocks) or not isinstance(blocks[index], dict):
        return []
    out = []
    expr = blocks[index].get(key)
    refs = expr.get("references") if isinstance(expr, dict) else None
    for ref in refs if isinstance(refs, list) else []:
        v = plan.resolve_reference(inst, str(ref))
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out.extend(str(x) for x in v)
    # The reference gives only a prefix of the value ("${aws_s3_bucket.b.arn}/*" has the same
    # references as the bare ARN): read every such item as the prefix followed by "*".
    return sorted({o if o.endswith("*") else o + "*" for o in out})


def read(plan: "Plan", parts: Parts) -> None:
    handlers = {
        "aws_lambda_function": _function, "aws_iam_role": _role, "aws_iam_role_policy": _role_policy,
        "aws_iam_policy": _policy, "aws_iam_role_policy_attachment": _attachment,
        "aws_iam_policy_attachment": _attachment, "aws_lambda_permission": _permission,
        "aws_iam_role_policy_attachments_exclusive": _exclusive_attachments,
        "aws_lambda_event_source_mapping": _esm, "aws_lambda_function_url": _url,
        "aws_lambda_function_event_invoke_config": _invoke_config, "aws_lambda_alias": _alias,
        "aws_cloudwatch_event_target": _event_target, "aws_scheduler_schedule": _schedule,
        "aws_s3_bucket_notification": _bucket_notification, "aws_sns_topic_subscription": _subscription,
        "aws_cloudwatch_log_subscription_filter": _log_subscription,
        "aws_api_gateway_integration": _rest_integration, "aws_apigatewayv2_integration": _http_integration,
    }
    for inst in plan.instances:
        if inst.mode != "managed":
            continue
        mapping = ab.TERRAFORM.get(inst.type)
        if mapping:
            name = inst.values.get(mapping[1])
            arn = plan.attribute(inst, "arn")
            if isinstance(name, str) and isinstance(arn, str):
                parts.names.setdefault(name, arn)
        h = handlers.get(inst.type)
        if h is not None:
            h(plan, inst, parts)


def _function(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    g = lambda a, d=None: plan.get(inst, a, d)  # noqa: E731
    name = _s(g("function_name")) or WILDCARD
    vpc, logging_cfg = _b(g("vpc_config")), _b(g("logging_config"))
    log_group = _s(logging_cfg.get("log_group"))
    rc = g("reserved_concurrent_executions")
    fn = Function(
        arn=plan.arn_of(inst), name=name, account_id=plan.account, region=plan.region,
        role_arn=_s(g("role")) or WILDCARD, runtime=_s(g("runtime")), handler=_s(g("handler")),
        package_type=_s(g("package_type")) or "Zip", architectures=[str(a) for a in _l(g("architectures"))] or ["x86_64"],
        memory_size=g("memory_size") if isinstance(g("memory_size"), int) else None,
        timeout=g("timeout") if isinstance(g("timeout"), int) else None, layers=[str(x) for x in _l(g("layers"))],
        vpc_id=_s(vpc.get("vpc_id")) or (WILDCARD if vpc.get("subnet_ids") else None),
        subnet_ids=sorted(str(x) for x in _l(vpc.get("subnet_ids"))),
        security_group_ids=sorted(str(x) for x in _l(vpc.get("security_group_ids"))),
        kms_key_arn=_s(g("kms_key_arn")), tracing_mode=_s(_b(g("tracing_config")).get("mode")),
        dead_letter_target=_s(_b(g("dead_letter_config")).get("target_arn")),
        file_systems=[{"arn": f.get("arn"), "local_mount_path": f.get("local_mount_path")}
                      for f in _l(g("file_system_config")) if isinstance(f, dict)],
        reserved_concurrency=rc if isinstance(rc, int) and rc >= 0 else None,
        code_signing_config_arn=_s(g("code_signing_config_arn")),
        logging_group=log_group if log_group not in (None, f"/aws/lambda/{name}") else None,
        tags={str(k): str(v) for k, v in (g("tags") or {}).items()} if isinstance(g("tags"), dict) else {},
        location=plan.location(inst),
    )
    env = _b(g("environment")).get("variables")
    unknown_env = _b(inst.unknown.get("environment")).get("variables")
    if isinstance(unknown_env, dict):  # names known, values only after apply: keep the names
        env = dict(env or {}, **{k: WILDCARD for k, v in unknown_env.items() if v is True})
        _attribute_env_reference(plan, inst, env)
    parts.env.append((fn, {str(k): v if isinstance(v, str) else "" for k, v in (env or {}).items()} if isinstance(env, dict) else {}))
    parts.functions.append(fn)


def _attribute_env_reference(plan: "Plan", inst: "Instance", env: dict) -> None:
    """The configuration lists the references of all variables together. When one variable is
    unknown and exactly one referenced value is not already another variable's, it is that one."""
    unknown = [k for k, v in env.items() if v == WILDCARD]
    if len(unknown) != 1:
        return
    block = _b(plan.expression_blocks(inst, "environment"))
    variables = block.get("variables") if isinstance(block.get("variables"), dict) else {}
    known = {v for v in env.values() if v != WILDCARD}
    values = set()
    for ref in _l(variables.get("references")):
        ref = str(ref)
        if len(ref.split(".")) < (4 if ref.startswith("data.") else 3):
            continue  # "aws_x.y" repeats "aws_x.y.attr"
        v = plan.resolve_reference(inst, ref)
        if isinstance(v, str) and v not in known and v != WILDCARD:
            values.add(v)
    if len(values) == 1:
        env[unknown[0]] = values.pop()


def _lines(plan: "Plan", inst: "Instance", parts: Parts, policy: str, doc: dict, source: Any = None) -> None:
    """Each statement's line: where the configuration wrote it when the value says so (a
    ``Text`` of the configuration reader, with places in the resource's file), else the resource's."""
    path = plan.location(inst).path
    places = source.statement_places() if hasattr(source, "statement_places") else []
    for i, _ in enumerate(_l(doc.get("Statement"))):
        file, line = places[i] if i < len(places) else (None, None)
        line = line if file == path and line else inst.line
        if line:
            parts.statement_lines[(path, inst.address, policy, i)] = line


def _role(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    loc = plan.location(inst)
    trust, src = _doc(plan, inst, "assume_role_policy")
    _lines(plan, inst, parts, TRUST_POLICY, trust, src)
    inline = []
    unknown_blocks = _l(inst.unknown.get("inline_policy"))
    for i, block in enumerate(_l(plan.get(inst, "inline_policy"))):
        if not isinstance(block, dict):
            continue
        text = block.get("policy")
        if not _s(text) and i < len(unknown_blocks) and _b(unknown_blocks[i]).get("policy") is True:
            text = plan.block_value(inst, "inline_policy", i, "policy")  # a policy document known at apply
        if _s(text) and text != WILDCARD:
            try:
                doc = loads_document(text)
            except ValueError:
                plan.note(inst, f"inline_policy {i} is not readable JSON: its statements are not read")
                continue
            name = _s(block.get("name")) or "inline"
            _lines(plan, inst, parts, name, doc, text)
            inline.append(InlinePolicy(name=name, document=doc, location=loc))
    name = _s(plan.get(inst, "name")) or f"{inst.address}-*"
    parts.roles.append(Role(
        arn=plan.arn_of(inst) if _s(plan.get(inst, "name")) or _s(inst.values.get("arn")) else
        ab.build(ab.CFN["AWS::IAM::Role"], name, plan.partition, plan.region, plan.account) or WILDCARD,
        name=name, path=_s(plan.get(inst, "path")) or "/", trust_policy=trust, inline_policies=inline,
        managed_policy_arns=sorted(str(a) for a in _l(plan.get(inst, "managed_policy_arns")) if a),
        permissions_boundary_arn=_s(plan.get(inst, "permissions_boundary")),
        tags={str(k): str(v) for k, v in (inst.values.get("tags") or {}).items()} if isinstance(inst.values.get("tags"), dict) else {},
        location=loc))


def _role_policy(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    doc, src = _doc(plan, inst, "policy")
    name = _s(plan.get(inst, "name")) or inst.address
    _lines(plan, inst, parts, name, doc, src)
    role = _s(plan.get(inst, "role"))
    if role:
        parts.attachments.append(("role", role.rsplit("/", 1)[-1], "inline",
                                  InlinePolicy(name=name, document=doc, location=plan.location(inst))))


def _policy(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    doc, src = _doc(plan, inst, "policy")
    name = _s(plan.get(inst, "name")) or f"{inst.address}-*"
    _lines(plan, inst, parts, name, doc, src)
    parts.policies.append(ManagedPolicy(arn=plan.arn_of(inst), name=name, document=doc, default_version_id="v1",
                                        path=_s(plan.get(inst, "path")) or "/", location=plan.location(inst)))


def _attachment(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    arn = _s(plan.get(inst, "policy_arn"))
    if not arn:
        return
    targets = [("role", r) for r in _l(plan.get(inst, "roles"))] + [("user", u) for u in _l(plan.get(inst, "users"))] \
        + [("group", g) for g in _l(plan.get(inst, "groups"))]
    if inst.type == "aws_iam_role_policy_attachment":
        targets = [("role", plan.get(inst, "role"))]
    for kind, name in targets:
        if isinstance(name, str) and name:
            parts.attachments.append((kind, name.rsplit("/", 1)[-1], "managed", arn))


def _exclusive_attachments(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    """The role has exactly these managed policies: each is attached (those attached by other
    resources stay too: what is declared is never dropped)."""
    role = _s(plan.get(inst, "role_name"))
    for arn in _l(plan.get(inst, "policy_arns")):
        if role and _s(arn):
            parts.attachments.append(("role", role.rsplit("/", 1)[-1], "managed", arn))


def _link(parts: Parts, ref: Any, action) -> None:
    if isinstance(ref, str) and ref:
        parts.links.append((ref, action, ""))


def _permission(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    g = lambda a: plan.get(inst, a)  # noqa: E731
    p = {"Principal": g("principal"), "Action": g("action"), "SourceArn": g("source_arn"),
         "SourceAccount": g("source_account"), "PrincipalOrgID": g("principal_org_id"),
         "FunctionUrlAuthType": g("function_url_auth_type")}
    qualifier = _s(g("qualifier"))
    sid = _s(g("statement_id")) or inst.address

    def add(fn: Function) -> None:
        from iam_analyzer.collect.invokers import invokers_from_policy
        st = permission_statement(sid, p, ab.qualified(fn.arn, qualifier), plan.partition)
        if not isinstance(fn.resource_policy, dict):
            fn.resource_policy = {"Version": "2012-10-17", "Id": "default", "Statement": []}
        fn.resource_policy["Statement"].append(st)
        fn.invokers.extend(invokers_from_policy({"Version": "2012-10-17", "Statement": [st]}, qualifier=qualifier)[0])

    _link(parts, g("function_name"), add)


def _esm(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    g = lambda a: plan.get(inst, a)  # noqa: E731
    src = _s(g("event_source_arn"))
    sm = _b(g("self_managed_event_source"))
    m = EventSourceMapping(
        uuid=_s(inst.values.get("uuid")) or inst.address, event_source_arn=src, source_type=source_type(src, bool(sm)),
        function_arn=_s(g("function_name")) or "", state="Enabled" if g("enabled") is not False else "Disabled",
        batch_size=g("batch_size") if isinstance(g("batch_size"), int) else None,
        starting_position=_s(g("starting_position")),
        filter_criteria=[str(f.get("pattern")) for c in _l(g("filter_criteria")) if isinstance(c, dict)
                         for f in _l(c.get("filter")) if isinstance(f, dict)],
        destination_on_failure=_s(_b(_b(g("destination_config")).get("on_failure")).get("destination_arn")),
        self_managed_endpoints=sm.get("endpoints") if isinstance(sm.get("endpoints"), dict) else {},
        source_access=[{"type": a.get("type"), "uri": a.get("uri")} for a in _l(g("source_access_configuration"))
                       if isinstance(a, dict)])
    _link(parts, g("function_name"), lambda fn: fn.event_source_mappings.append(m))


def _url(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    g = lambda a: plan.get(inst, a)  # noqa: E731
    u = FunctionUrl(url=_s(g("function_url")) or ab.function_url("*", plan.region),
                    auth_type=_s(g("authorization_type")) or "", qualifier=_s(g("qualifier")),
                    cors=_b(g("cors")), invoke_mode=_s(g("invoke_mode")))
    _link(parts, g("function_name"), lambda fn: fn.urls.append(u))


def _invoke_config(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    g = lambda a: plan.get(inst, a)  # noqa: E731
    dest = _b(g("destination_config"))
    q = _s(g("qualifier"))
    c = EventInvokeConfig(qualifier=None if q in (None, "$LATEST") else q,
                          maximum_retry_attempts=g("maximum_retry_attempts"),
                          maximum_event_age_seconds=g("maximum_event_age_in_seconds"),
                          on_success=_s(_b(dest.get("on_success")).get("destination")),
                          on_failure=_s(_b(dest.get("on_failure")).get("destination")))
    _link(parts, g("function_name"), lambda fn: fn.event_invoke_configs.append(c))


def _alias(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    g = lambda a: plan.get(inst, a)  # noqa: E731
    a = Alias(name=_s(g("name")) or "", arn=_s(g("arn")) or WILDCARD, function_version=str(g("function_version") or ""))
    _link(parts, g("function_name"), lambda fn: fn.aliases.append(a))


def _trigger(parts: Parts, t: Trigger) -> None:
    _link(parts, t.function_arn, lambda fn: fn.triggers.append(t))


def _event_target(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    arn = _s(plan.get(inst, "arn"))
    if not is_lambda_arn(arn):
        return
    rule_name = _s(plan.get(inst, "rule"))
    rule = plan.referenced(inst, "rule") or plan.by_type_name.get(("aws_cloudwatch_event_rule", rule_name or ""))
    rv = rule.values if rule else {}
    state = rv.get("state") or ("DISABLED" if rv.get("is_enabled") is False else "ENABLED")
    _trigger(parts, Trigger("eventbridge-rule", plan.arn_of(rule) if rule else WILDCARD, arn, {
        "schedule": _s(rv.get("schedule_expression")), "event_pattern": _s(rv.get("event_pattern")),
        "state": state, "bus": (_s(rv.get("event_bus_name")) or "default").rsplit("/", 1)[-1]}))


def _schedule(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    t = _b(plan.get(inst, "target"))
    if is_lambda_arn(_s(t.get("arn"))):
        _trigger(parts, Trigger("eventbridge-schedule", plan.arn_of(inst), t["arn"], {
            "schedule": _s(plan.get(inst, "schedule_expression")), "role_arn": _s(t.get("role_arn")),
            "state": _s(plan.get(inst, "state")) or "ENABLED"}))


def _bucket_notification(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    bucket = _s(plan.get(inst, "bucket")) or WILDCARD
    barn = ab.build(ab.CFN["AWS::S3::Bucket"], bucket, plan.partition, plan.region, plan.account) or WILDCARD
    for i, c in enumerate(_l(plan.get(inst, "lambda_function"))):
        if not isinstance(c, dict):
            continue
        if not _s(c.get("lambda_function_arn")):
            c = dict(c, lambda_function_arn=plan.block_value(inst, "lambda_function", i, "lambda_function_arn"))
        rules = [{"Name": n, "Value": c[k]} for n, k in (("Prefix", "filter_prefix"), ("Suffix", "filter_suffix")) if _s(c.get(k))]
        _trigger(parts, Trigger("s3", barn, _s(c.get("lambda_function_arn")) or "", {
            "events": [str(e) for e in _l(c.get("events"))], "filter": {"Key": {"FilterRules": rules}} if rules else None}))


def _subscription(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    if str(plan.get(inst, "protocol") or "").lower() == "lambda":
        _trigger(parts, Trigger("sns", _s(plan.get(inst, "topic_arn")) or WILDCARD, _s(plan.get(inst, "endpoint")) or "",
                                {"subscription_arn": _s(inst.values.get("arn"))}))


def _log_subscription(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    dest = _s(plan.get(inst, "destination_arn"))
    if is_lambda_arn(dest):
        group = _s(plan.get(inst, "log_group_name")) or WILDCARD
        garn = ab.build(ab.CFN["AWS::Logs::LogGroup"], group, plan.partition, plan.region, plan.account,
                        LogGroupName=group) or WILDCARD
        _trigger(parts, Trigger("logs-subscription", garn, dest, {"filter_name": _s(plan.get(inst, "name")),
                                                                "pattern": plan.get(inst, "filter_pattern")}))


def _rest_integration(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    fn = ab.lambda_invocation_target(_s(plan.get(inst, "uri")) or "")
    if fn:
        api = _s(plan.get(inst, "rest_api_id")) or WILDCARD
        method = plan.referenced(inst, "http_method")  # http_method = aws_api_gateway_method.x.http_method
        auth = _s(method.values.get("authorization")) if method is not None and method.type == "aws_api_gateway_method" else None
        _trigger(parts, Trigger("apigateway-rest", ab.api_source_arn(api, plan.region, plan.partition), fn, {
            "api_name": None, "path": None, "method": _s(plan.get(inst, "http_method")), "authorization": auth}))


def _http_integration(plan: "Plan", inst: "Instance", parts: Parts) -> None:
    uri = _s(plan.get(inst, "integration_uri")) or ""
    fn = uri if is_lambda_arn(uri) else ab.lambda_invocation_target(uri)
    if fn:
        api = _s(plan.get(inst, "api_id")) or WILDCARD
        _trigger(parts, Trigger("apigateway-http", ab.api_source_arn(api, plan.region, plan.partition, True), fn,
                                {"api_name": None, "protocol": "HTTP"}))


__all__ = ["read", "policy_document"]
