"""Jinja2 rendering for every channel: autoescape for HTML, StrictUndefined so a typo fails loudly."""
import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
_markdown = MarkdownIt("commonmark", {"html": False})


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
    env.filters["md_literal"] = markdown_literal
    return env


MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def markdown_literal(text: str) -> str:
    """A name put into Markdown as text: its punctuation escaped and line breaks folded, so "[x](http://…)"
    or "# Team" in a team name stays words and never becomes a link or a heading."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


@cache
def markdown_html(text: str) -> Markup:
    return Markup(_markdown.render(text))


@cache
def markdown_plain(text: str) -> str:
    """Headings become capitalised lines; emphasis markers go; paragraphs stay."""
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip("#").strip() if line.lstrip().startswith("#") else line
        if stripped is not line:
            stripped = stripped.upper()
        lines.append(ESCAPED.sub(r"\1", stripped.replace("**", "").replace("__", "")))
    return "\n".join(lines)


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
