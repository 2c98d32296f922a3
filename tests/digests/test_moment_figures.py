"""Practice-moment tables use the project's suppression: small groups hidden, and a second cell hidden so a
hidden one cannot be worked out from the total; factor tables (overlapping groups) have no such sum."""
from digests.moment_figures import moment_table
from schedules.moments import MomentCounts


def counts(people: dict[str, int]) -> MomentCounts:
    return MomentCounts(dict(people), dict(people), [(k, f"text {k} {n}") for k, p in people.items() for n in range(p)])


def test_a_small_theme_is_hidden_with_a_second_cell_so_the_total_does_not_give_it_away():
    table = moment_table("theme", counts({"a": 10, "b": 6, "c": 2}), total_moments=18, total_people=18, labels={}, min_cell=5)
    shown = {r.key: r.moments for r in table.rows}
    assert shown["c"] is None and shown["b"] is None and shown["a"] == 10 and table.total.moments == 18
    assert [e.theme_id for e in table.excerpts] == ["a", "b"]  # people-based: c (2 people) has no excerpts


def test_factor_rows_overlap_so_only_small_ones_are_hidden():
    table = moment_table("factor", counts({"a": 10, "b": 6, "c": 2}), total_moments=12, total_people=12, labels={"a": "A"}, min_cell=5,
                         keys=["a", "b", "c", "d"])
    assert [(r.label, r.moments) for r in table.rows] == [("A", 10), ("b", 6), ("c", None), ("d", 0)]
