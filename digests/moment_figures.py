"""Practice-moment figures for leads: counts by factor, theme or period under the same disclosure control
as every other figure (digests.disclosure), and excerpts only under the barriers rule
(digests.barriers.group_barriers: a group written by fewer than k people shows none)."""

from dataclasses import dataclass

from digests.barriers import BarrierTheme, group_barriers
from digests.disclosure import publish_counts
from digests.statistics import SUPPRESSED
from schedules.moments import MomentCounts

COLUMNS = ("moments", "people")


@dataclass(frozen=True)
class MomentRow:
    key: str
    label: str
    moments: int | None  # None: suppressed
    people: int | None


@dataclass(frozen=True)
class MomentTable:
    by: str
    rows: tuple[MomentRow, ...]
    total: MomentRow
    excerpts: tuple[BarrierTheme, ...]
    min_cell: int

    def as_dict(self) -> dict:
        def row(r: MomentRow) -> dict:
            return {
                "key": r.key,
                "label": r.label,
                **{c: SUPPRESSED if getattr(r, c) is None else getattr(r, c) for c in COLUMNS},
            }

        return {
            "by": self.by,
            "min_cell": self.min_cell,
            "rows": [row(r) for r in self.rows],
            "total": row(self.total),
            "excerpts": [{"key": e.theme_id, "label": e.label, "excerpts": list(e.excerpts)} for e in self.excerpts],
        }


def moment_table(
    by: str,
    counts: MomentCounts,
    *,
    total_moments: int,
    total_people: int,
    labels: dict[str, str],
    min_cell: int,
    keys: list[str] | None = None,
    total_key_sum: int = 0,
) -> MomentTable:
    """`keys` lists every group to show (so an empty factor shows 0, not nothing). Every count is published
    by the cell-key method (rounded to a multiple of 5 from its own key); a group of fewer than `min_cell`
    people shows nothing, and the total is a cell of its own, so nothing is recovered by subtraction."""
    keys = keys if keys is not None else sorted(counts.moments)

    def row(key: str, moments: int, people: int, key_sum: int) -> MomentRow:
        if moments == 0:
            return MomentRow(key, labels.get(key, key), 0, 0)
        shown = publish_counts(
            {"moments": moments, "people": people},
            {"moments": key_sum, "people": key_sum},
            people=people,
            min_cell=min_cell,
            cap_by=None,
        )
        return MomentRow(key, labels.get(key, key), shown["moments"], shown["people"])

    rows = [row(k, counts.moments.get(k, 0), counts.people.get(k, 0), counts.key_sums.get(k, 0)) for k in keys]
    total = row("total", total_moments, total_people, total_key_sum)
    excerpt_counts = {k: (counts.moments.get(k, 0), counts.key_sums.get(k, 0)) for k in keys}
    excerpts = group_barriers(excerpt_counts, counts.samples, labels=labels, min_cell=min_cell)
    return MomentTable(by, tuple(rows), total, tuple(excerpts), min_cell)
