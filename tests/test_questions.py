"""Finding the questions in a message and reading their topics (components/questions.py)."""

from __future__ import annotations

from typing import Dict

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.questions import QuestionParts, QuestionSplitter, question_parts
from contract import (
    FALLBACK_INTENT,
    NOT_COVERED_INTENT,
    OTHER_QUESTIONS_KEY,
    OUT_OF_SCOPE_INTENT,
    RED_FLAG_INTENT,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, parts",
    [
        ("What are fillers and how do they work?", ["What are fillers", "how do they work?"]),
        ("how long does botox last and how much is it", ["how long does botox last", "how much is it"]),
        ("Is it safe? How long does it last?", ["Is it safe?", "How long does it last?"]),
        ("my lips are swollen. is that normal? will it go down", ["is that normal?", "will it go down"]),
        ("I know Botox lasts a few months, but what does it actually cost?", None),
        ("botox and fillers, what's the difference?", None),
        ("botox vs fillers which lasts longer", []),
    ],
)
def test_question_parts(text, parts):
    found = question_parts(text)
    assert found == (parts if parts is not None else [text])


def _read(text: str, intent: str, parts: Dict[str, str]) -> Message:
    """`text` through QuestionSplitter, its parts classified as `parts` says, then QuestionParts."""
    messages = QuestionSplitter({}).process([Message(data={TEXT: text})])
    for message in messages:
        name = intent if message is messages[0] else parts.get(message.get(TEXT), FALLBACK_INTENT)
        message.set(INTENT, {"name": name, "confidence": 0.9})
    read = QuestionParts({}).process(messages)
    assert read == messages[:1]  # the parts never leave the pipeline
    return read[0]


def test_a_message_that_is_one_question_and_nothing_else_is_not_split():
    message = Message(data={TEXT: "How long does Botox last?"})
    assert QuestionSplitter({}).process([message]) == [message]


def test_each_question_part_asks_its_own_topic_in_the_order_asked():
    message = _read(
        "How long does Botox last? And how much is it?",
        FALLBACK_INTENT,
        {"How long does Botox last?": "ask_duration", "how much is it?": "ask_cost"},
    )
    assert message.get(INTENT)["name"] == "ask_duration"
    assert message.get(OTHER_QUESTIONS_KEY) == ["ask_cost"]


def test_the_whole_reading_stays_first_when_a_part_asks_it_too():
    message = _read(
        "What are fillers and how do they work?",
        "ask_how_it_works",
        {"What are fillers": "ask_what_is", "how do they work?": "ask_how_it_works"},
    )
    assert message.get(INTENT)["name"] == "ask_how_it_works"
    assert message.get(OTHER_QUESTIONS_KEY) == ["ask_what_is"]


def test_the_whole_reading_stays_first_when_a_part_names_no_topic_of_its_own():
    message = _read(
        "can i get lip filler and where else",
        "ask_treatment_areas",
        {"can i get lip filler": "ask_suitability", "where else": OUT_OF_SCOPE_INTENT},
    )
    assert message.get(INTENT)["name"] == "ask_treatment_areas"
    assert message.get(OTHER_QUESTIONS_KEY) == ["ask_suitability"]


def test_the_question_after_a_story_outweighs_the_story():
    story = "I get Botox a few times a year and my forehead is smooth. How long does filler last?"
    message = _read(story, "ask_side_effects", {"How long does filler last?": "ask_duration"})
    assert message.get(INTENT)["name"] == "ask_duration"
    assert message.get(OTHER_QUESTIONS_KEY) is None


def test_a_part_the_article_does_not_cover_is_listed_after_the_topics():
    message = _read(
        "How long does Botox last? Will it make me look worse in the years ahead?",
        FALLBACK_INTENT,
        {
            "How long does Botox last?": "ask_duration",
            "Will it make me look worse in the years ahead?": NOT_COVERED_INTENT,
        },
    )
    assert message.get(INTENT)["name"] == "ask_duration"
    assert message.get(OTHER_QUESTIONS_KEY) == [NOT_COVERED_INTENT]


def test_a_part_the_classifier_is_unsure_of_leaves_the_whole_reading():
    message = _read("My lips are swollen. Is that normal?", "ask_side_effects", {})
    assert message.get(INTENT)["name"] == "ask_side_effects"


@pytest.mark.parametrize("intent", [RED_FLAG_INTENT, OUT_OF_SCOPE_INTENT, "book_appointment"])
def test_a_red_flag_a_booking_or_an_off_topic_message_is_never_overridden(intent):
    message = _read(
        "I can't breathe. How long does Botox last?", intent, {"How long does Botox last?": "ask_duration"}
    )
    assert message.get(INTENT)["name"] == intent
