"""Practice-moment tables use the project's disclosure control: small groups hidden, every count rounded to
a multiple of 5 from its own cell key (so totals give nothing away), excerpts only from enough people."""

from digests.moment_figures import moment_table
from schedules.moments import MomentCounts


def counts(people: dict[str, int]) -> MomentCounts:
    samples = [(k, f"writer {k} {n}", f"text {k} {n}") for k, p in people.items() for n in range(p)]
    return MomentCounts(dict(people), dict(people), samples, {k: 37 * p for k, p in people.items()})


def test_a_small_theme_is_hidden_and_every_figure_is_rounded():
    table = moment_table(
        "theme", counts({"a": 10, "b": 6, "c": 2}), total_moments=18, total_people=18, labels={}, min_cell=5, total_key_sum=666
    )
    shown = {r.key: r.moments for r in table.rows}
    assert shown["c"] is None and shown["a"] == 10 and shown["b"] in (5, 10)
    assert table.total.moments in (15, 20)  # rounded from its own key: total minus rows recovers nothing exact
    assert [e.theme_id for e in table.excerpts] == ["a", "b"]  # people-based: c (2 people) has no excerpts


def test_factor_rows_show_zero_for_an_empty_factor_and_hide_small_ones():
    table = moment_table(
        "factor",
        counts({"a": 10, "b": 6, "c": 2}),
        total_moments=12,
        total_people=12,
        labels={"a": "A"},
        min_cell=5,
        keys=["a", "b", "c", "d"],
    )
    rows = {r.label: r.moments for r in table.rows}
    assert rows["A"] == 10 and rows["b"] in (5, 10) and rows["c"] is None and rows["d"] == 0
