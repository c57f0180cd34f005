"""The triage sets (tests/heldout/) over REST, on the trained model.

Every emergency must get urgent-care direction first. A near-miss (a symptom negated, past, someone
else's history, hypothetical or asked about) must not; whether it then gets the right answer is
measured by `make evaluate`, where it depends on understanding the question too.

Every set here (`heldout_check.TRIAGE_SETS`) has had its misses read while the lexicon was widened, each
after it had been measured once as held out (triage_thirtyeighth.yml last): they guard against regressions.
A set that has not been read yet is measured once before it joins that list: a test on it would invite
tuning to it.

tests/review_red_flags.yml, when there is one, holds the red flags staff found the assistant missed
(`python -m review export-training`): each is a test here until knowledge/red_flags.yml catches it.
"""

from __future__ import annotations

import pytest

from review.training import DEFAULT_RED_FLAGS_OUT
from scripts import heldout_check

NEAR_MISSES_NOT_SENT_TO_URGENT_CARE = 0.9
SETS = list(heldout_check.TRIAGE_SETS)
if DEFAULT_RED_FLAGS_OUT.exists():
    SETS.append(DEFAULT_RED_FLAGS_OUT)


@pytest.mark.parametrize("name", SETS, ids=lambda name: getattr(name, "name", name))
def test_every_emergency_gets_urgent_care_first_and_near_misses_do_not(rasa_url, name):
    result = heldout_check.triage(rasa_url, name)
    missed = [m["texts"] for m in result["misses"] if m["expect"] == ["red_flag"]]
    assert not missed, missed
    alarmed = [m["texts"] for m in result["misses"] if m["expect"] != ["red_flag"] and m["urgent_first"]]
    near_misses = result["near_misses"]["of"]
    assert len(alarmed) <= (1 - NEAR_MISSES_NOT_SENT_TO_URGENT_CARE) * near_misses, alarmed
