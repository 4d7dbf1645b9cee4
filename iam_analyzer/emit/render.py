"""Template rendering for every report format, from the shipped ``reports/`` folder."""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2

from iam_analyzer.resources import reports_dir

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def md_escape(value: object) -> str:
    """Text for Markdown, shown as written: HTML is spelled with entities (no tag, comment or
    entity of the data reaches a renderer, inside an HTML block or out), Markdown's own
    characters (emphasis, code, links, images, headings, table cells) are backslash-escaped,
    and line breaks and control characters become spaces."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub(" ", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: object) -> str:
    """A Markdown code span of the text: nothing inside a span is interpreted, except the
    backtick that would close it (replaced) and, in a table, the cell separator."""
    text = _CONTROL.sub(" ", "" if value is None else str(value)).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text.strip() else text  # a span of blanks is not a span


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(reports_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "svg.j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["mdcode"] = md_code
    return env


def render_template(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
