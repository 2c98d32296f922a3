"""A nudge in the form SMTP's DATA phase carries it (RFC 5321 4.5.2: CRLF lines, a leading dot doubled,
ended by a dot line), put together from pieces encoded once per stencil.

Everyone who gets the same lesson this week gets the same 12 KB but for a name, a few links, the Date,
Message-ID and MIME boundary. So each stencil's bodies are kept quoted-printable, CRLF and dot-stuffed,
cut where the values go, and per message only the short values are encoded and stuffed: nothing rescans
the whole message. The bytes are exactly `smtp_data(build_encoded_email(...))` of the same message
(tests/bot/email/test_data_form.py holds them equal)."""

import re
from dataclasses import dataclass

from bot.email import mime


def _stuffed(line_start: bytes) -> bytes:
    """Dot-stuffed bytes that start at the beginning of a line."""
    stuffed = line_start.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


@dataclass(frozen=True)
class _Body:
    """A body as `qp_filled` writes it, in DATA form: chunks[0] value[0] chunks[1] ... chunks[-1]. Every
    piece `qp_filled` joins starts an encoded line, so each is stuffed on its own."""

    chunks: tuple[bytes, ...]
    names: tuple[str, ...]  # the placeholder whose encoded value goes after each chunk but the last
    used: frozenset[str]

    @classmethod
    def of(cls, stencil: str) -> "_Body":
        encoded = mime.qp_pieces(stencil)
        slots = dict(encoded.slots)
        chunks: list[bytes] = [b""]
        names: list[str] = []
        for i, piece in enumerate(encoded.pieces):
            if i:
                chunks[-1] += b"=\r\n"
            if i in slots:
                names.append(slots[i])
                chunks.append(b"")
            else:
                chunks[-1] += _stuffed(piece)
        return cls(tuple(chunks), tuple(names), frozenset(names))

    def fill(self, out: list[bytes], encoded: dict[str, bytes]) -> None:
        chunks = self.chunks
        out.append(chunks[0])
        for i, name in enumerate(self.names, 1):
            out.append(encoded[name])
            out.append(chunks[i])


class DataStencil:
    """One stencil's message (subject, text and HTML with placeholders), ready to be filled in DATA form."""

    def __init__(self, *, subject: str, text: str, html: str):
        self.subject = mime.header_text(subject)
        self._text, self._html = _Body.of(text), _Body.of(html)

    def fill(
        self,
        *,
        sender: str,
        to: str,
        message_id: str,
        extra_headers: dict[str, str],
        text_values: dict[str, str],
        html_values: dict[str, str],
    ) -> bytes:
        """The message, dot-stuffed and terminated. `to` comes encoded (`mime.to_header`)."""
        boundary = mime.new_boundary()
        start = mime.head(
            sender=sender,
            to=to,
            subject=self.subject,
            date=mime.message_date(),
            message_id=message_id,
            extra_headers=extra_headers,
            boundary=boundary,
        )
        out = [start.encode("utf-8").replace(b"\r\n.", b"\r\n..")]  # starts with "From:", never with a dot
        encoded: dict[str, bytes] = {}  # by value: most are the same in both bodies (links, the name)
        self._text.fill(out, {name: _encoded(text_values[name], encoded) for name in self._text.used})
        out.append(mime.html_head(boundary))
        self._html.fill(out, {name: _encoded(html_values[name], encoded) for name in self._html.used})
        out.append(mime.tail(boundary) + b".\r\n")
        return b"".join(out)


_PLAIN = re.compile(r"[!-<>-~]{1,70}")  # printable ASCII but "=", no space, short: quoted-printable as it is


def _encoded(value: str, done: dict[str, bytes]) -> bytes:
    """A value quoted-printable and stuffed (it starts an encoded line, as every piece does), once a message."""
    found = done.get(value)
    if found is None:
        if _PLAIN.fullmatch(value) and value[0] != ".":  # a link or a plain name: nothing to encode or stuff
            found = done[value] = value.encode("ascii")
        else:
            found = done[value] = _stuffed(mime.qp(value))
    return found
