"""Every Markdown output (report.md, the CI gate's PR comment, lint's Markdown) shows hostile
text as text: rendered by a CommonMark + GFM-tables renderer that passes raw HTML through (as
a PR comment does), no tag, link, image or extra table cell of the data survives."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt

from iam_analyzer.cli import main
from iam_analyzer.emit.render import md_code, md_escape
from tests.emit.test_report_command import files
from tests.test_check import CFN, write

HOSTILE = ("<script>alert(1)</script> <img src=x onerror=alert(2)> [click](http://evil.example) "
           "![pixel](http://evil.example/p.png) **bold** `code` a|b <!-- c --> &lt;b&gt; # not a heading ~~gone~~")
RENDER = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[int] = []
        self.comments = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append(0)
        if tag in ("td", "th") and self.rows:
            self.rows[-1] += 1

    def handle_comment(self, data):
        if data.strip() != "iam-analyzer-check":  # the gate's own marker, to find its comment again
            self.comments += 1


def rendered(md: str) -> Tags:
    t = Tags()
    t.feed(RENDER.render(md))
    return t


def assert_inert(md: str, allowed_links: tuple[str, ...] = ()) -> Tags:
    t = rendered(md)
    names = {n for n, _ in t.tags}
    assert not names & {"script", "img", "del", "s", "h1"}, names
    assert not [a for n, a in t.tags if n == "a" and not str(a.get("href", "")).startswith(allowed_links or ("\0",))]
    assert t.comments == 0
    html = RENDER.render(md)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # still there, as text
    return t


def test_report_md_shows_a_hostile_finding_as_text(tmp_path):
    files(tmp_path)
    doc = json.loads((tmp_path / "findings.json").read_text())
    doc["findings"][0] = dict(doc["findings"][0], rule_id="ORG<script>alert(1)</script>|x", message=HOSTILE,
                              title=HOSTILE)
    (tmp_path / "findings.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["report", "--snapshot", str(tmp_path / "snapshot.json"), "--findings",
                                    str(tmp_path / "findings.json"), "-o", str(tmp_path / "o"), "--format", "md"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "o" / "report.md").read_text()
    t = assert_inert(md)
    widths = set(t.rows)
    assert len(widths) <= 4  # every row of a table has its table's cell count: no cell split by the data
    assert "ORG&lt;script&gt;" in RENDER.render(md)


def test_the_pr_comment_shows_hostile_text_as_text(tmp_path):
    hostile_arn = "arn:aws:s3:::b/<script>alert(1)</script>|[x](http://evil.example)"
    head = write(tmp_path / "head.yaml", CFN.replace("Action: dynamodb:PutItem\n                Resource: !Sub arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/results",
                                                     f"Action: s3:PutObject\n                Resource: '{hostile_arn}'"))
    base = write(tmp_path / "base.yaml", CFN)
    r = CliRunner().invoke(main, ["check", str(head), "--base", str(base), "--format", "json"])
    doc = json.loads(r.stdout)
    assert doc["new_access"], doc
    doc["findings"] = [{"severity": "high", "rule": "R<img src=x onerror=alert(2)>", "subject": HOSTILE, "message": HOSTILE,
                        "location": {"path": "t<b>.yaml", "line": 3}}]
    doc["would_break"] = [{"function": HOSTILE, "action": "s3:Get`<script>alert(1)</script>`|x", "resource": HOSTILE,
                           "count": "<b>9</b>", "last_seen": HOSTILE, "location": {}}]
    from iam_analyzer.emit.check_report import to_markdown

    md = to_markdown(doc)
    t = assert_inert(md)
    per_table = [w for w in t.rows]
    assert set(per_table) <= {4, 5}  # new access (4 columns), findings and would-break (5 each)


def test_lint_markdown_shows_a_hostile_path_as_text(tmp_path):
    p = write(tmp_path / "<script>alert(1)</script>.json", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": HOSTILE}}}]}))
    r = CliRunner().invoke(main, ["lint", str(p), "--format", "markdown"])
    assert_inert(r.stdout)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaped_text_renders_to_itself_and_nothing_else(s):
    """Inside a table cell, any text renders as that text (spaces aside) with no element of its own."""
    md = f"| a |\n| --- |\n| x{md_escape(s)}x |\n"
    t = rendered(md)
    assert [n for n, _ in t.tags] == ["table", "thead", "tr", "th", "tbody", "tr", "td"] and t.rows == [1, 1]
    cell = re.search(r"<td>(.*)</td>", RENDER.render(md), re.S).group(1)
    import html as h

    want = re.sub(r"[\x00-\x1f\x7f]", " ", s).replace("\0", " ")
    assert h.unescape(cell).strip().replace("\ufffd", " ") == ("x" + want + "x").strip().replace("\ufffd", " ")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_a_code_span_holds_any_text(s):
    md = f"| a |\n| --- |\n| {md_code(s)} |\n"
    t = rendered(md)
    span = ["code"] if re.sub(r"[\x00-\x1f\x7f]", " ", s).strip() else []
    assert [n for n, _ in t.tags] == ["table", "thead", "tr", "th", "tbody", "tr", "td"] + span and t.rows == [1, 1]
