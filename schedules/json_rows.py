"""Many rows as ONE text parameter (a JSON array of arrays), read back as typed columns inside the statement.

Planning writes a page of thousands of rows at once. Bound value by value, the driver adapts every one in
Python (psycopg: about 25 us a delivery for its 19 arrays; SQLAlchemy's executemany on SQLite about as much);
json.dumps is C and the databases parse JSON in C. The same shape on both: jsonb_array_elements on
PostgreSQL, json_each on SQLite (built in since 3.38; enabled in the usual earlier builds,
Debian's and Python's own)."""

import json
from collections.abc import Sequence
from datetime import datetime

from schedules.timeutil import as_utc

# the column kinds a row may carry, and their PostgreSQL types (SQLite stores what JSON gives it: numbers,
# text, and true/false as 1/0, which is how SQLAlchemy stores booleans there)
PG_TYPES = {"int": "integer", "text": "text", "bool": "boolean", "timestamp": "timestamp"}


def rows_source(dialect: str, columns: Sequence[tuple[str, str]], *, param: str = "rows") -> str:
    """A SELECT of `columns` ((name, kind) in the rows' order) from the JSON text bound to `:param`, to use as a
    subquery. Its WHERE lets SQLite read `INSERT ... SELECT ... ON CONFLICT` as an upsert, not a join."""
    if dialect == "postgresql":
        fields = ", ".join(f"CAST(r->>{i} AS {PG_TYPES[kind]}) AS {name}" for i, (name, kind) in enumerate(columns))
        # jsonb: parsed once, each field then read in place (json re-parses a row for every ->>: 3x slower)
        return f"SELECT {fields} FROM jsonb_array_elements(CAST(:{param} AS jsonb)) AS r WHERE true"
    fields = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, (name, _) in enumerate(columns))
    return f"SELECT {fields} FROM json_each(:{param}) WHERE true"


def to_json(rows: list[list]) -> str:
    return json.dumps(rows, separators=(",", ":"))


def stamp(moment: datetime) -> str:
    """A moment as naive UTC text: exactly how SQLAlchemy stores a DateTime on SQLite (so such values compare
    with the ones it wrote, as text), and a timestamp PostgreSQL reads."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


class Stamps(dict[datetime, str]):
    """stamp() remembered: a page of deliveries has a handful of distinct due times."""

    def __missing__(self, moment: datetime) -> str:
        self[moment] = text = stamp(moment)
        return text
