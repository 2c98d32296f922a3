"""Closing the loop in the lead digest and the evidence export (issue 13). Pure, from suppressed tables only.

The impact CSV follows what a safeguarding partnership reports under Working Together to Safeguard
Children 2023 on learning from reviews: which learning (the lesson and the review it came from) reached
whom, what practitioners committed to change, and the impact they reported weeks later."""

from markupsafe import escape

from digests.csv_cells import csv_text

from digests.loop_tables import SUPPRESSED, LoopTable, loop_dict
from digests.nudge import EmailParts
from schedules.loop_stats import COMMITMENT_MEASURES

IMPACT_COLUMNS = (
    "lesson_id",
    "lesson",
    "source_review",
    "reached",
    "reply_rate_without_reminder",
    "reply_rate_with_reminder",
    *COMMITMENT_MEASURES,
    "tried_and_helped_rate",
    "barriers",
)


def impact_csv(table: LoopTable, sources: dict[str, str]) -> str:
    data = loop_dict(table)
    rows = []
    for row in [*data["rows"], data["total"]]:
        if row["delivered"] == SUPPRESSED:
            continue  # fewer than min_cell people: not even which lesson reached them is printed
        lesson_id = row["key"] if row is not data["total"] else "all"
        rows.append(
            (lesson_id, row["label"], sources.get(lesson_id, ""), row["delivered"], *(row[c] for c in IMPACT_COLUMNS[4:]))
        )
    return csv_text(IMPACT_COLUMNS, rows)


def _pct(value) -> str:
    return "s" if value == SUPPRESSED else ("–" if value is None else f"{value * 100:.0f}%")


def loop_lines(table: LoopTable) -> list[str]:
    t = loop_dict(table)["total"]
    return [
        f"Reply rate without a reminder: {_pct(t['reply_rate_without_reminder'])}; with the one reminder: "
        f"{_pct(t['reply_rate_with_reminder'])}",
        f"Commitments to change: {t['commitments']}; follow-ups answered: {t['followups_answered']}; "
        f"tried it and it helped: {_pct(t['tried_and_helped_rate'])}; barriers reported: {t['barriers']}",
    ]


def with_loop_section(parts: EmailParts, table: LoopTable) -> EmailParts:
    """The digest with a "closing the loop" section added at the end (s = suppressed, as everywhere)."""
    lines = loop_lines(table)
    text = parts.text.rstrip("\n") + "\n\nCLOSING THE LOOP\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    block = "<h2>Closing the loop</h2><ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"
    html = parts.html.replace("</body>", block + "</body>", 1) if "</body>" in parts.html else parts.html + block
    return EmailParts(parts.subject, text, html)
