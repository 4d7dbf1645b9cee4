"""The CI gate over SAM and CloudFormation applications shaped like AWS's deployable samples
(tests/sam_apps.py: 12 apps; tests/sam_apps_public.py: 29 more in the style of serverless-patterns,
aws-sam-cli-app-templates, serverless-samples and sessions-with-aws-sam), each committed to a
fresh git repository. Targets:

- against its own HEAD an unchanged repository shows no new and no removed access (and no new
  finding), and so does the app moved into ``services/`` in a branch, checked with
  ``--base main`` from a subfolder;
- at the default ``--fail-on high`` only the apps with a real mistake in the author's own
  statement are blocked, and never by a finding about a statement the author cannot edit.

Prints one row per app and the totals beside those targets.

    python benchmarks/gate_sam_apps.py            # every app
    python benchmarks/gate_sam_apps.py --no-move  # skip the moved-in-a-branch run (faster)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import sam_apps, sam_apps_public  # noqa: E402

HANDLER = "def handler(event, context):\n    return event\n"


def corpus() -> list[tuple[str, dict[str, str], str, bool]]:
    """(name, files, template path, has a real mistake) for every app of both corpora."""
    out = [(name, {"template.yaml": text}, "template.yaml", name in sam_apps.MISTAKES)
           for name, text in sam_apps.APPS.items()]
    out += [(name, files, sam_apps_public.template_of(name), name in sam_apps_public.MISTAKES)
            for name, files in sam_apps_public.APPS.items()]
    return out


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", *args], cwd=cwd, check=True,
                   capture_output=True)


def check(cwd: Path, *args: str) -> tuple[int, dict]:
    r = subprocess.run([sys.executable, "-m", "iam_analyzer.cli", "check", *args, "--format", "json"], cwd=cwd,
                       capture_output=True, text=True)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"summary": {"new_access": -1, "removed_access": -1}, "findings": [],
                              "error": (r.stderr.strip().splitlines() or ["no output"])[-1]}


def changes(doc: dict) -> tuple[int, int, int]:
    s = doc["summary"]
    return s["new_access"], s["removed_access"], len(doc["findings"])


def main(argv: list[str]) -> int:
    move = "--no-move" not in argv
    rows, bad = [], 0
    tally: Counter = Counter()  # (severity, who wrote the statement) over every app's findings
    with tempfile.TemporaryDirectory() as tmp:
        for name, files, template, mistake in corpus():
            repo = Path(tmp) / name
            for rel, text in {**files, "src/app.py": HANDLER}.items():
                (repo / rel).parent.mkdir(parents=True, exist_ok=True)
                (repo / rel).write_text(text)
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", ".")
            git(repo, "commit", "-qm", "app")
            code_head, vs_head = check(repo, template, "--base", "HEAD", "--fail-on-new-access")
            code, alone = check(repo, template)
            moved = (0, 0, 0)
            code_moved = 0
            if move:
                git(repo, "checkout", "-q", "-b", "move")
                (repo / "services").mkdir()
                for entry in sorted(p.name for p in repo.iterdir() if p.name not in (".git", "services")):
                    git(repo, "mv", entry, f"services/{entry}")
                git(repo, "commit", "-qm", "move")
                code_moved, vs_main = check(repo / "services" / "src", f"../{template}", "--base", "main",
                                            "--fail-on-new-access")
                moved = changes(vs_main)
            blocking = [f for f in alone["findings"] if f["severity"] in ("critical", "high") and not f["baseline"]]
            not_own = [f for f in blocking if f["origin"]["kind"] != "template"]
            kinds = Counter(f["origin"]["kind"] for f in alone["findings"])
            tally.update((f["severity"], f["origin"]["kind"]) for f in alone["findings"])
            ok = (changes(vs_head) == (0, 0, 0) and code_head == 0 and moved == (0, 0, 0) and code_moved == 0
                  and (code == 1) == mistake and not not_own and "error" not in alone)
            bad += not ok
            why = ", ".join(sorted({f"{f['rule']} {f['message'].split(': ')[-1][:40]}" for f in blocking}))
            rows.append((name, changes(vs_head), moved, code, why or "-", len(alone["findings"]), dict(kinds),
                         "ok" if ok else "UNEXPECTED"))
    print(f"{'app':<22} {'vs HEAD (new/rm/find)':>22} {'moved vs main':>14} {'exit':>4}  findings  blocked by")
    for name, head, moved, code, why, n, kinds, verdict in rows:
        print(f"{name:<22} {'/'.join(map(str, head)):>22} {'/'.join(map(str, moved)):>14} {code:>4}  {n:>8}  "
              f"{why}  {verdict}")
    total = len(rows)
    mistakes = [r[0] for r in rows if r[0] in sam_apps.MISTAKES or r[0] in sam_apps_public.MISTAKES]
    quiet = sum(1 for r in rows if r[1] == (0, 0, 0))
    print(f"\napps: {total} ({len(sam_apps.APPS)} + {len(sam_apps_public.APPS)})")
    print(f"unchanged vs HEAD with no access change and no new finding: {quiet}/{total} (target {total}/{total})")
    if move:
        print(f"moved in a branch, vs main from a subfolder, no change: {sum(1 for r in rows if r[2] == (0, 0, 0))}/"
              f"{total} (target {total}/{total})")
    print(f"blocked at --fail-on high: {sum(1 for r in rows if r[3] == 1)}/{total} "
          f"(target: only the {len(mistakes)} with a real mistake: {', '.join(mistakes)})")
    print("findings by severity (who wrote the statement): " + "; ".join(
        f"{sev} {sum(n for (s, _), n in tally.items() if s == sev)} ("
        + ", ".join(f"{k} {n}" for (s, k), n in sorted(tally.items()) if s == sev) + ")"
        for sev in ("critical", "high", "medium", "low", "info") if any(s == sev for s, _ in tally)))
    print(f"apps not as expected: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
