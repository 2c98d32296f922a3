"""The closing-the-loop table (issue 13) and the impact table (issue 17), published by the same disclosure
control as every other figure (digests/disclosure.py): a group of fewer than min_cell people shows nothing,
and every count is rounded to a multiple of 5 from its own cell key, so totals and splits cannot be
subtracted back to a person. Both are one table shape with their own measures and rates."""

from dataclasses import dataclass

from digests.csv_cells import csv_text
from digests.disclosure import publish_counts
from schedules.impact_stats import IMPACT_MEASURES
from schedules.loop_stats import LOOP_MEASURES
from schedules.statistics import GroupCounts

SUPPRESSED = "suppressed"
LOOP_RATES = {  # name: (numerator parts, denominator)
    "reply_rate_without_reminder": (("replied_unprompted",), "delivered"),
    "reply_rate_with_reminder": (("replied_unprompted", "replied_after_reminder"), "delivered"),
    "reminder_reply_rate": (("replied_after_reminder",), "reminded"),
    "followup_answer_rate": (("followups_answered",), "followups_sent"),
    "tried_and_helped_rate": (("helped",), "followups_answered"),
}
IMPACT_RATES = {  # issue 17: of the questions sent, answered; of the answers, "a lot" or "a little"
    "answer_rate": (("answered",), "asked"),
    "difference_rate": (("a_lot", "a_little"), "answered"),
}


@dataclass(frozen=True)
class LoopRow:
    key: str
    label: str
    counts: dict[str, int | None]  # None: suppressed
    rates: dict[str, float | None]


@dataclass(frozen=True)
class LoopTable:
    by: str
    rows: tuple[LoopRow, ...]
    total: LoopRow
    min_cell: int
    measures: tuple[str, ...] = LOOP_MEASURES


def _rates(counts: dict[str, int | None], formulas: dict[str, tuple[tuple[str, ...], str]]) -> dict[str, float | None]:
    rates: dict[str, float | None] = {}
    for name, (parts, bottom) in formulas.items():
        tops, d = [counts[p] for p in parts], counts[bottom]
        rates[name] = None if d is None or d == 0 or any(t is None for t in tops) else round(sum(t or 0 for t in tops) / d, 4)
    return rates


def build_loop_table(
    by: str,
    groups: list[GroupCounts],
    total: GroupCounts,
    *,
    min_cell: int,
    labels: dict[str, str] | None = None,
    measures: tuple[str, ...] = LOOP_MEASURES,
    rates: dict[str, tuple[tuple[str, ...], str]] = LOOP_RATES,
    cap_by: str = "delivered",
) -> LoopTable:
    rows = []
    for group in [*groups, total]:
        counts = publish_counts(
            {m: group.counts[m] for m in measures}, group.keys, people=group.people, min_cell=min_cell, cap_by=cap_by
        )
        rows.append(LoopRow(group.key, (labels or {}).get(group.key, group.key), counts, _rates(counts, rates)))
    return LoopTable(by, tuple(rows[:-1]), rows[-1], min_cell, measures)


def build_impact_table(
    by: str, groups: list[GroupCounts], total: GroupCounts, *, min_cell: int, labels: dict[str, str] | None = None
) -> LoopTable:
    """Impact at 3, 6 and 12 months (issue 17): questions asked, answered, the five-point split, lines written."""
    return build_loop_table(
        by, groups, total, min_cell=min_cell, labels=labels, measures=IMPACT_MEASURES, rates=IMPACT_RATES, cap_by="asked"
    )


def loop_dict(table: LoopTable) -> dict:
    def row(r: LoopRow) -> dict:
        cells = {m: (SUPPRESSED if r.counts[m] is None else r.counts[m]) for m in table.measures}
        return {"key": r.key, "label": r.label, **cells, **{k: (SUPPRESSED if v is None else v) for k, v in r.rates.items()}}

    return {"by": table.by, "min_cell": table.min_cell, "rows": [row(r) for r in table.rows], "total": row(table.total)}


def loop_text(table: LoopTable) -> str:
    data = loop_dict(table)
    pct = lambda v: "s" if v == SUPPRESSED else f"{v * 100:.0f}"  # noqa: E731
    short = lambda v: "s" if v == SUPPRESSED else v  # noqa: E731
    lines = [
        f"{'':30} {'sent':>6} {'reply%':>7} {'+remind%':>8} {'commit':>7} {'f-ups':>6} {'answered':>8} {'helped%':>8} {'barriers':>8}"
    ]
    for r in [*data["rows"], data["total"]]:
        lines.append(
            f"{r['label'][:30]:30} {short(r['delivered']):>6} {pct(r['reply_rate_without_reminder']):>7} "
            f"{pct(r['reply_rate_with_reminder']):>8} {short(r['commitments']):>7} {short(r['followups_sent']):>6} "
            f"{short(r['followups_answered']):>8} {pct(r['tried_and_helped_rate']):>8} {short(r['barriers']):>8}"
        )
    lines.append(
        f"reply% = replied without a reminder; +remind% = with the one reminder; s = a group of fewer than "
        f"{table.min_cell} people, not shown; figures rounded to a multiple of 5"
    )
    return "\n".join(lines)


def impact_text(table: LoopTable) -> str:
    data = loop_dict(table)
    pct = lambda v: "s" if v == SUPPRESSED else f"{v * 100:.0f}"  # noqa: E731
    short = lambda v: "s" if v == SUPPRESSED else v  # noqa: E731
    head = ("asked", "answered", "a lot", "a little", "not sure", "not much", "none", "lines", "differ%")
    lines = [f"{'':30} " + " ".join(f"{h:>8}" for h in head)]
    for r in [*data["rows"], data["total"]]:
        cells = [short(r[m]) for m in IMPACT_MEASURES] + [pct(r["difference_rate"])]
        lines.append(f"{r['label'][:30]:30} " + " ".join(f"{c:>8}" for c in cells))
    lines.append(
        f"differ% = answered 'a lot' or 'a little'; s = a group of fewer than {table.min_cell} people, not shown; "
        "figures rounded to a multiple of 5"
    )
    return "\n".join(lines)


def loop_csv(table: LoopTable) -> str:
    data = loop_dict(table)
    rows = [*data["rows"], data["total"]]
    columns = list(rows[0])
    return csv_text(columns, [[row[c] for c in columns] for row in rows])
