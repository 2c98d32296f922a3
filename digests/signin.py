"""The dashboard sign-in email: styled like every other email, naming the organisation that sent it."""

from digests.nudge import EmailParts
from digests.render import render


def signin_email(link: str, organisation: str) -> EmailParts:
    return EmailParts(
        subject=f"Your dashboard sign-in link from {organisation}",
        text=render("email/signin.txt.j2", link=link, organisation=organisation),
        html=render("email/signin.html.j2", link=link, organisation=organisation),
    )
