"""The training data agrees with the entity patterns, covers every intent and is not the article."""

from __future__ import annotations

import re

import pytest
import yaml
from rapidfuzz import fuzz, process
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from components.red_flags import RED_FLAG_INTENT, RedFlagDetector
from components.spacy_ruler import SpacyEntityRuler
from contract import PROJECT_ROOT

pytestmark = pytest.mark.unit

TRAINING = load_data(str(PROJECT_ROOT / "data" / "nlu.yml"))
ARTICLE = (PROJECT_ROOT / "knowledge" / "article.txt").read_text(encoding="utf-8").lower()
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def load_rules(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "knowledge" / name).read_text(encoding="utf-8"))


RULER = SpacyEntityRuler({}, None, None, load_rules("entity_patterns.yml"))
DETECTOR = RedFlagDetector({}, None, None, load_rules("red_flags.yml"))


def spans(entities) -> set:
    return {(e["entity"], e["start"], e["end"], e["value"]) for e in entities}


def test_every_intent_has_at_least_fifteen_examples():
    counts = {intent: 0 for intent in DOMAIN["intents"]}
    for example in TRAINING.intent_examples:
        counts[example.get("intent")] += 1
    assert min(counts.values()) >= 15, counts


def test_annotations_match_what_the_entity_ruler_finds():
    mismatches = []
    for example in TRAINING.intent_examples:
        found = RULER.process([Message(data={"text": example.get("text")})])[0].get("entities", [])
        if spans(found) != spans(example.get("entities", [])):
            mismatches.append((example.get("text"), spans(found), spans(example.get("entities", []))))
    assert not mismatches


def test_no_example_is_copied_from_the_article():
    for example in TRAINING.intent_examples:
        text = example.get("text").lower()
        assert len(text.split()) < 8 or text not in ARTICLE, text


def test_no_question_outside_report_red_flag_trips_the_red_flag_net():
    false_alarms = [
        e.get("text")
        for e in TRAINING.intent_examples
        if e.get("intent") != RED_FLAG_INTENT and DETECTOR.detect(e.get("text"))
    ]
    assert not false_alarms


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def held_out_texts():
    """Every patient message of the held-out sets and of tests/patient_questions.yml."""
    for path in sorted((PROJECT_ROOT / "tests" / "heldout").glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for items in document.values():
            for item in items:
                for turn in item.get("turns") or [item]:
                    yield path.name, turn if isinstance(turn, str) else turn["text"]
    document = yaml.safe_load((PROJECT_ROOT / "tests" / "patient_questions.yml").read_text(encoding="utf-8"))
    for conversation in document["conversations"]:
        for turn in conversation:
            yield "patient_questions.yml", turn["text"]


def test_no_training_example_is_a_near_copy_of_a_held_out_message():
    examples = sorted({normalised(e.get("text")) for e in TRAINING.intent_examples})
    near_copies = [
        (name, text, match[0])
        for name, text in held_out_texts()
        if (match := process.extractOne(normalised(text), examples, scorer=fuzz.ratio, score_cutoff=90))
    ]
    assert not near_copies
