"""The role, level, theme and guidance vocabulary, read from taxonomy.yaml (the single list)."""

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

TAXONOMY_FILE = Path(__file__).parent / "taxonomy.yaml"


@dataclass(frozen=True)
class Term:
    id: str
    label: str
    description: str


@dataclass(frozen=True)
class Guidance:
    """A piece of current guidance lessons depend on, and when lessons that rely on it must be re-checked."""

    id: str
    label: str
    publisher: str
    year: int
    url: str
    review_by: date


@dataclass(frozen=True)
class Taxonomy:
    roles: dict[str, Term]
    levels: dict[str, Term]
    themes: dict[str, Term]
    guidance: dict[str, Guidance] = field(default_factory=dict)
    factors: dict[str, Term] = field(default_factory=dict)  # contributing factors for practice moments (issue 17)

    def role_label(self, role_id: str) -> str:
        term = self.roles.get(role_id)
        return term.label if term else role_id

    def theme_label(self, theme_id: str) -> str:
        term = self.themes.get(theme_id)
        return term.label if term else theme_id

    def guidance_review_by(self, guidance_ids) -> date | None:
        """The earliest review date among these guidance ids (unknown ids are ignored)."""
        dates = [self.guidance[g].review_by for g in guidance_ids if g in self.guidance]
        return min(dates) if dates else None


def _terms(raw: dict) -> dict[str, Term]:
    return {key: Term(key, value["label"], value["description"]) for key, value in raw.items()}


def _guidance(raw: dict) -> dict[str, Guidance]:
    return {
        key: Guidance(
            key,
            str(value["label"]),
            str(value["publisher"]),
            int(value["year"]),
            str(value["url"]),
            value["review_by"] if isinstance(value["review_by"], date) else date.fromisoformat(str(value["review_by"])),
        )
        for key, value in (raw or {}).items()
    }


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Taxonomy(
        _terms(raw["roles"]),
        _terms(raw["levels"]),
        _terms(raw["themes"]),
        _guidance(raw.get("guidance")),
        _terms(raw.get("contributing_factors") or {}),
    )
