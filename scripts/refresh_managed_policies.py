"""Rebuild iam_analyzer/iam/data/managed_policies.json.gz: the AWS managed policy documents.

The reader of templates and plans needs the documents of AWS managed policies (such as
AWSLambdaBasicExecutionRole) without credentials, so they ship as data, versioned and dated.

Source: the AWS managed policy documents that the installed ``moto`` package carries
(``moto.iam.aws_managed_policies``, refreshed by moto's maintainers from IAM). Only the data is
read; the file written records moto's version, the newest policy UpdateDate and today's date.

Run from the repository root, in a venv with the test extra installed:

    python scripts/refresh_managed_policies.py            # rewrite the data file
    python scripts/refresh_managed_policies.py --check    # exit 1 when it would change

Then run ``pytest tests/collect/iac`` and commit the data file with the date in the message.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "iam_analyzer" / "iam" / "data" / "managed_policies.json.gz"


def build() -> dict:
    import moto
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    raw = json.loads(aws_managed_policies_data)
    policies = {}
    for name, meta in sorted(raw.items()):
        path = meta.get("Path", "/")
        policies[name] = {
            "arn": f"arn:aws:iam::aws:policy{path}{name}",
            "path": path,
            "version": meta.get("DefaultVersionId", ""),
            "updated": (meta.get("UpdateDate") or meta.get("CreateDate") or "")[:10],
            "document": meta["Document"],
        }
    newest = max((p["updated"] for p in policies.values()), default="")
    return {
        "info": {
            "source": f"moto {moto.__version__} (moto.iam.aws_managed_policies)",
            "newest_policy_update": newest,
            "generated": datetime.now(timezone.utc).date().isoformat(),
            "count": len(policies),
        },
        "policies": policies,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report whether the policies changed")
    args = ap.parse_args(argv)
    data = build()
    if args.check:
        old = json.loads(gzip.decompress(OUT.read_bytes())) if OUT.exists() else {"policies": {}}
        changed = old.get("policies") != data["policies"]
        print("managed policies changed" if changed else "managed policies up to date")
        return 1 if changed else 0
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({data['info']['count']} policies, {OUT.stat().st_size} bytes, {data['info']['source']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
