"""The detectors against 288 realistic reflections written for the tests (tests/data/reflections.jsonl)."""

import json
from pathlib import Path

import pytest

from schedules.detector_scores import score_corpus

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def scores():
    return score_corpus(load("reflections.jsonl"))


def test_corpus_is_large_enough():
    assert len(load("reflections.jsonl")) >= 200


def test_nhs_numbers_and_postcodes_are_all_found(scores):
    detectors, _ = scores
    for kind in ("nhs_number", "postcode"):
        assert detectors[kind].recall == 1.0, detectors[kind].misses
        assert detectors[kind].false_positives == 0, detectors[kind].extras


def test_other_identifiers(scores):
    detectors, _ = scores
    for kind in ("date", "phone", "email"):
        assert detectors[kind].recall >= 0.95, (kind, detectors[kind].misses)
        assert detectors[kind].false_positives <= 2, (kind, detectors[kind].extras)
    assert detectors["name"].recall >= 0.85, detectors["name"].misses


def test_live_concerns_err_towards_the_signpost(scores):
    _, concern = scores
    assert concern["caught"] / concern["true"] >= 0.95
    assert concern["false_alarms"] / concern["false"] <= 0.10


def test_live_concerns_on_the_separately_written_held_out_set():
    from schedules.concern import check_concern

    rows = load("reflections_holdout.jsonl")
    live = [r for r in rows if r["concern"]]
    calm = [r for r in rows if not r["concern"]]
    assert sum(check_concern(r["text"]).live for r in live) / len(live) >= 0.9
    assert sum(check_concern(r["text"]).live for r in calm) / len(calm) <= 0.15


def test_every_identifier_form_from_issue_15_is_caught():
    """tests/data/identifiers_holdout.jsonl: dotted NHS numbers, postcodes with two spaces or a hyphen, "born
    April 2019", mobiles without the 0, names in capitals or lower case or missing from the name list, street
    addresses, and near misses that must be left alone."""
    rows = load("identifiers_holdout.jsonl")
    detectors, _ = score_corpus(rows)
    for kind in ("nhs_number", "postcode", "date", "phone", "name", "address"):
        assert detectors[kind].labelled and detectors[kind].recall == 1.0, (kind, detectors[kind].misses)
    assert sum(d.false_positives for d in detectors.values()) == 0, [d.extras for d in detectors.values() if d.extras]
