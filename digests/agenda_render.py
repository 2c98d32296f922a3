"""An agenda item as Markdown (the source), HTML or plain text, and as an email to the team lead."""

from digests.agenda import AgendaItem
from digests.nudge import EmailParts
from digests.render import markdown_html, markdown_plain, render

FORMATS = ("md", "html", "txt")


def agenda_markdown(item: AgendaItem) -> str:
    return render("agenda/item.md.j2", item=item).strip() + "\n"


def agenda_text(item: AgendaItem, fmt: str) -> str:
    """One source, three formats, so the lead reads the same item in every channel."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    source = agenda_markdown(item)
    if fmt == "md":
        return source
    return str(markdown_html(source)) if fmt == "html" else markdown_plain(source)


def agenda_email(item: AgendaItem, link: str, organisation: str = "Your organisation") -> EmailParts:
    footer = (
        f"\n\nOpen it, and record that you discussed it and the action you agreed: {link}\n\n"
        f"--\nSent by {organisation} through LessonLoop. You receive this as the lead of {item.team_name}.\n"
    )
    html = render(
        "email/agenda.html.j2", item=item, link=link, organisation=organisation, body=markdown_html(agenda_markdown(item))
    )
    return EmailParts(
        subject=f"Team agenda for the {item.week_label}: {item.theme_label}", text=agenda_text(item, "txt") + footer, html=html
    )
