"""Reading what a person typed into a page form, as the browser counted it, without losing any of it.

A browser's `maxlength` counts a line break as one character but sends it as CRLF (two), so text the
browser allowed could fail a server-side limit. Line breaks are normalised to LF before counting, and
every problem is reported as a FormProblem so the page is shown again with the person's text in it."""

import re

from schedules.typed_text import normalised_text

DIGITS = re.compile(r"[0-9]{1,3}")  # ASCII only: str.isdigit() accepts '²', which int() then rejects


class FormProblem(ValueError):
    """Something in the form cannot be saved; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def typed_text(value: str | None, *, field: str, limit: int) -> str:
    """The text to keep and show again; FormProblem when it cannot be saved as it is."""
    text = normalised_text(value)
    if value and "\x00" in value:
        raise FormProblem(
            f"The {field} contained a hidden control character (NUL), which we removed. "
            "Please check the text below and save again."
        )
    if len(text) > limit:
        raise FormProblem(
            f"The {field} is {len(text)} characters; the limit is {limit}. Please shorten the text below and save again.", 422
        )
    return text


def small_number(value: str | None, *, field: str) -> int | None:
    """A radio button's value: None when absent, FormProblem when it is not a plain whole number."""
    if value is None or value == "":
        return None
    if not DIGITS.fullmatch(value):
        raise FormProblem(f"The {field} must be one of the options shown.")
    return int(value)


def query_number(value: str | None) -> int | None:
    """A number from a link (a preselected option): anything odd is ignored, never an error page."""
    return int(value) if value and DIGITS.fullmatch(value) else None
