"""Small-number suppression: primary cells hidden, and no hidden cell can be worked out from a shown sum."""
from hypothesis import given, settings, strategies as st

from digests.suppression import column_totals, row_split, suppress

K = 5


def _table(rows: list[list[int]]) -> list[list[int]]:
    """Rows of [a, b, c] plus the part total column, then the total row."""
    full = [[*row, sum(row)] for row in rows]
    return full + [[sum(col) for col in zip(*full)]]


def _constraints(n_rows: int):
    return column_totals(n_rows, range(4)) + row_split(n_rows, [0, 1, 2], 3)


cells = st.lists(st.lists(st.integers(min_value=0, max_value=30), min_size=3, max_size=3), min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(cells)
def test_no_sum_has_exactly_one_hidden_member(rows):
    values = _table(rows)
    constraints = _constraints(len(rows))
    hidden = suppress(values, constraints, K)
    for parts, total in constraints:
        members = (*parts, total)
        assert sum(cell in hidden for cell in members) != 1, (values, hidden, members)


@settings(max_examples=200, deadline=None)
@given(cells)
def test_every_small_count_is_hidden(rows):
    values = _table(rows)
    hidden = suppress(values, _constraints(len(rows)), K)
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            if 0 < v < K:
                assert (r, c) in hidden


def test_a_single_small_cell_takes_the_smallest_neighbour_with_it():
    values = _table([[2, 10, 20], [9, 8, 30]])
    hidden = suppress(values, _constraints(2), K)
    assert (0, 0) in hidden  # primary
    assert (0, 1) in hidden  # same row: smallest shown part
    assert (1, 0) in hidden  # same column: the only other row
    assert (1, 1) in hidden  # which in turn needs a partner in its row


def test_small_groups_hide_their_whole_row():
    values = _table([[40, 40, 40], [6, 6, 6], [30, 30, 30]])
    hidden = suppress(values, _constraints(3), K, small_rows={1})
    assert all((1, c) in hidden for c in range(4))
    assert any((r, 0) in hidden for r in (0, 2))  # a second row hides column 0 so row 1 cannot be subtracted out
