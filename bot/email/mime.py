"""Build a multipart/alternative email as bytes, fast.

The stdlib's EmailMessage costs more than SMTP itself at thousands of messages a second, so the
envelope is written directly: headers encoded only when they need it, bodies quoted-printable."""

import binascii
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate


def _header_text(value: str) -> str:
    value = " ".join(value.split())  # no CR/LF: a header cannot be injected
    return value if value.isascii() else Header(value, "utf-8").encode()


def _qp(text: str) -> bytes:
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


def _qp_pieces(stencil: str) -> _Encoded:
    found = _encoded.get(stencil)
    if found is None:
        if len(_encoded) > 2048:
            _encoded.clear()
        parts = [part for part in _PLACEHOLDER.split(stencil) if part]
        slots = tuple((i, part) for i, part in enumerate(parts) if _PLACEHOLDER.fullmatch(part))
        pieces = tuple(b"" if _PLACEHOLDER.fullmatch(part) else _qp(part) for part in parts)
        found = _encoded[stencil] = _Encoded(pieces, slots, frozenset(name for _, name in slots))
    return found


def qp_filled(stencil: str, values: dict[str, str]) -> bytes:
    """The stencil with its placeholders filled in, quoted-printable, as `_qp` of the filled text decodes."""
    encoded = _qp_pieces(stencil)
    filled = {name: _qp(values[name]) for name in encoded.names}  # each value once, however often it appears
    pieces = list(encoded.pieces)
    for i, name in encoded.slots:
        pieces[i] = filled[name]
    return b"=\r\n".join(pieces)


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
    boundary = "=_ll_" + secrets.token_hex(12)
    headers = {
        "From": sender,
        "To": formataddr((" ".join(to_name.split()), to_addr), charset="utf-8"),
        "Subject": _header_text(subject),
        "Date": formatdate(localtime=False, usegmt=True),
        "Message-ID": message_id,
        "MIME-Version": "1.0",
        **{name: _header_text(value) for name, value in extra_headers.items()},
        "Content-Type": f'multipart/alternative; boundary="{boundary}"',
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("utf-8")
    part_head = "--{b}\r\nContent-Type: {t}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    return b"".join(
        (
            head,
            b"\r\n",
            part_head.format(b=boundary, t="text/plain").encode(),
            text_qp,
            b"\r\n",
            part_head.format(b=boundary, t="text/html").encode(),
            html_qp,
            b"\r\n",
            f"--{boundary}--\r\n".encode(),
        )
    )


def smtp_data(message: bytes) -> bytes:
    """A CRLF message as the DATA phase carries it (RFC 5321 4.5.2): a leading dot doubled on every line,
    then the terminating dot line. Done once per message, with C-speed replaces instead of a regex."""
    stuffed = message.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"
