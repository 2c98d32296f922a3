"""Turn one parsed lesson file (format v2, docs/lesson-format.md) into a Lesson, collecting every problem
with its line. Bank-wide rules (balance, near-duplicates) live in bank.py."""

import hashlib
import re
from datetime import date
from pathlib import Path

from lesson_bank.frontmatter import FrontMatterError, ParsedFile, parse
from lesson_bank.local import DEFAULTS as LOCAL_KEYS
from lesson_bank.local import unknown_placeholders
from lesson_bank.model import KnowledgeCheck, Kind, Lesson, Source, Status
from lesson_bank.problems import Problem
from lesson_bank.readability import reading_ease, word_count
from lesson_bank.taxonomy import Taxonomy

MAX_WORDS = 150
MIN_WORDS = 110  # below this is a warning
EASE_FLOOR = 45.0  # below this is an error
EASE_TARGET = 60.0  # below this is a warning
EASE_TARGET_PLAIN = 70.0  # plain-English lessons: below this is a warning
OPTIONS = 4
MAX_OPTION_CHARS = 90
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HEADINGS = {
    Kind.LEARNING: (("What happened",), ("Why it happened",), ("What to do",)),
    Kind.WENT_WELL: (("What happened",), ("What helped", "Why it happened"), ("What to do",)),
}
REQUIRED = ("id", "title", "themes", "roles", "reflect", "check", "review_check", "try_this_week", "sources", "guidance")
KNOWN = set(REQUIRED) | {"status", "kind", "plain_english", "levels", "sensitive", "support", "publish_after", "review_by"}
LINES_PATTERN = re.compile(r"^(\d+)(?:-(\d+))?$")
# Internal provenance must never reach a reader: "lines 2005-2005", "line 83", "l.384", seed file names.
SEED_REFERENCE = re.compile(
    r"\blines?\s+\d+(?:\s*[-–]\s*\d+)?\b|\bl\.\s?\d{2,}\b|\b\d{3}_[0-9a-f]{8,}(?:\.txt)?\b|\bseed\s+\d{3}\b", re.I
)
# Guidance that has since been replaced: a lesson citing it must send readers to current local procedure.
OLD_GUIDANCE = re.compile(
    r"London Child Protection Procedures 2007|Procedures,? 2007|Working Together[^.;]*2006|\b200[0-9]\b.*procedure", re.I
)
POINTS_TO_CURRENT = re.compile(r"current (?:local )?(?:procedure|guidance)|local procedure", re.I)


def _same_words(a: str, b: str) -> bool:
    words = lambda text: re.findall(r"[a-z0-9']+", text.lower())  # noqa: E731
    return words(a) == words(b)


class _Checker:
    def __init__(self, path: Path, parsed: ParsedFile, taxonomy: Taxonomy, today: date):
        self.path, self.parsed, self.taxonomy, self.today = path, parsed, taxonomy, today
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        """The line of a field, or of its nearest parent that has one (a missing field: its parent's line)."""
        while key:
            if key in self.parsed.key_lines:
                return self.parsed.key_lines[key]
            key = key.rpartition(".")[0]
        return self.parsed.end_line

    def error(self, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(str(self.path), self.line(key), message, severity))

    def text(self, key: str, data: dict, prefix: str = "") -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            where = f"{prefix}{key}"
            self.error(where, f"'{where}' is missing or empty" if value is None else f"'{where}' must be text")
            return ""
        return value.strip()

    def terms(self, key: str, vocabulary: dict, kind: str) -> tuple[str, ...]:
        value = self.parsed.data.get(key)
        if value in (None, []):  # a missing required list is reported once, by run()
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.error(key, f"'{key}' must be a non-empty list of {kind} ids")
            return ()
        for item in value:
            if item not in vocabulary:
                self.error(key, f"'{key}': unknown {kind} '{item}' (known: {', '.join(sorted(vocabulary))})")
        return tuple(str(item) for item in value)

    def choice(self, key: str, enum, default):
        value = self.parsed.data.get(key, default.value)
        try:
            return enum(value)
        except ValueError:
            self.error(key, f"'{key}' must be one of {', '.join(e.value for e in enum)}, not '{value}'")
            return default

    def day(self, key: str) -> date | None:
        value = self.parsed.data.get(key)
        if value is None or isinstance(value, date):
            return value
        self.error(key, f"'{key}' must be a date written YYYY-MM-DD, not '{value}'")
        return None

    def check(self, name: str) -> KnowledgeCheck | None:
        raw = self.parsed.data.get(name)
        if not isinstance(raw, dict):
            self.error(name, f"'{name}' must have question, options (each with text and why) and answer")
            return None
        if "explanation" in raw:
            self.error(f"{name}.explanation", f"'{name}.explanation' is the old format: give every option its own 'why' instead")
        question = self.text("question", raw, f"{name}.")
        options = raw.get("options")
        if not isinstance(options, list):
            self.error(f"{name}.options", f"'{name}.options' must list {OPTIONS} options, each with 'text' and 'why'")
            return None
        if len(options) != OPTIONS:
            self.error(f"{name}.options", f"'{name}.options' has {len(options)} options; exactly {OPTIONS} are needed")
        texts, whys, ok = [], [], len(options) == OPTIONS
        for index, option in enumerate(options):
            where = f"{name}.options.{index}"
            label = f"'{name}' option {index + 1}"
            if isinstance(option, str):
                self.error(where, f"{label} is plain text: write it as 'text:' with a one-line 'why:'")
                ok = False
                continue
            if not isinstance(option, dict):
                self.error(where, f"{label} must have 'text' and 'why'")
                ok = False
                continue
            text, why = option.get("text"), option.get("why")
            if not isinstance(text, str) or not text.strip():
                self.error(f"{where}.text", f"{label} has no 'text'")
                ok = False
                continue
            if len(text.strip()) > MAX_OPTION_CHARS:
                self.error(f"{where}.text", f"{label} 'text' is {len(text.strip())} characters; the limit is {MAX_OPTION_CHARS}")
            if not isinstance(why, str) or not why.strip():
                self.error(
                    f"{where}.why" if "why" in option else where, f"{label} needs a one-line 'why' (shown after answering)"
                )
                why = ""
            for key in option:
                if key not in ("text", "why"):
                    self.error(f"{where}.{key}", f"{label}: unknown field '{key}' (a typo?)", "warning")
            texts.append(text.strip())
            whys.append(str(why).strip())
        if ok and len(set(t.lower() for t in texts)) < len(texts):
            self.error(f"{name}.options", f"'{name}.options' has two options with the same text")
        answer = raw.get("answer")
        if not isinstance(answer, int) or isinstance(answer, bool) or not 1 <= answer <= OPTIONS:
            self.error(f"{name}.answer", f"'{name}.answer' must be the number of the right option, 1 to {OPTIONS}")
            return None
        if not ok or not question:
            return None
        return KnowledgeCheck(question, tuple(texts), answer, tuple(whys))

    def source(self, index: int, raw) -> Source | None:
        where = f"sources.{index}"
        if not isinstance(raw, dict):
            self.error(
                where,
                "each source must be a mapping: a publication (title, publisher, year, url) or seed provenance (seed, lines)",
            )
            return None
        if raw.get("seed"):
            return self.seed_source(where, raw)
        missing = [key for key in ("title", "year", "url") if not raw.get(key)]
        if not (raw.get("publisher") or raw.get("author")):
            missing.insert(1, "publisher (or author)")
        if missing:
            self.error(where, f"source {index + 1} needs {', '.join(missing)}")
            return None
        if not isinstance(raw["year"], int):
            self.error(f"{where}.year", f"source {index + 1} 'year' must be a number such as 2023, not '{raw['year']}'")
            return None
        url = str(raw["url"]).strip()
        if not url.startswith("https://") or " " in url:
            self.error(f"{where}.url", f"source {index + 1} 'url' must be a public https:// link, not '{url}'")
        for key in raw:
            if key not in ("title", "publisher", "author", "year", "url", "supports", "note"):
                self.error(f"{where}.{key}", f"source {index + 1}: unknown field '{key}' (a typo?)", "warning")
        return Source(
            title=str(raw["title"]).strip(),
            year=raw["year"],
            url=url,
            publisher=str(raw.get("publisher") or raw.get("author")).strip(),
            supports=raw.get("supports"),
            note=raw.get("note"),
        )

    def seed_source(self, where: str, raw: dict) -> Source:
        """Internal provenance: checked for shape only. The seed documents are never read here."""
        seed, lines = str(raw["seed"]), str(raw.get("lines", ""))
        match = LINES_PATTERN.match(lines)
        if not match or int(match[1]) > int(match[2] or match[1]):
            self.error(f"{where}.lines", f"source '{seed}' needs 'lines' as a range such as 83-88, not '{lines}'")
        return Source(seed=seed, lines=lines, note=raw.get("note"))

    def body(self, kind: Kind, plain: bool) -> str:
        body = self.parsed.body
        line = self.parsed.body_line
        for choices in HEADINGS[kind]:
            if not any(re.search(rf"^#+\s*{heading}\s*$", body, re.M) for heading in choices):
                self.problems.append(Problem(str(self.path), line, f"body is missing the heading '### {choices[0]}'"))
        words = word_count(body)
        if words > MAX_WORDS:
            self.problems.append(Problem(str(self.path), line, f"body is {words} words; the limit is {MAX_WORDS}"))
        elif words < MIN_WORDS:
            self.problems.append(
                Problem(str(self.path), line, f"body is {words} words; aim for {MIN_WORDS}-{MAX_WORDS}", "warning")
            )
        ease = reading_ease(body)
        target = EASE_TARGET_PLAIN if plain else EASE_TARGET
        if words and ease < EASE_FLOOR:
            self.problems.append(Problem(str(self.path), line, f"body reading ease is {ease}; the floor is {EASE_FLOOR}"))
        elif words and ease < target:
            self.problems.append(
                Problem(str(self.path), line, f"body reading ease is {ease}; aim for {target} or more", "warning")
            )
        return body

    def reader_text(self, checks: dict[str, KnowledgeCheck | None]) -> None:
        """Text a practitioner sees: no seed references; only known {local:...} placeholders."""
        data = self.parsed.data
        fields: list[tuple[str, str, int | None]] = [
            (key, data[key], None) for key in ("title", "reflect", "try_this_week", "support") if isinstance(data.get(key), str)
        ]
        for name, check in checks.items():
            if check is None:
                continue
            fields.append((f"{name}.question", check.question, None))
            for index, option in enumerate(check.choices):
                fields.append((f"{name}.options.{index}.text", option.text, None))
                fields.append((f"{name}.options.{index}.why", option.why, None))
        for number, line in enumerate(self.parsed.body.splitlines()):
            fields.append(("body", line, self.parsed.body_line + number))
        for key, text, body_line in fields:
            at = body_line if body_line is not None else self.line(key)
            found = SEED_REFERENCE.search(text)
            if found:
                self.problems.append(
                    Problem(
                        str(self.path),
                        at,
                        f"'{key}' shows internal source detail '{found[0]}' to readers: keep seed and line references in 'sources' only",
                    )
                )
            for unknown in unknown_placeholders(text):
                self.problems.append(
                    Problem(
                        str(self.path),
                        at,
                        f"'{key}' has unknown placeholder '{{local:{unknown}}}' (known: {', '.join(LOCAL_KEYS)})",
                    )
                )

    def run(self) -> Lesson | None:
        data = self.parsed.data
        for key in REQUIRED:
            if data.get(key) in (None, "", []):
                self.error(key, f"required field '{key}' is missing")
        for key in data:
            if key not in KNOWN:
                self.error(key, f"unknown field '{key}' (a typo?)", "warning")
        lesson_id = str(data.get("id") or "")
        if lesson_id and not ID_PATTERN.match(lesson_id):
            self.error("id", f"id '{lesson_id}' must be lower-case letters, digits and hyphens")
        if lesson_id and lesson_id != self.path.stem:
            self.error("id", f"id '{lesson_id}' must match the file name '{self.path.stem}.md'")
        themes = self.terms("themes", self.taxonomy.themes, "theme")
        roles = self.terms("roles", self.taxonomy.roles, "role")
        levels = self.terms("levels", self.taxonomy.levels, "level") or ("practitioner",)
        guidance = self.terms("guidance", self.taxonomy.guidance, "guidance")
        status, kind = self.choice("status", Status, Status.PUBLISHED), self.choice("kind", Kind, Kind.LEARNING)
        check = self.check("check") if "check" in data else None
        review_check = self.check("review_check") if "review_check" in data else None
        if check and review_check and _same_words(check.question, review_check.question):
            self.error(
                "review_check.question", "'review_check.question' must differ from 'check.question': ask about a new situation"
            )
        sources = data.get("sources") or []
        if not isinstance(sources, list):
            self.error("sources", "'sources' must be a list")
            sources = []
        parsed_sources = [s for s in (self.source(i, raw) for i, raw in enumerate(sources)) if s]
        if sources and not any(s.is_public for s in parsed_sources):
            self.error(
                "sources",
                "'sources' needs at least one public source with title, publisher, year and an https:// url (seed provenance alone is not enough)",
            )
        explicit_review, publish_after = self.day("review_by"), self.day("publish_after")
        review_by = explicit_review or self.taxonomy.guidance_review_by(guidance)
        if review_by and review_by < self.today:
            self.error(
                "review_by" if explicit_review else "guidance",
                f"review date {review_by} has passed: check the lesson is still right",
                "warning",
            )
        sensitive = bool(data.get("sensitive", False))
        support = data.get("support")
        if sensitive and not support:
            self.error("sensitive", "'support' is required when 'sensitive: true' (one line shown before the content)")
        plain = bool(data.get("plain_english", False))
        body = self.body(kind, plain)
        self.reader_text({"check": check, "review_check": review_check})
        cited = " ".join(f"{s.note or ''} {s.title or ''}" for s in parsed_sources)
        if OLD_GUIDANCE.search(cited) and not POINTS_TO_CURRENT.search(body):
            self.error(
                "sources",
                "a source is older guidance: say so in the body and point readers to current local procedure",
                "warning",
            )
        title, reflect = self.text("title", data), self.text("reflect", data)
        try_this_week = self.text("try_this_week", data)
        if any(p.is_error for p in self.problems) or check is None or review_check is None:
            return None
        return Lesson(
            id=lesson_id,
            title=title,
            themes=themes,
            roles=roles,
            reflect=reflect,
            check=check,
            try_this_week=try_this_week,
            sources=tuple(parsed_sources),
            body=body,
            version=content_version(self.path.read_bytes()),
            review_by=review_by,
            status=status,
            kind=kind,
            plain_english=plain,
            levels=levels,
            sensitive=sensitive,
            support=support,
            publish_after=publish_after,
            path=self.path,
            review_check=review_check,
            guidance=guidance,
        )


def content_version(raw: bytes) -> str:
    """Same words, same version: line endings and trailing space do not make a new version."""
    normal = "\n".join(line.rstrip() for line in raw.decode("utf-8").splitlines()).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


def check_lesson_file(path: Path, taxonomy: Taxonomy, today: date) -> tuple[Lesson | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(str(path), 1, "file is not UTF-8 text")]
    try:
        parsed = parse(text)
    except FrontMatterError as exc:
        return None, [Problem(str(path), exc.line, str(exc))]
    checker = _Checker(path, parsed, taxonomy, today)
    lesson = checker.run()
    return lesson, checker.problems
