"""Practice-moment figures for leads: counts by factor, theme or month, added up from safe team-month
pieces under the same disclosure control as every other figure (digests.disclosure), and excerpts only under the barriers rule
(digests.barriers.group_barriers: a group written by fewer than k people shows none)."""

from dataclasses import dataclass

from digests.barriers import BarrierTheme, group_barriers
from digests.disclosure import OTHER, publish_counts
from digests.statistics import SUPPRESSED
from schedules.statistics import GroupCounts

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
    groups: list[GroupCounts],
    total: GroupCounts,
    samples: list[tuple[str, str, str]],
    *,
    labels: dict[str, str],
    min_cell: int,
) -> MomentTable:
    """`groups` and `total` are sums of safe team-month pieces (digests.disclosure): every row has
    `min_cell` writers or more in each piece behind it. Every count is published by the cell-key method
    (rounded to a multiple of 5 from its own key); "people" is the sum of the pieces' writers (a writer
    counts once per team, month and row), so it adds up like every other figure."""

    def row(group: GroupCounts) -> MomentRow:
        shown = publish_counts(
            {m: group.counts.get(m, 0) for m in COLUMNS},
            {m: group.keys.get("moments", 0) for m in COLUMNS},
            people=group.people,
            min_cell=min_cell,
            cap_by=None,
        )
        return MomentRow(group.key, labels.get(group.key, group.key), shown["moments"], shown["people"])

    excerpt_counts = {g.key: (g.counts.get("moments", 0), g.keys.get("moments", 0)) for g in groups if g.key != OTHER}
    excerpts = group_barriers(excerpt_counts, [s for s in samples if s[0] in excerpt_counts], labels=labels, min_cell=min_cell)
    return MomentTable(by, tuple(row(g) for g in groups), row(total), tuple(excerpts), min_cell)
