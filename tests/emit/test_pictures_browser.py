"""The pictures in a real headless Chromium: they render, name their principals, run nothing
from the data, fetch nothing, and packed details unpack when opened."""

from __future__ import annotations

import pytest

from iam_analyzer import stages
from tests.emit.account import snapshot
from tests.emit.test_reports import _driver


@pytest.mark.slow
def test_pictures_render_and_name_their_principals_in_chromium(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    snap = snapshot(evil=True, extra_functions=120)
    analysis = stages.analyze(snap, None)
    paths = stages.report(snap, None, analysis, stages.generate(snap, None), tmp_path / "out", ("html",))
    d = _driver(tmp_path)
    try:
        d.get((tmp_path / "out" / "report.html").as_uri())
        assert d.execute_script("return window.__xss === undefined")
        overview = d.find_element(By.CSS_SELECTOR, "#overview svg.overview")
        assert overview.size["width"] > 600 and overview.size["height"] > 100  # drawn, not collapsed
        title = d.execute_script("return document.querySelector('#overview svg title').textContent")
        assert title.startswith("Account overview: 124 functions, 3 roles, 1 administrator role(s), 1 public function(s)")
        texts = d.execute_script("return Array.from(document.querySelectorAll('#overview svg text')).map(t => t.textContent)")
        for name in ("admin-role", "shared-role", "public-status", "administrator", "URL auth NONE, policy: *"):
            assert any(name in t for t in texts), name
        assert "extra-0000, extra-0001, extra-0002 +119 more" in texts  # a shared role, its functions counted
        paths_drawn = d.find_elements(By.CSS_SELECTOR, "#escalations svg.escalation")
        assert paths_drawn and all(p.size["width"] > 300 for p in paths_drawn)
        esc = d.execute_script("""return Array.from(document.querySelectorAll('#escalations svg.escalation')).map(s => ({
            title: s.querySelector('title').textContent,
            texts: Array.from(s.querySelectorAll('text')).map(t => t.textContent),
            start: s.querySelector('g.node.start title').textContent}))""")
        admin = [e for e in esc if "administrator" in e["title"]]
        assert admin and admin[0]["title"].startswith("Escalation path: ")
        assert "admin-role" in admin[0]["texts"] and "UpdateFunctionCode" in admin[0]["texts"]
        assert "<script>window.__xss=1</script>" in admin[0]["start"]  # the principal's name, shown as text
        # nothing fetched: no resource of any kind was requested by the page
        assert d.execute_script("return performance.getEntriesByType('resource').length") == 0
        # a function whose details were packed unpacks when opened, with its pictures
        d.execute_script("var e = document.querySelector('details[data-lazy]'); e.scrollIntoView(); e.querySelector('summary').click();")
        WebDriverWait(d, 10).until(lambda drv: drv.execute_script(
            "var s = document.querySelector('details[data-lazy] [data-lazy-slot]'); return s && s.querySelector('svg.reach') !== null"))
        assert d.execute_script("return document.querySelector('details[data-lazy] svg.reach title, details[data-lazy] svg.reach')"
                                ".getAttribute('aria-label')").startswith("what the role of extra-")
        assert d.execute_script("return performance.getEntriesByType('resource').length") == 0
        assert d.execute_script("return window.__xss === undefined")
        assert [e for e in d.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        d.quit()
    assert paths["html"].endswith("report.html")
