"""An unsure prediction on a message about Botox or fillers becomes the honest gap answer."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.on_topic import OnTopicGap

pytestmark = pytest.mark.unit
RANKING = [
    {"name": "nlu_fallback", "confidence": 0.5},
    {"name": "ask_duration", "confidence": 0.3},
    {"name": "ask_not_covered", "confidence": 0.2},
]
PROCEDURE = {"entity": "gap_topic", "value": "procedure"}
BOTOX = {"entity": "treatment", "value": "botox"}


def classified(intent: str, entities, confidence: float = 0.9, text: str = "…") -> Message:
    """A message as the classifier leaves it: its intent, ranked first, and its entities."""
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    message.set("entities", entities)
    return message


def unsure(entities) -> Message:
    message = classified("nlu_fallback", entities, confidence=0.5)
    message.set("intent_ranking", RANKING)
    return message


@pytest.mark.parametrize("entity", ["treatment", "area", "gap_topic"])
def test_a_message_about_the_treatments_gets_the_gap_answer_with_the_likeliest_topics(entity):
    message = OnTopicGap({}).process([unsure([{"entity": entity, "value": "x"}])])[0]
    assert message.get("intent") == {"name": "ask_not_covered", "confidence": 0.5}
    assert [r["name"] for r in message.get("intent_ranking")] == ["ask_not_covered", "ask_duration"]


def test_a_message_with_nothing_about_the_treatments_keeps_did_you_mean():
    message = OnTopicGap({}).process([unsure([])])[0]
    assert message.get("intent")["name"] == "nlu_fallback"


def courtesy(text: str) -> Message:
    return classified("thanks", [BOTOX], confidence=0.8, text=text)


def test_a_long_message_ending_in_thanks_is_no_courtesy():
    story = "I had Botox two weeks ago and now my cheeks are swollen, will it go down? Please help. Thanks"
    message = OnTopicGap({}).process([courtesy(story)])[0]
    assert message.get("intent")["name"] == "ask_not_covered"  # on topic: the honest gap, with the referral
    message = OnTopicGap({}).process([courtesy("thanks so much, the Botox answer really helped")])[0]
    assert message.get("intent")["name"] == "thanks"


@pytest.mark.parametrize(
    "intent, entities, becomes",
    [
        ("ask_duration", [PROCEDURE], "out_of_scope"),  # "how long do cheek implants last?"
        ("nlu_fallback", [PROCEDURE], "out_of_scope"),
        ("book_appointment", [PROCEDURE], "book_appointment"),  # a booking stays a booking
        ("out_of_scope", [PROCEDURE, BOTOX], "ask_not_covered"),  # "a facelift after my botox?"
        ("ask_duration", [PROCEDURE, BOTOX], "ask_duration"),
        ("ask_duration", [{"entity": "gap_topic", "value": "pain"}], "ask_duration"),  # no procedure
        ("out_of_scope", [{"entity": "gap_topic", "value": "other"}], "ask_not_covered"),  # "your training?"
        ("out_of_scope", [{"entity": "gap_topic", "value": "side_effect_care"}], "out_of_scope"),  # "fixed?"
    ],
)
def test_another_procedure_is_off_topic_alone_and_a_gap_beside_botox_or_fillers(intent, entities, becomes):
    message = OnTopicGap({}).process([classified(intent, entities)])[0]
    assert message.get("intent") == {"name": becomes, "confidence": 0.9}
