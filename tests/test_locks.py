"""The README's two commands and CI install from the locks, and the locks cover the package.

A dependency added to setup.cfg without refreshing the locks would pass on a machine where it
is already installed and fail on a fresh one (pip's hash-checking mode refuses anything the
lock does not list); this test says so first, naming the package.
"""

from __future__ import annotations

import configparser
import re

from packaging.requirements import Requirement

from tests.paths import ROOT

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ \\]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    lines = (ROOT / "locks" / name).read_text().splitlines()
    for i, line in enumerate(lines):
        m = _PIN.match(line)
        if m:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            assert "--hash=sha256:" in nxt, f"locks/{name}: {m.group(1)} has no hash"
            pins[_norm(m.group(1))] = m.group(2)
        elif line.strip() and not line.lstrip().startswith(("#", "--hash")):
            raise AssertionError(f"locks/{name}: line {i + 1} is not a pinned requirement: {line!r}")
    return pins


def _requirements(*extras: str) -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    text = cfg["options"]["install_requires"]
    for extra in extras:
        text += "\n" + cfg["options.extras_require"][extra]
    names = set()
    for line in text.splitlines():
        if line.strip():
            req = Requirement(line.strip())
            if req.marker is None or req.marker.evaluate():  # the locks are for this Python
                names.add(_norm(req.name))
    return names


def test_the_test_lock_pins_every_requirement_of_the_package_and_its_test_extra():
    missing = _requirements("test", "sql") - set(_lock("test.txt"))
    assert not missing, f"locks/test.txt lacks {sorted(missing)}: run bash scripts/refresh_locks.sh"


def test_the_demo_lock_pins_every_requirement_of_the_package_and_its_demo_extra():
    missing = _requirements("demo") - set(_lock("demo.txt"))
    assert not missing, f"locks/demo.txt lacks {sorted(missing)}: run bash scripts/refresh_locks.sh"


def test_both_locks_agree_on_the_aws_stack_and_hold_the_build_backend():
    test, demo = _lock("test.txt"), _lock("demo.txt")
    for name in ("boto3", "botocore", "moto", "setuptools", "wheel"):
        assert test.get(name) and test.get(name) == demo.get(name), f"{name}: test {test.get(name)}, demo {demo.get(name)}"


def test_readme_and_ci_install_from_the_locks():
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("python3 -m venv")]
    assert len(commands) == 2, "the README keeps exactly two set-up commands"
    demo, tests = commands
    assert "--require-hashes -r locks/demo.txt" in demo and "iam-analyzer demo" in demo
    assert "--require-hashes -r locks/test.txt" in tests and "python -m pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--require-hashes -r locks/test.txt" in ci
