"""The JSON Schemas shipped in ``iam_analyzer/schemas/``, read by name.

Apart from ``schema.py`` (which writes them from the model's dataclasses) so that reading a
schema at the door (``inputs.py``) does not import the model that itself reads through the door.
"""

from __future__ import annotations

import json
from importlib import resources


def load(name: str) -> dict:
    return json.loads(resources.files("iam_analyzer").joinpath("schemas", f"{name}.schema.json").read_text())
