"""What a loaded lesson is. Plain frozen dataclasses: the rest of the system reads these."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
class Option:
    """One answer in a knowledge check, with the one line shown after answering (for every option)."""

    text: str
    why: str


@dataclass(frozen=True)
class KnowledgeCheck:
    """A question with (usually four) options. `options` are the texts a reader taps; `whys[i]` says why
    option i+1 is right or wrong."""

    question: str
    options: tuple[str, ...]
    answer: int  # 1-based, as authors write it
    whys: tuple[str, ...] = ()

    def is_right(self, option_number: int) -> bool:
        return option_number == self.answer

    @property
    def choices(self) -> tuple[Option, ...]:
        whys = self.whys + ("",) * (len(self.options) - len(self.whys))
        return tuple(Option(text, why) for text, why in zip(self.options, whys))

    @property
    def right_option(self) -> str:
        return self.options[self.answer - 1]

    @property
    def explanation(self) -> str:
        """Why the right option is right (what older channels show after an answer)."""
        return self.why(self.answer)

    def why(self, option_number: int) -> str:
        return self.whys[option_number - 1] if 1 <= option_number <= len(self.whys) else ""

    def rewritten(self, fill: Callable[[str], str]) -> "KnowledgeCheck":
        return replace(
            self, question=fill(self.question), options=tuple(map(fill, self.options)), whys=tuple(map(fill, self.whys))
        )

    @property
    def right_is_longest(self) -> bool:
        """True when the right option is strictly longer than every other: a give-away cue."""
        right = len(self.right_option)
        return all(right > len(text) for n, text in enumerate(self.options, 1) if n != self.answer)


@dataclass(frozen=True)
class Source:
    """A public source (title, publisher or author, year, url) or internal provenance (seed, lines).
    Provenance is for authors only: it is never part of what a reader sees."""

    seed: str | None = None
    lines: str | None = None
    title: str | None = None
    year: int | None = None
    url: str | None = None
    note: str | None = None
    publisher: str | None = None
    supports: str | None = None

    @property
    def is_public(self) -> bool:
        """A source a reader can open: a titled publication with an https link, not a seed reference."""
        return not self.seed and bool(self.title) and bool(self.url) and str(self.url).startswith("https://")

    def reader_citation(self, with_url: bool = True) -> str:
        """'Title, Publisher (Year)' and the link; never seed files or line numbers."""
        if self.seed or not self.title:
            return ""
        text = self.title
        if self.publisher:
            text += f", {self.publisher}"
        if self.year:
            text += f" ({self.year})"
        if with_url and self.url:
            text += f": {self.url}"
        return text


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
    review_by: date | None = None  # the effective date: explicit, or the earliest of its guidance's dates
    status: Status = Status.PUBLISHED
    kind: Kind = Kind.LEARNING
    plain_english: bool = False
    levels: tuple[str, ...] = ("practitioner",)
    sensitive: bool = False
    support: str | None = None
    publish_after: date | None = None
    path: Path | None = field(default=None, compare=False)
    local: bool = False
    review_check: KnowledgeCheck | None = None  # a second, different check asked on spaced reviews
    guidance: tuple[str, ...] = ()  # ids from the taxonomy's guidance list
    check_asked: str = "first"  # "review" when `check` is the review check (see as_asked)

    @property
    def primary_theme(self) -> str:
        return self.themes[0]

    @property
    def public_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.is_public)

    def citations(self, with_url: bool = True) -> tuple[str, ...]:
        """Reader-facing citations: public sources only, never seed provenance."""
        return tuple(s.reader_citation(with_url) for s in self.public_sources)

    def as_asked(self, is_review: bool) -> "Lesson":
        """The lesson as a person meets it: a spaced review asks the second check, so a review is
        retrieval, not recognition of the same words. Lessons stored before v2 have no second check."""
        if is_review and self.review_check is not None:
            return replace(self, check=self.review_check, check_asked="review")
        return self

    def with_text(self, fill: Callable[[str], str]) -> "Lesson":
        """Every reader-facing text passed through `fill` (e.g. local contact details for placeholders)."""
        return replace(
            self,
            title=fill(self.title),
            body=fill(self.body),
            reflect=fill(self.reflect),
            try_this_week=fill(self.try_this_week),
            support=fill(self.support) if self.support else self.support,
            check=self.check.rewritten(fill),
            review_check=self.review_check.rewritten(fill) if self.review_check else None,
        )

    def checks(self) -> tuple[KnowledgeCheck, ...]:
        return (self.check,) + ((self.review_check,) if self.review_check else ())

    def is_sendable(self, today: date) -> bool:
        if self.status is not Status.PUBLISHED:
            return False
        return self.publish_after is None or self.publish_after <= today
