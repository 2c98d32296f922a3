"""What people said got in the way: reflections grouped by theme, shown only as counts and short excerpts
with any personal detail that slipped past redaction removed. A theme with fewer than k of them shows none."""
import csv
import hashlib
import io
import re
from dataclasses import dataclass

from schedules.rollup import BARRIER_WORDS

_PATTERNS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I), "[postcode]"),
    (re.compile(r"(\+?\d[\d\s-]{7,}\d)"), "[number]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr|Mx)\.?\s+[A-Z][\w'-]+"), "[name]"),
)
# A capitalised word inside a sentence is most often a name; these are the ordinary exceptions.
_ALLOWED = {"I", "I'm", "I've", "I'd", "GP", "GPs", "A&E", "MASH", "CP", "CIN", "LADO", "DSL", "NHS", "Monday", "Tuesday",
            "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "English", "Teams", "Slack"}
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
    count: int
    excerpts: tuple[str, ...]


def group_barriers(counts: dict[str, int], samples: list[tuple[str, str]], *, labels: dict[str, str], min_cell: int,
                   per_theme: int = 3) -> list[BarrierTheme]:
    """Themes by number of barriers (most first), only those with at least `min_cell`. Excerpts come from
    recent samples and are ordered by a hash of their text, never by date or author."""
    by_theme: dict[str, set[str]] = {}
    for theme, text in samples:
        by_theme.setdefault(theme, set()).add(excerpt(text))
    out = []
    for theme, count in counts.items():
        if count < min_cell:
            continue
        distinct = sorted(by_theme.get(theme, ()), key=lambda t: hashlib.sha1(t.encode()).hexdigest())
        out.append(BarrierTheme(theme, labels.get(theme, theme), count, tuple(distinct[:per_theme])))
    return sorted(out, key=lambda b: (-b.count, b.theme_id))


def barriers_csv(themes: list[BarrierTheme]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("theme", "label", "count", "excerpt_1", "excerpt_2", "excerpt_3"))
    for b in themes:
        writer.writerow((b.theme_id, b.label, b.count, *b.excerpts, *[""] * (3 - len(b.excerpts))))
    return out.getvalue()
