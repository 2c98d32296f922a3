"""One Markdown parse (markdown-it-py tokens) for every channel: HTML for pages and email, plain text for
the text part of email, Slack mrkdwn and Adaptive Card text. Lessons are written in CommonMark; each
channel gets the same blocks, written in its own syntax, so no converter guesses at Markdown by regex.

Slack mrkdwn is escaped here (&, <, > as Slack asks) so "A&E" or "<1 year" can never swallow a link."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

_parser = MarkdownIt("commonmark", {"html": False})


def slack_escape(text: str) -> str:
    """Slack's three control characters, for any text placed in mrkdwn (lesson text, names, user text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "paragraph" or "list"
    text: str  # in the target syntax


@dataclass(frozen=True)
class _Syntax:
    escape: Callable[[str], str]
    strong: str
    em: str
    link: Callable[[str, str], str]
    bullet: str
    number: Callable[[int], str]


_SYNTAX = {
    "plain": _Syntax(lambda t: t, "", "", lambda text, href: text if text == href else f"{text} ({href})", "- ", "{}. ".format),
    "mrkdwn": _Syntax(slack_escape, "*", "_", lambda text, href: f"<{slack_escape(href)}|{text}>", "• ", "{}. ".format),
    # Card lists are drawn by the renderer as <ol>/<ul> that run past a narrow card, so list items are
    # written as lines that are not Markdown list syntax ("• ", "**1.** ") and become blocks of their own.
    "card": _Syntax(lambda t: t, "**", "_", lambda text, href: f"[{text}]({href})", "• ", "**{}.** ".format),
}


def _inline(children: list[Token], syntax: _Syntax) -> str:
    out: list[str] = []
    link_stack: list[tuple[str, int]] = []
    for token in children:
        if token.type == "text":
            out.append(syntax.escape(token.content))
        elif token.type == "code_inline":
            out.append(syntax.escape(token.content))
        elif token.type in ("softbreak", "hardbreak"):
            out.append("\n" if token.type == "hardbreak" else " ")
        elif token.type in ("strong_open", "strong_close"):
            out.append(syntax.strong)
        elif token.type in ("em_open", "em_close"):
            out.append(syntax.em)
        elif token.type == "link_open":
            link_stack.append((str(token.attrGet("href") or ""), len(out)))
        elif token.type == "link_close" and link_stack:
            href, start = link_stack.pop()
            text = "".join(out[start:])
            del out[start:]
            out.append(syntax.link(text, href))
        elif token.type == "image":
            out.append(syntax.escape(token.content))
    return "".join(out)


@cache
def blocks(markdown: str, target: str) -> tuple[Block, ...]:
    """The Markdown as headings, paragraphs and lists, each written in the target syntax."""
    syntax = _SYNTAX[target]
    result: list[Block] = []
    tokens = _parser.parse(markdown)
    lists: list[list] = []  # per open list: [ordered, next number, items]
    heading = False
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([token.type == "ordered_list_open", int(token.attrGet("start") or 1), []])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            ordered, _, items = lists.pop()
            if lists:  # a nested list joins its parent's last item
                lists[-1][2].append("\n".join("   " + line for line in items))
            else:
                result.append(Block("list", "\n".join(items)))
        elif token.type == "heading_open":
            heading = True
        elif token.type == "heading_close":
            heading = False
        elif token.type == "inline":
            text = _inline(token.children or [], syntax)
            if heading:
                result.append(Block("heading", text))
            elif lists:
                current = lists[-1]
                marker = syntax.number(current[1]) if current[0] else syntax.bullet
                current[1] += 1
                current[2].append(marker + text)
            else:
                result.append(Block("paragraph", text))
        elif token.type in ("fence", "code_block"):
            result.append(Block("paragraph", syntax.escape(token.content.rstrip("\n"))))
    return tuple(result)


@cache
def to_html(markdown: str, top: int = 1) -> Markup:
    """HTML; the document's highest heading becomes <h{top}> and the rest keep their order below it, so a
    lesson's "###" sections sit under the page's own <h1> without skipping a level."""
    tokens = _parser.parse(markdown)
    levels = sorted({int(t.tag[1]) for t in tokens if t.type == "heading_open"})
    if levels:
        shift = {level: f"h{min(top + n, 6)}" for n, level in enumerate(levels)}
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = shift[int(token.tag[1])]
    return Markup(_parser.renderer.render(tokens, _parser.options, {}))


@cache
def to_plain(markdown: str) -> str:
    """Headings in capitals, emphasis markers gone, links as 'text (address)', a blank line between blocks."""
    return "\n\n".join(b.text.upper() if b.kind == "heading" else b.text for b in blocks(markdown, "plain"))


@cache
def to_mrkdwn(markdown: str) -> str:
    """Slack mrkdwn: headings and **bold** as *bold*, links as <url|text>, &, <, > escaped."""
    return "\n\n".join(f"*{b.text}*" if b.kind == "heading" and b.text else b.text for b in blocks(markdown, "mrkdwn"))


def to_card_blocks(markdown: str) -> tuple[Block, ...]:
    """Adaptive Card TextBlock text. Cards render bold, italics, lists and links but not headings, so a
    heading is its own block (the card makes it bold)."""
    return blocks(markdown, "card")
