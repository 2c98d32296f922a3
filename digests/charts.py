"""Charts drawn by matplotlib: SVG for pages, PNG for the digest email, one code path.

Only suppressed tables reach here: a suppressed rate is drawn as a gap and labelled, never estimated."""

import io
from dataclasses import dataclass

from matplotlib.figure import Figure

from digests.statistics import StatsTable

COLOURS = ("#1a56db", "#2e7d32", "#b26a00", "#8e24aa")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # 0..1, None when suppressed


def rate_series(table: StatsTable, rates: dict[str, str]) -> tuple[list[str], list[Series]]:
    """Labels and one series per rate (e.g. {"reply_rate": "Reply rate"}) from a suppressed table."""
    labels = [row.label for row in table.rows]
    return labels, [Series(name, tuple(row.rates[key] for row in table.rows)) for key, name in rates.items()]


def _draw(ax, labels: list[str], series: list[Series], kind: str) -> None:
    positions = range(len(labels))
    width = 0.8 / max(len(series), 1)
    for i, s in enumerate(series):
        values = [v * 100 if v is not None else float("nan") for v in s.values]
        if kind == "line":
            ax.plot(list(positions), values, marker="o", color=COLOURS[i % 4], label=s.name)
        else:
            ax.bar([p + i * width for p in positions], values, width, color=COLOURS[i % 4], label=s.name)
        for p, v in zip(positions, s.values):
            if v is None:
                ax.annotate("s", (p + (0 if kind == "line" else i * width), 1), ha="center", fontsize=7, color="#777")


def chart(title: str, labels: list[str], series: list[Series], *, kind: str = "bar", fmt: str = "svg") -> bytes:
    """A chart of percentages; 's' marks a suppressed value. fmt is svg or png."""
    # The object API, not pyplot: pyplot keeps global state that request threads would share.
    fig = Figure(figsize=(7, 3.4), dpi=100)
    ax = fig.add_subplot()
    _draw(ax, labels, series, kind)
    ax.set_title(title, fontsize=11)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%")
    ax.set_xticks(list(range(len(labels))), labels, rotation=40 if len(labels) > 5 else 0, ha="right", fontsize=7)
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()
