"""Score the identifier detectors and the live-concern rules against labelled reflections. Pure."""

from dataclasses import dataclass, field

from schedules.concern import check_concern
from schedules.redaction import find_identifiers

LABEL_KINDS = {
    "nhs": "nhs_number",
    "postcode": "postcode",
    "dob": "date",
    "phone": "phone",
    "email": "email",
    "name": "name",
    "address": "address",
}


@dataclass
class Score:
    labelled: int = 0
    found: int = 0
    false_positives: int = 0
    misses: list = field(default_factory=list)
    extras: list = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0


def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(needle)
    while start != -1:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    return spans


def score_corpus(lines: list[dict]) -> tuple[dict[str, Score], dict[str, int]]:
    scores = {kind: Score() for kind in LABEL_KINDS.values()}
    concern = {"true": 0, "caught": 0, "false": 0, "false_alarms": 0}
    for line in lines:
        text, findings = line["text"], find_identifiers(line["text"])
        labelled_spans = []
        for label, kind in LABEL_KINDS.items():
            for needle in line.get(label, []):
                spans = _spans(text, needle)
                labelled_spans += [(kind, s) for s in spans]
                score = scores[kind]
                score.labelled += 1
                hit = any(f.kind == kind and f.start < e and s < f.end for f in findings for s, e in spans)
                score.found += hit
                if not hit:
                    score.misses.append((line["id"], needle))
        for f in findings:
            if not any(kind == f.kind and f.start < e and s < f.end for kind, (s, e) in labelled_spans):
                scores[f.kind].false_positives += 1
                scores[f.kind].extras.append((line["id"], f.text))
        live = check_concern(text).live
        key = "true" if line["concern"] else "false"
        concern[key] += 1
        concern["caught" if line["concern"] else "false_alarms"] += live == line["concern"] if line["concern"] else live
    return scores, concern
