"""Held-out patient questions (tests/patient_questions.yml) against the real, running assistant."""

from __future__ import annotations

import pytest

from actions import knowledge
from scripts import answer_check, heldout_check


def test_held_out_patient_questions_are_answered_safely_and_mostly_right(rasa_url):
    scores = answer_check.run(rasa_url)
    misses = [(t["text"], t["expect"], t["reply"][:120]) for t in scores["details"] if not t["understood"]]
    assert scores["red_flags_caught"] == 1.0, misses
    assert scores["recommendation_in_informational_answers"] == 1.0
    assert scores["free_of_foreign_numbers"] == 1.0
    assert scores["understood"] >= 0.9, misses


@pytest.mark.unit
@pytest.mark.parametrize(
    "expect, gap, right",
    [
        ("gap:pain", "pain", True),
        ("gap:pain", "other", False),  # a gap the guide names must be said by name
        ("gap:other", "other", True),
        ("gap:other", "appearance", True),  # a gap the guide lacks is one of its "other" gaps
        ("gap:other", "pain", False),
    ],
)
def test_a_gap_is_met_by_its_name_or_by_one_the_labelling_guide_lacks(expect, gap, right):
    facts = knowledge.load()
    reply = f"The clinic's article doesn't cover {facts.gaps[gap]}, so I can't give you a reliable answer."
    assert answer_check.meets(expect, [{"text": reply}], facts) is right


@pytest.mark.unit
def test_every_second_label_is_of_a_held_out_question_and_names_an_answer_the_check_knows():
    facts = knowledge.load()
    answers = {fact.id for fact in facts.facts} | {"red_flag", "out_of_scope", "contact"}
    answers |= {f"gap:{gap}" for gap in answer_check.LABELLED_GAPS | {"other"}}
    second = heldout_check.read(heldout_check.SECOND_LABELS)["questions"]
    asked = heldout_check.by_scored_text({s["set"] for s in second})
    assert [s["text"] for s in second if (s["set"], s["text"]) not in asked] == []
    assert {label for s in second for label in heldout_check.expectations(s["expect"])} <= answers
