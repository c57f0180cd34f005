"""Red-flag triage: symptoms from the lexicon, placed in their clinical context by medspaCy's ConText.

Three tiers, decided for every message after the intent classifier (knowledge/red_flags.yml):

1. A symptom happening now, to the patient or someone with them: the intent becomes `report_red_flag`
   (urgent-care direction first, by rule), whatever the classifier or the fallback made of it.
2. Symptoms mentioned only as negated, past, hypothetical or asked about ("no swelling", "a reaction
   years ago", "will I bruise?", "can it fix droopy eyelids?"): the question keeps its own intent (a
   classifier's `report_red_flag` gives way to the next likeliest), and `symptoms_mentioned` lists them,
   so the answer ends with one calm line on when to seek urgent care.
3. No red-flag symptom: nothing changes (a `report_red_flag` from the classifier stands: it may know a
   phrasing the lexicon lacks), unless every symptom the message names is an everyday one (swelling, a
   lump, pain), each slight, long-standing, over or asked about ("last year my lips swelled up, then
   settled"): then as in 2. Everyday symptoms are listed in `symptoms_mentioned` too, whenever they do
   not stand behind the classifier's red flag ("will I bruise?"): the answer adds the article's word on
   side effects and the calm line.

An everyday symptom the patient denies ("no bruising at all, how long will it last?") also loses its gap
word (bruising is an aftercare word): the answer is to the question asked, not to aftercare.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Tuple

import spacy
from medspacy.context import ConText, ConTextRule
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.tokens import Span
from spacy.util import filter_spans

from components.knowledge_file import KnowledgeFileComponent
from components.questions import question_parts
from components.typography import straight_apostrophes
from contract import (
    OTHER_QUESTIONS_KEY,
    RED_FLAG_INTENT,
    RED_FLAGS_KEY,
    SYMPTOMS_MENTIONED_KEY,
    TOPIC_INTENT_PREFIX,
)

# where a clause ends: a cue before it ("sorry if this is silly,") does not reach the words after it
CLAUSE_BREAK = re.compile(r"[,;.!?]")


# a letter typed three times or more ("sooo", "hellllp") is one letter
STRETCHED = re.compile(r"([a-z])\1{2,}")
WORD = re.compile(r"\b\w+\b")


def _covering(pattern: re.Pattern, symptom: Span) -> List[re.Match]:
    """The matches of `pattern` in the symptom's message that take in the whole symptom."""
    return [
        match
        for match in pattern.finditer(symptom.doc.text)
        if match.start() <= symptom.start_char and symptom.end_char <= match.end()
    ]


def normalise(text: str, text_speak: Dict[str, str]) -> str:
    """Lower-cases, straightens apostrophes, folds white space and spells out chat words."""
    text = " ".join(straight_apostrophes(text).lower().split())
    text = STRETCHED.sub(r"\1", text)
    return WORD.sub(lambda word: text_speak.get(word.group(), word.group()), text)


class Triage(NamedTuple):
    """What a message says of symptoms."""

    current: List[Dict[str, str]]  # red flags happening now
    mentioned: List[Dict[str, str]]  # red flags only mentioned: negated, past, hypothetical, asked about
    # symptoms that are no emergency on their own named, each slight, long-standing, over, asked about
    # or denied, and not all of them denied
    everyday_aside: bool
    everyday: bool  # such symptoms named at all
    # everyday symptoms the patient says they don't have ("no bruising at all"), not ones they hope to avoid
    denied: Tuple[str, ...] = ()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RedFlagDetector(KnowledgeFileComponent):
    """Sorts a message's symptoms into happening now (red flags) and only mentioned.

    Runs after the classifiers, so a red flag the model misses (or calls a fallback) still sets the
    intent to `report_red_flag`. The lexicon and the extra context rules are knowledge/red_flags.yml.
    """

    def _build(self, rules: Dict[str, Any]) -> None:
        everyday = rules.get("everyday_symptoms")
        self._flags = [
            (flag["id"], flag["label"], [re.compile(p, re.IGNORECASE) for p in flag["patterns"]])
            for flag in [*rules.get("red_flags", []), *([everyday] if everyday else [])]
        ]
        self._everyday = everyday["id"] if everyday else None
        self._text_speak = rules.get("text_speak") or {}
        self._labels = {flag_id: label for flag_id, label, _ in self._flags}
        self._recent = re.compile(rules.get("recent") or r"(?!x)x", re.IGNORECASE)
        self._after_treatment = re.compile(rules.get("after_treatment") or r"(?!x)x", re.IGNORECASE)
        self._about_me = re.compile(rules.get("about_me") or r"(?!x)x", re.IGNORECASE)
        self._own_experience = re.compile(rules.get("own_experience") or r"(?!x)x", re.IGNORECASE)
        self._present = re.compile(rules.get("present") or r"(?!x)x", re.IGNORECASE)
        self._risk_question = re.compile(rules.get("risk_question") or r"(?!x)x", re.IGNORECASE)
        self._how_long = re.compile(rules.get("how_long") or r"(?!x)x", re.IGNORECASE)
        self._ongoing = re.compile(rules.get("ongoing") or r"(?!x)x", re.IGNORECASE)
        self._contrast = re.compile(rules.get("contrast") or r"(?!x)x", re.IGNORECASE)
        self._reassured = re.compile(rules.get("reassured") or r"(?!x)x", re.IGNORECASE)
        self._wished = re.compile(rules.get("wished") or r"(?!x)x", re.IGNORECASE)
        self._resolved = re.compile(rules.get("resolved") or r"(?!x)x", re.IGNORECASE)
        self._returned = re.compile(rules.get("returned") or r"(?!x)x", re.IGNORECASE)
        self._worsening_now = re.compile(rules.get("worsening_now") or r"(?!x)x", re.IGNORECASE)
        self._inability = re.compile(rules.get("inability") or r"(?!x)x", re.IGNORECASE)
        self._began = re.compile(rules.get("began") or r"(?!x)x", re.IGNORECASE)
        self._onset = re.compile(rules.get("onset") or r"(?!x)x", re.IGNORECASE)
        self._nlp = spacy.blank("en")
        self._nlp.add_pipe("sentencizer")
        # medspaCy's own rules, but for those the lexicon words again its own way ("worried about" asks,
        # it does not doubt): two rules on the same words would leave the choice to the match order
        ours = [ConTextRule(**rule) for rule in rules.get("context", [])]
        context: ConText = self._nlp.add_pipe("medspacy_context", config={"rules": None})
        redefined = {rule.literal.lower() for rule in ours}
        defaults = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
        context.add([rule for rule in defaults if rule.literal.lower() not in redefined] + ours)

    def _symptoms(self, text: str) -> List[Tuple[str, Span]]:
        """Every lexicon match in the message, each with the entity that carries its context.

        Overlapping matches (of one group or several) share one entity, the longest: ConText needs
        them apart, and all the groups they name are reported.
        """
        doc = self._nlp.make_doc(text)
        found = []
        for flag_id, _, patterns in self._flags:
            for pattern in patterns:
                for match in pattern.finditer(text):
                    span = doc.char_span(match.start(), match.end(), label=flag_id, alignment_mode="expand")
                    if span is not None:
                        found.append(span)
        doc.set_ents(filter_spans(found))
        for _, pipe in self._nlp.pipeline:
            doc = pipe(doc)
        return [
            (span.label_, next(e for e in doc.ents if e.start < span.end and span.start < e.end))
            for span in found
        ]

    def _is_current(self, symptom: Span) -> bool:
        """Whether a symptom is happening now, to the patient or someone with them.

        Not when negated or hypothetical (unless the patient says it is theirs: "does filler make skin go
        grey? mine did"); not when in the past, unless the sentence or the symptom's own words say now,
        its own words or those just after say it goes on ("a growing lump", "a lump that keeps growing"),
        or later ones that it is getting worse ("…, and they're getting bigger"); not someone else's when
        the patient asks about their own treatment, nor one told twice as past ("my cousin had a stroke in
        2019 and now walks with a stick", "I had a mini stroke back in 2016 and I'm on aspirin now": the
        "now" is the aftermath), nor one that dates the start of something else ("my brow sits lower
        since a stroke"). A cue inside the symptom's own words ("can't" in "can't breathe"), or an
        inability right before it ("can't | catch my breath"), describes the symptom, not its context.
        """
        modifiers = self._context(symptom)
        cues = {modifier.category for modifier in modifiers}
        if "NEGATED_EXISTENCE" in cues or self._is_asked(symptom, modifiers):
            return False
        if "FAMILY" in cues and self._about_me.search(symptom.doc.text):
            return False
        if self._is_over(symptom):
            return False
        text, sentence = symptom.doc.text, symptom.sent
        # "since a stroke": a past start, and that "since" says nothing of now
        began = self._began.search(text, sentence.start_char, symptom.start_char)
        began = None if began and self._onset.match(text, symptom.end_char) else began
        if not (began or cues & {"HISTORICAL", "HABITUAL"}):
            return True
        # the sentence but for that "since", to look for words of now in
        said = sentence.text
        if began:
            said = text[sentence.start_char : began.start()] + text[began.end() : sentence.end_char]
        own_words = symptom.doc[max(symptom.sent.start, symptom.start - 3) : symptom.end].text
        own_and_after = symptom.doc[symptom.start : min(symptom.sent.end, symptom.end + 4)].text
        # "after my filler" makes the patient's own symptom recent, not a relative's past one
        after_treatment = "FAMILY" not in cues and self._after_treatment.search(sentence.text)
        past_cues = {m.modifier_span for m in modifiers if m.category in ("HISTORICAL", "HABITUAL")}
        told_as_history = len(past_cues) > 1
        return bool(
            (self._recent.search(said) and not told_as_history)
            or after_treatment
            or self._present.search(own_words)
            or self._ongoing.search(own_and_after)
            or self._worsening_now.search(symptom.doc[symptom.end : symptom.sent.end].text)
        )

    def _context(self, symptom: Span) -> List[Any]:
        """ConText's modifiers of the symptom, but for the cues that are part of it ("can't breathe")."""
        before = symptom.doc[max(symptom.sent.start, symptom.start - 3) : symptom.start].text
        return [
            modifier
            for modifier in symptom._.modifiers
            if not symptom.start <= modifier.modifier_span[0] < symptom.end
            and not (modifier.modifier_span[1] == symptom.start and self._inability.search(before))
        ]

    def _is_asked(self, symptom: Span, modifiers: List[Any]) -> bool:
        """Hypothetical or asked about ("is necrosis common?"), unless the patient says it is theirs."""
        cues = [symptom.doc[m.modifier_span[0]].idx for m in modifiers if m.category == "HYPOTHETICAL"]
        cues += [risk.start() for risk in _covering(self._risk_question, symptom)]
        return bool(cues) and not self._told_as_own(symptom, cues)

    def _is_aside(self, symptom: Span, modifiers: List[Any]) -> bool:
        """Whether an everyday symptom is slight, long-standing, over or asked about.

        "A tiny lump", "my jaw aches every morning", "my lips swelled up last year, then settled", "could
        my lips swell up?", "how many days does swelling usually last?" (even of the patient's own).
        Negated or past alone is not enough: an emergency in words the lexicon lacks often says what it
        is not ("not like any bruise") or when the treatment was ("2 months ago").
        """
        return (
            any(m.category in ("NOT_ACUTE", "HABITUAL") for m in modifiers)
            or self._is_over(symptom)
            or self._is_asked(symptom, modifiers)
            or bool(_covering(self._how_long, symptom))
        )

    def _is_over(self, symptom: Span) -> bool:
        """Whether the words after the symptom, in its sentence or the next, say it ended for good.

        "I got hives after my botox but they went away in a day" is over, and "I fainted (woke up on the
        floor!) but was fine after"; "my lip is white and the swelling went down" is not: another kind
        of symptom stands between, and the ending may be its.
        """
        doc = symptom.doc
        sentences = [sentence.end_char for sentence in doc.sents if sentence.end_char > symptom.sent.end_char]
        later = doc.text[: sentences[0] if sentences else symptom.sent.end_char]
        ended = self._resolved.search(later, symptom.end_char)
        if not ended or self._returned.search(later, ended.end()):
            return False
        return not any(
            symptom.end_char <= other.start_char < ended.start() and other.label_ != symptom.label_
            for other in doc.ents
        )

    def _told_as_own(self, symptom: Span, cues: List[int]) -> bool:
        """Whether the patient says, outside the question about it, that the symptom is theirs.

        "Does filler make skin go grey? mine did" and "sorry if this is silly, my lips are going white"
        are; "what would happen if my lip went white?" is not: "my lip went" follows the question's cue
        in the same clause. `cues`: where the questions about the symptom start.
        """
        text = symptom.doc.text

        def asked(told: re.Match) -> bool:
            return any(
                cue <= told.start() < symptom.end_char and not CLAUSE_BREAK.search(text, cue, told.start())
                for cue in cues
            )

        return any(not asked(told) for told in self._own_experience.finditer(text))

    def triage(self, text: str) -> Triage:
        """The red flags happening now and those only mentioned, each once, in lexicon order."""
        symptoms = self._symptoms(normalise(text, self._text_speak))
        red_flags = [(flag_id, entity) for flag_id, entity in symptoms if flag_id != self._everyday]
        now = {flag_id for flag_id, entity in red_flags if self._is_current(entity)}
        # each everyday symptom: set aside, or only denied (and by which denials)
        everyday = []
        for flag_id, entity in symptoms:
            if flag_id == self._everyday:
                modifiers = self._context(entity)
                denials = {m.modifier_span for m in modifiers if m.category == "NEGATED_EXISTENCE"}
                everyday.append((entity, self._is_aside(entity, modifiers), denials))
        return Triage(
            current=self._named(now),
            mentioned=self._named({flag_id for flag_id, _ in red_flags} - now),
            everyday_aside=(
                any(aside for _, aside, _ in everyday)
                and all(aside or denials for _, aside, denials in everyday)
            )
            or (not red_flags and self._is_checklist_denied([(e, d) for e, _, d in everyday])),
            everyday=bool(everyday),
            denied=tuple(
                entity.text.lower()
                for entity, _, denials in everyday
                if denials and not self._wished.search(entity.sent.text)
            ),
        )

    def _is_checklist_denied(self, everyday: List[Tuple[Span, set]]) -> bool:
        """Whether every everyday symptom is denied, with two denials or more, and nothing follows.

        "no swelling, no bruising, no pain after my filler, when can I book?" and "my vision is totally
        fine and no headache" (a calm report counts as a denial) are calm checklists; one denial alone is
        not ("not like any bruise": an emergency in words the lexicon lacks, "don't know the brand, … hard
        lumps that ache"), nor one followed by a contrast ("no rash or anything, just really hard to get
        food down": the rest of the last one's sentence).
        """
        if not everyday or not all(denials for _, denials in everyday):
            return False
        last = max((entity for entity, _ in everyday), key=lambda entity: entity.end_char)
        denials = len(set().union(*(d for _, d in everyday))) + len(self._reassured.findall(last.doc.text))
        return denials >= 2 and not self._contrast.search(last.doc.text, last.end_char, last.sent.end_char)

    def detect(self, text: str) -> List[Dict[str, str]]:
        """The red flags happening now in `text`."""
        return self.triage(text).current

    def _named(self, flag_ids: set) -> List[Dict[str, str]]:
        return [{"id": i, "label": label} for i, label in self._labels.items() if i in flag_ids]

    @staticmethod
    def _asked(message: Message) -> List[str]:
        """The topics a message asks besides its red flag, read before the red flag overrides them.

        Only when it asks something ("is it normal to get blisters after lip fillers?"): a report with
        no question ("my lip is going white") gets the urgent-care direction alone.
        """
        if not question_parts(message.get(TEXT) or ""):
            return []
        reading = (message.get(INTENT) or {}).get("name") or ""
        asked = [reading] if reading.startswith(TOPIC_INTENT_PREFIX) else []
        return list(dict.fromkeys([*asked, *(message.get(OTHER_QUESTIONS_KEY) or [])]))

    def process(self, messages: List[Message]) -> List[Message]:
        """Makes a current red flag the intent; lets a question that only mentions symptoms keep its own."""
        for message in messages:
            triage = self.triage(message.get(TEXT) or "")
            ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r["name"] != RED_FLAG_INTENT]
            classified_red_flag = (message.get(INTENT) or {}).get("name") == RED_FLAG_INTENT
            # an everyday symptom is named with the calm line, unless it stands behind the classifier's
            # red flag (one happening now, not set aside)
            everyday_named = triage.everyday and (triage.everyday_aside or not classified_red_flag)
            mentioned = triage.mentioned or (self._named({self._everyday}) if everyday_named else [])
            if triage.current:
                asked = self._asked(message)
                if asked:
                    message.set(OTHER_QUESTIONS_KEY, asked, add_to_output=True)
                red_flag = {"name": RED_FLAG_INTENT, "confidence": 1.0}
                message.set(INTENT, red_flag, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [red_flag, *ranking], add_to_output=True)
                message.set(RED_FLAGS_KEY, triage.current, add_to_output=True)
            elif mentioned:
                if classified_red_flag and ranking:
                    message.set(INTENT, ranking[0], add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                message.set(SYMPTOMS_MENTIONED_KEY, mentioned, add_to_output=True)
            if triage.denied:
                message.set(ENTITIES, self._without_denied(message, triage.denied), add_to_output=True)
        return messages

    @staticmethod
    def _without_denied(message: Message, denied: Tuple[str, ...]) -> List[Dict[str, Any]]:
        """The message's entities without the gap words of the symptoms it denies.

        "No bruising at all, how long will it last?" asks how long results last, not how long a bruise
        does (bruising is an aftercare word in knowledge/entity_patterns.yml).
        """
        text = (message.get(TEXT) or "").lower()
        return [
            entity
            for entity in message.get(ENTITIES) or []
            if entity.get("entity") != "gap_topic"
            or not any(text[entity["start"] : entity["end"]] in symptom for symptom in denied)
        ]
