"""Property-based tests (hypothesis): any input gets a clear reply or a 4xx; answers stay grounded."""

from __future__ import annotations

import uuid

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import knowledge
from actions.answers import compose, compose_gap
from actions.numbers import allowed_numbers, numbers_in

FACTS = knowledge.load()
SERVER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@SERVER
@given(text=st.text(max_size=400))
def test_any_text_gets_a_clear_reply_or_a_400(rasa_url, text):
    reply = requests.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": f"prop-{uuid.uuid4()}", "message": text},
        timeout=60,
    )
    if reply.status_code == 400:  # text that is not valid Unicode (lone surrogates)
        assert any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        return
    assert reply.status_code == 200
    messages = reply.json()
    assert messages and all(m.get("text") for m in messages)


@SERVER
@given(body=json_values)
def test_any_json_body_gets_a_reply_or_a_4xx(rasa_url, body):
    reply = requests.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert reply.status_code == 200 or 400 <= reply.status_code < 500


@given(
    topic=st.sampled_from(sorted(FACTS.topics)),
    treatment=st.sampled_from(["botox", "filler", "both", None]),
    areas=st.lists(st.sampled_from(["lips", "eye_area", "neck", "forehead", "scars", "jawline"]), max_size=2),
)
def test_every_composed_answer_is_grounded_and_ends_with_a_referral(topic, treatment, areas):
    answer = compose(FACTS, topic, treatment, areas)
    assert answer.text.rstrip().endswith(tuple(FACTS.referrals))
    assert numbers_in(answer.text) <= allowed_numbers()
    for fact_id in answer.fact_ids:
        card = next(f for f in FACTS.facts if f.id == fact_id)
        assert card.answer in answer.text


@given(
    gaps=st.lists(st.sampled_from(sorted(FACTS.gaps)), min_size=1, max_size=3),
    treatment=st.sampled_from(["botox", "filler", "both", None]),
)
def test_every_gap_answer_says_so_and_refers_on(gaps, treatment):
    answer = compose_gap(FACTS, gaps, treatment)
    assert "doesn't cover" in answer.text and answer.fact_ids == ()
    assert answer.text.rstrip().endswith(tuple(FACTS.referrals))
