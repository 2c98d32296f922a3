"""Evidence for inspection: when a lesson went to which roles and teams, what came back (suppressed as
every statistic is), and which team meetings discussed it. One CSV a partnership can show an inspector."""
import csv
import io

from digests.statistics import SUPPRESSED, StatsTable

COLUMNS = ("record", "lesson_id", "week", "role", "team", "delivered", "replied", "changed", "already", "not_yet",
           "not_relevant", "agenda_discussed")


def _value(value):
    return SUPPRESSED if value is None else value


def evidence_csv(table: StatsTable, agenda: list[tuple[str, str, str, bool]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in (*table.rows, table.total):
        # the team name is last and may itself hold "|": split off the three fixed parts only
        lesson, week, role, team = row.key.split("|", 3) if "|" in row.key else ("all", "", "", "")
        counts = [_value(row.counts[m]) for m in ("delivered", "replied", "changed", "already", "not_yet", "not_relevant")]
        writer.writerow(("nudges" if lesson != "all" else "total", lesson, week, role, team, *counts, ""))
    for lesson, week, team, discussed in agenda:
        writer.writerow(("team agenda", lesson, week, "", team, "", "", "", "", "", "", "yes" if discussed else "no"))
    return out.getvalue()
