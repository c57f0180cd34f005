"""The facts file is grounded in the article, complete for every topic, and states no foreign number."""

from __future__ import annotations

import pytest
import yaml

import contract
from actions import knowledge
from actions.answers import NOT_COVERED
from actions.numbers import EMERGENCY_NUMBER, numbers_in
from contract import PROJECT_ROOT

pytestmark = pytest.mark.unit

ARTICLE = (PROJECT_ROOT / "knowledge" / "article.txt").read_text(encoding="utf-8")
SHARED_ARTICLE = PROJECT_ROOT.parent / "shared" / "article.txt"
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
FACTS = knowledge.load()

ARTICLE_NUMBERS = numbers_in(ARTICLE)


def collapse(text: str) -> str:
    return " ".join(text.split())


def test_the_article_is_a_verbatim_copy_of_the_clinics():
    if not SHARED_ARTICLE.exists():
        pytest.skip("../shared/article.txt is not beside this checkout")
    assert ARTICLE == SHARED_ARTICLE.read_text(encoding="utf-8")


@pytest.mark.parametrize("fact", FACTS.facts, ids=lambda f: f.id)
def test_every_quote_is_in_the_article_word_for_word(fact):
    assert fact.quotes, f"{fact.id} quotes nothing"
    for quote in fact.quotes:
        assert collapse(quote) in collapse(ARTICLE), f"{fact.id}: not in the article: {quote!r}"


@pytest.mark.parametrize("fact", FACTS.facts, ids=lambda f: f.id)
def test_every_number_in_an_answer_is_in_its_quotes(fact):
    assert numbers_in(fact.answer) <= numbers_in(" ".join(fact.quotes))


def test_no_response_gap_or_referral_states_a_number_the_article_lacks():
    texts = [v["text"] for variations in DOMAIN["responses"].values() for v in variations]
    texts += list(FACTS.gaps.values()) + list(FACTS.referrals)
    texts += [t.question for t in FACTS.topics.values()] + [t.label for t in FACTS.topics.values()]
    for text in texts:
        assert numbers_in(text) <= ARTICLE_NUMBERS | {EMERGENCY_NUMBER}, text


def test_the_emergency_number_is_only_where_a_patient_may_need_urgent_care():
    with_number = [name for name, variations in DOMAIN["responses"].items()
                   for v in variations if EMERGENCY_NUMBER in numbers_in(v["text"])]  # fmt: skip
    expected = [
        "utter_action_unavailable", "utter_if_symptoms_appear", "utter_urgent_care",
        "utter_urgent_care_reminder",
    ]  # fmt: skip
    assert sorted(with_number) == expected


# Replies that neither give nor withhold information: small talk, the notice that opens a conversation
# before its first answer, and the lines that follow a reply which already recommended a professional.
SMALL_TALK = {
    "utter_notice", "utter_greet", "utter_goodbye", "utter_thanks", "utter_affirm", "utter_deny",
    "utter_iamabot", "utter_if_symptoms_appear", "utter_when_safe", "utter_when_safe_then_answer",
}  # fmt: skip


def test_every_reply_that_gives_or_withholds_information_recommends_a_qualified_professional():
    informational = {name: variations for name, variations in DOMAIN["responses"].items()
                     if name not in SMALL_TALK}  # fmt: skip
    assert "utter_urgent_care" in informational and "utter_out_of_scope" in informational
    for name, variations in informational.items():
        for variation in variations:
            assert "qualified medical professional" in collapse(variation["text"]), name


def test_the_number_check_catches_invented_numbers():
    assert numbers_in("Botox lasts 6 months, or about two weeks.") == {"6", "two"}
    assert not numbers_in("{clinic_phone} and one person") - ARTICLE_NUMBERS


def test_every_topic_intent_has_a_topic_with_an_answer():
    topic_intents = {i[len("ask_") :] for i in DOMAIN["intents"] if i.startswith("ask_")}
    assert topic_intents - {NOT_COVERED} == set(FACTS.topics)
    for name, topic in FACTS.topics.items():
        assert any(f.topic == name for f in FACTS.facts), name
        assert set(topic.follow_ups) <= set(FACTS.topics) - {name}, name


def test_cards_are_unique_and_well_formed():
    keys = [(f.topic, f.treatment) for f in FACTS.facts]
    assert len(keys) == len(set(keys))
    assert len({f.id for f in FACTS.facts}) == len(FACTS.facts)
    for fact in FACTS.facts:
        assert fact.topic in FACTS.topics, fact.id
        assert fact.treatment in contract.TREATMENTS, fact.id


def test_every_referral_names_a_qualified_medical_professional():
    assert len(FACTS.referrals) >= 2
    for referral in FACTS.referrals:
        assert "qualified medical professional" in referral
