"""Text as the person typed it, whatever surface it came from (a page form, a Teams card, a Slack modal).

Browsers and chat clients count a line break as one character but may send it as CRLF (two), so a text
the editing surface allowed could fail a limit counted on what arrived. Every surface counts on this."""


def normalised_text(value: str | None) -> str:
    """Line breaks as the person's editor counted them (LF); NUL characters, which no database column takes, removed."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
