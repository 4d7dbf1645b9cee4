#!/usr/bin/env bash
# Recompile the test and demo locks (every transitive package pinned, with hashes) from
# setup.cfg's extras, under the held-back versions in locks/pins.in.
#
#   bash scripts/refresh_locks.sh          # then: run the README's test command, commit locks/
#
# The locks decide what the README's two commands and .ci/run install, so an upstream release
# cannot break them; the package's own install_requires stay ranges. To see whether the newest
# releases would still pass before refreshing, run scripts/test_newest.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --upgrade pip 'pip-tools>=7.4'
compile() {  # compile OUTPUT EXTRA...
  local out="$1"; shift
  local extras=()
  for e in "$@"; do extras+=(--extra "$e"); done
  "$tmp/venv/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host --newline LF \
    --constraint locks/pins.in "${extras[@]}" -o "$out" setup.cfg locks/build.in
}
compile locks/test.txt test sql
compile locks/demo.txt demo
echo "refreshed locks/test.txt and locks/demo.txt"
# Record what the locked botocore speaks per service (tests/collect/aws/test_surface.py checks it).
python3 -m venv "$tmp/locked"
"$tmp/locked/bin/python" -m pip install -q --require-hashes -r locks/test.txt
"$tmp/locked/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
"$tmp/locked/bin/python" -c 'import sys; sys.path.insert(0, "."); from tests.collect.aws.test_surface import write_protocols; write_protocols()'
echo "recorded tests/data/aws_protocols.json"
