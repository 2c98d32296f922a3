"""Reading what a person typed into a page form, as the browser counted it, without losing any of it.

A browser's `maxlength` counts a line break as one character but sends it as CRLF (two), so text the
browser allowed could fail a server-side limit. Line breaks are normalised to LF before counting, and
every problem is reported as a FormProblem so the page is shown again with the person's text in it."""

import re
from urllib.parse import parse_qsl

from starlette.requests import Request

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


async def posted_form(request: Request) -> dict[str, str]:
    """The fields of a POSTed page form (the last value of a repeated name, as a form dependency takes it). A
    browser sends a plain form urlencoded: that is parsed here, from the body the size limit already let
    through; anything else (multipart) goes through Starlette's parser. Bytes that are not UTF-8 become
    U+FFFD rather than an error, so the person's text still comes back to them."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True, errors="replace"))
    form = await request.form()
    return {name: value for name, value in form.multi_items() if isinstance(value, str)}
