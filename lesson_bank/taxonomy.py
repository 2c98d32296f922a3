"""The role, level and theme vocabulary, read from taxonomy.yaml (the single list)."""
from dataclasses import dataclass, field
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
class Taxonomy:
    roles: dict[str, Term]
    levels: dict[str, Term]
    themes: dict[str, Term]
    factors: dict[str, Term] = field(default_factory=dict)  # contributing factors for practice moments (issue 17)

    def role_label(self, role_id: str) -> str:
        term = self.roles.get(role_id)
        return term.label if term else role_id

    def theme_label(self, theme_id: str) -> str:
        term = self.themes.get(theme_id)
        return term.label if term else theme_id


def _terms(raw: dict) -> dict[str, Term]:
    return {key: Term(key, value["label"], value["description"]) for key, value in raw.items()}


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Taxonomy(_terms(raw["roles"]), _terms(raw["levels"]), _terms(raw["themes"]),
                    _terms(raw.get("contributing_factors") or {}))
