"""The one CSV writer for every export (dashboard CSVs, `stats --csv`, `export evidence`): a cell a
spreadsheet could read as a formula is neutralised with a leading single quote (OWASP's rule for cells
starting with =, +, -, @, tab or carriage return), so a reflection such as `=HYPERLINK(...)` or a team
named `+cmd|...` is shown as text in Excel, never run."""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that starts like a formula gets a leading quote; numbers (even negative ones) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    # CRLF, as RFC 4180 says: then a carriage return inside a cell is quoted too, never a row break.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
