"""Word count and reading ease of a lesson body, measured on the prose a reader sees."""
import re

import textstat

HEADING = re.compile(r"^\s*#{1,6}\s.*$", re.M)
MARKUP = re.compile(r"[*_`>\[\]]|\(https?://[^)]*\)")


def prose(body: str) -> str:
    return MARKUP.sub("", HEADING.sub("", body)).strip()


def word_count(body: str) -> int:
    return len(prose(body).split())


def reading_ease(body: str) -> float:
    text = prose(body)
    return round(textstat.flesch_reading_ease(text), 1) if text else 0.0
