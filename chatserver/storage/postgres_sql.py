"""Small helpers shared by the PostgreSQL feature stores."""

from __future__ import annotations

import itertools
import re

__all__ = ["numbered"]

_QMARK = re.compile(r"\?")


def numbered(sql: str, start: int = 1) -> str:
    """Turn SQLite's ``?`` placeholders into PostgreSQL's ``$1, $2, ...``.

    Only for SQL fragments built from constants by the feature modules (where
    clauses shared by both engines): they never contain a literal ``?``.
    """
    counter = itertools.count(start)
    return _QMARK.sub(lambda _: f"${next(counter)}", sql)
