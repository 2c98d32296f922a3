"""Recall and false positives of each identifier detector and of the live-concern rules, on the test
corpus of realistic reflections (tests/data/reflections.jsonl).

    uv run python bench/redaction.py [--corpus PATH] [--misses]"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schedules.concern import check_concern
from schedules.detector_scores import score_corpus

CORPUS = ROOT / "tests" / "data" / "reflections.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "reflections_holdout.jsonl"
IDENTIFIERS = ROOT / "tests" / "data" / "identifiers_holdout.jsonl"  # every identifier form from issue 15


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="list every miss and false positive")
    args = parser.parse_args()
    lines = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    scores, concern = score_corpus(lines)
    elapsed = time.perf_counter() - started
    print(f"corpus: {len(lines)} reflections ({elapsed * 1000 / len(lines):.2f} ms each, both checks)")
    print(f"{'detector':12} {'labelled':>8} {'found':>6} {'recall':>7} {'false +':>8}")
    for kind, s in scores.items():
        print(f"{kind:12} {s.labelled:>8} {s.found:>6} {s.recall:>7.1%} {s.false_positives:>8}")
        if args.misses:
            for item in s.misses:
                print(f"    missed {item}")
            for item in s.extras:
                print(f"    extra  {item}")
    recall = concern["caught"] / concern["true"] if concern["true"] else 1.0
    alarm = concern["false_alarms"] / concern["false"] if concern["false"] else 0.0
    print(
        f"live concern: {concern['caught']}/{concern['true']} caught (recall {recall:.1%}), "
        f"{concern['false_alarms']}/{concern['false']} false alarms ({alarm:.1%})"
    )
    if IDENTIFIERS.exists() and args.corpus != IDENTIFIERS:
        rows = [json.loads(line) for line in IDENTIFIERS.read_text(encoding="utf-8").splitlines() if line.strip()]
        found, _ = score_corpus(rows)
        labelled = sum(s.labelled for s in found.values())
        caught = sum(s.found for s in found.values())
        extras = sum(s.false_positives for s in found.values())
        print(
            f"identifier forms ({IDENTIFIERS.name}, {len(rows)} reflections): {caught}/{labelled} found, "
            f"{extras} false positives; " + ", ".join(f"{k} {s.found}/{s.labelled}" for k, s in found.items() if s.labelled)
        )
    if HOLDOUT.exists():
        rows = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
        live = [r for r in rows if r["concern"]]
        calm = [r for r in rows if not r["concern"]]
        caught = sum(check_concern(r["text"]).live for r in live)
        alarms = sum(check_concern(r["text"]).live for r in calm)
        print(
            f"live concern, held-out set ({len(rows)} reflections): {caught}/{len(live)} caught, {alarms}/{len(calm)} false alarms"
        )


if __name__ == "__main__":
    main()
