"""A set of ids bound as ONE parameter, however many there are: an array on PostgreSQL, a JSON list on SQLite.

`column.in_(ids)` binds one parameter an id: PostgreSQL refuses a statement of more than 65,535, every page of
ids is a new statement text for the driver to parse, and a page of 2,000 costs more to build than to run."""

import json
from collections.abc import Collection

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, func, select
from sqlmodel import Session


def in_ids(session: Session, column, ids: Collection[int]) -> ColumnElement[bool]:
    """`column IN ids` with the ids in one parameter (an index on `column` is used on both databases)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer), unique=True))
    listed = func.json_each(bindparam(None, json.dumps(list(ids)), unique=True)).table_valued("value")
    return column.in_(select(listed.c.value))
