"""new-role coverage: handler cases and SAM apps, against the targets of issue 24.

    python benchmarks/new_role_coverage.py [-v]

Handler cases (``benchmarks/cases/handlers``): one handler per file, Python or JavaScript /
TypeScript, each listing the IAM actions its calls need in ``expect:`` comment lines (written
from the AWS documentation of each API, not from this tool's output). Each file is read
alone, as ``new-role --code FILE`` would, and its role's code actions are compared with the
list: a case is *fully covered* when every expected action is granted; *extra* actions are
code actions granted beyond the list. Targets: at least 95% fully covered, at most 0.5
extra actions per case.

SAM apps (``tests/data/apps``: three functions sharing one ``CodeUri``, in Python and in
TypeScript/JavaScript with local imports and tsconfig paths; ``tests/data/handlers``: five
functions of one template): each function as ``new-role --template T --function F``. For the
apps whose handlers are listed in ``APPS`` below, every code action must be found and nothing
of a neighbour's handler granted; for every function, the share of code grants *scoped to a
resource* (no placeholder, not ``*``; actions with no resource type are left out of the
count). Targets: every code action, at least 90% scoped.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iam_analyzer import stages  # noqa: E402
from iam_analyzer.analyze.generate.new_role import new_role  # noqa: E402
from iam_analyzer.collect.code import read_code  # noqa: E402
from iam_analyzer.collect.iac import read_paths  # noqa: E402
from iam_analyzer.iam.catalog import default_catalog  # noqa: E402
from iam_analyzer.iam.resource_params import PLACEHOLDER, Scope  # noqa: E402

CASES = ROOT / "benchmarks" / "cases" / "handlers"
ACCOUNT, REGION = "111122223333", "eu-west-1"
TARGET_COVERED, TARGET_EXTRA, TARGET_SCOPED = 0.95, 0.5, 0.90
_EXPECT = re.compile(r"^\s*(?:#|//)\s*expect:\s*(\S+)", re.M)
_OWN = {"ApiFunction": {"dynamodb:PutItem", "sns:Publish"},
        "ThumbnailFunction": {"s3:GetObject", "s3:PutObject"}, "NightlyFunction": {"dynamodb:Scan"}}
APPS = {  # template -> function -> the code actions of its own handler
    ROOT / "tests" / "data" / "apps" / "shared_py" / "template.yaml": _OWN,
    ROOT / "tests" / "data" / "apps" / "shared_ts" / "template.yaml": _OWN,
    ROOT / "tests" / "data" / "handlers" / "template.yaml": None,  # scoping only
}


def code_actions(role) -> set[str]:
    return {g.action.lower() for g in role.grants if g.origin == "code"}


def handler_cases(verbose: bool) -> tuple[int, int, int]:
    cases = covered = extra = 0
    for f in sorted(CASES.iterdir()):
        if f.suffix not in (".py", ".js", ".mjs", ".ts"):
            continue
        want = {a.lower() for a in _EXPECT.findall(f.read_text())}
        role = new_role(read_code([f]).calls, scope=Scope("aws", REGION, ACCOUNT), function_name=f.stem)
        got = code_actions(role)
        cases += 1
        missing, more = want - got, got - want
        covered += not missing
        extra += len(more)
        if verbose and (missing or more):
            print(f"  {f.name}: missing {sorted(missing)} extra {sorted(more)}")
    return cases, covered, extra


def apps(verbose: bool) -> tuple[int, int, int, int, int]:
    cat = default_catalog()
    functions = found_all = scoped = scopable = leaked = 0
    for template, expected in APPS.items():
        snapshot = read_paths([str(template)], {}, "000000000000", "zz-unset-1").snapshot
        for fn in snapshot.functions():
            name = fn.location.logical_id if fn.location else fn.name
            role, problems = stages.new_role(stages.NewRoleRequest(template=str(template), function=name))
            if role is None:
                print(f"  {template.name} {name}: {problems}")
                continue
            functions += 1
            got = code_actions(role)
            logical = name if name in (expected or {}) else None
            if expected is not None and logical is not None:
                want = {a.lower() for a in expected[logical]}
                found_all += want <= got
                leaked += len(got - want)
                if verbose and (want - got or got - want):
                    print(f"  {template.parent.name}/{logical}: missing {sorted(want - got)} extra {sorted(got - want)}")
            elif expected is None:
                found_all += 1  # no list: counted by scoping only
            for g in role.grants:
                if g.origin != "code":
                    continue
                act = cat.get(g.action)
                if act is None or not [t for t in cat.action_resource_types(act) if t is not None]:
                    continue  # no resource type: nothing to scope
                scopable += 1
                ok = g.resource != "*" and not PLACEHOLDER.search(g.resource.replace("<ACCOUNT_ID>", "").replace("<REGION>", ""))
                scoped += ok
                if verbose and not ok:
                    print(f"  {template.parent.name}/{name}: {g.action} on {g.resource} is not scoped")
    return functions, found_all, scoped, scopable, leaked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list the cases that miss or add actions")
    args = ap.parse_args()
    t0 = time.perf_counter()
    n, covered, extra = handler_cases(args.verbose)
    t1 = time.perf_counter()
    fns, found, scoped, scopable, leaked = apps(args.verbose)
    t2 = time.perf_counter()
    share = covered / n if n else 0.0
    per = extra / n if n else 0.0
    print(f"handler cases: {n}; fully covered {covered} ({share:.0%}, target >= {TARGET_COVERED:.0%}); "
          f"extra actions {extra} ({per:.2f} per case, target <= {TARGET_EXTRA}); {t1 - t0:.1f} s")
    print(f"SAM app functions: {fns}; every code action found in {found} of {fns} (target: all); "
          f"neighbours' actions granted: {leaked} (target 0); scoped to a resource {scoped} of {scopable} "
          f"({(scoped / scopable if scopable else 0):.0%}, target >= {TARGET_SCOPED:.0%}); {t2 - t1:.1f} s")


if __name__ == "__main__":
    main()
