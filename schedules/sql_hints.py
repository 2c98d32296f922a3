"""Hints for SQLite's query planner, which has no statistics unless ANALYZE has run. It then takes any
equality on an indexed column for a narrow search (about ten rows), so `delivery.kind = 'nudge'` wins over a
window of days, and the minute tick walked every nudge ever sent. `unindexed(column)` keeps a column's index
out of the choice (SQLite's unary +); PostgreSQL plans from statistics it keeps: there it is the bare column."""

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class unindexed(FunctionElement):  # lower case: it reads as a column in a query
    """`column`, compared without its index on SQLite."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any] | Mapped[Any]) -> None:
        super().__init__(column)
        (inner,) = self.clauses  # the column as an expression
        self.type = inner.type  # compared and bound as the column is


@compiles(unindexed)
def _bare(element: unindexed, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _sqlite(element: unindexed, compiler, **kw) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"
