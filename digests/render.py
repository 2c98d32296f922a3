"""Jinja2 rendering for every channel: autoescape for HTML, StrictUndefined so a typo fails loudly."""
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
    )
    env.filters["markdown"] = markdown_html
    env.filters["plain"] = markdown_plain
    from digests.nudge import check_feedback, verdict  # digests.nudge imports this module

    env.globals.update(check_feedback=check_feedback, verdict=verdict)
    return env


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
