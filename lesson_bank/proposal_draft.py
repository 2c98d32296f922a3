"""A draft local lesson (format v2) from an accepted proposal (issue 17): the usual ready-to-fill template
(lesson_bank.template), with the proposer's words as the starting vignette and practice point, their roles
filled in and, if they asked to be credited, their name in a comment for the lead. It stays `status: draft`
(never sent) until the lead completes it and publishes it; `publish_after` works as for any local lesson."""

from datetime import date

from lesson_bank.template import new_lesson_text

_ROLES = "roles: []                     # role ids from lesson_bank/taxonomy.yaml"
_VIGNETTE = "A short, anonymised vignette: no names, places or dates that could identify anyone.\n"
_WHAT_TO_DO = "One practice point.\n"


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())


def _one_line(text: str) -> str:
    return " ".join(text.replace("#", "").split())


def draft_id(theme: str, proposal_id: int) -> str:
    return f"{theme}-proposal-{proposal_id}"


def proposal_lesson_text(
    *, proposal_id: int, theme: str, roles: tuple[str, ...], what_happened: str, learned: str, credit: str | None, today: date
) -> str:
    text = new_lesson_text(draft_id(theme, proposal_id), theme, today)
    proposer = (
        f"proposed by {_one_line(credit)}, who asked to be credited" if credit else "proposed anonymously by a practitioner"
    )
    text = text.replace(
        _ROLES,
        f"roles: [{', '.join(roles)}]   # from the proposal; add or remove role ids\n"
        f"# Practice proposal {proposal_id}, {proposer}.",
    )
    # The proposer's own words (already redacted) replace the template's prompts; the lead edits them.
    text = text.replace(_VIGNETTE, _one_paragraph(what_happened) + "\n")
    return text.replace(_WHAT_TO_DO, _one_paragraph(learned) + "\n")
