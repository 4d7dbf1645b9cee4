"""What an import or ``require`` of the AWS SDK for JavaScript is (v2 and v3 packages)."""

from __future__ import annotations

from iam_analyzer.iam import sdk_libraries, sdk_names

from .libraries import LibRef


def _module_value(module: str, name: str | None):
    """What an import (or ``require``) of ``name`` from ``module`` is."""
    if module == "aws-sdk" or module == "aws-sdk/global":
        return ("v2",) if name is None else _v2_member(name)
    if module.startswith("aws-sdk/clients/"):
        svc = sdk_names.service_for_js_client(module.rsplit("/", 1)[-1])
        if svc is None:
            return None
        return ("v2client", svc) if name is None else None
    if module == "@aws-sdk/lib-dynamodb":
        if name is None:
            return ("module", module)
        if name == "DynamoDBDocumentClient":
            return ("v3doc",)
        if name == "DynamoDBDocument":
            return ("v3docagg",)
        op = sdk_names.document_client_operation(name)
        if op and name.endswith("Command"):
            return ("v3doccmd", "dynamodb", op)
        if name.startswith("paginate"):
            op = sdk_names.document_client_operation(name[len("paginate"):])
            return ("paginator", "dynamodb", op) if op else None
        return None
    if sdk_libraries.javascript_package(module):  # Powertools for AWS Lambda (TypeScript)
        if name is None:
            return ("module", module)
        spec = sdk_libraries.javascript_symbol(module, name)
        return LibRef(module, name, spec) if spec else None
    if module == "@aws-sdk/lib-storage":
        return ("upload",) if name == "Upload" else (("module", module) if name is None else None)
    if module == "@aws-sdk/s3-request-presigner":
        return ("presign",) if name in ("getSignedUrl",) else (("module", module) if name is None else None)
    svc = sdk_names.service_for_js_package(module)
    if svc is None:
        return None
    if name is None:
        return ("module", module)
    if name.endswith("Command") and name != "Command":
        op = sdk_names.operation(svc, name[: -len("Command")])
        return ("v3command", svc, op) if op else None
    if name.endswith("Client"):
        return ("v3client", svc)
    if name.startswith("paginate"):
        op = sdk_names.operation(svc, name[len("paginate"):])
        return ("paginator", svc, op) if op else None
    if name.startswith("waitUntil") or name.startswith("waitFor"):
        w = name[len("waitUntil"):] if name.startswith("waitUntil") else name[len("waitFor"):]
        op = sdk_names.waiter_operation(svc, w)
        return ("waiter", svc, op) if op else None
    own = {svc.replace("-", ""), module.rsplit("client-", 1)[-1].replace("-", "")}
    if name.lower() in own:  # the aggregated client: new S3().putObject(...)
        return ("v3agg", svc)
    return None


def _v2_member(name: str, base=None):
    """``AWS.S3`` -> a v2 client class; ``AWS.DynamoDB.DocumentClient`` -> the document client."""
    if base is not None and base[0] == "v2client":
        return ("v2doc",) if base[1] == "dynamodb" and name == "DocumentClient" else None
    svc = sdk_names.service_for_js_client(name)
    return ("v2client", svc) if svc else None
