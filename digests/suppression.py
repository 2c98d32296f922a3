"""Small-number suppression for every view of the statistics (table, CSV, JSON, chart, digest).

Primary: a count of 1 to k-1 is hidden, and so is every count in a row describing fewer than k people.
Secondary: a table is a grid plus the sums it shows (each column's total row; the practice split's total).
If exactly one cell of such a sum were hidden it could be worked out by subtraction, so a second cell,
the smallest one shown, is hidden too; this repeats until no sum has exactly one hidden member."""
from collections.abc import Sequence

Cell = tuple[int, int]
# A constraint: cells whose values add up to another cell, written (parts, total).
Constraint = tuple[tuple[Cell, ...], Cell]


def primary(values: Sequence[Sequence[int]], k: int, small_rows: set[int] = frozenset()) -> set[Cell]:
    hidden = {(r, c) for r, row in enumerate(values) for c, v in enumerate(row) if 0 < v < k}
    return hidden | {(r, c) for r in small_rows for c in range(len(values[r]))}


def _complement(values: Sequence[Sequence[int]], members: Sequence[Cell], hidden: set[Cell]) -> Cell | None:
    shown = [cell for cell in members if cell not in hidden]
    # A zero cell hides nothing (its neighbours' sum is still known), so prefer non-zero cells.
    nonzero = [cell for cell in shown if values[cell[0]][cell[1]] > 0]
    pool = nonzero or shown
    return min(pool, key=lambda cell: (values[cell[0]][cell[1]], cell)) if pool else None


def secondary(values: Sequence[Sequence[int]], constraints: Sequence[Constraint], hidden: set[Cell]) -> set[Cell]:
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for parts, total in constraints:
            members = (*parts, total)
            if sum(cell in hidden for cell in members) == 1:
                extra = _complement(values, members, hidden)
                if extra is not None:
                    hidden.add(extra)
                    changed = True
    return hidden


def suppress(values: Sequence[Sequence[int]], constraints: Sequence[Constraint], k: int,
             small_rows: set[int] = frozenset()) -> set[Cell]:
    """The cells to hide: primary small counts, then enough others that none can be derived from a sum."""
    if k <= 1:
        return set()
    return secondary(values, constraints, primary(values, k, small_rows))


def column_totals(n_rows: int, columns: Sequence[int]) -> list[Constraint]:
    """Rows 0..n_rows-1 add up to row n_rows (the total row), column by column."""
    return [(tuple((r, c) for r in range(n_rows)), (n_rows, c)) for c in columns]


def row_split(n_rows: int, parts: Sequence[int], total: int) -> list[Constraint]:
    """In each row (the total row included), the `parts` columns add up to the `total` column."""
    return [(tuple((r, c) for c in parts), (r, total)) for r in range(n_rows + 1)]
