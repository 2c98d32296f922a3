"""Evidence for inspection: how many nudges on a lesson (or a theme's lessons) reached people in each
agency and calendar quarter, what came back (rounded and thresholded as every statistic is), and which
team meetings discussed it. A group too small to show is left out altogether, label and all."""

from digests.csv_cells import csv_text
from digests.statistics import StatsTable

COLUMNS = (
    "record",
    "subject",
    "quarter",
    "agency",
    "team",
    "delivered",
    "replied",
    "changed",
    "already",
    "not_yet",
    "not_relevant",
    "agenda_discussed",
)
SHOWN = ("delivered", "replied", "changed", "already", "not_yet", "not_relevant")


def evidence_csv(table: StatsTable, agenda: list[tuple[str, str, str, bool]], *, subject: str) -> str:
    """`table` rows are keyed "quarter|agency"; `agenda` is (lesson, quarter, team, discussed)."""
    rows: list[tuple[object, ...]] = []
    for row in table.rows:
        if row.counts["delivered"] is None:
            continue  # fewer than min_cell people: not even the label is printed
        quarter, agency = row.key.split("|", 1)
        rows.append(("nudges", subject, quarter, agency, "", *(row.counts[m] for m in SHOWN), ""))
    if table.total.counts["delivered"] is not None:
        rows.append(("total", subject, "", "", "", *(table.total.counts[m] for m in SHOWN), ""))
    for lesson, quarter, team, discussed in agenda:
        rows.append(("team agenda", lesson, quarter, "", team, "", "", "", "", "", "", "yes" if discussed else "no"))
    note = f"groups of fewer than {table.min_cell} people are left out; figures are rounded to a multiple of 5"
    rows.append(("note", note, "", "", "", "", "", "", "", "", "", ""))
    return csv_text(COLUMNS, rows)
