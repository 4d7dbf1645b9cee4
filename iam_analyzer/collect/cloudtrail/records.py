"""CloudTrail records, decoded with msgspec into only the fields usage needs.

Decoding is the hot path (a million events is ordinary), so the types are frozen, hashable
structs: a record's ``requestParameters`` and ``resources`` can be used directly as part of
an aggregation key, and everything else in the record is skipped by the decoder.
"""

from __future__ import annotations

import msgspec


class SessionIssuer(msgspec.Struct, frozen=True, gc=False):
    arn: str | None = None
    type: str | None = None


class SessionContext(msgspec.Struct, frozen=True, gc=False):
    sessionIssuer: SessionIssuer = SessionIssuer()


class UserIdentity(msgspec.Struct, frozen=True, gc=False):
    type: str | None = None
    arn: str | None = None
    sessionContext: SessionContext = SessionContext()
    invokedBy: str | None = None


class Resource(msgspec.Struct, frozen=True, gc=False):
    ARN: str | None = None


# Per-service request parameters: only the fields that name a resource, each typed exactly,
# so one service's odd field (DynamoDB's "key" is an object, S3's is a string) cannot break
# another's decoding. A record's parameters are decoded with its service's type only.


class S3Params(msgspec.Struct, frozen=True, gc=False):
    bucketName: str | None = None
    key: str | None = None
    copy_source: str | None = msgspec.field(default=None, name="x-amz-copy-source")
    versionId: str | None = None


class DynamoDBParams(msgspec.Struct, frozen=True, gc=False):
    tableName: str | None = None
    indexName: str | None = None


class SQSParams(msgspec.Struct, frozen=True, gc=False):
    queueUrl: str | None = None


class SNSParams(msgspec.Struct, frozen=True, gc=False):
    topicArn: str | None = None
    targetArn: str | None = None


class KMSParams(msgspec.Struct, frozen=True, gc=False):
    keyId: str | None = None


class SecretsParams(msgspec.Struct, frozen=True, gc=False):
    secretId: str | None = None


class SSMParams(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    names: tuple[str, ...] | None = None
    path: str | None = None


class LambdaParams(msgspec.Struct, frozen=True, gc=False):
    functionName: str | None = None


class KinesisParams(msgspec.Struct, frozen=True, gc=False):
    streamName: str | None = None
    streamARN: str | None = None


class StatesParams(msgspec.Struct, frozen=True, gc=False):
    stateMachineArn: str | None = None
    executionArn: str | None = None


class EventsParams(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    eventBusName: str | None = None


class LogsParams(msgspec.Struct, frozen=True, gc=False):
    logGroupName: str | None = None
    logStreamName: str | None = None


class IAMParams(msgspec.Struct, frozen=True, gc=False):
    roleName: str | None = None
    roleArn: str | None = None
    policyArn: str | None = None
    userName: str | None = None


PARAM_TYPES: dict[str, type] = {
    "s3.amazonaws.com": S3Params,
    "dynamodb.amazonaws.com": DynamoDBParams,
    "sqs.amazonaws.com": SQSParams,
    "sns.amazonaws.com": SNSParams,
    "kms.amazonaws.com": KMSParams,
    "secretsmanager.amazonaws.com": SecretsParams,
    "ssm.amazonaws.com": SSMParams,
    "lambda.amazonaws.com": LambdaParams,
    "kinesis.amazonaws.com": KinesisParams,
    "states.amazonaws.com": StatesParams,
    "events.amazonaws.com": EventsParams,
    "logs.amazonaws.com": LogsParams,
    "iam.amazonaws.com": IAMParams,
    "sts.amazonaws.com": IAMParams,
}
PARAM_DECODERS = {src: msgspec.json.Decoder(tp) for src, tp in PARAM_TYPES.items()}


class Ignored(msgspec.Struct, frozen=True, gc=False):
    """Any JSON object where only strings matter (DynamoDB's "key", ...): decoded to nothing."""


# A parameter value that stays hashable whatever the service put there.
_Atom = str | int | float | bool | None | Ignored
Value = _Atom | tuple[_Atom, ...]


class Params(msgspec.Struct, frozen=True, gc=False):
    """Every request parameter that names a resource, for all services at once. Values are
    typed loosely (a service may use "key" for an object) but stay hashable, so the whole
    record can be counted in C. Readers check ``isinstance(value, str)``."""

    bucketName: Value = None
    key: Value = None
    copy_source: Value = msgspec.field(default=None, name="x-amz-copy-source")
    versionId: Value = None
    tableName: Value = None
    indexName: Value = None
    queueUrl: Value = None
    topicArn: Value = None
    targetArn: Value = None
    keyId: Value = None
    secretId: Value = None
    name: Value = None
    names: Value = None
    path: Value = None
    functionName: Value = None
    streamName: Value = None
    streamARN: Value = None
    stateMachineArn: Value = None
    executionArn: Value = None
    eventBusName: Value = None
    logGroupName: Value = None
    logStreamName: Value = None
    roleName: Value = None
    roleArn: Value = None
    policyArn: Value = None
    userName: Value = None


class Record(msgspec.Struct, gc=False):
    """A record for the fast path: every field used is hashable (see ``aggregate``)."""

    eventTime: str = ""
    eventSource: str = ""
    eventName: str = ""
    awsRegion: str = ""
    userIdentity: UserIdentity = UserIdentity()
    errorCode: str | None = None
    eventCategory: str | None = None  # "Management" | "Data" | "Insight"
    managementEvent: bool | None = None
    eventType: str | None = None  # AwsApiCall | AwsServiceEvent | AwsConsoleSignIn ...
    recipientAccountId: str | None = None
    requestParameters: Params | None = None
    resources: tuple[Resource, ...] | None = None


class RawRecord(msgspec.Struct, gc=False):
    eventTime: str = ""
    eventSource: str = ""
    eventName: str = ""
    awsRegion: str = ""
    userIdentity: UserIdentity | None = None
    errorCode: str | None = None
    eventCategory: str | None = None  # "Management" | "Data" | "Insight"
    managementEvent: bool | None = None
    eventType: str | None = None  # AwsApiCall | AwsServiceEvent | AwsConsoleSignIn ...
    recipientAccountId: str | None = None
    requestParameters: msgspec.Raw = msgspec.Raw(b"null")  # decoded per service: see PARAM_DECODERS
    resources: tuple[Resource, ...] | None = None


class LogFile(msgspec.Struct, gc=False):
    Records: list[Record]  # required: a JSON file without it is not a CloudTrail log file


class RawLogFile(msgspec.Struct, gc=False):
    Records: list[RawRecord]


class _LookupEvent(msgspec.Struct, gc=False):
    CloudTrailEvent: str


class _LookupOutput(msgspec.Struct, gc=False):
    """What ``aws cloudtrail lookup-events`` prints: each record as a JSON string."""

    Events: list[_LookupEvent]


_file_decoder = msgspec.json.Decoder(LogFile)
_raw_file_decoder = msgspec.json.Decoder(RawLogFile)
_array_decoder = msgspec.json.Decoder(list[Record])
_raw_array_decoder = msgspec.json.Decoder(list[RawRecord])
_lookup_decoder = msgspec.json.Decoder(_LookupOutput)
_record_decoder = msgspec.json.Decoder(Record)
_raw_record_decoder = msgspec.json.Decoder(RawRecord)


def decode_file(data: bytes) -> list[Record]:
    """Records of one CloudTrail log file (``{"Records": [...]}``, as CloudTrail delivers it).

    The fast types accept any JSON in the parameters used, except arrays nested in arrays;
    a file with one of those is decoded again record by record with each service's exact
    parameter type (the slow path), so no file is lost to an odd parameter.

    Records kept in other shapes are read too: a JSON array of records, JSON Lines (one
    record per line), and the output of ``aws cloudtrail lookup-events``. Anything else
    raises the error of the CloudTrail shape.
    """
    first = data[:1]
    if first.isspace():
        first = data.lstrip()[:1]
    if first == b"[":
        try:
            return _array_decoder.decode(data)
        except msgspec.ValidationError:
            return [_from_raw(r) for r in _raw_array_decoder.decode(data)]
    try:
        return _file_decoder.decode(data).Records
    except msgspec.ValidationError as e:
        if b'"Records"' in data:
            return [_from_raw(r) for r in _raw_file_decoder.decode(data).Records]
        return _other_shapes(data, e)
    except msgspec.DecodeError as e:
        return _other_shapes(data, e)


def _other_shapes(data: bytes, error: Exception) -> list[Record]:
    if b'"Events"' in data and b'"CloudTrailEvent"' in data:
        try:
            return [decode_record(ev.CloudTrailEvent) for ev in _lookup_decoder.decode(data).Events]
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
    lines = [ln for ln in data.splitlines() if ln.strip()]
    if len(lines) > 1 and all(ln.lstrip()[:1] == b"{" for ln in lines[:2]):
        try:
            return [decode_record(ln) for ln in lines]
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
    raise error


# -- the fallback: one bad record must not lose its file ----------------------------------------


class Decoded(msgspec.Struct, gc=False):
    records: list
    skipped: int = 0  # records that could not be read even leniently
    reason: str | None = None  # why the first of them could not


class _Items(msgspec.Struct, gc=False):
    Records: list[msgspec.Raw]


class _LookupItems(msgspec.Struct, gc=False):
    Events: list[msgspec.Raw]


_items_decoder = msgspec.json.Decoder(_Items)
_raw_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_lookup_items_decoder = msgspec.json.Decoder(_LookupItems)
_lookup_event_decoder = msgspec.json.Decoder(_LookupEvent)
_lenient_record_decoder = msgspec.json.Decoder(Record, strict=False)
_lenient_raw_decoder = msgspec.json.Decoder(RawRecord, strict=False)
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, RecursionError)


def decode_file_counted(data: bytes) -> Decoded:
    """Like ``decode_file``, but when the fast typed decoding of the whole file fails, decode
    record by record: a record of the wrong shape is coerced where it can be (``"true"`` for
    ``true``, ``"1"`` for ``1``) and skipped, and counted, where it cannot. The file is lost
    only when not one record can be read (then the first error is raised, as before)."""
    try:
        return Decoded(decode_file(data))
    except _DECODE_ERRORS as e:
        first_error = e
    out = _record_by_record(data)
    if out is None or (not out.records and out.skipped):
        raise first_error
    return out


def _record_by_record(data: bytes) -> Decoded | None:
    stripped = data.lstrip()
    items: list | None = None
    label = "Records"
    if stripped[:1] == b"[":
        items = _try(_raw_list_decoder, data)
        if items is None:
            items = _records_python(data)
        label = ""
    elif b'"Events"' in data and b'"CloudTrailEvent"' in data and stripped[:1] == b"{":
        got = _try(_lookup_items_decoder, data)
        if got is not None:
            return _lookup_by_event(got.Events)
    if items is None and b'"Records"' in data:
        got = _try(_items_decoder, data)
        items = got.Records if got is not None else _records_python(data)
    if items is None:  # JSON Lines: one record per line
        lines = [ln for ln in data.splitlines() if ln.strip()]
        if len(lines) > 1 and any(ln.lstrip()[:1] == b"{" for ln in lines[:2]):
            items, label = lines, "line"
    if items is None:
        return None
    records, skipped, reason = [], 0, None
    for i, raw in enumerate(items):
        rec, err = _lenient_record(raw)
        if rec is not None:
            records.append(rec)
        else:
            skipped += 1
            if reason is None:
                where = f"line {i + 1}" if label == "line" else f"{label}[{i}]" if label else f"[{i}]"
                reason = f"{where}: {err}"[:300]
    return Decoded(records, skipped, reason)


def _lookup_by_event(events: list) -> Decoded:
    records, skipped, reason = [], 0, None
    for i, raw in enumerate(events):
        try:
            text = _lookup_event_decoder.decode(raw).CloudTrailEvent
            rec, err = _lenient_record(text)
        except _DECODE_ERRORS as e:
            rec, err = None, e
        if rec is not None:
            records.append(rec)
        else:
            skipped += 1
            if reason is None:
                reason = f"Events[{i}].CloudTrailEvent: {err}"[:300]
    return Decoded(records, skipped, reason)


def _records_python(data: bytes) -> list | None:
    """The records of a file msgspec refuses as JSON but Python reads (a record holding NaN or
    Infinity, which some writers emit): each record re-encoded for the typed decoders."""
    import json

    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    records = doc.get("Records") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        return None
    out = []
    for r in records:
        try:
            out.append(msgspec.json.encode(r))
        except (TypeError, ValueError, OverflowError, RecursionError):
            out.append(b"null")  # skipped, and counted, by the caller
    return out


def _try(decoder, data):
    try:
        return decoder.decode(data)
    except _DECODE_ERRORS:
        return None


def _lenient_record(raw) -> tuple[Record | None, Exception | None]:
    try:
        return decode_record(raw), None
    except _DECODE_ERRORS as e:
        first = e
    for decode in (_lenient_record_decoder.decode, lambda r: _from_raw(_lenient_raw_decoder.decode(r))):
        try:
            return decode(raw), None
        except _DECODE_ERRORS:
            continue
    return None, first


def decode_record(data: bytes | str) -> Record:
    """One record (LookupEvents returns each event as its own JSON text)."""
    try:
        return _record_decoder.decode(data)
    except msgspec.ValidationError:
        return _from_raw(_raw_record_decoder.decode(data))


def _from_raw(r: "RawRecord") -> Record:
    params = None
    rp = r.requestParameters
    dec = PARAM_DECODERS.get(r.eventSource)
    if dec is not None and len(rp) > 4:
        try:
            exact = dec.decode(rp)
            params = Params(**{f: getattr(exact, f) for f in exact.__struct_fields__})
        except msgspec.ValidationError:
            params = None
    return Record(eventTime=r.eventTime, eventSource=r.eventSource, eventName=r.eventName, awsRegion=r.awsRegion,
                  userIdentity=r.userIdentity or UserIdentity(), errorCode=r.errorCode, eventCategory=r.eventCategory,
                  managementEvent=r.managementEvent, eventType=r.eventType, recipientAccountId=r.recipientAccountId,
                  requestParameters=params, resources=r.resources)
