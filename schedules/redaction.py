"""Find details in free text that could identify a child, family or case, and replace them with markers.

Detectors, in priority order (an earlier match wins where two overlap):
  email      a plain address pattern
  nhs_number 10 digits (3-3-4, spaces or hyphens optional) with a valid modulus-11 check digit
  date       a full calendar date with a year (any such date in a reflection is treated as a date of birth),
             or a month and year after "born" or "DOB"
  phone      UK numbers found by Google's libphonenumber (`phonenumbers`), written from 0, +44 or (0; and
             mobiles written without the 0 (7700 900123, 44 7700 900123)
  nhs_number also with dots (943.476.5919)
  postcode   the UK postcode shape (outward code, inward code), any case; one or two spaces, a hyphen or none
  address    a house number, capitalised words and a street word (Road, Street, Close, Lane, Way...)
  name       a capitalised word in Faker's first-name lists (MIT) that is not a common English
             word in that position (wordfreq), with any title before or surname after it
Pure: text in, findings out."""

import re
from dataclasses import dataclass

import phonenumbers

MARKERS = {
    "email": "[email removed]",
    "nhs_number": "[NHS number removed]",
    "phone": "[phone number removed]",
    "date": "[date removed]",
    "postcode": "[postcode removed]",
    "name": "[name removed]",
    "address": "[address removed]",
}
LABELS = {
    "email": "an email address",
    "nhs_number": "an NHS number",
    "phone": "a phone number",
    "date": "a date of birth",
    "postcode": "a postcode",
    "name": "a name",
    "address": "a street address",
}

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NHS = re.compile(r"(?<![\d+.])([1-9]\d{2})[ .-]?(\d{3})[ .-]?(\d{4})(?![\d])")
MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
DATE = re.compile(
    rf"\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})\b",
    re.IGNORECASE,
)
# A month and year alone is a date of birth only when it says so: "born April 2019", "DOB: June 2018".
BIRTH_MONTH = re.compile(rf"\b(?:born\s+(?:in\s+)?|d\.?o\.?b\.?:?\s+)((?:{MONTHS})\.?,?\s+\d{{4}})\b", re.IGNORECASE)
# Outward and inward codes: one or two spaces, a hyphen, or nothing between them.
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?(?:\s{1,2}|-)?\d[A-Z]{2}\b", re.IGNORECASE)
# UK mobiles written without the leading 0 or with 44 but no "+": 7xxx xxxxxx, 44 7xxx xxxxxx.
BARE_MOBILE = re.compile(r"(?<![\d+])(?:44\s?)?7\d{3}\s?\d{3}\s?\d{3}(?!\d)")
STREET_WORDS = (
    "Road|Rd|Street|St|Avenue|Ave|Close|Lane|Ln|Drive|Dr|Way|Crescent|Court|Ct|Place|Pl|Gardens|Grove|"
    "Terrace|Hill|Walk|Mews|Square|Row|Rise|View|Parade|Green|Vale|Park"
)
# A house number, then one to three capitalised words, then a street word: "14 Oak Road", "2 St Mary's Crescent".
ADDRESS = re.compile(rf"\b\d{{1,4}}[a-zA-Z]?,?\s+(?:[A-Z][\w'’-]*\.?\s+){{1,3}}(?:{STREET_WORDS})\b")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Redaction:
    text: str
    findings: tuple[Finding, ...]

    def summary(self) -> list[str]:
        """What was found, in words a person can act on, without repeating the detail itself."""
        kinds = sorted({f.kind for f in self.findings}, key=list(MARKERS).index)
        return [LABELS[k] for k in kinds]


def nhs_check_digit_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _emails(text: str):
    return [Finding("email", m.start(), m.end(), m.group()) for m in EMAIL.finditer(text)]


def _nhs(text: str):
    return [
        Finding("nhs_number", m.start(), m.end(), m.group())
        for m in NHS.finditer(text)
        if nhs_check_digit_ok("".join(m.groups()))
    ]


def _phones(text: str):
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        digits = match.raw_string.lstrip("(")
        if digits[:1] == "0" or digits[:1] == "+":  # how UK numbers are written; a bare 10-digit run is not a phone
            found.append(Finding("phone", match.start, match.end, match.raw_string))
    # a mobile written without its 0 (or as 44 without the +) has a shape no other number has
    found += [Finding("phone", m.start(), m.end(), m.group()) for m in BARE_MOBILE.finditer(text)]
    return found


def _dates(text: str):
    found = [Finding("date", m.start(), m.end(), m.group()) for m in DATE.finditer(text)]
    return found + [Finding("date", m.start(), m.end(), m.group()) for m in BIRTH_MONTH.finditer(text)]


def _postcodes(text: str):
    return [
        Finding("postcode", m.start(), m.end(), m.group()) for m in POSTCODE.finditer(text) if re.search(r"[A-Za-z]\d", m.group())
    ]


def _addresses(text: str):
    return [Finding("address", m.start(), m.end(), m.group()) for m in ADDRESS.finditer(text)]


# Addresses go before names, so the words of "14 Oak Road" are one address, not a name and a street.
DETECTORS = (_emails, _nhs, _dates, _phones, _postcodes, _addresses)


def _names(text: str):
    from schedules.names import find_names  # the dictionaries load once, on first use

    return [Finding("name", start, end, text[start:end]) for start, end in find_names(text)]


def find_identifiers(text: str) -> list[Finding]:
    """Every identifying detail, non-overlapping, in text order."""
    taken: list[Finding] = []
    for detector in (*DETECTORS, _names):
        for finding in detector(text):
            if all(finding.end <= t.start or finding.start >= t.end for t in taken):
                taken.append(finding)
    return sorted(taken, key=lambda f: f.start)


def redact(text: str) -> Redaction:
    findings = find_identifiers(text)
    pieces, cursor = [], 0
    for finding in findings:
        pieces += [text[cursor : finding.start], MARKERS[finding.kind]]
        cursor = finding.end
    pieces.append(text[cursor:])
    return Redaction("".join(pieces), tuple(findings))
