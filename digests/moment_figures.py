"""Practice-moment figures for leads: counts by factor, theme or period with the same small-number
suppression as every other table (digests.suppression), and excerpts only under the barriers rule
(digests.barriers.group_barriers: a group written by fewer than k people shows none)."""
from dataclasses import dataclass

from digests.barriers import BarrierTheme, group_barriers
from digests.statistics import SUPPRESSED
from digests.suppression import column_totals, suppress
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
            return {"key": r.key, "label": r.label, **{c: SUPPRESSED if getattr(r, c) is None else getattr(r, c) for c in COLUMNS}}
        return {"by": self.by, "min_cell": self.min_cell, "rows": [row(r) for r in self.rows], "total": row(self.total),
                "excerpts": [{"key": e.theme_id, "label": e.label, "excerpts": list(e.excerpts)} for e in self.excerpts]}


def moment_table(by: str, counts: MomentCounts, *, total_moments: int, total_people: int, labels: dict[str, str],
                 min_cell: int, keys: list[str] | None = None) -> MomentTable:
    """`keys` lists every group to show (so an empty factor shows 0, not nothing). Rows of a factor table do
    not add up to the total (one moment can name several factors), so only theme and period tables carry
    the column-sum constraint that secondary suppression protects."""
    keys = keys if keys is not None else sorted(counts.moments)
    values = [[counts.moments.get(k, 0), counts.people.get(k, 0)] for k in keys] + [[total_moments, total_people]]
    small = {i for i, v in enumerate(values) if 0 < v[1] < min_cell}
    constraints = [] if by == "factor" else column_totals(len(keys), range(len(COLUMNS)))
    hidden = suppress(values, constraints, min_cell, small)
    rows = [MomentRow(key, labels.get(key, key), *(None if (r, c) in hidden else values[r][c] for c in range(2)))
            for r, key in enumerate([*keys, "total"])]
    shown = {k: counts.people.get(k, 0) for k in keys}
    excerpts = group_barriers(shown, counts.samples, labels=labels, min_cell=min_cell)
    return MomentTable(by, tuple(rows[:-1]), rows[-1], tuple(excerpts), min_cell)
