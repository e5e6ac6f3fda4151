"""Every CSV the service writes: RFC 4180 quoting and spreadsheet formula escaping.

Used by the statistics downloads (``/api/stats/tables/{name}.csv``,
``/api/stats/export/contacts.csv``, ``chatserver stats export``) and the audit
review CSV (``/api/audit/events?format=csv``, ``/api/audit/sample?format=csv``).

Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts
with ``=``, ``+``, ``-`` or ``@`` as a formula, and tab or carriage return can
hide such a start. Text cells starting with one of these get a leading ``'`` so
the program shows them as text; staff display names, usernames typed at a
failed sign-in, unit and queue names all reach these files. Numbers the service
computed itself (``int``, ``float``) are written as they are: their text is
only a sign, digits, a point and an exponent, and a negative count or share
must stay a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["FORMULA_START", "cell", "to_csv"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str | int | float:
    """One CSV cell: None is empty, numbers stay numbers, text that a
    spreadsheet would run as a formula is prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (CRLF line ends, RFC 4180), every cell through :func:`cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()
