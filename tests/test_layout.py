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
    big = {m: n for m in _modules() if (n := len((PKG / m).read_text(encoding="utf-8").splitlines())) > 500}
    assert big == {}, "split these modules: a module stays under 500 lines (docs/ARCHITECTURE.md)"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (absolute and relative, at the top, inside
    functions and under TYPE_CHECKING alike: a circle through any of them is a circle)."""
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        out = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in files:
                        out.add(sub)
                    elif target in files:
                        out.add(target)
        out.discard(mod)
        graph[mod] = out
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on, stack, out = set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    group.append(x)
                    if x == node:
                        break
                if len(group) > 1:
                    out.append(sorted(group))
    return out


def test_the_import_graph_has_no_circle():
    circles = _circles(_import_graph())
    assert circles == [], "untie these (move the shared piece down into its own module): " + "; ".join(
        " <-> ".join(c) for c in circles)


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
