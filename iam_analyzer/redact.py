"""Secrets never reach a log line: a logging filter for every handler the tool installs.

``-vv`` adds botocore's debug log, which holds whole API responses: ``ListFunctions`` and
``GetFunction`` carry each function's environment variable values. The rule is the same as
everywhere else: a value leaves the process only when it names an AWS resource (an ARN).
The filter rewrites the formatted message of every record, keeping variable names and
ARNs and replacing every other value of an ``Environment.Variables`` map (JSON, Python repr
or XML), and of fields that are secret by name (SecretString, SecretBinary, Password, ...).
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_VARIABLES = re.compile(r"""(?:"|'|\\")Variables(?:"|'|\\")\s*:\s*\{""")
_SECRET_FIELDS = re.compile(
    r"""(?P<head>(?P<q>\\?["'])(?:SecretString|SecretBinary|Password|SessionToken|SecretAccessKey|PrivateKey)(?P=q)\s*:\s*)"""
    r"""(?P<vq>\\?["'])(?P<v>(?:\\.|(?!(?P=vq)).)*?)(?P=vq)""", re.S)
_XML_VARIABLES = re.compile(r"(<Variables>)(.*?)(</Variables>)", re.S)
_XML_VALUE = re.compile(r"(<value>)(.*?)(</value>)", re.S)


def _keep(value: str) -> bool:
    return value.startswith("arn:aws") and " " not in value


def _read_string(text: str, i: int) -> tuple[int, str] | None:
    """At a quote (", ' or an escaped \\"), the end index and the string's content."""
    if text.startswith('\\"', i):
        q, j = '\\"', i + 2
    elif text[i] in "\"'":
        q, j = text[i], i + 1
    else:
        return None
    k = j
    while k < len(text):
        if text.startswith(q, k) and (len(q) == 2 or text[k - 1] != "\\" or text[k - 2:k] == "\\\\"):
            return k + len(q), text[j:k]
        if len(q) == 1 and text[k] == "\\":
            k += 2
            continue
        k += 1
    return len(text), text[j:]


def _mask_variables(text: str) -> str:
    """Every value inside each Variables map, whatever characters it holds, is masked."""
    out, pos = [], 0
    for m in _VARIABLES.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos:m.end()])
        i, depth, is_value = m.end(), 1, False
        while i < len(text) and depth:
            c = text[i]
            got = _read_string(text, i)
            if got is not None:
                end, content = got
                if is_value and not _keep(content):
                    quote = text[i:i + 2] if text.startswith('\\"', i) else c
                    out.append(quote + MASK + quote)
                else:
                    out.append(text[i:end])
                i = end
                continue
            if c == ":":
                is_value = True
            elif c == ",":
                is_value = False
            elif c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
            elif is_value and not c.isspace():  # an unquoted value (number, true...): masked too
                j = i
                while j < len(text) and text[j] not in ",}] \n":
                    j += 1
                out.append(MASK)
                i = j
                continue
            out.append(c)
            i += 1
        pos = i
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with secret values replaced by ***."""
    if "Variables" in text:
        text = _mask_variables(text)
        text = _XML_VARIABLES.sub(lambda m: m.group(1) + _XML_VALUE.sub(
            lambda v: v.group(1) + (v.group(2) if _keep(v.group(2)) else MASK) + v.group(3), m.group(2)) + m.group(3), text)
    if "Secret" in text or "Password" in text or "Token" in text or "PrivateKey" in text:
        text = _SECRET_FIELDS.sub(lambda m: m.group("head") + m.group("vq") + MASK + m.group("vq"), text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through ``redact`` (the record is formatted first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is dropped, not leaked
            return False
        clean = redact(message)
        if clean is not message:
            record.msg, record.args = clean, None
        return True


def install(handler: logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())
