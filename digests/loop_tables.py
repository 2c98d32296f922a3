"""The closing-the-loop table (issue 13) with small numbers suppressed by digests.suppression, the same
primary and secondary rules as every other figure: a group of fewer than min_cell people shows nothing,
and no hidden count can be worked out from a total or from the outcome split."""
import csv
import io
from dataclasses import dataclass

from digests.suppression import column_totals, row_split, suppress
from schedules.loop_stats import LOOP_MEASURES, OUTCOME_MEASURES
from schedules.statistics import GroupCounts

SUPPRESSED = "suppressed"
LOOP_RATES = {  # name: (numerator parts, denominator)
    "reply_rate_without_reminder": (("replied_unprompted",), "delivered"),
    "reply_rate_with_reminder": (("replied_unprompted", "replied_after_reminder"), "delivered"),
    "reminder_reply_rate": (("replied_after_reminder",), "reminded"),
    "followup_answer_rate": (("followups_answered",), "followups_sent"),
    "tried_and_helped_rate": (("helped",), "followups_answered"),
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


def _rates(counts: dict[str, int | None]) -> dict[str, float | None]:
    rates: dict[str, float | None] = {}
    for name, (parts, bottom) in LOOP_RATES.items():
        tops, d = [counts[p] for p in parts], counts[bottom]
        rates[name] = None if d is None or d == 0 or any(t is None for t in tops) else round(sum(t or 0 for t in tops) / d, 4)
    return rates


def build_loop_table(by: str, groups: list[GroupCounts], total: GroupCounts, *, min_cell: int,
                     labels: dict[str, str] | None = None) -> LoopTable:
    values = [[g.counts[m] for m in LOOP_MEASURES] for g in groups] + [[total.counts[m] for m in LOOP_MEASURES]]
    small = {i for i, g in enumerate([*groups, total]) if g.people < min_cell}
    index = {m: i for i, m in enumerate(LOOP_MEASURES)}
    constraints = column_totals(len(groups), range(len(LOOP_MEASURES)))
    constraints += row_split(len(groups), [index[m] for m in OUTCOME_MEASURES.values()], index["followups_answered"])
    hidden = suppress(values, constraints, min_cell, small)
    rows = []
    for r, group in enumerate([*groups, total]):
        counts = {m: (None if (r, c) in hidden else values[r][c]) for c, m in enumerate(LOOP_MEASURES)}
        rows.append(LoopRow(group.key, (labels or {}).get(group.key, group.key), counts, _rates(counts)))
    return LoopTable(by, tuple(rows[:-1]), rows[-1], min_cell)


def loop_dict(table: LoopTable) -> dict:
    def row(r: LoopRow) -> dict:
        cells = {m: (SUPPRESSED if r.counts[m] is None else r.counts[m]) for m in LOOP_MEASURES}
        return {"key": r.key, "label": r.label, **cells, **{k: (SUPPRESSED if v is None else v) for k, v in r.rates.items()}}
    return {"by": table.by, "min_cell": table.min_cell, "rows": [row(r) for r in table.rows], "total": row(table.total)}


def loop_text(table: LoopTable) -> str:
    data = loop_dict(table)
    pct = lambda v: "s" if v == SUPPRESSED else f"{v * 100:.0f}"  # noqa: E731
    short = lambda v: "s" if v == SUPPRESSED else v  # noqa: E731
    lines = [f"{'':30} {'sent':>6} {'reply%':>7} {'+remind%':>8} {'commit':>7} {'f-ups':>6} {'answered':>8} {'helped%':>8} {'barriers':>8}"]
    for r in [*data["rows"], data["total"]]:
        lines.append(f"{r['label'][:30]:30} {short(r['delivered']):>6} {pct(r['reply_rate_without_reminder']):>7} "
                     f"{pct(r['reply_rate_with_reminder']):>8} {short(r['commitments']):>7} {short(r['followups_sent']):>6} "
                     f"{short(r['followups_answered']):>8} {pct(r['tried_and_helped_rate']):>8} {short(r['barriers']):>8}")
    lines.append(f"reply% = replied without a reminder; +remind% = with the one reminder; s = suppressed (fewer than {table.min_cell} people)")
    return "\n".join(lines)


def loop_csv(table: LoopTable) -> str:
    data = loop_dict(table)
    rows = [*data["rows"], data["total"]]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
