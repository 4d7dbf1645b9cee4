"""Template rendering for every report format, from the shipped ``reports/`` folder."""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2

from iam_analyzer.resources import reports_dir

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(value: object) -> str:
    """Escape text for Markdown (and the HTML a Markdown renderer lets through)."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


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
    return env


def render_template(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
