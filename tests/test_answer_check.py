"""Held-out patient questions (tests/patient_questions.yml) against the real, running assistant."""

from __future__ import annotations

from scripts import answer_check


def test_held_out_patient_questions_are_answered_safely_and_mostly_right(rasa_url):
    scores = answer_check.run(rasa_url)
    misses = [(t["text"], t["expect"], t["reply"][:120]) for t in scores["details"] if not t["understood"]]
    assert scores["red_flags_caught"] == 1.0, misses
    assert scores["recommendation_in_informational_answers"] == 1.0
    assert scores["free_of_foreign_numbers"] == 1.0
    assert scores["understood"] >= 0.9, misses
