#!/usr/bin/env bash
# Run the AWS-facing tests (pytest -m aws: moto's server and botocore's Stubber) against the
# newest boto3, botocore and moto instead of the lock, and say which service protocols moved.
#
#   bash scripts/test_newest.sh            # exit 0: the newest releases pass; refresh the lock
#   bash scripts/test_newest.sh -k athena  # extra arguments go to pytest
#
# It never touches the project's .venv or the locks: it builds its own venv in a temporary
# folder. When it passes, scripts/refresh_locks.sh (after removing pins from locks/pins.in)
# moves the lock forward.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export PYTHONNOUSERSITE=1
unset PYTHONPATH
python3 -m venv "$tmp/venv"
py="$tmp/venv/bin/python"
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q -e '.[test,sql]'
"$py" -m pip install -q --upgrade boto3 botocore 'moto[server]'
"$py" - <<'PY'
import json
from importlib import metadata
import botocore.session
from iam_analyzer.collect.aws import surface
locked = json.load(open("tests/data/aws_protocols.json"))
print(f"newest: boto3 {metadata.version('boto3')}, botocore {metadata.version('botocore')}, moto {metadata.version('moto')}")
print(f"locked: boto3 {locked['boto3']}, botocore {locked['botocore']}")
s = botocore.session.get_session()
moved = [(svc, locked["protocols"].get(svc), s.get_service_model(svc).protocol) for svc in surface.services()]
moved = [m for m in moved if m[1] != m[2]]
for svc, old, new in moved:
    print(f"protocol changed: {svc}: {old} -> {new}")
if not moved:
    print("no service the product calls changed protocol")
PY
# The recorded-protocols check compares against the lock by design; everything else must pass.
"$py" -m pytest -q -p no:cacheprovider -m aws --deselect \
  tests/collect/aws/test_surface.py::test_recorded_protocols_are_those_of_the_installed_botocore "$@"
