"""Near-duplicate lessons, reported as warnings. Pure Python, two measures:
- copied wording: word 3-shingle Jaccard similarity of the vignettes ('What happened');
- the same story told again: cosine similarity of content-word TF-IDF over vignette and check questions
  (smoothed IDF, so rare shared words such as 'football' or 'probation' weigh more than common ones)."""

import math
import re
from collections import Counter
from itertools import combinations

from lesson_bank.model import Lesson

WORD = re.compile(r"[a-z0-9']+")
SHINGLE = 3
SHINGLE_THRESHOLD = 0.15  # independently written vignettes share almost no 3-word runs (< 0.07)
TOPIC_THRESHOLD = 0.33  # calibrated on the 2026 bank: the review's duplicate clusters score 0.33-0.41
STOP = frozenset(
    "that this with they were have from their them what when your about there which would could said says been "
    "into only some than then very will also just over more most like does each after before other where while "
    "being because should".split()
)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE) -> frozenset[str]:
    # Runs of words joined into strings, not tuples: a string caches its hash, so the many set
    # intersections of the pairwise check do not hash the same runs again.
    found = words(text)
    if len(found) < size:
        return frozenset([" ".join(found)]) if found else frozenset()
    return frozenset(" ".join(found[i : i + size]) for i in range(len(found) - size + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def vignette(body: str) -> str:
    """The 'What happened' section of a body (the whole body when it has no such heading)."""
    match = re.search(r"^#+\s*What happened\s*$(.*?)(?=^#+\s|\Z)", body, re.M | re.S)
    return match[1] if match else body


def _content_words(lesson: Lesson) -> Counter:
    text = " ".join([vignette(lesson.body)] + [c.question for c in lesson.checks()])
    return Counter(w for w in words(text) if len(w) > 3 and w not in STOP)


def _tfidf(docs: list[Counter]) -> list[dict[str, float]]:
    df = Counter(w for doc in docs for w in doc)
    n = len(docs)
    return [{w: count * (math.log((n + 1) / (df[w] + 1)) + 1) for w, count in doc.items()} for doc in docs]


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return _dot(a, b) / norm if norm else 0.0


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    # Only the shared words add anything; the key intersection runs in C, which keeps `lessons lint` fast.
    return sum(a[w] * b[w] for w in a.keys() & b.keys())


def near_duplicates(lessons) -> list[tuple[Lesson, Lesson, str, float]]:
    """(first, second, what is similar, score) for each pair above a threshold."""
    lessons = list(lessons)
    vectors = [_unit(v) for v in _tfidf([_content_words(l) for l in lessons])]
    vignettes = [shingles(vignette(l.body)) for l in lessons]
    found = []
    for i, j in combinations(range(len(lessons)), 2):
        copied = jaccard(vignettes[i], vignettes[j])
        if copied >= SHINGLE_THRESHOLD:
            found.append((lessons[i], lessons[j], "vignette wording", copied))
            continue
        topic = _dot(vectors[i], vectors[j])
        if topic >= TOPIC_THRESHOLD:
            found.append((lessons[i], lessons[j], "story and check", topic))
    return found
