"""The frozen held-out triage set (tests/heldout/triage.yml) over REST, on the trained model.

Every emergency must get urgent-care direction first. A near-miss (a symptom negated, past, someone
else's history, hypothetical or asked about) must not; whether it then gets the right answer is
measured by `make evaluate`, where it depends on understanding the question too.
"""

from __future__ import annotations

from scripts import heldout_check

NEAR_MISSES_NOT_SENT_TO_URGENT_CARE = 0.9


def test_every_held_out_emergency_gets_urgent_care_first_and_near_misses_do_not(rasa_url):
    result = heldout_check.triage(rasa_url)
    missed = [m["texts"] for m in result["misses"] if m["expect"] == ["red_flag"]]
    assert not missed, missed
    alarmed = [m["texts"] for m in result["misses"] if m["expect"] != ["red_flag"] and m["urgent_first"]]
    near_misses = result["near_misses"]["of"]
    assert len(alarmed) <= (1 - NEAR_MISSES_NOT_SENT_TO_URGENT_CARE) * near_misses, alarmed
