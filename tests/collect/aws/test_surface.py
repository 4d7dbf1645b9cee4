"""The product's AWS surface against the pinned botocore and moto, in one place.

Every operation the collectors call is listed in ``collect/aws/surface.py`` (checked here by
reading the source), and every listed operation that moto implements is sent once, through
boto3, to moto's server on loopback in the protocol the installed botocore uses. When an
upgrade changes a service's protocol and moto does not serve it yet (botocore 1.44.18 moved
Athena to ``rest-json``; moto 5.2.6 answered 404), this test names the service, the protocol
and the versions, instead of an end-to-end test failing on a 404 somewhere else.

``tests/data/aws_protocols.json`` records the protocol of each service in the locked botocore;
``scripts/test_newest.sh`` compares the newest botocore against it and says what moved.
"""

from __future__ import annotations

import ast
import json
from importlib import metadata
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.session
import pytest

from iam_analyzer.collect.aws import surface
from tests.paths import ROOT as REPO

pytestmark = pytest.mark.aws

PROTOCOLS = REPO / "tests" / "data" / "aws_protocols.json"
# Error codes that mean "the server did not understand the request", not an AWS error answer.
_NOT_SERVED = {"NotImplemented", "InternalFailure", "UnknownOperationException", "InvalidAction",
               "UnrecognizedClientException", "SerializationException"}


def _literal_calls() -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(service, operation) pairs, client services and bare operation names written in the code."""
    pairs: set[tuple[str, str]] = set()
    services: set[str] = set()
    ops: set[str] = set()
    roots = [REPO / "iam_analyzer" / "collect" / "aws", REPO / "iam_analyzer" / "audit.py"]
    files = [f for r in roots for f in ([r] if r.is_file() else sorted(r.rglob("*.py")))]
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
            name = node.func.attr
            if name in ("call", "paginate") and len(args) >= 3 and args[0] and args[2]:
                pairs.add((args[0], args[2]))
            elif name == "client" and args and args[0]:
                services.add(args[0])
            elif name == "get_paginator" and args and args[0]:
                ops.add(args[0])
            elif isinstance(node.func.value, ast.Name) and node.func.value.id == "client" and name not in (
                    "can_paginate", "get_paginator"):
                ops.add(name)
    return pairs, services, ops


def test_every_call_in_the_collectors_is_listed_in_the_surface():
    pairs, services, ops = _literal_calls()
    listed = set(surface.operations())
    assert pairs, "the source scan found no calls: the test itself is broken"
    assert not pairs - listed, f"calls missing from collect/aws/surface.py: {sorted(pairs - listed)}"
    assert not services - set(surface.services()), f"clients missing: {sorted(services - set(surface.services()))}"
    listed_ops = {op for _, op in listed}
    assert not ops - listed_ops, f"operations missing from collect/aws/surface.py: {sorted(ops - listed_ops)}"


def test_every_listed_operation_exists_in_the_installed_botocore():
    session = botocore.session.get_session()
    for service, op in surface.operations():
        model = session.get_service_model(service)
        names = {model.operation_model(n).name for n in model.operation_names}
        wanted = "".join(p.capitalize() for p in op.split("_"))
        assert any(n.lower() == wanted.lower() for n in names), f"{service}.{op} is not in botocore {botocore.__version__}"


def protocols() -> dict[str, str]:
    session = botocore.session.get_session()
    return {s: session.get_service_model(s).protocol for s in surface.services()}


def test_recorded_protocols_are_those_of_the_installed_botocore():
    """tests/data/aws_protocols.json says what the lock's botocore speaks; refresh it with the lock."""
    recorded = json.loads(PROTOCOLS.read_text())
    assert recorded["botocore"] == botocore.__version__, (
        f"tests/data/aws_protocols.json was written for botocore {recorded['botocore']}, installed is "
        f"{botocore.__version__}: install from locks/test.txt, or run scripts/refresh_locks.sh")
    assert recorded["protocols"] == protocols()


def _minimal(shape, depth: int = 0):
    """The smallest value of a botocore shape that passes client-side validation."""
    if shape.type_name == "structure":
        return {m: _minimal(shape.members[m], depth + 1) for m in shape.required_members} if depth < 6 else {}
    if shape.type_name == "list":
        return [_minimal(shape.member, depth + 1)] if shape.metadata.get("min", 0) else []
    if shape.type_name == "map":
        return {}
    if shape.type_name in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if shape.type_name in ("double", "float"):
        return 1.0
    if shape.type_name == "boolean":
        return False
    if shape.type_name == "blob":
        return b"x"
    if shape.type_name == "timestamp":
        return "2026-01-01T00:00:00Z"
    if shape.enum:
        return shape.enum[0]
    if "arn" in shape.name.lower():
        return "arn:aws:iam::123456789012:role/probe"
    return "probe" + "x" * max(0, int(shape.metadata.get("min", 0)) - 5)


# Operations moto routes nowhere (404) in any protocol: the scanner records them as coverage
# gaps of the emulator (scan says how many), so they are not a protocol change.
MOTO_LACKS = {("lambda", "list_code_signing_configs"), ("lambda", "list_functions_by_code_signing_config")}


def _outcome(client, op: str) -> tuple[str, str]:
    """served (an answer or an AWS error), crashed (routed, but moto failed on probe values) or unrouted."""
    op_model = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[op])
    params = _minimal(op_model.input_shape) if op_model.input_shape is not None else {}
    try:
        getattr(client, op)(**params)
    except botocore.exceptions.ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code.isdigit() or code in _NOT_SERVED:
            return ("crashed" if status >= 500 else "unrouted"), f"{op} -> HTTP {status} {code}"
        return "served", code
    except (botocore.exceptions.BotoCoreError, ValueError) as e:  # an answer botocore cannot parse
        return "unrouted", f"{op} -> {type(e).__name__}: {str(e)[:120]}"
    return "served", "ok"


@pytest.mark.parametrize("service", surface.services())
def test_moto_serves_each_service_in_the_protocol_botocore_speaks(aws, service):
    client = aws.client(service, region="us-east-1")
    protocol = client.meta.service_model.protocol
    ops = [op for svc, op in surface.operations() if svc == service and (svc, op) not in surface.STUBBED]
    if not ops:
        pytest.skip(f"every {service} operation the product calls is stubbed: moto lacks them")
    outcomes = {op: _outcome(client, op) for op in ops}
    unrouted = [why for op, (kind, why) in outcomes.items() if kind == "unrouted" and (service, op) not in MOTO_LACKS]
    routed = [op for op, (kind, _) in outcomes.items() if kind != "unrouted"]
    assert routed and not unrouted, (
        f"moto {metadata.version('moto')} does not serve {service} as botocore {botocore.__version__} "
        f"sends it (protocol {protocol}): " + "; ".join(unrouted or [w for _, w in outcomes.values()]))


def test_the_stubbed_operations_are_what_moto_lacks():
    """An operation moved out of STUBBED once moto implements it is then probed above."""
    assert surface.STUBBED <= set(surface.operations())


def write_protocols(path: Path = PROTOCOLS) -> None:
    """Called by scripts/refresh_locks.sh in the lock's venv."""
    path.write_text(json.dumps({"botocore": botocore.__version__, "boto3": boto3.__version__,
                                "protocols": protocols()}, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_protocols()
