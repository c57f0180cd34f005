"""The triage sets (tests/heldout/) on the trained model.

Every emergency must get urgent-care direction first. A near-miss (a symptom negated, past, someone
else's history, hypothetical or asked about) must not; whether it then gets the right answer is
measured by `make evaluate`, where it depends on understanding the question too.

Every set here (`heldout_check.TRIAGE_SETS`) has had its misses read while the lexicon was widened, each
after it had been measured once as held out (triage_fiftyninth.yml last): they guard against regressions.
A set that has not been read yet is measured once before it joins that list: a test on it would invite
tuning to it.

The newest set goes over REST to the real servers, whole. So does every conversation of several turns:
once a red flag is told, the action server puts urgent care first in every later reply. A message on its
own gets urgent care first exactly when the model's intent is `report_red_flag` (a rule answers it with
the urgent-care response), so the earlier sets' one-message items are parsed by the trained model in this
process, in half the time of a round trip.

tests/review_red_flags.yml, when there is one, holds the red flags staff found the assistant missed
(`python -m review export-training`): each is a test here, over REST, until knowledge/red_flags.yml catches
it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Union

import pytest
from rasa.core.agent import Agent

from actions import knowledge
from contract import RED_FLAG_INTENT
from review.training import DEFAULT_RED_FLAGS_OUT
from scripts import heldout_check
from tests.harness import model, servers

NEAR_MISSES_NOT_SENT_TO_URGENT_CARE = 0.9
*EARLIER, NEWEST = heldout_check.TRIAGE_SETS
OVER_REST: List[Union[str, Path]] = [NEWEST]
if DEFAULT_RED_FLAGS_OUT.exists():
    OVER_REST.append(DEFAULT_RED_FLAGS_OUT)


def assert_triaged(missed: List[Any], alarmed: List[Any], near_misses: int) -> None:
    """No emergency missed; at most one near-miss in ten sent to urgent care."""
    assert not missed, missed
    assert len(alarmed) <= (1 - NEAR_MISSES_NOT_SENT_TO_URGENT_CARE) * near_misses, alarmed


@pytest.mark.parametrize("name", OVER_REST, ids=lambda name: getattr(name, "name", name))
def test_every_emergency_gets_urgent_care_first_and_near_misses_do_not(rasa_url, name):
    result = heldout_check.triage(rasa_url, name)
    missed = [m["texts"] for m in result["misses"] if m["expect"] == ["red_flag"]]
    alarmed = [m["texts"] for m in result["misses"] if m["expect"] != ["red_flag"] and m["urgent_first"]]
    assert_triaged(missed, alarmed, result["near_misses"]["of"])


@pytest.fixture(scope="module")
def agent() -> Agent:
    return model.load(servers.MODEL)


def sent_to_urgent_care(rasa_url: str, agent: Agent, items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The items whose last message got urgent care first: one message parsed, a conversation over REST."""
    alone = [item for item in items if "turns" not in item]
    talks = [item for item in items if "turns" in item]
    parsed = model.parse(agent, [item["text"] for item in alone])
    answered = heldout_check.ask_all(rasa_url, talks, knowledge.load(), "group")
    return [item for item, p in zip(alone, parsed) if p["intent"]["name"] == RED_FLAG_INTENT] + [
        item for item, result in zip(talks, answered) if result.urgent_first
    ]


@pytest.mark.parametrize("name", EARLIER)
def test_the_earlier_sets_still_send_emergencies_and_only_them_to_urgent_care(rasa_url, agent, name):
    document = heldout_check.read(name)
    emergencies, near_misses = document["emergencies"], document.get("near_misses") or []
    sent = sent_to_urgent_care(rasa_url, agent, emergencies)
    missed = [item for item in emergencies if item not in sent]
    alarmed = sent_to_urgent_care(rasa_url, agent, near_misses)
    assert_triaged(missed, alarmed, len(near_misses))
