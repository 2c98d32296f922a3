"""Statistics tables for safeguarding leads, with disclosure control applied once, here (digests/disclosure.py),
so every view (table, CSV, JSON, chart, digest) shows exactly the same cells."""

from dataclasses import dataclass

from digests.csv_cells import csv_text
from digests.disclosure import publish_counts
from schedules.statistics import MEASURES, GroupCounts

PRACTICE_PARTS = ("changed", "already", "not_yet", "not_relevant")
RATES = {  # name: (numerator, denominator)
    "reply_rate": ("replied", "delivered"),
    "check_accuracy": ("correct", "checked"),
    "changed_share": ("changed", "answered"),
    "already_share": ("already", "answered"),
    "not_yet_share": ("not_yet", "answered"),
    "not_relevant_share": ("not_relevant", "answered"),
}
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class StatsRow:
    key: str
    label: str
    counts: dict[str, int | None]  # None: suppressed
    rates: dict[str, float | None]
    discussed: int | None = None


@dataclass(frozen=True)
class StatsTable:
    by: str
    rows: tuple[StatsRow, ...]
    total: StatsRow
    min_cell: int


def _rates(counts: dict[str, int | None]) -> dict[str, float | None]:
    rates = {}
    for name, (top, bottom) in RATES.items():
        n, d = counts[top], counts[bottom]
        rates[name] = None if n is None or d is None or d == 0 else round(n / d, 4)
    return rates


def build_table(
    by: str,
    groups: list[GroupCounts],
    total: GroupCounts,
    *,
    min_cell: int,
    labels: dict[str, str] | None = None,
    discussed: dict[str, int] | None = None,
) -> StatsTable:
    """Each group and the total, rounded from their own cell keys; groups of fewer than `min_cell` people hidden.
    The total is a cell of its own (not the sum of rounded rows), so hidden rows stay hidden."""
    rows = []
    for group in [*groups, total]:
        counts = publish_counts({m: group.counts[m] for m in MEASURES}, group.keys, people=group.people, min_cell=min_cell)
        label = (labels or {}).get(group.key, group.key)
        rows.append(
            StatsRow(
                group.key, label, counts, _rates(counts), (discussed or {}).get(group.key, 0) if discussed is not None else None
            )
        )
    return StatsTable(by, tuple(rows[:-1]), rows[-1], min_cell)


def fatigue(table: StatsTable, span: int = 4) -> float | None:
    """Reply rate in the last `span` weeks minus the first `span` weeks (percentage points); negative is drop-off."""
    rates = [row.rates["reply_rate"] for row in sorted(table.rows, key=lambda r: r.key) if row.rates["reply_rate"] is not None]
    if len(rates) < 2 * span:
        return None
    early, late = rates[:span], rates[-span:]
    return round((sum(late) / span - sum(early) / span) * 100, 1)


def _cell(value):
    return SUPPRESSED if value is None else value


def as_dict(table: StatsTable) -> dict:
    def row(r: StatsRow) -> dict:
        out = {
            "key": r.key,
            "label": r.label,
            **{m: _cell(r.counts[m]) for m in MEASURES},
            **{k: _cell(v) for k, v in r.rates.items()},
        }
        return out | ({"agenda_discussed": r.discussed} if r.discussed is not None else {})

    return {
        "by": table.by,
        "min_cell": table.min_cell,
        "rows": [row(r) for r in table.rows],
        "total": row(table.total),
        "fatigue_points": fatigue(table) if table.by == "week" else None,
    }


def as_csv(table: StatsTable) -> str:
    data = as_dict(table)
    rows = [*data["rows"], data["total"]]
    header = list(rows[0].keys())
    return csv_text(header, ([row.get(name, "") for name in header] for row in rows))
