"""What a loaded lesson is. Plain frozen dataclasses: the rest of the system reads these."""
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Kind(StrEnum):
    LEARNING = "learning"
    WENT_WELL = "went-well"


@dataclass(frozen=True)
class KnowledgeCheck:
    question: str
    options: tuple[str, ...]
    answer: int  # 1-based, as authors write it
    explanation: str

    def is_right(self, option_number: int) -> bool:
        return option_number == self.answer


@dataclass(frozen=True)
class Source:
    seed: str | None = None
    lines: str | None = None
    title: str | None = None
    year: int | None = None
    url: str | None = None
    note: str | None = None

    def citation(self) -> str:
        if self.seed:
            label = self.note or self.seed
            return f"{label}, lines {self.lines}" if self.lines else label
        year = f" ({self.year})" if self.year else ""
        return f"{self.title}{year}"


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    themes: tuple[str, ...]
    roles: tuple[str, ...]
    reflect: str
    check: KnowledgeCheck
    try_this_week: str
    sources: tuple[Source, ...]
    body: str
    version: str
    review_by: date | None = None
    status: Status = Status.PUBLISHED
    kind: Kind = Kind.LEARNING
    plain_english: bool = False
    levels: tuple[str, ...] = ("practitioner",)
    sensitive: bool = False
    support: str | None = None
    publish_after: date | None = None
    path: Path | None = field(default=None, compare=False)
    local: bool = False

    @property
    def primary_theme(self) -> str:
        return self.themes[0]

    def is_sendable(self, today: date) -> bool:
        if self.status is not Status.PUBLISHED:
            return False
        return self.publish_after is None or self.publish_after <= today
