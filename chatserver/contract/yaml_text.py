"""A small YAML writer for the generated contract documents (docs/asyncapi.yaml).

Block style for mappings and lists; a string is written plain when YAML
reads it back as the same string, else as a JSON string (a double-quoted
YAML scalar). Only what JSON holds: dict, list, str, int, float, bool, None.
Written here so that the service needs no YAML library; the tests read the
output back with PyYAML.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dump"]

_PLAIN = re.compile(r"[A-Za-z_/$][A-Za-z0-9_ ./$-]*")
# Words YAML 1.1 readers turn into booleans or null.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, dict | list) and item:
                out.append(head)
                out += _lines(item, indent + 2)
            else:
                out.append(f"{head} {_inline(item)}")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out += nested[1:]
            elif isinstance(item, list) and item:
                out.append(f"{pad}-")
                out += _lines(item, indent + 2)
            else:
                out.append(f"{pad}- {_inline(item)}")
    return out


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump(value: dict[str, Any]) -> str:
    """``value`` as a YAML document (ends with a newline)."""
    return "\n".join(_lines(value, 0)) + "\n"
