"""Build a multipart/alternative email as bytes, fast.

The stdlib's EmailMessage costs more than SMTP itself at thousands of messages a second, so the
envelope is written directly: headers encoded only when they need it, bodies quoted-printable."""

import binascii
import re
import secrets
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate


def header_text(value: str) -> str:
    value = " ".join(value.split())  # no CR/LF: a header cannot be injected
    return value if value.isascii() else Header(value, "utf-8").encode()


def qp(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


# Everyone who gets the same lesson reads the same words, so each stencil (the text with placeholders
# where names and links go) is quoted-printable encoded once; per message only the short values are
# encoded. Each piece starts on its own encoded line, joined by soft line breaks ("=" CRLF), which a
# reader removes: the decoded text is exactly the filled-in stencil, and no encoded line grows too long.
_PLACEHOLDER = re.compile("(\x00[a-z]+\x00)")


@dataclass(frozen=True)
class _Encoded:
    pieces: tuple[bytes, ...]  # the encoded text, with b"" where each placeholder goes
    slots: tuple[tuple[int, str], ...]  # (position in pieces, placeholder)
    names: frozenset[str]  # the placeholders it has


_encoded: dict[str, _Encoded] = {}


def qp_pieces(stencil: str) -> _Encoded:
    found = _encoded.get(stencil)
    if found is None:
        if len(_encoded) > 2048:
            _encoded.clear()
        parts = [part for part in _PLACEHOLDER.split(stencil) if part]
        slots = tuple((i, part) for i, part in enumerate(parts) if _PLACEHOLDER.fullmatch(part))
        pieces = tuple(b"" if _PLACEHOLDER.fullmatch(part) else qp(part) for part in parts)
        found = _encoded[stencil] = _Encoded(pieces, slots, frozenset(name for _, name in slots))
    return found


def qp_filled(stencil: str, values: dict[str, str]) -> bytes:
    """The stencil with its placeholders filled in, quoted-printable, as `qp` of the filled text decodes."""
    encoded = qp_pieces(stencil)
    filled = {name: qp(values[name]) for name in encoded.names}  # each value once, however often it appears
    pieces = list(encoded.pieces)
    for i, name in encoded.slots:
        pieces[i] = filled[name]
    return b"=\r\n".join(pieces)


def message_date(now: float | None = None) -> str:
    """The Date header value for now (RFC 5322, GMT): one formatdate a second, not one a message."""
    second = int(time.time() if now is None else now)
    if _date[0] != second:
        _date[:] = [second, formatdate(second, localtime=False, usegmt=True)]
    return _date[1]


_date: list = [None, ""]
_BOUNDARY_DRAW = 512  # boundaries drawn from the OS at a time: one syscall, not one a message


def new_boundary() -> str:
    """A random MIME boundary. It starts "=_", which quoted-printable never writes (an "=" is followed by
    two hex digits or a line end), so no encoded body can contain it."""
    if not _boundaries:
        digits = secrets.token_hex(12 * _BOUNDARY_DRAW)
        _boundaries.extend(digits[i : i + 24] for i in range(0, len(digits), 24))
    return "=_ll_" + _boundaries.pop()


_boundaries: list[str] = []
_PART_HEAD = "--{b}\r\nContent-Type: {t}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"


def head(*, sender: str, to: str, subject: str, date: str, message_id: str, extra_headers: dict[str, str], boundary: str) -> str:
    """The message's header section, the blank line after it and the first part's head, up to where the
    text body starts. `to` and `subject` come encoded already (`to_header`, `header_text`)."""
    extra = "".join(f"{name}: {header_text(value)}\r\n" for name, value in extra_headers.items())
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: {message_id}\r\n"
        f'MIME-Version: 1.0\r\n{extra}Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        + _PART_HEAD.format(b=boundary, t="text/plain")
    )


def html_head(boundary: str) -> bytes:
    """What goes between the text body and the HTML body."""
    return ("\r\n" + _PART_HEAD.format(b=boundary, t="text/html")).encode()


def tail(boundary: str) -> bytes:
    """What follows the HTML body: the closing delimiter."""
    return f"\r\n--{boundary}--\r\n".encode()


def to_header(name: str, address: str) -> str:
    return formataddr((" ".join(name.split()), address), charset="utf-8")


def build_encoded_email(
    *,
    sender: str,
    to_name: str,
    to_addr: str,
    subject: str,
    text_qp: bytes,
    html_qp: bytes,
    message_id: str,
    extra_headers: dict[str, str],
) -> bytes:
    boundary = new_boundary()
    start = head(
        sender=sender,
        to=to_header(to_name, to_addr),
        subject=header_text(subject),
        date=message_date(),
        message_id=message_id,
        extra_headers=extra_headers,
        boundary=boundary,
    )
    return b"".join((start.encode("utf-8"), text_qp, html_head(boundary), html_qp, tail(boundary)))


def smtp_data(message: bytes) -> bytes:
    """A CRLF message as the DATA phase carries it (RFC 5321 4.5.2): a leading dot doubled on every line,
    then the terminating dot line. Done once per message, with C-speed replaces instead of a regex."""
    stuffed = message.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"
