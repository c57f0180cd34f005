"""The training data agrees with the entity patterns, covers every intent and is not the article.

The training data is every NLU file of data/: nlu.yml, and the staff corrections exported to
review_corrections.yml (`python -m review export-training`, which skips what these tests would refuse).
"""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from rapidfuzz import fuzz, process
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.red_flags import RED_FLAG_INTENT, RedFlagDetector
from components.spacy_ruler import BlankSpacyTokenizer, SpacyEntityRuler
from contract import PRODUCT_KEY, PROJECT_ROOT
from review.training import NEAR_COPY, held_out_texts, nlu_files, normalised, read_examples

pytestmark = pytest.mark.unit

TRAINING = TrainingData().merge(*(load_data(str(path)) for path in nlu_files()))
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


def test_no_example_is_written_twice():
    # Rasa merges an exact copy without a word, and a copy that differs only in case or punctuation
    # ("hi" and "hi!") teaches nothing new; either way the file grows and its counts mislead.
    counts = Counter(normalised(text) for path in nlu_files() for _, text, _ in read_examples(path))
    assert not [text for text, count in counts.items() if count > 1]


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


def near_copies_of_held_out_messages(candidates) -> list:
    """Each held-out message with the candidate (normalised) at least NEAR_COPY similar to it."""
    choices = sorted({normalised(candidate) for candidate in candidates})
    return [
        (name, text, match[0])
        for name, text in held_out_texts()
        if (match := process.extractOne(normalised(text), choices, scorer=fuzz.ratio, score_cutoff=NEAR_COPY))
    ]


def test_no_training_example_is_a_near_copy_of_a_held_out_message():
    assert not near_copies_of_held_out_messages(e.get("text") for e in TRAINING.intent_examples)


def test_no_entity_phrase_is_a_near_copy_of_a_held_out_message():
    # a phrase of a few words may be any message's; one that is a whole held-out question was written for it
    phrases = (
        phrase
        for values in load_rules("entity_patterns.yml").values()
        for found in values.values()
        for phrase in found
        if len(phrase.split()) >= 3
    )
    assert not near_copies_of_held_out_messages(phrases)


@pytest.mark.parametrize(
    "text, gaps",
    [
        ("can I take out finance to pay for my lip filler?", []),  # a loan, not a removal
        ("could you take out my filler if I hate it?", ["removal"]),
        ("can botox stop excessive sweating under my arms?", ["other_uses"]),
        ("is botox any use for a face left lopsided by bell's palsy?", ["other_uses"]),
        ("who can perform lip filler where you are?", ["other"]),
        ("what happens if i hate how my lips look?", ["removal"]),
        ("is botox for teeth grinding the same as the cosmetic one?", ["other_uses"]),
        ("I've been sweating and dizzy since my filler", []),  # a symptom, not a use
        ("what should I avoid before my botox?", ["preparation"]),
        ("how long does the treatment take, start to finish?", ["other"]),
        ("one brow sits higher since my botox, can it be fixed?", ["side_effect_care"]),
        ("do men get fillers too?", ["men"]),
        ("is sculptra natural or man-made?", []),  # a material, not a patient
        ("what happens when you stop getting botox?", ["stopping"]),
        ("can you stop getting older with botox?", []),  # ageing, not treatment, stops
        ("my lines vanish when I stop frowning", []),
        ("what will botox in my forehead feel like?", ["pain"]),
        ("I feel like my lips are uneven after filler", []),  # a story's words, not a question's
        ("what if I don't like my lips afterwards?", ["removal"]),
        ("how much botox is too much?", ["dosage"]),
        ("what's a good age to start fillers?", ["age"]),
        ("what\u2019s it like to get botox?", ["appointment"]),  # a phone's curly apostrophe
        ("what happens at your consultation for lip filler?", ["appointment"]),
        # how long an appointment takes, or results take to start: the question says which
        ("how long do the injections take to work?", ["onset"]),
        ("what if I don\u00b4t like the result?", ["removal"]),
        ("does filler affect breast milk?", ["pregnancy"]),
        ("my baby is still breastfed, can I have filler?", ["pregnancy"]),
        ("I'm over 60, is filler still worth it?", ["age"]),
        ("can I go to my yoga class after botox?", ["downtime"]),
        ("what should I look for when choosing a clinic for botox?", ["other"]),
        ("when do anti-wrinkle injections begin to work?", ["onset"]),
        ("is it ok to go running the day after botox?", ["downtime"]),
        ("I had a mini stroke two years ago, can I have filler?", ["health"]),  # a health condition
    ],
)
def test_gap_words_are_read_by_what_they_mean(text, gaps):
    found = RULER.process([Message(data={"text": text})])[0].get("entities", [])
    assert list(dict.fromkeys(e["value"] for e in found if e["entity"] == "gap_topic")) == gaps


@pytest.mark.parametrize(
    "text, gaps",
    [
        ("no bruising at all after my lip filler, how long will it last?", []),  # denied: results asked
        ("I don't want any bruising from my filler before my wedding, what should I avoid?", ["downtime"]),
        ("no pain after my filler, but how long does the bruising last?", ["downtime"]),  # pain denied
    ],
)
def test_the_gap_words_of_a_denied_symptom_are_dropped(text, gaps):
    message = RULER.process([Message(data={"text": text})])[0]
    message.set("intent", {"name": "ask_duration", "confidence": 0.8})
    DETECTOR.process([message])
    entities = message.get("entities")
    assert [e["value"] for e in entities if e["entity"] == "gap_topic"] == gaps
    assert "treatment" in {e["entity"] for e in entities}


@pytest.mark.parametrize(
    "text, products",
    [
        ("is juvederm voluma better than restylane?", ["juvederm", "voluma", "restylane"]),
        ("Dysport or BOTOX for my frown lines?", ["Dysport", "BOTOX"]),
        ("how is Sculptra different from other fillers?", ["Sculptra"]),
        ("can you feel the filler after a lip injection?", []),
        ("are HA fillers and botulinum toxin the same thing?", []),
    ],
)
def test_product_names_are_told_from_kinds_of_treatment(text, products):
    found = RULER.process([Message(data={"text": text})])[0].get("entities", [])
    assert [text[e["start"] : e["end"]] for e in found if e.get(PRODUCT_KEY)] == products


def test_words_asking_how_a_side_effect_is_put_right_give_the_classifier_no_feature():
    # "how can I treat thinning lips?" asks of a treatment: the words must not read as a gap
    tokenizer = BlankSpacyTokenizer(BlankSpacyTokenizer.get_default_config())

    def sentence_features(text: str):
        message = Message(data={"text": text})
        RULER.process(tokenizer.process([message]))
        return message.get_sparse_features("text")[1].features.toarray()

    told = "one brow sits higher since my botox"
    assert (sentence_features(told) == sentence_features(f"{told}, can it be fixed")).all()
    assert (sentence_features("hello there") == sentence_features("can it be fixed")).all()
