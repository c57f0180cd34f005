"""The assistant's custom actions: thin wrappers that read the tracker and reply via `answers`."""

from __future__ import annotations

import abc
import dataclasses
import json
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import config, knowledge
from actions.answers import (
    ASK_THE_CLINIC,
    GAPS_OF_TOPIC,
    NEARBY_TOPIC_CONFIDENCE,
    NEAREST_TOPIC_OF_GAP,
    NOT_COVERED,
    SIDE_EFFECTS,
    TOPIC_BESIDE_AREA,
    TOPIC_BESIDE_SIDE_EFFECT_CARE,
    asks_how_long_a_symptom_lasts,
    compose_gap,
    compose_partly,
    compose_several,
    gaps_answered_by,
)
from contract import (
    BOTH,
    BOTOX,
    FACTS_KEY,
    FILLER,
    GAPS_KEY,
    NOT_COVERED_INTENT,
    OTHER_QUESTIONS_KEY,
    PRODUCT_KEY,
    RED_FLAGS_KEY,
    SIDE_EFFECT_CARE,
    SYMPTOMS_MENTIONED_KEY,
    TOPIC_INTENT_PREFIX,
    topic_of,
)


def entity_values(tracker: Tracker, entity: str) -> List[str]:
    """Returns the values of an entity in the latest message, in order, without repeats."""
    entities = tracker.latest_message.get("entities") or []
    return list(dict.fromkeys(e["value"] for e in entities if e.get("entity") == entity))


def treatment_in_message(tracker: Tracker) -> Optional[str]:
    """Returns botox, filler or both when the latest message names treatments, else None."""
    named = set(entity_values(tracker, "treatment"))
    if BOTH in named or {BOTOX, FILLER} <= named:
        return BOTH
    return named.pop() if named else None


def is_brand_comparison(tracker: Tracker) -> bool:
    """True when the message names a product and another name of the same treatment (Dysport vs Xeomin).

    Two kinds of treatment are no products: "filler after my lip injection", "fillers or a filler?".
    """
    text = tracker.latest_message.get("text") or ""
    spans = sorted(
        (e["start"], e["end"], e["value"], bool(e.get(PRODUCT_KEY)))
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == "treatment" and e["value"] != BOTH
    )
    named: List[Tuple[int, int, str, bool]] = []  # adjacent names are one ("Juvederm Voluma")
    for start, end, value, product in spans:
        if named and not text[named[-1][1] : start].strip():
            first, _, _, product_too = named[-1]
            named[-1] = (first, end, value, product or product_too)
        else:
            named.append((start, end, value, product))
    names = {(value, text[start:end].lower(), product) for start, end, value, product in named}
    return any(
        product and any(other == value and words != name for other, words, _ in names)
        for value, name, product in names
    )


def changed_slots(tracker: Tracker, **values: Any) -> List[EventType]:
    """Returns SlotSet events for the values that differ from the tracker's.

    Every event lengthens the history that each later turn loads and replays.
    """
    return [SlotSet(name, value) for name, value in values.items() if tracker.get_slot(name) != value]


def ranked_topics(tracker: Tracker, facts: knowledge.Knowledge) -> List[Tuple[str, float]]:
    """The topics of the latest message's intent ranking, likeliest first, each with its confidence."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    ranked = [(topic_of(r["name"]), r.get("confidence", 0.0)) for r in ranking]
    return [(topic, confidence) for topic, confidence in ranked if topic in facts.topics]


def topic_buttons(tracker: Tracker, count: int = 2) -> List[Dict[str, str]]:
    """Buttons for the likeliest topics of the latest message, keeping the treatment it named."""
    facts = knowledge.load()
    likeliest = [topic for topic, _ in ranked_topics(tracker, facts)][:count]
    named = treatment_in_message(tracker)
    entities = json.dumps({"treatment": named}) if named else ""
    return [
        {"title": facts.topics[topic].question, "payload": f"/{TOPIC_INTENT_PREFIX}{topic}{entities}"}
        for topic in likeliest
    ]


def likeliest_topic(tracker: Tracker, facts: knowledge.Knowledge) -> Optional[str]:
    """The topic the classifier ranks first, when it is likely enough to answer beside a gap."""
    ranked = ranked_topics(tracker, facts)
    return ranked[0][0] if ranked and ranked[0][1] >= NEARBY_TOPIC_CONFIDENCE else None


def other_questions(tracker: Tracker, facts: knowledge.Knowledge, topic: str) -> List[str]:
    """The other topics a message with several questions asks (components/questions.py), in order."""
    asked = tracker.latest_message.get(OTHER_QUESTIONS_KEY) or []
    names = [name[len(TOPIC_INTENT_PREFIX) :] for name in asked if name.startswith(TOPIC_INTENT_PREFIX)]
    return [name for name in dict.fromkeys(names) if name in facts.topics and name != topic]


def asks_what_is_not_covered(tracker: Tracker) -> bool:
    """Whether a part of a message with several questions asks what the article doesn't cover."""
    return NOT_COVERED_INTENT in (tracker.latest_message.get(OTHER_QUESTIONS_KEY) or [])


def show_notice_once(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Says what the assistant can and cannot do, the first time it replies in a conversation."""
    if tracker.get_slot("notice_shown"):
        return []
    dispatcher.utter_message(response="utter_notice", clinic_name=config.clinic().name)
    return [SlotSet("notice_shown", True)]


def remind_of_urgent_care(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """In a conversation where the patient reported a red flag, urgent care first in every later reply.

    "We're still in the car park" after "her chin is going white" is no time for "I can only help with…".
    """
    if tracker.get_slot("red_flag"):  # the red-flag turn itself goes to utter_urgent_care, by rule
        dispatcher.utter_message(response="utter_urgent_care_reminder")


def when_to_seek_urgent_care(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """After the answer, one calm line on symptoms the message mentioned without having them now."""
    mentioned = tracker.latest_message.get(SYMPTOMS_MENTIONED_KEY) or []
    if mentioned:
        symptoms = " or ".join(flag["label"] for flag in mentioned)
        dispatcher.utter_message(response="utter_if_symptoms_appear", symptoms=symptoms)


def answer_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, symptom_named: bool
) -> List[EventType]:
    """Answers a question intent for the treatment in the message, else the one remembered.

    `symptom_named`: the message names a symptom or an unwanted result, so the answer gives the
    article's word on side effects too.
    """
    facts = knowledge.load()
    named = treatment_in_message(tracker)
    treatment = named or tracker.get_slot("treatment")
    gaps = entity_values(tracker, "gap_topic")
    if not gaps and is_brand_comparison(tracker):
        gaps = ["brand_comparison"]

    if intent.startswith(TOPIC_INTENT_PREFIX):
        topic = intent[len(TOPIC_INTENT_PREFIX) :]
    else:  # a follow-up such as "and fillers?": the same topic as before
        topic = tracker.get_slot("topic") or "what_is"
        if topic == NOT_COVERED:
            gaps = gaps or tracker.get_slot("gap_topics") or []
    # a gap the article speaks to nearby gets that card too: "can I have filler on warfarin?"
    nearest_topics = [NEAREST_TOPIC_OF_GAP[g] for g in gaps if g in NEAREST_TOPIC_OF_GAP]
    if topic not in facts.topics and nearest_topics:
        topic = nearest_topics[0]

    areas = entity_values(tracker, "area")
    area_topics = [TOPIC_BESIDE_AREA[topic]] if areas and topic in TOPIC_BESIDE_AREA else []
    topics = list(
        dict.fromkeys([topic, *other_questions(tracker, facts, topic), *nearest_topics, *area_topics])
    )
    if symptom_named and SIDE_EFFECTS not in topics:
        topics.append(SIDE_EFFECTS)
    # a gap said only beside a topic's card counts only when the answer gives that card
    gaps = [g for g in gaps if GAPS_OF_TOPIC.get(g, topic) in topics]
    asks_more = bool(tracker.latest_message.get(OTHER_QUESTIONS_KEY))
    if asks_how_long_a_symptom_lasts(topic, gaps, symptom_named, asks_more):
        topics.remove(topic)
    # a Botox side effect asked whether it will go away: how long Botox lasts, after the side effects
    care_topic = TOPIC_BESIDE_SIDE_EFFECT_CARE.get(treatment or "") if SIDE_EFFECT_CARE in gaps else None
    if care_topic and care_topic not in topics:
        topics.append(care_topic)
    # gap words the topic's own answer already covers ("side effects like bruising?") don't count
    open_gaps = [g for g in gaps if g not in gaps_answered_by(topic, symptom_named)]
    if not open_gaps and asks_what_is_not_covered(tracker):
        open_gaps = ["other"]
    if topic in facts.topics and open_gaps:  # asked two things: say which the article doesn't cover
        answer = compose_partly(facts, topics, treatment, areas, open_gaps)
    elif topic in facts.topics:
        answer = compose_several(facts, topics, treatment, areas)
    else:
        gaps, topic = gaps or ["other"], NOT_COVERED
        # what the article says nearest to the question: the card of the topic the classifier leans to
        # ("what do patients typically use Botox for?": the areas), and the side effects beside a symptom
        likeliest = likeliest_topic(tracker, facts)
        nearby_topics = [likeliest] if likeliest else []
        nearby_topics += [t for t in (SIDE_EFFECTS, care_topic) if t in topics and t != likeliest]
        if nearby_topics:
            answer = compose_partly(facts, nearby_topics, treatment, areas, gaps)
        else:
            answer = compose_gap(facts, gaps, treatment)
            nearby = topic_buttons(tracker)  # what the article does cover, nearest to the question
            if nearby:
                answer = dataclasses.replace(answer, buttons=[*nearby, ASK_THE_CLINIC])

    # facts and gaps go into the bot event's metadata, for the staff review app
    dispatcher.utter_message(
        text=answer.text,
        buttons=answer.buttons,
        **{FACTS_KEY: list(answer.fact_ids), GAPS_KEY: list(answer.gaps)},
    )
    return changed_slots(tracker, topic=topic, gap_topics=gaps or None, treatment=treatment)


class ActionAnswerQuestion(Action):
    """Answers a question about Botox and fillers from the facts file."""

    def name(self) -> Text:
        """Returns the action's name."""
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Answers the asked topic, then says when to seek urgent care for symptoms it mentions."""
        remind_of_urgent_care(dispatcher, tracker)
        events = show_notice_once(dispatcher, tracker)
        intent = tracker.latest_message["intent"].get("name") or ""
        symptom_named = bool(tracker.latest_message.get(SYMPTOMS_MENTIONED_KEY))
        events += answer_question(dispatcher, tracker, intent, symptom_named)
        when_to_seek_urgent_care(dispatcher, tracker)
        return events


class ActionHandleRedFlag(Action):
    """Follows the urgent-care direction (utter_urgent_care, by rule) with the clinic's contact."""

    def name(self) -> Text:
        """Returns the action's name."""
        return "action_handle_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Names the symptoms, gives the clinic's contact, marks the turn for staff, then answers.

        "Is it normal to get blisters after lip fillers?": urgent care first, then what was asked, with
        the article's word on side effects (components/red_flags.py keeps what the message asks).
        """
        clinic = config.clinic()
        labels = [flag["label"] for flag in tracker.latest_message.get(RED_FLAGS_KEY) or []]
        asked = tracker.latest_message.get(OTHER_QUESTIONS_KEY) or []
        dispatcher.utter_message(
            response="utter_when_safe_then_answer" if asked else "utter_when_safe",
            symptoms=" or ".join(labels) or "symptoms like these",
            clinic_name=clinic.name,
            clinic_phone=clinic.phone,
        )
        events = [SlotSet("red_flag", True), *show_notice_once(dispatcher, tracker)]
        if asked:
            events += answer_question(dispatcher, tracker, asked[0], symptom_named=True)
        return events


class NoticeThenResponse(Action, abc.ABC):
    """Replies with one domain response, filled in with the clinic's details, after the notice (once)."""

    @property
    @abc.abstractmethod
    def response(self) -> Text:
        """The domain response to utter."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Shows the notice (once) and the response."""
        remind_of_urgent_care(dispatcher, tracker)
        events = show_notice_once(dispatcher, tracker)
        clinic = config.clinic()
        dispatcher.utter_message(
            response=self.response,
            clinic_name=clinic.name,
            clinic_phone=clinic.phone,
            booking_url=clinic.booking_url,
        )
        when_to_seek_urgent_care(dispatcher, tracker)
        return events


class ActionGreet(NoticeThenResponse):
    """Greets the patient, saying first what the assistant can and cannot do."""

    response = "utter_greet"

    def name(self) -> Text:
        """Returns the action's name."""
        return "action_greet"


class ActionShareClinicContact(NoticeThenResponse):
    """Hands over to the clinic: phone number and booking link."""

    response = "utter_clinic_contact"

    def name(self) -> Text:
        """Returns the action's name."""
        return "action_share_clinic_contact"


class ActionExplainScope(NoticeThenResponse):
    """Answers an off-topic question with what the assistant covers and the clinic's contact."""

    response = "utter_out_of_scope"

    def name(self) -> Text:
        """Returns the action's name."""
        return "action_explain_scope"


class ActionDefaultAskAffirmation(Action):
    """Asks "Did you mean...?" with the two likeliest questions as buttons, and a way to the clinic."""

    def name(self) -> Text:
        """Returns the name of Rasa's default action this replaces."""
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        """Offers the likeliest topics, keeping the treatment the patient named."""
        buttons = topic_buttons(tracker)
        remind_of_urgent_care(dispatcher, tracker)
        events = show_notice_once(dispatcher, tracker)
        # with nothing likely to offer (an empty or unreadable message), ask for it in other words
        response = "utter_ask_affirmation" if buttons else "utter_ask_rephrase"
        dispatcher.utter_message(response=response, buttons=[*buttons, ASK_THE_CLINIC])
        when_to_seek_urgent_care(dispatcher, tracker)
        return events
