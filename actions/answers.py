"""Composes answers from the facts: what the article says, or that it is silent, then a referral."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from actions.knowledge import Fact, Knowledge
from contract import BOTH, BOTOX, FILLER, SIDE_EFFECT_CARE

NOT_COVERED = "not_covered"
# the topic a message that names a symptom also gets (actions/actions.py)
SIDE_EFFECTS = "side_effects"
DURATION = "duration"
# Gap words these topics' answers already cover: they say where the article stops ("side effects like
# bruising?"). With any other gap word the answer says first what the article doesn't cover, then what it
# says on the topic ("is it safe when pregnant?", "how much botox is needed, and the price?": the amount
# is a doctor's call the cost card doesn't make).
ANSWERED_DESPITE_GAP = {SIDE_EFFECTS: {"downtime", "pain"}}
# Gaps the article speaks to nearby, answered with that card after saying what the article doesn't cover:
# of health conditions and medicines, and of men, it says only that a doctor decides who is suitable; of
# how a result will look ("will I look frozen?"), only what results depend on; of stopping treatment, only
# how long results last and that follow-ups keep them.
NEAREST_TOPIC_OF_GAP = {
    "health": "suitability",
    "men": "suitability",
    "appearance": "result_factors",
    "stopping": "maintenance",
}
# Gaps said only beside a topic's card: "what can be done?" after a side effect asks how it is put right,
# which the article doesn't cover; "what can be done about my forehead lines?" asks of a treatment.
GAPS_OF_TOPIC = {SIDE_EFFECT_CARE: SIDE_EFFECTS}
# "What is masseter Botox?" names an area: what the treatment is, then what the article says of its areas.
TOPIC_BESIDE_AREA = {"what_is": "treatment_areas"}
# A Botox side effect asked how it is put right or whether it will go away ("my brow dropped, is this
# permanent?"): the article says only how long Botox lasts, so that card follows the side effects. Not for
# fillers: how long filler lasts is no answer to a lump or a swelling.
TOPIC_BESIDE_SIDE_EFFECT_CARE = {BOTOX: DURATION}
# How long a symptom lasts ("how long are lips swollen after filler?") is a question of recovery, which the
# article doesn't cover: how long results last is no answer to it.
RECOVERY_GAPS = {"downtime", SIDE_EFFECT_CARE}
ASK_THE_CLINIC = {"title": "Ask the clinic", "payload": "/request_human"}
# A question the article doesn't cover also gets the card of the topic the classifier ranks first, when it
# gives that topic at least this confidence: what the article says nearest to the question (on the tuning
# sets 0.3 answered 29 more questions right than no card, 0.2 six more again, with more cards beside the
# point)
NEARBY_TOPIC_CONFIDENCE = 0.3


@dataclass(frozen=True)
class Answer:
    """A reply: its text, the facts it cites, what it says the article doesn't cover, the buttons offered."""

    text: str
    fact_ids: Tuple[str, ...] = ()
    buttons: List[Dict[str, str]] = field(default_factory=list)
    gaps: Tuple[str, ...] = ()


def gaps_answered_by(topic: str, symptom_named: bool) -> Set[str]:
    """The gaps a topic's own answer covers (ANSWERED_DESPITE_GAP).

    The side-effects card covers them only beside a symptom: "side effects like bruising?" is answered
    by it, "is the sauna bad after filler?" asks of aftercare, which the article doesn't cover.
    """
    if topic == SIDE_EFFECTS and not symptom_named:
        return set()
    return ANSWERED_DESPITE_GAP.get(topic, set())


def asks_how_long_a_symptom_lasts(
    topic: str, gaps: Sequence[str], symptom_named: bool, asks_more: bool
) -> bool:
    """A duration question about a symptom and its recovery (RECOVERY_GAPS), not about results.

    Not when the message asks more ("how long does filler last? will I be swollen?"): results too.
    """
    return topic == DURATION and symptom_named and not asks_more and bool(RECOVERY_GAPS.intersection(gaps))


def cards_for(knowledge: Knowledge, topic: str, treatment: Optional[str]) -> List[Fact]:
    """Picks the cards for a treatment: its own, else the shared one; for both, shared or side by side."""
    if treatment in (BOTOX, FILLER):
        card = knowledge.card(topic, treatment) or knowledge.card(topic, BOTH)
        return [card] if card else []
    shared = knowledge.card(topic, BOTH)
    if shared:
        return [shared]
    return [c for c in (knowledge.card(topic, BOTOX), knowledge.card(topic, FILLER)) if c]


def _render(knowledge: Knowledge, cards: Sequence[Fact]) -> str:
    if len(cards) == 1:
        return cards[0].answer
    return "\n\n".join(f"{knowledge.treatments[c.treatment].capitalize()}: {c.answer}" for c in cards)


def _for_treatment(knowledge: Knowledge, treatment: Optional[str]) -> str:
    return f" for {knowledge.treatments[treatment]}" if treatment in (BOTOX, FILLER) else ""


def _follow_ups(knowledge: Knowledge, topic: str) -> List[Dict[str, str]]:
    return [
        {"title": knowledge.topics[name].question, "payload": f"/ask_{name}"}
        for name in knowledge.topics[topic].follow_ups
    ]


def _with_referral(knowledge: Knowledge, text: str) -> str:
    return f"{text}\n\n{random.choice(knowledge.referrals)}"


def compose(
    knowledge: Knowledge,
    topic: str,
    treatment: Optional[str],
    areas: Sequence[str] = (),
) -> Answer:
    """Answers a topic for a treatment (botox, filler, both or None).

    `areas` are the face areas named in the question (entity values such as `lips`), used by topics
    whose cards name areas: the asked treatment's card, then any card naming the area; an area no card
    names is said to be outside the article.
    """
    answer = _what_the_article_says(knowledge, topic, treatment, areas)
    return dataclasses.replace(answer, text=_with_referral(knowledge, answer.text))


def compose_several(
    knowledge: Knowledge,
    topics: Sequence[str],
    treatment: Optional[str],
    areas: Sequence[str] = (),
) -> Answer:
    """Answers a message that asks several things: each topic in the order asked, then one referral."""
    answers = [_what_the_article_says(knowledge, topic, treatment, areas) for topic in topics]
    asked = {f"/ask_{topic}" for topic in topics}
    return Answer(
        _with_referral(knowledge, "\n\n".join(a.text for a in answers)),
        fact_ids=tuple(dict.fromkeys(f for a in answers for f in a.fact_ids)),
        buttons=[b for b in answers[0].buttons if b["payload"] not in asked],
        gaps=tuple(dict.fromkeys(g for a in answers for g in a.gaps)),
    )


def _what_the_article_says(
    knowledge: Knowledge, topic: str, treatment: Optional[str], areas: Sequence[str]
) -> Answer:
    """The answer `compose` gives, without its referral."""
    cards = cards_for(knowledge, topic, treatment)
    prefix = ""
    missing: List[str] = []
    if areas and any(f.areas for f in knowledge.facts if f.topic == topic):
        by_area = [c for area in areas for c in knowledge.cards_for_area(topic, area)]
        missing = [area for area in areas if not knowledge.cards_for_area(topic, area)]
        if missing:
            named = " or the ".join(area.replace("_", " ") for area in missing)
            prefix = f"The clinic's article doesn't specifically mention the {named}. "
        # the asked treatment's own card first, then the cards of the other that name the area
        own = cards if treatment in (BOTOX, FILLER) else []
        cards = list(dict.fromkeys(own + by_area)) or cards
    if not cards:
        label = knowledge.topics[topic].label
        return Answer(
            f"The clinic's article doesn't cover {label}{_for_treatment(knowledge, treatment)}, "
            "so I can't give you a reliable answer on that.",
            buttons=[ASK_THE_CLINIC],
            gaps=(topic,),
        )
    return Answer(
        prefix + _render(knowledge, cards),
        fact_ids=tuple(c.id for c in cards),
        buttons=_follow_ups(knowledge, topic),
        gaps=tuple(f"area:{area}" for area in missing),
    )


def _not_covered(knowledge: Knowledge, gap_topics: Sequence[str], treatment: Optional[str]) -> str:
    # "that question" only when no gap with a name of its own was asked
    named = [g for g in dict.fromkeys(gap_topics) if g != "other"] or ["other"]
    what = " or ".join(knowledge.gaps.get(g, knowledge.gaps["other"]) for g in named)
    return f"The clinic's article doesn't cover {what}{_for_treatment(knowledge, treatment)}"


def compose_gap(knowledge: Knowledge, gap_topics: Sequence[str], treatment: Optional[str]) -> Answer:
    """Says the article does not cover what was asked, naming it, and refers the patient on."""
    return Answer(
        _with_referral(
            knowledge,
            f"{_not_covered(knowledge, gap_topics, treatment)}, so I can't give you a reliable answer. "
            "Please ask the clinic: a doctor can answer this for your situation.",
        ),
        buttons=[ASK_THE_CLINIC, {"title": "Which is right for me?", "payload": "/ask_suitability"}],
        gaps=tuple(dict.fromkeys(gap_topics)) or ("other",),
    )


def compose_partly(
    knowledge: Knowledge,
    topics: Sequence[str],
    treatment: Optional[str],
    areas: Sequence[str],
    gap_topics: Sequence[str],
) -> Answer:
    """A question the article answers only in part: the part it doesn't cover, then what it says."""
    answer = compose_several(knowledge, topics, treatment, areas)
    return Answer(
        f"{_not_covered(knowledge, gap_topics, treatment)}: a doctor can answer that for your "
        f"situation.\n\n{answer.text}",
        fact_ids=answer.fact_ids,
        buttons=[*answer.buttons, ASK_THE_CLINIC],
        gaps=(*dict.fromkeys(gap_topics), *answer.gaps),
    )
