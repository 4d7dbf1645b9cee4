"""Where the shipped data folders are: ``rules/`` and ``reports/``.

Installed, they are the packages ``iam_analyzer.rules`` and ``iam_analyzer.reports`` (the
setup.cfg maps the top-level folders onto them). Run from a source checkout without an
install, they are found beside the package.
"""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path


def _package_dir(package: str, folder: str) -> Path:
    try:
        path = Path(str(importlib_resources.files(package)))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / folder


def rules_dir() -> Path:
    return _package_dir("iam_analyzer.rules", "rules")


def reports_dir() -> Path:
    return _package_dir("iam_analyzer.reports", "reports")
