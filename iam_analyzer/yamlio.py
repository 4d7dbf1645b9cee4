"""YAML read with libyaml's C parser when PyYAML has it (several times faster on the rule
pack read by every ``analyze`` and ``check``), else PyYAML's pure-Python one: both are the
safe loader, with the same types and the same errors (``yaml.YAMLError``)."""

from __future__ import annotations

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text):
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - the safe loader, in C where available
