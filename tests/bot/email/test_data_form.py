"""A nudge put together in DATA form from pre-encoded pieces is byte for byte what dot-stuffing the
whole rendered message gives (but for its random boundary and the Date of the second it is made)."""

import re

import pytest

from bot.core.settings import SmtpTarget
from bot.core.transport import Job
from bot.email.channel import SmtpChannel
from bot.email.data_form import DataStencil
from bot.email.mime import build_encoded_email, qp_filled, smtp_data, to_header
from digests.nudge import Nudge, NudgeLinks, Sender
from bot.compose import build_service

NAME, REPLY, NOTES = "\x00name\x00", "\x00reply\x00", "\x00notes\x00"


def same_form(message: bytes) -> bytes:
    message = re.sub(rb"=_ll_[0-9a-f]{24}", b"=_ll_B", message)
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: D\r\n", message)


VALUES = [
    "Ann",
    ".dot",
    ".",
    "Zoë",
    "a=b",
    "",
    "trailing ",
    "http://example.org/r/" + "Ab-_9" * 30,
    "We changed the form.\n.A line that starts with a dot\r\nand \u00a0odd\tspaces \n",
    "x" * 70,
    "y" * 71,
]


@pytest.mark.parametrize("value", VALUES)
def test_a_filled_stencil_in_data_form_is_the_stuffed_message(value):
    text = f".{NAME} at the start\n{REPLY}?check=1 and {REPLY}?practice=changed\n.\n{NOTES}" + " long" * 30 + "\n.end"
    html = f'<p>{NAME}</p>\n.<a href="{REPLY}">x</a>{NOTES}'
    values = {NAME: value, REPLY: "http://example.org/r/1.2.x", NOTES: value + "\n.more"}
    extra = {"List-Unsubscribe": "<http://example.org/u/1.2.x>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    expected = smtp_data(
        build_encoded_email(
            sender="LL <ll@example.org>",
            to_name=f"{value} Smith",
            to_addr="ann@example.org",
            subject=f"1-minute lesson: {value}",
            text_qp=qp_filled(text, values),
            html_qp=qp_filled(html, values),
            message_id="<t@example.org>",
            extra_headers=extra,
        )
    )
    filled = DataStencil(subject=f"1-minute lesson: {value}", text=text, html=html).fill(
        sender="LL <ll@example.org>",
        to=to_header(f"{value} Smith", "ann@example.org"),
        message_id="<t@example.org>",
        extra_headers=extra,
        text_values=values,
        html_values=values,
    )
    assert same_form(filled) == same_form(expected)


def test_the_channel_sends_every_lesson_as_its_rendered_message_stuffed(settings):
    channel = SmtpChannel(
        target=SmtpTarget(host="127.0.0.1", port=25),
        sender="Zoë's LessonLoop <ll@example.org>",
        domain="example.org",
        named=Sender("Zoë's Org & Co", 5),
    )
    for n, lesson in enumerate(build_service(settings).lessons.values()):
        for review, first, notes, record in [(False, True, (), "r"), (True, False, (".a note & <b>",), "")]:
            links = NudgeLinks(f"https://x.org/r/{n}.a.b", f"https://x.org/u/{n}.c.d=&<", record and f"https://x.org/me/{n}")
            nudge = Nudge(".Zoë", lesson.as_asked(review), links, review, first, 5, notes)
            job = Job(n, n, f"p{n}@example.org", 'Zoë "Q" O\'Brien', nudge, message_token=f"{n:032x}")
            assert same_form(channel.prepare(job)) == same_form(smtp_data(channel.render(job)))
