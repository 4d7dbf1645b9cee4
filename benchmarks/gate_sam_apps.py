"""The CI gate over a dozen SAM applications shaped like AWS's deployable samples
(tests/sam_apps.py), each committed to a fresh git repository: against its own HEAD an
unchanged repository must show no new and no removed access, and at the default
--fail-on high only the apps with a real mistake in the author's own statements may be
blocked. Prints one row per app and the totals beside those targets.

    python benchmarks/gate_sam_apps.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sam_apps import APPS, MISTAKES  # noqa: E402


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", *args], cwd=cwd, check=True,
                   capture_output=True)


def check(cwd: Path, *args: str) -> tuple[int, dict]:
    r = subprocess.run([sys.executable, "-m", "iam_analyzer.cli", "check", *args, "--format", "json"], cwd=cwd,
                       capture_output=True, text=True)
    return r.returncode, json.loads(r.stdout)


def main() -> int:
    rows, bad = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in APPS.items():
            repo = Path(tmp) / name
            (repo / "src").mkdir(parents=True)
            (repo / "template.yaml").write_text(text)
            (repo / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
            git(repo, "init", "-q")
            git(repo, "add", ".")
            git(repo, "commit", "-qm", "app")
            code_base, vs_head = check(repo, "template.yaml", "--base", "HEAD", "--fail-on-new-access")
            code, alone = check(repo, "template.yaml")
            blocking = [f for f in alone["findings"] if f["severity"] in ("critical", "high") and not f["baseline"]]
            not_own = [f for f in blocking if f["origin"]["kind"] != "template"]
            kinds = Counter(f["origin"]["kind"] for f in alone["findings"])
            ok = (vs_head["summary"]["new_access"] == 0 and vs_head["summary"]["removed_access"] == 0 and code_base == 0
                  and (code == 1) == (name in MISTAKES) and not not_own)
            bad += not ok
            rows.append((name, vs_head["summary"]["new_access"], vs_head["summary"]["removed_access"], code_base,
                         code, ", ".join(sorted({f["rule"] for f in blocking})) or "-", len(alone["findings"]),
                         dict(kinds), "ok" if ok else "UNEXPECTED"))
    print(f"{'app':<22} {'new':>4} {'rm':>4} {'vsHEAD':>6} {'alone':>5}  blocking rules      findings  origins")
    for r in rows:
        print(f"{r[0]:<22} {r[1]:>4} {r[2]:>4} {r[3]:>6} {r[4]:>5}  {r[5]:<19} {r[6]:>8}  {r[7]}  {r[8]}")
    total = len(rows)
    print(f"\nunchanged vs HEAD with no access change: {sum(1 for r in rows if r[1] == r[2] == 0)}/{total} (target {total}/{total})")
    print(f"blocked at --fail-on high: {sum(1 for r in rows if r[4] == 1)}/{total} "
          f"(target: only the {len(MISTAKES)} with a real mistake: {', '.join(sorted(MISTAKES))})")
    print(f"apps not as expected: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
