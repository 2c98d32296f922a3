"""A person's learning record as they read it and as professional registration asks for it (issue 13). Pure.

Each lesson becomes one entry shaped like the NMC's written reflective account for revalidation (the
activity, what you learned, how it changed or improved your practice, how it relates to the Code) and
like a Social Work England CPD record (what you did, your reflection, the impact on your practice, the
professional standards it relates to). The standards are a starting suggestion: the practitioner checks
and edits them before submitting, as both regulators expect the record to be their own words."""

from dataclasses import dataclass, field
from datetime import date

from digests.loop_messages import FOLLOWUP_CHOICES, IMPACT_CHOICES
from digests.nudge import PRACTICE_CHOICES

# Social Work England professional standards (2019), the headings a CPD entry is linked to.
SWE_STANDARDS = (
    "3. Be accountable for the quality of my practice and the decisions I make",
    "4. Maintain my continuing professional development",
)
# The NMC Code's four themes; safeguarding learning sits under "Preserve safety" (including 17: raise concerns
# immediately if you believe a person is vulnerable or at risk and needs extra support and protection).
NMC_THEMES = ("Preserve safety", "Practise effectively")
RECORD_NOTE = (
    "Private to you: your leads and your organisation see only anonymous totals, never this record. "
    "Reflections were checked for identifying details when saved; check again before you share it."
)


@dataclass(frozen=True)
class RecordEntry:
    sent_on: date
    title: str
    theme: str
    source: str
    try_this_week: str
    reflect: str
    is_review: bool = False
    check: str | None = None  # "answered correctly" | "not quite: now understood" | None
    practice: str | None = None  # the label of their answer
    reflection: str | None = None
    followed_up_on: date | None = None
    outcome: str | None = None  # the label of their follow-up answer
    barrier: str | None = None
    impact: tuple[tuple[date, int, str | None, str | None], ...] = ()  # (asked on, months, answer label, line)


@dataclass(frozen=True)
class LearningRecord:
    name: str
    role: str
    made_on: date
    entries: list[RecordEntry] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for e in self.entries if e.practice or e.check or e.reflection)

    @property
    def tried(self) -> int:
        return sum(1 for e in self.entries if e.outcome in (label("helped"), label("not_fit")))


def practice_label(value: str | None) -> str | None:
    return dict(PRACTICE_CHOICES).get(value, value) if value else None


def label(outcome: str | None) -> str | None:
    return dict(FOLLOWUP_CHOICES).get(outcome, outcome) if outcome else None


def impact_label(answer: str | None) -> str | None:
    return dict(IMPACT_CHOICES).get(answer, answer) if answer else None


def check_text(correct: bool | None) -> str | None:
    return (
        None
        if correct is None
        else (
            "answered the knowledge check correctly"
            if correct
            else "answered the knowledge check wrongly, then read the explanation"
        )
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in '.?!…”"' else f"{text}."


def reflective_account(entry: RecordEntry) -> list[tuple[str, str]]:
    """The four parts of a written reflective account, in the entry's own words where they exist."""
    activity = (
        f"On {entry.sent_on:%-d %B %Y} I read a one-minute lesson from child safeguarding practice reviews: "
        f"“{entry.title}” (theme: {entry.theme}). Source: {entry.source}."
    )
    learned = [f"The question it asked me to think about: {_sentence(entry.reflect)}"]
    if entry.check:
        learned.append(f"I {entry.check}.")
    if entry.reflection:
        learned.append(f"My reflection: {_sentence(entry.reflection)}")
    changed = [f"The lesson suggested I try: {_sentence(entry.try_this_week)}"]
    if entry.practice:
        changed.append(f"When I read it I said: {entry.practice}.")
    if entry.outcome:
        changed.append(f"On {entry.followed_up_on:%-d %B %Y} I was asked whether I had tried it: {entry.outcome}.")
    if entry.barrier:
        changed.append(f"What got in the way: {_sentence(entry.barrier)}")
    for asked_on, months, answer, line in entry.impact:
        if answer or line:
            said = f"{answer.lower()}" if answer else "no answer on the scale"
            changed.append(f"{months} months on ({asked_on:%-d %B %Y}) I was asked whether it had made a difference: {said}.")
            if line:
                changed.append(_sentence(line))
    standards = (
        f"Social Work England: {'; '.join(SWE_STANDARDS)}. "
        f"NMC Code: {', '.join(NMC_THEMES)}. (Check and edit these before you submit.)"
    )
    return [
        ("What happened: the activity", activity),
        ("What I learned", " ".join(learned)),
        ("How it changed my practice", " ".join(changed)),
        ("Which standard it relates to", standards),
    ]
