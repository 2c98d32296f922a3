"""Turn one parsed lesson file into a Lesson, collecting every problem with its line."""
import hashlib
import re
from datetime import date
from pathlib import Path

from lesson_bank.frontmatter import FrontMatterError, ParsedFile, parse
from lesson_bank.model import KnowledgeCheck, Kind, Lesson, Source, Status
from lesson_bank.problems import Problem
from lesson_bank.readability import reading_ease, word_count
from lesson_bank.taxonomy import Taxonomy

MAX_WORDS = 150
EASE_FLOOR = 45.0  # below this is an error
EASE_TARGET = 55.0  # below this is a warning
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
HEADINGS = ("What happened", "Why it happened", "What to do")
REQUIRED = ("id", "title", "themes", "roles", "reflect", "check", "try_this_week", "sources", "review_by")
KNOWN = set(REQUIRED) | {"status", "kind", "plain_english", "levels", "sensitive", "support", "publish_after"}
LINES_PATTERN = re.compile(r"^(\d+)(?:-(\d+))?$")
# Guidance that has since been replaced: a lesson citing it must send readers to current local procedure.
OLD_GUIDANCE = re.compile(r"London Child Protection Procedures 2007|Procedures,? 2007|Working Together[^.;]*2006|\b200[0-9]\b.*procedure", re.I)
POINTS_TO_CURRENT = re.compile(r"current (?:local )?(?:procedure|guidance)|local procedure", re.I)


class _Checker:
    def __init__(self, path: Path, parsed: ParsedFile, taxonomy: Taxonomy, seeds_dir: Path | None, today: date):
        self.path, self.parsed, self.taxonomy = path, parsed, taxonomy
        self.seeds_dir, self.today = seeds_dir, today
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        return self.parsed.key_lines.get(key, self.parsed.end_line)

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
                self.error(key, f"unknown {kind} '{item}' (known: {', '.join(sorted(vocabulary))})")
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

    def check(self) -> KnowledgeCheck | None:
        raw = self.parsed.data.get("check")
        if not isinstance(raw, dict):
            self.error("check", "'check' must have question, options, answer and explanation")
            return None
        question = self.text("question", raw, "check.")
        explanation = self.text("explanation", raw, "check.")
        options = raw.get("options")
        if not isinstance(options, list) or not 3 <= len(options) <= 4 or not all(isinstance(o, str) and o.strip() for o in options):
            self.error("check.options", "'check.options' must list 3 or 4 answers as text")
            return None
        answer = raw.get("answer")
        if not isinstance(answer, int) or not 1 <= answer <= len(options):
            self.error("check.answer", f"'check.answer' must be the number of the right option, 1 to {len(options)}")
            return None
        return KnowledgeCheck(question, tuple(o.strip() for o in options), answer, explanation)

    def source(self, raw) -> Source | None:
        if not isinstance(raw, dict):
            self.error("sources", "each source must be a mapping with 'seed' and 'lines', or 'title' and 'year'")
            return None
        if raw.get("seed"):
            return self.seed_source(raw)
        if raw.get("title") and isinstance(raw.get("year"), int):
            return Source(title=str(raw["title"]), year=raw["year"], url=raw.get("url"), note=raw.get("note"))
        self.error("sources", "a source needs 'seed' and 'lines', or a publication 'title' and 'year'")
        return None

    def seed_source(self, raw: dict) -> Source:
        seed, lines = str(raw["seed"]), str(raw.get("lines", ""))
        match = LINES_PATTERN.match(lines)
        if not match:
            self.error("sources", f"source '{seed}' needs 'lines' as a range such as 83-88, not '{lines}'")
        elif self.seeds_dir is not None:
            seed_path = self.seeds_dir / seed
            if not seed_path.is_file():
                self.error("sources", f"source seed file '{seed}' does not exist in {self.seeds_dir}")
            else:
                first, last = int(match[1]), int(match[2] or match[1])
                count = len(seed_path.read_text(encoding="utf-8").splitlines())
                if not 1 <= first <= last <= count:
                    self.error("sources", f"source '{seed}' lines {lines} are outside the file (1-{count})")
        return Source(seed=seed, lines=lines, note=raw.get("note"))

    def body(self) -> str:
        body = self.parsed.body
        line = self.parsed.body_line
        for heading in HEADINGS:
            if not re.search(rf"^#+\s*{heading}\s*$", body, re.M):
                self.problems.append(Problem(str(self.path), line, f"body is missing the heading '### {heading}'"))
        words = word_count(body)
        if words > MAX_WORDS:
            self.problems.append(Problem(str(self.path), line, f"body is {words} words; the limit is {MAX_WORDS}"))
        ease = reading_ease(body)
        if words and ease < EASE_FLOOR:
            self.problems.append(Problem(str(self.path), line, f"body reading ease is {ease}; the floor is {EASE_FLOOR}"))
        elif words and ease < EASE_TARGET:
            self.problems.append(Problem(str(self.path), line, f"body reading ease is {ease}; aim for {EASE_TARGET} or more", "warning"))
        return body

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
        status, kind = self.choice("status", Status, Status.PUBLISHED), self.choice("kind", Kind, Kind.LEARNING)
        check = self.check() if "check" in data else None
        sources = data.get("sources") or []
        if not isinstance(sources, list):
            self.error("sources", "'sources' must be a list")
            sources = []
        parsed_sources = [s for s in (self.source(raw) for raw in sources) if s]
        review_by, publish_after = self.day("review_by"), self.day("publish_after")
        if review_by and review_by < self.today:
            self.error("review_by", f"review date {review_by} has passed: check the lesson is still right", "warning")
        sensitive = bool(data.get("sensitive", False))
        support = data.get("support")
        if sensitive and not support:
            self.error("sensitive", "a sensitive lesson needs a 'support' signpost")
        body = self.body()
        cited = " ".join(f"{s.note or ''} {s.title or ''}" for s in parsed_sources)
        if OLD_GUIDANCE.search(cited) and not POINTS_TO_CURRENT.search(body):
            self.error("sources", "a source is older guidance: say so in the body and point readers to current local procedure", "warning")
        title, reflect = self.text("title", data), self.text("reflect", data)
        try_this_week = self.text("try_this_week", data)
        if any(p.is_error for p in self.problems) or check is None:
            return None
        return Lesson(
            id=lesson_id, title=title, themes=themes, roles=roles, reflect=reflect, check=check,
            try_this_week=try_this_week, sources=tuple(parsed_sources), body=body,
            version=content_version(self.path.read_bytes()), review_by=review_by, status=status, kind=kind,
            plain_english=bool(data.get("plain_english", False)), levels=levels, sensitive=sensitive,
            support=support, publish_after=publish_after, path=self.path,
        )


def content_version(raw: bytes) -> str:
    """Same words, same version: line endings and trailing space do not make a new version."""
    normal = "\n".join(line.rstrip() for line in raw.decode("utf-8").splitlines()).strip()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:12]


def check_lesson_file(path: Path, taxonomy: Taxonomy, seeds_dir: Path | None, today: date) -> tuple[Lesson | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(str(path), 1, "file is not UTF-8 text")]
    try:
        parsed = parse(text)
    except FrontMatterError as exc:
        return None, [Problem(str(path), exc.line, str(exc))]
    checker = _Checker(path, parsed, taxonomy, seeds_dir, today)
    lesson = checker.run()
    return lesson, checker.problems
