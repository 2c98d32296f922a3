"""Find people's names in a reflection, offline.

Faker (MIT licence) ships first names for 80-odd locales, about 17,000 in all, from which one
first-name set is built once; wordfreq tells how common a word is in English. A capitalised word is taken as a name when it is in the first-name
dictionary and is not a common English word in that position (mid-sentence capitals are strong evidence;
at the start of a sentence only rarer words count), or when a title (Mr, Ms, Dr...) stands before it.
A capitalised word after a name is taken as its surname. Names typed in capitals or lower case are found
too (see _other_case_names). Measured recall is in docs/privacy.md."""

import importlib
import pkgutil
import re
from functools import cache

from wordfreq import zipf_frequency

TOKEN = re.compile(r"\b(?:O'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)*")
NOT_NAMES = {
    "i",
    "mum",
    "mummy",
    "dad",
    "daddy",
    "nan",
    "nana",
    "nanny",
    "gran",
    "granny",
    "grandad",
    "grandma",
    "grandpa",
    "auntie",
    "aunty",
    "uncle",
    "baby",
    "sister",
    "brother",
    "god",
    "christmas",
    "easter",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "he",
    "she",
    "they",
    "we",
    "you",
    "it",
    "his",
    "her",
    "him",
    "them",
    "their",
    "our",
    "my",
    "your",
    "spring",
    "summer",
    "autumn",
    "winter",
    "christian",
    "muslim",
    "jewish",
    "sikh",
    "hindu",
    "catholic",
    "ward",
}
MID_SENTENCE_COMMON = 5.3  # above this a capitalised word is more likely a word than a name ("Will", "May")
SENTENCE_START_COMMON = 4.4  # at a sentence start capitals say nothing, so only rarer words count
# A word followed by one of these is acting as a person: names missing from the dictionary still count.
PERSON_VERB = re.compile(
    r"\s+(?:said|says|told|tells|was|is|has|had|seemed|seems|looked|looks|came|went|disclosed|asked|cried|"
    r"would|wouldn't|didn't|doesn't|isn't|wasn't|and (?:his|her|their))\b|'s\b"
)


_NAME_LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


@cache
def _first_names() -> frozenset[str]:
    """Every first name Faker knows, in lower case: the names of the many communities staff work with."""
    import faker.providers.person as person

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module.name}"), "Provider", None)
        for attribute in _NAME_LISTS:
            # class attributes only: some providers define these as properties on instances
            value = next(
                (base.__dict__[attribute] for base in getattr(provider, "__mro__", ()) if attribute in base.__dict__), None
            )
            if isinstance(value, (list, tuple, dict)):
                names.update(name.lower() for name in value if isinstance(name, str) and name.replace("-", "").isalpha())
    return frozenset(names)


def _is_first_name(word: str) -> bool:
    return word.lower() not in NOT_NAMES and word.lower() in _first_names()


def _common(word: str) -> float:
    return zipf_frequency(word.lower(), "en")


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'“‘(-")
    return not before or before[-1] in ".!?:\n;"


TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sergeant|Sgt|PC|DC|DS|Officer|Nurse|Sister|Father|Auntie|Uncle)\.?\s+$")
RELATION = re.compile(
    r"\b(?:daughter|son|brother|sister|baby|mum|dad|partner|boyfriend|girlfriend|husband|wife|called|named|cousin)\s+$",
    re.IGNORECASE,
)
FAMILY = re.compile(r"\s+(?:family|household|children|kids)\b")


def _title_before(text: str, start: int) -> int | None:
    """A title before a capitalised word makes it a name (`Ms Okafor`, `Sergeant Hughes`); the match keeps the title."""
    match = TITLE.search(text[:start])
    if match and text[match.start() - 4 : match.start()].lower() == "the ":
        return None  # "the Nurse Practitioner": a role, not a person
    return match.start() if match else None


UPPER_TOKEN = re.compile(r"\b[A-Z]{3,}(?:-[A-Z]{3,})*\b")
LOWER_TOKEN = re.compile(r"(?<![\w'’-])[a-z]{3,}(?:-[a-z]{3,})*\b")
UPPER_COMMON = 5.0  # "WILL", "BILL", "MAY" in capitals are words; "MASON", "CHLOE" are names
LOWER_COMMON = 4.5  # a lower-case word needs a person's context and must not be very common
# "the mason said", "I mentor says": after these a lower-case word is a noun or a verb, not a name
DETERMINER = re.compile(
    r"\b(?:the|a|an|this|that|these|those|my|his|her|their|our|your|its|some|every|any|no|i|we|you|they|to)\s+$", re.IGNORECASE
)
ACRONYMS = {"lado", "dsl", "ddsl", "senco", "camhs", "mash", "marac", "mappa", "ehcp", "ofsted", "lscp", "nspcc", "cafcass"}
STREET_WORD = re.compile(
    r"\s+(?:Road|Street|Avenue|Close|Lane|Drive|Way|Crescent|Court|Place|Gardens|Grove|Terrace|Hill|"
    r"Walk|Mews|Square|Row|Rise|Park|Estate|School|Academy|Primary|Surgery|Hospital|Centre)\b"
)


def _other_case_names(text: str) -> list[tuple[int, int]]:
    """Names typed in capitals (KAYDEN) or in lower case (then tyler said). Capitals: a dictionary name that
    is not a very common word. Lower case is ordinary text, so a word also needs a person's context: a
    verb after it or "called", "named", "son"... before it, and no "the" or "my" before it."""
    spans = []
    for match in UPPER_TOKEN.finditer(text):
        word = match.group()
        if word.lower() in ACRONYMS:
            continue
        if word.lower() not in NOT_NAMES and _is_first_name(word.split("-")[0]) and _common(word) < UPPER_COMMON:
            spans.append((match.start(), match.end()))
    for match in LOWER_TOKEN.finditer(text):
        word, before = match.group(), text[: match.start()]
        if word in NOT_NAMES or not _is_first_name(word.split("-")[0]) or _common(word) >= LOWER_COMMON:
            continue
        in_context = PERSON_VERB.match(text, match.end()) is not None or RELATION.search(before) is not None
        if in_context and DETERMINER.search(before) is None:
            spans.append((match.start(), match.end()))
    return spans


def find_names(text: str) -> list[tuple[int, int]]:
    spans = _capitalised_names(text)
    spans += [span for span in _other_case_names(text) if all(span[1] <= s or span[0] >= e for s, e in spans)]
    return sorted(spans)


def _capitalised_names(text: str) -> list[tuple[int, int]]:
    tokens = list(TOKEN.finditer(text))
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        word, start = token.group(), token.start()
        title = _title_before(text, start)
        first = _sentence_start(text, start)
        limit = SENTENCE_START_COMMON if first else MID_SENTENCE_COMMON
        acting_as_person = PERSON_VERB.match(text, token.end()) is not None and word.lower() not in NOT_NAMES
        in_dictionary = _is_first_name(word) or _is_first_name(word.split("-")[0])  # Lily-Mae
        looks_like_name = in_dictionary and (_common(word) < limit or acting_as_person)
        family_name = FAMILY.match(text, token.end()) is not None and text[:start].lower().endswith("the ")
        named_by_relation = RELATION.search(text[:start]) is not None and word.lower() not in NOT_NAMES
        unknown_name = (acting_as_person or family_name or named_by_relation) and _common(word) < 3.5
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        with_surname = (
            in_dictionary
            and following is not None
            and text[token.end() : following.start()] == " "
            and _common(following.group()) < 3.5
        )
        looks_like_name = looks_like_name or with_surname
        if title is None and not (looks_like_name or unknown_name) or STREET_WORD.match(text, token.end()):
            index += 1  # not a name, or the first word of a place ("Oak Road", "Kingsley Academy")
            continue
        end = token.end()
        if (
            following
            and text[end : following.start()] == " "
            and following.group().lower() not in NOT_NAMES
            and _common(following.group()) < 4.5
        ):
            end, index = following.end(), index + 1  # a surname
        spans.append((title if title is not None else start, end))
        index += 1
    return spans
