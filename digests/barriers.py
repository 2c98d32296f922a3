"""What people said got in the way: reflections grouped by theme, over one fixed month the viewer cannot
move, shown only as a rounded count and short excerpts with any personal detail that slipped past
redaction removed. A theme shows nothing unless at least k distinct people wrote such reflections in that
month; excerpts carry no date or author, at most one per writer, in an order fixed by a hash of the text."""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from digests.csv_cells import csv_text
from digests.disclosure import publish
from schedules.rollup import BARRIER_WORDS

_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I), "[postcode]"),
    (re.compile(r"(\+?\d[\d\s-]{7,}\d)"), "[number]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr|Mx)\.?\s+[A-Z][\w'-]+"), "[name]"),
)
# A capitalised word inside a sentence is most often a name; these are the ordinary exceptions.
_ALLOWED = {
    "I",
    "I'm",
    "I've",
    "I'd",
    "GP",
    "GPs",
    "A&E",
    "MASH",
    "CP",
    "CIN",
    "LADO",
    "DSL",
    "NHS",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "English",
    "Teams",
    "Slack",
}
_WORD = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z'-]+)")


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _WORD.sub(lambda m: m.group(1) if m.group(1) in _ALLOWED else "[name]", text)


def excerpt(text: str, limit: int = 140) -> str:
    clean = " ".join(scrub(text).split())
    return clean if len(clean) <= limit else clean[: limit - 1].rsplit(" ", 1)[0] + "…"


def is_barrier(text: str, practice: str | None) -> bool:
    """The same rule the rollup counts with in SQL."""
    return practice == "not_yet" or any(word in text.lower() for word in BARRIER_WORDS)


@dataclass(frozen=True)
class BarrierTheme:
    theme_id: str
    label: str
    count: int | None  # rounded as every figure is; None where the theme has no safe pieces of its own
    excerpts: tuple[str, ...]
    period: str = ""  # the month the reflections were written in, e.g. "November 2026"


def _shuffled(texts: set[str]) -> list[str]:
    return sorted(texts, key=lambda t: hashlib.sha1(t.encode()).hexdigest())


def group_barriers(
    counts: dict[str, tuple[int, int]],
    samples: Sequence[tuple[str, int | str, str]],
    *,
    labels: dict[str, str],
    min_cell: int,
    period: str = "",
    per_theme: int = 3,
) -> list[BarrierTheme]:
    """Themes by number of barriers (most first), only those where at least `min_cell` distinct people wrote
    one (`samples` are (theme, writer, text); the writer is only counted). `counts` are per theme
    (reflections, sum of record keys), shown rounded."""
    writers: dict[str, dict[int | str, set[str]]] = {}
    for theme, writer, text in samples:
        writers.setdefault(theme, {}).setdefault(writer, set()).add(excerpt(text))
    out = []
    for theme, by_writer in writers.items():
        if len(by_writer) < min_cell:
            continue
        count, key_sum = counts.get(theme, (0, 0))
        one_each = {_shuffled(texts)[0] for texts in by_writer.values()}  # one voice never fills the list
        shown = publish(count, key_sum) if count >= min_cell else None
        out.append(BarrierTheme(theme, labels.get(theme, theme), shown, tuple(_shuffled(one_each)[:per_theme]), period))
    # Ordered by the shown count only (then the theme): the order tells nothing the figures do not.
    return sorted(out, key=lambda b: (b.count is None, -(b.count or 0), b.theme_id))


def barriers_csv(themes: list[BarrierTheme]) -> str:
    rows = (
        (b.theme_id, b.label, b.period, "" if b.count is None else b.count, *b.excerpts, *[""] * (3 - len(b.excerpts)))
        for b in themes
    )
    return csv_text(("theme", "label", "month", "count", "excerpt_1", "excerpt_2", "excerpt_3"), rows)
