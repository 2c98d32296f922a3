"""Word count and Flesch reading ease of a lesson body, measured on the prose a reader sees.

Syllables come from Pyphen's hyphenation dictionary (offline, no downloads), counted the way
textstat does: hyphenation points + 1 per word."""

import re
from functools import cache

import pyphen

HEADING = re.compile(r"^\s*#{1,6}\s.*$", re.M)
MARKUP = re.compile(r"[*_`>\[\]]|\(https?://[^)]*\)")
WORD = re.compile(r"[A-Za-z0-9'’-]+")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


@cache
def _dictionary() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_GB")


def prose(body: str) -> str:
    return MARKUP.sub("", HEADING.sub("", body)).strip()


def word_count(body: str) -> int:
    return len(prose(body).split())


@cache  # a lesson bank repeats its words: each is hyphenated once
def syllables(word: str) -> int:
    return len(_dictionary().positions(word.lower())) + 1


def flesch_reading_ease(text: str) -> float:
    words = WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(SENTENCE_END.findall(text)))
    total_syllables = sum(syllables(w) for w in words)
    return round(206.835 - 1.015 * len(words) / sentences - 84.6 * total_syllables / len(words), 1)


def reading_ease(body: str) -> float:
    return flesch_reading_ease(prose(body))
