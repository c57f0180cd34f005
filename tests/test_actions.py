"""The custom actions, run inline with rasa-sdk's Tracker and CollectingDispatcher (no network)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions, config, knowledge
from contract import PRODUCT_KEY

pytestmark = pytest.mark.unit

QUALIFIED = "qualified medical professional"


def tracker(
    intent: str,
    text: str = "",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    **parse_data: Any,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        **parse_data,
    }
    return Tracker("patient", {"notice_shown": True, **(slots or {})}, latest, [], False, None, {}, "")


def treatment(value: str, text: str, start: int = 0, product: bool = False) -> Dict[str, Any]:
    named = {"entity": "treatment", "value": value, "start": start, "end": start + len(text)}
    return {**named, PRODUCT_KEY: True} if product else named


def entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0}


async def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def answer(tracker_: Tracker):
    return await run(actions.ActionAnswerQuestion(), tracker_)


async def test_botox_duration_is_three_to_four_months_with_a_referral():
    messages, slots = await answer(tracker("ask_duration", entities=[treatment("botox", "Botox")]))
    assert len(messages) == 1
    assert "three to four months" in messages[0]["text"]
    assert QUALIFIED in messages[0]["text"]
    assert messages[0]["facts"] == ["botox_duration"]
    assert slots == {"topic": "duration", "treatment": "botox"}


async def test_a_follow_up_without_a_treatment_uses_the_remembered_one():
    messages, slots = await answer(tracker("ask_duration", slots={"treatment": "filler"}))
    assert "three to twelve months" in messages[0]["text"]
    assert "two years" in messages[0]["text"]
    assert "treatment" not in slots


async def test_and_fillers_repeats_the_last_topic_for_fillers():
    messages, slots = await answer(
        tracker(
            "inform_treatment",
            entities=[treatment("filler", "fillers")],
            slots={"topic": "duration", "treatment": "botox"},
        )
    )
    assert messages[0]["facts"] == ["filler_duration"]
    assert slots["treatment"] == "filler"


async def test_no_treatment_anywhere_gives_both_side_by_side():
    messages, _ = await answer(tracker("ask_how_it_works"))
    text = messages[0]["text"]
    assert text.startswith("Botox: ") and "\n\nDermal fillers: " in text
    assert messages[0]["facts"] == ["botox_how_it_works", "filler_how_it_works"]


async def test_a_shared_card_answers_either_treatment():
    messages, _ = await answer(tracker("ask_side_effects", entities=[treatment("botox", "botox")]))
    assert messages[0]["facts"] == ["both_side_effects"]
    assert "explain the potential side effects" in messages[0]["text"]


async def test_a_topic_the_article_has_no_card_for_says_so():
    messages, _ = await answer(tracker("ask_filler_types", entities=[treatment("botox", "botox")]))
    text = messages[0]["text"]
    assert "doesn't cover natural and synthetic products for Botox" in text
    assert QUALIFIED in text
    assert messages[0]["facts"] == [] and messages[0]["gaps"] == ["filler_types"]


async def test_a_gap_names_what_the_article_does_not_cover():
    messages, slots = await answer(
        tracker(
            "ask_not_covered",
            entities=[entity("gap_topic", "pregnancy"), treatment("botox", "botox")],
        )
    )
    assert "doesn't cover treatment during pregnancy or breastfeeding for Botox" in messages[0]["text"]
    assert QUALIFIED in messages[0]["text"]
    assert slots["topic"] == "not_covered" and slots["gap_topics"] == ["pregnancy"]
    assert messages[0]["gaps"] == ["pregnancy"]  # for the review app's gap flag


async def test_a_gap_word_overrides_a_related_topic():
    # "How soon does Botox work?" may be classified as how_it_works; the article is silent on onset.
    messages, _ = await answer(
        tracker("ask_how_it_works", entities=[entity("gap_topic", "onset"), treatment("botox", "x")])
    )
    assert "doesn't cover how soon results appear" in messages[0]["text"]


async def test_an_amount_asked_beside_the_cost_is_said_to_be_a_gap_before_the_cost_card():
    # "how much botox is needed for my face, and what will it cost?"
    messages, _ = await answer(tracker("ask_cost", entities=[entity("gap_topic", "dosage")]))
    assert messages[0]["facts"] == ["both_cost"] and messages[0]["gaps"] == ["dosage"]
    assert messages[0]["text"].startswith("The clinic's article doesn't cover how many units")


@pytest.mark.parametrize(
    "intent, topic, facts",
    [
        ("ask_not_covered", "suitability", ["both_suitability"]),
        ("ask_suitability", "suitability", ["both_suitability"]),
        ("ask_side_effects", "side_effects", ["both_side_effects", "both_suitability"]),
    ],
)
async def test_a_health_condition_or_medicine_gets_its_gap_then_the_suitability_card(intent, topic, facts):
    entities = [treatment("filler", "fillers"), entity("gap_topic", "health")]
    messages, slots = await answer(tracker(intent, "can I have fillers on blood thinners?", entities))
    text = messages[0]["text"]
    assert text.startswith("The clinic's article doesn't cover health conditions or medicines")
    assert messages[0]["facts"] == facts
    assert messages[0]["gaps"][0] == "health"
    assert QUALIFIED in text
    assert slots["topic"] == topic


@pytest.mark.parametrize("intent", ["ask_not_covered", "ask_suitability"])
async def test_a_question_about_men_gets_its_gap_then_the_suitability_card(intent):
    messages, slots = await answer(tracker(intent, "are fillers ok for men?", [entity("gap_topic", "men")]))
    assert messages[0]["text"].startswith("The clinic's article doesn't cover treatment for men")
    assert messages[0]["facts"] == ["both_suitability"] and messages[0]["gaps"] == ["men"]
    assert slots["topic"] == "suitability"


@pytest.mark.parametrize("intent", ["ask_not_covered", "ask_maintenance"])
async def test_stopping_treatment_gets_its_gap_then_what_the_article_says_of_keeping_results(intent):
    messages, slots = await answer(
        tracker(intent, "what happens if I stop botox?", [entity("gap_topic", "stopping")])
    )
    assert messages[0]["text"].startswith("The clinic's article doesn't cover what happens when you stop")
    assert messages[0]["gaps"] == ["stopping"] and "botox_maintenance" in messages[0]["facts"]
    assert slots["topic"] == "maintenance"


async def test_what_is_with_an_area_named_also_says_what_the_article_says_of_the_areas():
    asked = [treatment("botox", "Botox"), entity("area", "jawline")]
    messages, _ = await answer(tracker("ask_what_is", "what is masseter botox?", asked))
    assert messages[0]["facts"] == ["botox_what_is", "botox_treatment_areas"]
    assert "doesn't specifically mention the jawline" in messages[0]["text"]


async def test_a_question_about_the_appointment_itself_names_that_gap_and_offers_the_clinic():
    gap = entity("gap_topic", "appointment")
    messages, _ = await answer(tracker("ask_not_covered", "what happens at my first appointment?", [gap]))
    assert messages[0]["text"].startswith(
        "The clinic's article doesn't cover what happens at an appointment or how long it takes"
    )
    assert messages[0]["gaps"] == ["appointment"] and not messages[0]["facts"]
    assert {"title": "Ask the clinic", "payload": "/request_human"} in messages[0]["buttons"]


@pytest.mark.parametrize("intent", ["ask_not_covered", "ask_result_factors"])
async def test_how_a_result_will_look_gets_its_gap_then_what_results_depend_on(intent):
    messages, slots = await answer(
        tracker(intent, "will I look frozen?", [entity("gap_topic", "appearance")])
    )
    text = messages[0]["text"]
    assert text.startswith("The clinic's article doesn't cover how a result will look")
    assert messages[0]["facts"] == ["both_result_factors"]
    assert QUALIFIED in text
    assert slots["topic"] == "result_factors"


@pytest.mark.parametrize(
    "intent, text",
    [
        ("ask_not_covered", "is dysport better than xeomin"),
        ("ask_duration", "how long does dysport last compared to xeomin"),
    ],
)
async def test_two_brands_of_one_treatment_are_a_brand_comparison_whatever_the_topic(intent, text):
    entities = [
        treatment("botox", brand, text.index(brand), product=True) for brand in ("dysport", "xeomin")
    ]  # fmt: skip
    messages, _ = await answer(tracker(intent, text=text, entities=entities))
    assert "how one brand compares with another" in messages[0]["text"]


async def test_an_area_question_gives_the_asked_treatment_then_the_one_the_article_names():
    messages, _ = await answer(
        tracker("ask_treatment_areas", entities=[entity("area", "lips"), treatment("botox", "botox")])
    )
    assert messages[0]["facts"] == ["botox_treatment_areas", "filler_treatment_areas"]
    messages, _ = await answer(tracker("ask_treatment_areas", entities=[entity("area", "lips")]))
    assert messages[0]["facts"] == ["filler_treatment_areas"]


async def test_areas_only_matter_to_the_treatment_areas_topic():
    messages, _ = await answer(tracker("ask_suitability", entities=[entity("area", "eye_area")]))
    assert messages[0]["facts"] == ["both_suitability"]
    assert "doesn't specifically mention" not in messages[0]["text"]


async def test_an_area_the_article_does_not_name_is_said_to_be_outside_it():
    messages, _ = await answer(tracker("ask_treatment_areas", entities=[entity("area", "neck")]))
    assert messages[0]["text"].startswith("The clinic's article doesn't specifically mention the neck.")


async def test_answers_offer_follow_up_questions():
    messages, _ = await answer(tracker("ask_what_is", entities=[treatment("filler", "filler")]))
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/ask_how_it_works",
        "/ask_duration",
        "/ask_difference",
    ]


async def test_the_notice_comes_first_once_per_conversation():
    first = tracker("ask_cost", slots={"notice_shown": None})
    messages, slots = await answer(first)
    assert [m["response"] for m in messages[:1]] == ["utter_notice"]
    assert messages[0]["clinic_name"] == config.clinic().name
    assert slots["notice_shown"] is True
    messages, slots = await answer(tracker("ask_cost"))
    assert all(m.get("response") != "utter_notice" for m in messages)
    assert "notice_shown" not in slots


async def test_after_the_urgent_care_rule_the_red_flag_action_names_symptoms_and_marks_the_turn():
    flags = [{"id": "vision", "label": "changes in your vision"}]
    messages, slots = await run(
        actions.ActionHandleRedFlag(),
        tracker("report_red_flag", slots={"notice_shown": None}, red_flags=flags),
    )
    assert messages[0]["response"] == "utter_when_safe"
    assert messages[0]["symptoms"] == "changes in your vision"
    assert messages[0]["clinic_phone"] == config.clinic().phone
    assert messages[-1]["response"] == "utter_notice"
    assert slots["red_flag"] is True


async def test_a_red_flag_that_asks_something_gets_its_answer_after_the_urgent_care_direction():
    flags = [{"id": "skin_color_or_unusual_pain", "label": "skin turning white, grey or blue"}]
    side_effects = next(f for f in knowledge.load().facts if f.id == "both_side_effects").answer
    messages, slots = await run(
        actions.ActionHandleRedFlag(),
        tracker(
            "report_red_flag",
            entities=[treatment("botox", "Botox")],
            red_flags=flags,
            other_questions=["ask_duration"],
        ),
    )
    assert messages[0]["response"] == "utter_when_safe_then_answer"
    assert "three to four months" in messages[-1]["text"] and side_effects in messages[-1]["text"]
    assert QUALIFIED in messages[-1]["text"]
    assert messages[-1]["facts"] == ["botox_duration", "both_side_effects"]
    assert slots == {"red_flag": True, "topic": "duration", "treatment": "botox"}


async def test_a_red_flag_the_classifier_found_alone_is_handled_too():
    messages, _ = await run(actions.ActionHandleRedFlag(), tracker("report_red_flag"))
    assert messages[0]["symptoms"] == "symptoms like these"


@pytest.mark.parametrize(
    "action, intent",
    [
        (actions.ActionExplainScope(), "out_of_scope"),
        (actions.ActionAnswerQuestion(), "ask_duration"),
        (actions.ActionDefaultAskAffirmation(), "nlu_fallback"),
        (actions.ActionGreet(), "greet"),
    ],
)
async def test_after_a_red_flag_every_reply_leads_with_urgent_care(action, intent):
    messages, _ = await run(action, tracker(intent, "we're still in the car park", slots={"red_flag": True}))
    assert messages[0]["response"] == "utter_urgent_care_reminder"
    messages, _ = await run(action, tracker(intent, "we're still in the car park"))
    assert all(m.get("response") != "utter_urgent_care_reminder" for m in messages)


async def test_a_question_that_mentions_a_symptom_gets_its_answer_then_one_line_on_urgent_care():
    mentioned = [{"id": "vision", "label": "changes in your vision"}]
    messages, _ = await answer(tracker("ask_side_effects", symptoms_mentioned=mentioned))
    assert "side effects" in messages[0]["text"]  # the question's own answer first
    assert messages[-1]["response"] == "utter_if_symptoms_appear"
    assert messages[-1]["symptoms"] == "changes in your vision"
    messages, _ = await answer(tracker("ask_side_effects"))
    assert all(m.get("response") != "utter_if_symptoms_appear" for m in messages)


async def test_a_message_that_names_a_symptom_gets_the_articles_word_on_side_effects_too():
    everyday = [{"id": "everyday", "label": "swelling or a lump that is getting worse"}]
    side_effects = next(f for f in knowledge.load().facts if f.id == "both_side_effects").answer
    messages, _ = await answer(tracker("ask_duration", symptoms_mentioned=everyday))
    assert "three to four months" in messages[0]["text"] and side_effects in messages[0]["text"]
    messages, _ = await answer(tracker("ask_not_covered", symptoms_mentioned=everyday))
    assert "doesn't cover" in messages[0]["text"] and side_effects in messages[0]["text"]
    messages, _ = await answer(tracker("ask_duration"))
    assert side_effects not in messages[0]["text"]


async def test_a_gap_answer_offers_the_nearest_topics_the_article_covers_and_the_clinic():
    ranking = [{"name": "ask_not_covered"}, {"name": "ask_side_effects"}, {"name": "ask_duration"}]
    messages, _ = await answer(tracker("ask_not_covered", intent_ranking=ranking))
    assert "doesn't cover" in messages[0]["text"] and QUALIFIED in messages[0]["text"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["What are the side effects?", "How long does it last?", "Ask the clinic"]


async def test_a_gap_answer_gives_the_card_of_a_topic_the_classifier_leans_to():
    ranking = [
        {"name": "ask_not_covered", "confidence": 0.5},
        {"name": "ask_treatment_areas", "confidence": 0.4},
        {"name": "ask_duration", "confidence": 0.05},
    ]
    botox = [treatment("botox", "Botox")]
    messages, slots = await answer(tracker("ask_not_covered", entities=botox, intent_ranking=ranking))
    assert messages[0]["text"].startswith("The clinic's article doesn't cover that question for Botox")
    assert messages[0]["facts"] == ["botox_treatment_areas"] and messages[0]["gaps"] == ["other"]
    assert QUALIFIED in messages[0]["text"]
    assert slots["topic"] == "not_covered"
    unsure = [ranking[0], {"name": "ask_treatment_areas", "confidence": 0.2}]
    messages, _ = await answer(tracker("ask_not_covered", entities=botox, intent_ranking=unsure))
    assert messages[0]["facts"] == [] and messages[0]["buttons"][-1] == {
        "title": "Ask the clinic",
        "payload": "/request_human",
    }


async def test_did_you_mean_offers_the_two_likeliest_questions_and_the_clinic():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "greet", "confidence": 0.3},
        {"name": "ask_duration", "confidence": 0.2},
        {"name": "inform_treatment", "confidence": 0.1},
        {"name": "ask_maintenance", "confidence": 0.1},
        {"name": "ask_cost", "confidence": 0.05},
    ]
    messages, _ = await run(
        actions.ActionDefaultAskAffirmation(),
        tracker("nlu_fallback", entities=[treatment("botox", "botox")], intent_ranking=ranking),
    )
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/ask_duration{"treatment": "botox"}',
        '/ask_maintenance{"treatment": "botox"}',
        "/request_human",
    ]


async def test_contact_and_scope_replies_carry_the_clinics_details():
    clinic = config.clinic()
    messages, _ = await run(actions.ActionShareClinicContact(), tracker("book_appointment"))
    assert messages[0]["clinic_phone"] == clinic.phone and messages[0]["booking_url"] == clinic.booking_url
    messages, _ = await run(actions.ActionExplainScope(), tracker("out_of_scope"))
    assert messages[0]["response"] == "utter_out_of_scope" and messages[0]["clinic_name"] == clinic.name


async def test_a_gap_word_that_is_not_about_side_effects_wins_over_them():
    entities = [entity("gap_topic", "pregnancy"), treatment("botox", "botox")]
    messages, _ = await answer(tracker("ask_side_effects", entities=entities))
    assert "doesn't cover treatment during pregnancy or breastfeeding" in messages[0]["text"]
    # "what are the side effects, like bruising?": the side-effects card answers the symptom
    everyday = [{"id": "everyday", "label": "swelling or a lump that is getting worse"}]
    downtime = [entity("gap_topic", "downtime")]
    messages, _ = await answer(tracker("ask_side_effects", entities=downtime, symptoms_mentioned=everyday))
    assert messages[0]["facts"] == ["both_side_effects"] and not messages[0]["gaps"]
    # "is the sauna bad after filler?": aftercare, which the article doesn't cover, then the card
    messages, _ = await answer(tracker("ask_side_effects", entities=downtime))
    assert "doesn't cover downtime, recovery or aftercare" in messages[0]["text"]
    assert messages[0]["facts"] == ["both_side_effects"] and messages[0]["gaps"] == ["downtime"]


async def test_a_question_the_article_says_nothing_of_gets_that_said_before_the_nearest_card():
    # "is Botox safe if I've had Bell's palsy?": the article says nothing of safety, only of side effects
    entities = [entity("gap_topic", "other"), treatment("botox", "Botox")]
    messages, _ = await answer(tracker("ask_side_effects", entities=entities))
    text = messages[0]["text"]
    assert text.startswith("The clinic's article doesn't cover that question for Botox")
    assert messages[0]["facts"] == ["both_side_effects"] and messages[0]["gaps"] == ["other"]
    # a gap the article names says more than "that question"
    entities = [entity("gap_topic", "other"), entity("gap_topic", "downtime")]
    messages, _ = await answer(tracker("ask_not_covered", entities=entities))
    assert "doesn't cover downtime, recovery or aftercare," in messages[0]["text"]


async def test_how_a_side_effect_is_put_right_is_a_gap_said_only_beside_the_side_effects_card():
    care = [entity("gap_topic", "side_effect_care")]
    # "one brow sits higher since my botox, can it be fixed?"
    messages, _ = await answer(tracker("ask_side_effects", entities=care))
    text = messages[0]["text"]
    assert text.startswith("The clinic's article doesn't cover how a side effect is treated")
    assert messages[0]["facts"] == ["both_side_effects"] and messages[0]["gaps"] == ["side_effect_care"]
    # "a small lump after my filler, what can be done?": the symptom brings the card, and the gap with it
    everyday = [{"id": "everyday", "label": "swelling or a lump that is getting worse"}]
    messages, _ = await answer(tracker("ask_not_covered", entities=care, symptoms_mentioned=everyday))
    assert messages[0]["gaps"] == ["side_effect_care"] and messages[0]["facts"] == ["both_side_effects"]
    # "what can be done about my forehead lines?" asks of a treatment, not of a side effect
    messages, _ = await answer(tracker("ask_treatment_areas", entities=[*care, entity("area", "forehead")]))
    assert "doesn't cover" not in messages[0]["text"] and messages[0]["facts"] == ["botox_treatment_areas"]
    messages, _ = await answer(tracker("ask_not_covered", entities=care))
    assert messages[0]["gaps"] == ["other"]


async def test_a_botox_side_effect_asked_whether_it_will_go_away_also_gets_how_long_botox_lasts():
    care = [entity("gap_topic", "side_effect_care")]
    # "my brow dropped after botox, is this permanent?"
    messages, _ = await answer(tracker("ask_side_effects", entities=[*care, treatment("botox", "botox")]))
    assert messages[0]["facts"] == ["both_side_effects", "botox_duration"]
    # the same told with a symptom the classifier couldn't place
    everyday = [{"id": "everyday", "label": "swelling or a lump that is getting worse"}]
    botox_care = tracker(
        "ask_not_covered", entities=[*care, treatment("botox", "botox")], symptoms_mentioned=everyday
    )
    messages, _ = await answer(botox_care)
    assert "both_side_effects" in messages[0]["facts"] and "botox_duration" in messages[0]["facts"]
    # "a lump after my filler, will it go away?": how long filler lasts is no answer to a lump
    messages, _ = await answer(tracker("ask_side_effects", entities=[*care, treatment("filler", "filler")]))
    assert messages[0]["facts"] == ["both_side_effects"]


async def test_how_long_a_symptom_lasts_is_recovery_not_how_long_results_last():
    everyday = [{"id": "everyday", "label": "swelling or a lump that is getting worse"}]
    recovery = [entity("gap_topic", "downtime"), treatment("filler", "filler")]
    # "how long are lips swollen after filler?"
    messages, _ = await answer(tracker("ask_duration", entities=recovery, symptoms_mentioned=everyday))
    assert messages[0]["gaps"] == ["downtime"] and messages[0]["facts"] == ["both_side_effects"]
    # "how long does filler last, and will I be swollen?": results asked too, so their card stays
    both_asked = tracker(
        "ask_duration", entities=recovery, symptoms_mentioned=everyday, other_questions=["ask_not_covered"]
    )
    messages, _ = await answer(both_asked)
    assert messages[0]["facts"] == ["filler_duration", "both_side_effects"]


async def test_a_question_the_article_answers_in_part_gets_both_parts_and_one_referral():
    # "what are the risks of lip filler, and can it be dissolved if I hate it?"
    entities = [entity("gap_topic", "removal"), treatment("filler", "lip filler")]
    messages, slots = await answer(tracker("ask_side_effects", entities=entities))
    text = messages[0]["text"]
    assert text.index("doesn't cover whether results can be reversed") < text.index("side effects")
    assert messages[0]["facts"] == ["both_side_effects"] and messages[0]["gaps"] == ["removal"]
    assert text.count(QUALIFIED) == 1
    assert slots["topic"] == "side_effects"


async def test_a_part_of_the_message_the_article_does_not_cover_is_said_before_the_answer():
    # "How long does Botox last? And will it make me look worse in the years ahead?"
    botox = [treatment("botox", "Botox")]
    messages, _ = await answer(tracker("ask_duration", entities=botox, other_questions=["ask_not_covered"]))
    text = messages[0]["text"]
    assert text.index("doesn't cover that question") < text.index("three to four months")
    assert messages[0]["facts"] == ["botox_duration"] and messages[0]["gaps"] == ["other"]


async def test_unchanged_slots_are_not_set_again():
    _, slots = await answer(tracker("ask_duration", slots={"topic": "duration", "treatment": "botox"}))
    assert slots == {}


async def test_one_product_named_in_two_words_is_not_a_brand_comparison():
    text = "how long does juvederm voluma last"
    entities = [treatment("filler", word, text.index(word), product=True) for word in ("juvederm", "voluma")]
    messages, _ = await answer(tracker("ask_duration", text=text, entities=entities))
    assert messages[0]["facts"] == ["filler_duration"]


async def test_two_names_of_a_kind_of_treatment_are_not_a_brand_comparison():
    text = "how long does filler last after a lip injection"
    entities = [treatment("filler", "filler", 14), treatment("filler", "lip injection", 34)]
    messages, _ = await answer(tracker("ask_duration", text=text, entities=entities))
    assert messages[0]["facts"] == ["filler_duration"]
    text = "how long does sculptra last compared to other fillers"  # a product and its kind
    entities = [treatment("filler", "sculptra", 14, product=True), treatment("filler", "fillers", 46)]
    messages, _ = await answer(tracker("ask_duration", text=text, entities=entities))
    assert "how one brand compares with another" in messages[0]["text"]
