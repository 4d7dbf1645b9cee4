"""Shared fixtures.

``moto_server`` runs moto's real HTTP server on a free loopback port once per test session;
``aws`` hands out boto3 clients pointed at it, and the server's state is reset before each
test that uses it, so tests do not see each other's resources.
"""

from __future__ import annotations

import os
import socket
import urllib.request

import pytest

REGION = "us-east-1"

# Properties are about correctness, not speed: a per-example deadline only measures how busy a
# two-core machine is. Speed is measured in benchmarks/.
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile("project", deadline=None)
_hsettings.load_profile("project")


def pytest_sessionstart(session):
    """Refuse to run where packages the project did not install can be imported.

    A venv that sees the system's site-packages (or a run outside any venv) lets a test pass
    on this machine and fail on a fresh one, where only the project's own install exists.
    """
    import site
    import sys
    import sysconfig

    if sys.prefix == sys.base_prefix and not os.environ.get("IAM_ANALYZER_ALLOW_SYSTEM_SITE"):
        pytest.exit("run the tests inside a virtual environment (see the README's test command); "
                    "set IAM_ANALYZER_ALLOW_SYSTEM_SITE=1 to override", returncode=2)
    system_sites = {p for p in site.getsitepackages([sys.base_prefix])} | {site.getusersitepackages()}
    system_sites.discard(sysconfig.get_paths()["purelib"])
    leaks = [p for p in sys.path if p in system_sites]
    if leaks and not os.environ.get("IAM_ANALYZER_ALLOW_SYSTEM_SITE"):
        pytest.exit(f"the test interpreter imports from outside its venv: {leaks}; a fresh machine would not "
                    "have those packages", returncode=2)


def pytest_collection_modifyitems(config, items):
    """Every test that uses moto's server is an ``aws`` test (scripts/test_newest.sh runs them)."""
    for item in items:
        if "moto_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.aws)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server():
    from moto.server import ThreadedMotoServer

    # boto3 must never reach real AWS from a test, whatever the machine's configuration.
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        # AWS-managed policies (AWSLambdaBasicExecutionRole, AdministratorAccess ...) exist
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    })
    os.environ.pop("AWS_PROFILE", None)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's access log
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


class AwsClients:
    def __init__(self, endpoint: str):
        self.endpoint_url = endpoint
        import boto3

        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )

    def client(self, service: str, region: str = REGION):
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint_url)

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        # with MOTO_IAM_LOAD_MANAGED_POLICIES moto reloads every AWS managed policy for each
        # account it knows (Organizations tests create member accounts): slow on a loaded machine
        urllib.request.urlopen(req, timeout=60).read()


@pytest.fixture
def aws(moto_server) -> AwsClients:
    clients = AwsClients(moto_server)
    clients.reset()
    return clients
