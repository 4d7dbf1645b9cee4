"""Audit of the API-operation -> IAM-action mapping against botocore's service models.

    python benchmarks/api_actions_audit.py [--list SERVICE]

For every botocore service whose IAM namespace the catalog knows (through its signing name,
endpoint prefix or name), every operation is looked up with ``iam.api_actions.actions_for``:
it agrees when the mapping gives actions that exist in the catalog. Services that IAM does
not authorise (``api_renames.NO_IAM_SERVICES``) are counted apart. Endpoint prefixes (the
CloudTrail ``eventSource`` host) are checked to resolve to the same namespace as the
signing name. Unmapped operations stay counted: most are newer than the catalog.

Prints the agreement (the share of all botocore operations mapped to catalog actions; the
rest are mostly operations newer than the catalog, listed with --list), and beside their
targets the hosts resolving to another namespace (0) and mapped actions missing from the
catalog (0). The 97.7% of issue 15 was measured on an outside SDK-to-IAM map, a different
denominator: this audit counts every botocore operation, including ones the catalog lacks.
"""

from __future__ import annotations

import argparse
from collections import Counter


def audit(services: list[str] | None = None) -> dict:
    import botocore.session

    from iam_analyzer.iam.api_actions import actions_for, service_prefix
    from iam_analyzer.iam.api_renames import NO_IAM_SERVICES
    from iam_analyzer.iam.catalog import default_catalog

    cat = default_catalog()
    session = botocore.session.get_session()
    out = {"total": 0, "mapped": 0, "no_iam": 0, "unknown_service": [], "host_mismatch": [],
           "unmapped": {}, "bad_action": []}
    for name in services or session.get_available_services():
        model = session.get_service_model(name)
        md = model.metadata
        ep = md.get("endpointPrefix") or name
        sn = md.get("signingName") or ep
        prefix = next((p for p in (service_prefix(sn), service_prefix(ep), service_prefix(name)) if cat.has_service(p)), None)
        if name in NO_IAM_SERVICES:
            out["no_iam"] += len(model.operation_names)
            continue
        if prefix is None:
            out["unknown_service"].append(name)
            continue
        if service_prefix(ep) != prefix:
            out["host_mismatch"].append((name, ep, prefix))
        for op in model.operation_names:
            out["total"] += 1
            m = actions_for(prefix, op)
            if m.known:
                out["mapped"] += 1
                out["bad_action"] += [a for a in m.actions if cat.get(a) is None]
            else:
                out["unmapped"].setdefault(prefix, []).append(op)
    return out


def cat_version() -> str:
    from iam_analyzer.iam.catalog import default_catalog

    return default_catalog().info.version


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--list", metavar="SERVICE", help="print every unmapped operation of this IAM namespace")
    args = ap.parse_args()
    r = audit()
    pct = 100 * r["mapped"] / r["total"]
    print(f"operations: {r['total']} in services the catalog knows; mapped to catalog actions: {r['mapped']} "
          f"= {pct:.1f}% (catalog {cat_version()})")
    print(f"operations of services IAM does not authorise (counted apart): {r['no_iam']}")
    print(f"botocore services with no IAM namespace in the catalog: {len(r['unknown_service'])} "
          f"({', '.join(r['unknown_service'])})")
    print(f"endpoint prefixes (eventSource hosts) resolving to another namespace than the signing name: "
          f"{len(r['host_mismatch'])}   (target 0)")
    for name, ep, prefix in r["host_mismatch"]:
        print(f"   {name}: {ep} -> expected {prefix}")
    print(f"mapped actions missing from the catalog: {len(r['bad_action'])}   (target 0)")
    counts = Counter({k: len(v) for k, v in r["unmapped"].items()})
    print("most unmapped (mostly operations newer than the catalog):",
          ", ".join(f"{k} {n}" for k, n in counts.most_common(12)))
    if args.list:
        print("\n".join(r["unmapped"].get(args.list, [])))


if __name__ == "__main__":
    main()
