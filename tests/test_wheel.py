"""rules/ and reports/ ship inside the wheel: install it in a fresh environment and use both."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_installed_wheel_reads_rules_and_report_templates(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = dist.glob("iam_analyzer-*.whl")
    env_dir = tmp_path / "venv"
    # A venv of its own, never the system's site-packages (which a fresh machine does not have).
    # The dependencies come from the venv running the tests, added as a plain path: .pth files
    # there (the editable install of the source tree) are not processed, so the package itself
    # can only come from the wheel.
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    own_site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    Path(own_site, "test-deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)]
                   if _pip_has_python_flag() else
                   [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--prefix", str(env_dir), str(wheel)],
                   check=True, capture_output=True)
    work = tmp_path / "elsewhere"  # not the source tree
    work.mkdir()
    policy = work / "p.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}]}))
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(py), "-c", "import iam_analyzer, iam_analyzer.resources as r; print(iam_analyzer.__file__); "
                        "print(r.rules_dir()); print(r.reports_dir())"],
        cwd=work, capture_output=True, text=True, check=True, env=clean_env,
    ).stdout.split()
    assert all(str(env_dir) in w for w in where), where
    out = subprocess.run([str(env_dir / "bin" / "iam-analyzer"), "lint", "--format", "markdown", str(policy)],
                         cwd=work, capture_output=True, text=True, env=clean_env)
    assert out.returncode == 1, out.stderr
    assert "## iam-analyzer lint" in out.stdout  # from reports/lint.md.j2
    assert "Action can never apply to the resources listed" in out.stdout  # from rules/lint/PL005.yaml
    # the AWS managed policy data ships in the wheel: a SAM template reads without credentials
    (work / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: a.b, Runtime: python3.12, CodeUri: ./src}\n")
    iac = subprocess.run(
        [str(py), "-c", "from iam_analyzer.collect.iac import read_paths; r = read_paths(['template.yaml']); "
                        "print(r.unknown_managed_policies, [p.name for p in r.snapshot.accounts[0].policies])"],
        cwd=work, capture_output=True, text=True, env=clean_env)
    assert iac.returncode == 0, iac.stderr
    assert iac.stdout.strip() == "[] ['AWSLambdaBasicExecutionRole']"


def _pip_has_python_flag() -> bool:
    r = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True)
    major_minor = r.stdout.split()[1].split(".")[:2]
    return tuple(int(x) for x in major_minor) >= (22, 3)
