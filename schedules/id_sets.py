"""A set of ids bound as ONE parameter, however many there are: an array on PostgreSQL, a JSON list on SQLite.

`column.in_(ids)` binds one parameter an id: PostgreSQL refuses a statement of more than 65,535, every page of
ids is a new statement text for the driver to parse, and a page of 2,000 costs more to build than to run."""

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from sqlalchemy import ARRAY, ColumnElement, Integer, String, any_, bindparam, cast, func, select, text
from sqlmodel import Session


def in_ids(session: Session, column, ids: Collection[int]) -> ColumnElement[bool]:
    """`column IN ids` with the ids in one parameter (an index on `column` is used on both databases; on
    PostgreSQL inside `by_index` whatever its statistics say)."""
    if session.get_bind().dialect.name == "postgresql":
        # the array's text, cast in the server: psycopg adapts a list of ints one value at a time, in Python
        array = "{" + ",".join(map(str, ids)) + "}"
        return column == any_(cast(bindparam(None, array, type_=String, unique=True), ARRAY(Integer)))
    listed = func.json_each(bindparam(None, json.dumps(list(ids)), unique=True)).table_valued("value")
    return column.in_(select(listed.c.value))


@contextmanager
def by_index(session: Session) -> Iterator[None]:
    """Statements inside read through indexes, not whole tables (PostgreSQL; SQLite already does for in_ids).

    Without statistics on a column (a new table, or one analysed while empty: a new roster's first planning
    run writes a million deliveries into it) PostgreSQL counts each id of `column = ANY(ids)` as 0.5% of the
    rows, so a page of 2,000 ids "matches everything" and it scans the whole table, page after page: 28 s of a
    million people's planning. SET LOCAL lasts to the end of the transaction at most; the setting is put back
    on leaving."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(text("SELECT current_setting('enable_seqscan')")).scalar_one()
    session.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
    yield
    session.execute(text("SELECT set_config('enable_seqscan', :before, true)"), {"before": before})
