"""Where a sign-in may send the browser back to: a path of this service only.

``return_to`` comes from the login URL, which anyone can write into a link,
so it must never name another site (an open redirect would turn our sign-in
page into a phishing relay). Browsers read ``//host``, ``/\\host`` and
``\\\\host`` as another host, and strip tabs and newlines before parsing, so
anything but a plain absolute path is refused rather than repaired.
"""

from __future__ import annotations

import re

__all__ = ["MAX_RETURN_TO", "safe_return_to"]

# A path of this service is short; a longer one is a crafted link.
MAX_RETURN_TO = 512

# An absolute path of printable ASCII without backslashes; no scheme-relative start.
_PATH = re.compile(r"/(?![/\\])[!#-\[\]-~]*")


def safe_return_to(value: str | None, default: str) -> str | None:
    """``value`` when it is a same-origin path, ``default`` when absent, else None."""
    if value is None or value == "":
        return default
    if len(value) > MAX_RETURN_TO or not _PATH.fullmatch(value):
        return None
    return value
