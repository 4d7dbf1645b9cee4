"""The tree shows the pipeline, and imports keep to it (docs/ARCHITECTURE.md).

A newcomer trusts the layout: `iam/` needs nothing of the project, collectors never reach into
analysis or output, only `collect/aws` talks to AWS, and nothing but the CLI imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "iam_analyzer"


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules(folder: str = "") -> dict[str, set[str]]:
    root = PKG / folder
    return {str(p.relative_to(PKG)): _imports(p) for p in sorted(root.rglob("*.py"))}


def _offending(mods: dict[str, set[str]], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{m} imports {i}" for m, imps in mods.items() for i in sorted(imps)
            if any(i == f or i.startswith(f + ".") for f in forbidden)]


def test_the_iam_core_imports_nothing_else_of_the_project():
    project = ("iam_analyzer.collect", "iam_analyzer.analyze", "iam_analyzer.emit", "iam_analyzer.cli",
               "iam_analyzer.stages", "iam_analyzer.audit", "iam_analyzer.demo")
    assert _offending(_modules("iam"), project) == []


def test_collectors_do_not_reach_into_analysis_output_or_the_cli():
    assert _offending(_modules("collect"), ("iam_analyzer.analyze", "iam_analyzer.emit", "iam_analyzer.cli",
                                            "iam_analyzer.stages", "iam_analyzer.audit")) == []


def test_only_the_cli_imports_the_cli():
    mods = {m: i for m, i in _modules().items() if not m.startswith("cli/")}
    assert _offending(mods, ("iam_analyzer.cli",)) == []


def test_only_collect_aws_talks_to_aws():
    # The CLI may name botocore's exception types to turn them into one-line messages, and the
    # demo provisions its own emulator; no analysis or output code may touch AWS. Reading
    # botocore's service models from disk (iam/sdk_names.py: operation names, offline) is not
    # talking to AWS.
    mods = {m: i for m, i in _modules().items()
            if not m.startswith(("collect/aws/", "cli/")) and m != "demo.py"}
    talking = ("boto3", "botocore.session", "botocore.client", "botocore.credentials", "botocore.config",
               "botocore.endpoint", "botocore.httpsession", "botocore.exceptions", "botocore.stub")
    assert _offending(mods, talking) == []


def test_modules_stay_small():
    big = {m: n for m in _modules() if (n := len((PKG / m).read_text(encoding="utf-8").splitlines())) > 600}
    assert big == {}, "split these modules (docs/ARCHITECTURE.md asks for about 400 lines)"
