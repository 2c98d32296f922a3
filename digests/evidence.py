"""Evidence for inspection: how many nudges on a lesson (or a theme's lessons) reached people in each
agency and calendar quarter, what came back (rounded and thresholded as every statistic is), and which
team meetings discussed it, and what people said months later when asked whether it made a difference
(issue 17). A group too small to show is left out altogether, label and all."""

from digests.csv_cells import csv_text
from digests.loop_tables import LoopTable
from digests.statistics import StatsTable
from schedules.impact_stats import IMPACT_MEASURES

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
    *(f"impact_{m}" for m in IMPACT_MEASURES),
)
SHOWN = ("delivered", "replied", "changed", "already", "not_yet", "not_relevant")


def evidence_csv(
    table: StatsTable, agenda: list[tuple[str, str, str, bool]], *, subject: str, impact: LoopTable | None = None
) -> str:
    """`table` and `impact` rows are keyed "quarter|agency"; `agenda` is (lesson, quarter, team, discussed)."""
    rows: list[tuple[object, ...]] = []
    none = ("",) * len(IMPACT_MEASURES)
    for row in table.rows:
        if row.counts["delivered"] is None:
            continue  # fewer than min_cell people: not even the label is printed
        quarter, agency = row.key.split("|", 1)
        rows.append(("nudges", subject, quarter, agency, "", *(row.counts[m] for m in SHOWN), "", *none))
    if table.total.counts["delivered"] is not None:
        rows.append(("total", subject, "", "", "", *(table.total.counts[m] for m in SHOWN), "", *none))
    for lesson, quarter, team, discussed in agenda:
        rows.append(("team agenda", lesson, quarter, "", team, "", "", "", "", "", "", "yes" if discussed else "no", *none))
    blank = ("",) * (len(SHOWN) + 1)
    impact_rows = [(r.key, "impact", r) for r in impact.rows] + [("|", "impact total", impact.total)] if impact else []
    for key, record, impact_row in impact_rows:
        if impact_row.counts["asked"] is None:
            continue  # fewer than min_cell people: left out, label and all
        quarter, _, agency = key.partition("|")
        rows.append((record, subject, quarter, agency, "", *blank, *(impact_row.counts[m] for m in IMPACT_MEASURES)))
    note = f"groups of fewer than {table.min_cell} people are left out; figures are rounded to a multiple of 5"
    rows.append(("note", note, "", "", "", "", "", "", "", "", "", "", *none))
    return csv_text(COLUMNS, rows)
