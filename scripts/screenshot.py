"""Regenerate the README's screenshot: run the demo, open its report.html in headless
Chromium, and save the top of the page (the overview and the escalation paths).

    python scripts/screenshot.py [--out docs/images/report.png] [--width 1400] [--height 1100]

Needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and
the test extra (selenium). Nothing is fetched: the report is one self-contained file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shoot(page: Path, out: Path, width: int, height: int, profile: Path) -> None:
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not browser or not driver_bin:
        sys.exit("screenshot: chromium and chromedriver are needed (apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(driver_bin), options=opts)
    try:
        d.get(page.as_uri())
        out.parent.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(out))
    finally:
        d.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "images" / "report.png"))
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1100)
    ap.add_argument("--report", help="Use this report.html instead of running the demo.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="iam-analyzer-shot-") as tmp:
        if args.report:
            page = Path(args.report).resolve()
        else:
            from iam_analyzer.demo import run_demo

            result = run_demo(Path(tmp) / "demo", say=lambda m: print(f"demo: {m}", file=sys.stderr))
            page = Path(result["paths"]["html"])
        shoot(page, Path(args.out), args.width, args.height, Path(tmp) / "chrome")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
