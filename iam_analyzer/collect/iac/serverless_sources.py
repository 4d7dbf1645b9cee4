"""The pull sources of a Serverless Framework function (``sqs``, ``stream``, ``msk``,
``activemq``, ``rabbitmq``, ``kafka``) -> event source mappings and the role statements the
framework adds for them; and the pieces the events compiler shares (``RoleStatement``, the
framework's name normalisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iam_analyzer.iam import lambda_service as ls

from .loader import LDict, LList

# what the framework writes to the role for each event source (its compile/events plugins)
SQS = ls.SQS_POLL_ACTIONS
KINESIS = ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListStreams")
KINESIS_WITH_CONSUMER = ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStreamSummary",
                         "kinesis:ListShards")
KINESIS_CONSUMER = ls.KINESIS_CONSUMER_ACTIONS[:1]  # SubscribeToShard, on the consumer
DYNAMODB = ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", ls.DDB_LIST_STREAMS)
MSK = ("kafka:DescribeCluster", "kafka:GetBootstrapBrokers")
_BY_TYPE = {"AWS::SQS::Queue": "sqs", "AWS::SNS::Topic": "sns", "AWS::Events::EventBus": "events",
            "AWS::Lambda::Function": "lambda"}
_DELIVER = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
            "events": "events:PutEvents", "eventBus": "events:PutEvents", "function": "lambda:InvokeFunction"}


# a source ARN known only at deployment (${cf:...}, ${ssm:...}): any resource of its type, so
# the source's type (and what Lambda needs for it) is still known
_ANY = {"sqs": "arn:{p}:sqs:*:*:*", "kinesis": "arn:{p}:kinesis:*:*:stream/*",
        "dynamodb": "arn:{p}:dynamodb:*:*:table/*/stream/*", "msk": "arn:{p}:kafka:*:*:cluster/*",
        "mq": "arn:{p}:mq:*:*:broker:*"}


def _typed(arn: Any, kind: str, partition: str) -> Any:
    return _ANY[kind].format(p=partition) if arn == "*" or arn is None else arn


def normalize(name: Any) -> str:
    """The framework's normalisation of a name inside a logical id."""
    s = "".join(c for c in str(name).replace("-", "Dash").replace("_", "Underscore") if c.isalnum())
    return s[:1].upper() + s[1:]


def _node(line: int | None, *a, **kw) -> LDict:
    d = LDict(*a, **kw)
    d.line = line
    return d


def _list(line: int | None, items) -> LList:
    out = LList(items)
    out.line = line
    return out


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _name_in(arn: Any) -> str:
    """A readable name for a resource given as ARN text or an intrinsic."""
    if isinstance(arn, str):
        return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    if isinstance(arn, dict) and len(arn) == 1:
        (fn, arg), = arn.items()
        if fn == "Fn::GetAtt":
            return str(arg[0] if isinstance(arg, list) and arg else str(arg).split(".")[0])
        if fn == "Ref":
            return str(arg)
        if fn == "Fn::ImportValue":
            return _name_in(arg) if not isinstance(arg, str) else arg
    return "Source"


@dataclass
class RoleStatement:
    """A statement the framework adds to a role: its actions, resources, line and origin."""

    kind: str  # logs | sqs | stream | msk | activemq | rabbitmq | kafka | onError | destinations | tracing
    actions: tuple
    resources: list
    line: int | None

    def document(self) -> LDict:
        res = self.resources[0] if len(self.resources) == 1 else _list(self.line, self.resources)
        return _node(self.line, Effect="Allow", Action=_list(self.line, self.actions), Resource=res)




class PullSources:
    """Mixed into ``serverless_events.Events``: one method per pull event type."""

    p: str  # the partition; ``_esm`` and ``_target`` are the events compiler's

    # -- pull sources ------------------------------------------------------------------------------

    def ev_sqs(self, n, logical, spec, line, i, out):
        ev = spec if isinstance(spec, dict) else {"arn": spec}
        arn = _typed(ev.get("arn"), "sqs", self.p)
        extra = {}
        if ev.get("functionResponseType"):
            extra["FunctionResponseTypes"] = [ev["functionResponseType"]]
        self._esm(f"{n}EventSourceMappingSQS{normalize(_name_in(arn))}", logical, arn, ev, line, **extra)
        out.statements.append(RoleStatement("sqs", SQS, [arn], line))

    def ev_stream(self, n, logical, spec, line, i, out):
        ev = spec if isinstance(spec, dict) else {"arn": spec}
        arn = ev.get("arn")
        kind = str(ev.get("type") or "").lower()
        if not kind:
            text = arn if isinstance(arn, str) else ""
            att = _d(arn).get("Fn::GetAtt")
            kind = "dynamodb" if ":dynamodb:" in text or (isinstance(att, list) and att[-1:] == ["StreamArn"]) \
                else "kinesis"
        arn = _typed(arn, "dynamodb" if kind == "dynamodb" else "kinesis", self.p)
        if "startingPosition" not in ev:
            ev = dict(ev, startingPosition="TRIM_HORIZON")
        failure = _d(ev.get("destinations")).get("onFailure")
        extra = {}
        if failure is not None:
            value, service = self._target(failure)
            extra["DestinationConfig"] = {"OnFailure": {"Destination": value}}
            # the framework: sns:Publish for a topic, else the queue's ListQueues and SendMessage
            actions = ("sns:Publish",) if service == "sns" else ("sqs:ListQueues", "sqs:SendMessage")
            out.statements.append(RoleStatement("stream", actions, [value], line))
        label = "Dynamodb" if kind == "dynamodb" else "Kinesis"
        consumer = ev.get("consumer")
        source, actions = arn, DYNAMODB if kind == "dynamodb" else KINESIS
        if kind == "kinesis" and consumer:
            # a consumer the framework makes is named <function><stream>Consumer, with a timestamp
            made = f"{arn}/consumer/{n}{normalize(_name_in(arn))}Consumer:*" if isinstance(arn, str) else \
                {"Fn::Join": ["", [arn, f"/consumer/{n}{normalize(_name_in(arn))}Consumer:*"]]}
            source = consumer if consumer is not True else made
            out.statements.append(RoleStatement("stream", KINESIS_CONSUMER, [source], line))
            actions = KINESIS_WITH_CONSUMER
        self._esm(f"{n}EventSourceMapping{label}{normalize(_name_in(arn))}", logical, source, ev, line, **extra)
        out.statements.append(RoleStatement("stream", actions, [arn], line))

    def ev_msk(self, n, logical, spec, line, i, out):
        ev = _d(spec)
        arn = _typed(ev.get("arn"), "msk", self.p)
        topic = ev.get("topic")
        access = []
        secret = ev.get("saslScram512")
        if secret:
            access.append({"Type": "SASL_SCRAM_512_AUTH", "URI": secret})
        self._esm(f"{n}EventSourceMappingMSK{normalize(_name_in(arn))}{normalize(topic or '')}", logical, arn,
                  dict(ev, startingPosition=ev.get("startingPosition", "TRIM_HORIZON")), line,
                  Topics=[topic] if topic else [], SourceAccessConfigurations=access)
        out.statements.append(RoleStatement("msk", MSK, [arn], line))
        out.statements.append(RoleStatement("msk", ls.SOURCE_VPC_ACTIONS, ["*"], line))
        if secret:
            out.statements.append(RoleStatement("msk", (ls.SECRET_ACTION,), [secret], line))

    def _mq(self, kind, n, logical, spec, line, out):
        ev = _d(spec)
        arn = _typed(ev.get("arn"), "mq", self.p)
        secret = ev.get("basicAuthArn")
        access = [{"Type": "BASIC_AUTH", "URI": secret}] if secret else []
        if ev.get("virtualHost"):
            access.append({"Type": "VIRTUAL_HOST", "URI": ev["virtualHost"]})
        label = "MQ" if kind == "activemq" else "RabbitMQ"
        self._esm(f"{n}EventSourceMapping{label}{normalize(_name_in(arn))}{normalize(ev.get('queue') or '')}", logical,
                  arn, ev, line, Queues=[ev["queue"]] if ev.get("queue") else [], SourceAccessConfigurations=access)
        out.statements.append(RoleStatement(kind, ls.MQ_ACTIONS, [arn], line))
        if secret:
            out.statements.append(RoleStatement(kind, (ls.SECRET_ACTION,), [secret], line))
        out.statements.append(RoleStatement(kind, ls.SOURCE_VPC_ACTIONS, ["*"], line))

    def ev_activemq(self, n, logical, spec, line, i, out):
        self._mq("activemq", n, logical, spec, line, out)

    def ev_rabbitmq(self, n, logical, spec, line, i, out):
        self._mq("rabbitmq", n, logical, spec, line, out)

    def ev_kafka(self, n, logical, spec, line, i, out):
        ev = _d(spec)
        access_cfg = _d(ev.get("accessConfigurations"))
        types = {"saslPlainAuth": "BASIC_AUTH", "saslScram256Auth": "SASL_SCRAM_256_AUTH",
                 "saslScram512Auth": "SASL_SCRAM_512_AUTH", "clientCertificateTlsAuth": "CLIENT_CERTIFICATE_TLS_AUTH",
                 "serverRootCaCertificate": "SERVER_ROOT_CA_CERTIFICATE", "vpcSubnet": "VPC_SUBNET",
                 "vpcSecurityGroup": "VPC_SECURITY_GROUP"}
        access, secrets = [], []
        for k, t in types.items():
            vals = access_cfg.get(k)
            for v in vals if isinstance(vals, list) else [vals] if vals else []:
                access.append({"Type": t, "URI": v})
                if "Auth" in k or k == "serverRootCaCertificate":
                    secrets.append(v)
        servers = ev.get("bootstrapServers")
        self._esm(f"{n}EventSourceMappingKafka{normalize(ev.get('topic') or '')}", logical, None,
                  dict(ev, startingPosition=ev.get("startingPosition", "TRIM_HORIZON")), line,
                  Topics=[ev["topic"]] if ev.get("topic") else [], SourceAccessConfigurations=access,
                  SelfManagedEventSource={"Endpoints": {"KafkaBootstrapServers": servers if isinstance(servers, list) else []}})
        if secrets:
            out.statements.append(RoleStatement("kafka", (ls.SECRET_ACTION,), secrets, line))
        if "vpcSubnet" in access_cfg:
            out.statements.append(RoleStatement("kafka", ls.SOURCE_VPC_ACTIONS, ["*"], line))

