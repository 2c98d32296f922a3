"""Jinja2 rendering for every channel: autoescape for HTML, StrictUndefined so a typo fails loudly."""

import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from digests.markdown import to_html as markdown_html, to_plain as markdown_plain

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # templates ship with the code: no stat() of every template file on every render (it was most of a
        # reply page POST's cost on a busy disk)
        auto_reload=False,
    )
    env.filters["markdown"] = markdown_html
    env.filters["plain"] = markdown_plain
    from digests.nudge import check_feedback, verdict  # digests.nudge imports this module

    env.globals.update(check_feedback=check_feedback, verdict=verdict)
    env.filters["md_literal"] = markdown_literal
    return env


MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def markdown_literal(text: str) -> str:
    """A name put into Markdown as text: its punctuation escaped and line breaks folded, so \"[x](http://…)\"
    or \"# Team\" in a team name stays words and never becomes a link or a heading."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
