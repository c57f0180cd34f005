"""The triage sets (tests/heldout/) over REST, on the trained model.

Every emergency must get urgent-care direction first. A near-miss (a symptom negated, past, someone
else's history, hypothetical or asked about) must not; whether it then gets the right answer is
measured by `make evaluate`, where it depends on understanding the question too.

Every set here has had its misses read while the lexicon was widened, each after it had been measured
once as held out (triage_thirtyeighth.yml last): they guard against regressions. A set that has not been read
yet belongs in `make evaluate` only: a test on it would invite tuning to it.

tests/review_red_flags.yml, when there is one, holds the red flags staff found the assistant missed
(`python -m review export-training`): each is a test here until knowledge/red_flags.yml catches it.
"""

from __future__ import annotations

import pytest

from review.training import DEFAULT_RED_FLAGS_OUT
from scripts import heldout_check

NEAR_MISSES_NOT_SENT_TO_URGENT_CARE = 0.9
SETS = [
    "triage.yml", "triage_final.yml", "triage_third.yml", "triage_fourth.yml", "triage_fifth.yml",
    "triage_sixth.yml", "triage_seventh.yml", "triage_eighth.yml", "triage_ninth.yml", "triage_tenth.yml",
    "triage_eleventh.yml", "triage_twelfth.yml", "triage_thirteenth.yml", "triage_fourteenth.yml",
    "triage_fifteenth.yml", "triage_sixteenth.yml", "triage_seventeenth.yml", "triage_eighteenth.yml",
    "triage_nineteenth.yml", "triage_twentieth.yml", "triage_twentyfirst.yml", "triage_twentysecond.yml",
    "triage_twentythird.yml", "triage_twentyfourth.yml", "triage_twentyfifth.yml", "triage_twentysixth.yml",
    "triage_twentyseventh.yml", "triage_twentyeighth.yml", "triage_twentyninth.yml", "triage_thirtieth.yml",
    "triage_thirtyfirst.yml", "triage_thirtysecond.yml", "triage_thirtythird.yml", "triage_thirtyfourth.yml",
    "triage_thirtyfifth.yml", "triage_thirtysixth.yml", "triage_thirtyseventh.yml", "triage_thirtyeighth.yml",
]  # fmt: skip
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
