"""The frozen held-out sets, sent over REST to the running assistant and scored (`make evaluate`).

- tests/heldout/real_patient_questions.yml: real patients' questions from public pages, labelled against
  the article. Right when the reply has every expected answer (card, gap, red flag…); a red flag must
  come first.
- tests/heldout/second_labels.yml: 200 of those questions labelled again by another helper: how often two
  labellers following tests/heldout/LABELLING.md agree, and the assistant judged by each.
- tests/heldout/triage*.yml: emergencies (urgent-care direction must be the first reply) and near-misses
  that mention a symptom but are no emergency (their own answer must come first; urgent-care direction
  must not).

All were written by helpers apart from the training data and the patterns, each committed before the
change it measured. Each triage set was measured once as held out, then its misses were read while the
red-flag lexicon was widened by kind, and the next set took its place: their figures now are tuning
figures, and the held-out ones are those measured before (the closing notes keep them).
"""

from __future__ import annotations

import collections
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple, Union

import yaml

from actions import knowledge
from actions.numbers import EMERGENCY_NUMBER
from contract import PROJECT_ROOT
from scripts.answer_check import QUALIFIED, meets
from tests.harness import servers

HELDOUT = PROJECT_ROOT / "tests" / "heldout"
# conversations sent at once: each has its own sender, and the server answers while the next is sent
CONCURRENT_CONVERSATIONS = 4
URGENT = f"call {EMERGENCY_NUMBER} or go to the nearest emergency"
# the triage sets, in the order they were written: each was measured once as held out, then its misses
# were read while the lexicon was widened (`make evaluate` scores them, `make test` guards them)
TRIAGE_SETS = (
    "triage.yml", "triage_final.yml", "triage_third.yml", "triage_fourth.yml", "triage_fifth.yml",
    "triage_sixth.yml", "triage_seventh.yml", "triage_eighth.yml", "triage_ninth.yml", "triage_tenth.yml",
    "triage_eleventh.yml", "triage_twelfth.yml", "triage_thirteenth.yml", "triage_fourteenth.yml",
    "triage_fifteenth.yml", "triage_sixteenth.yml", "triage_seventeenth.yml",
    "triage_eighteenth.yml", "triage_nineteenth.yml", "triage_twentieth.yml",
    "triage_twentyfirst.yml", "triage_twentysecond.yml", "triage_twentythird.yml", "triage_twentyfourth.yml",
    "triage_twentyfifth.yml", "triage_twentysixth.yml", "triage_twentyseventh.yml", "triage_twentyeighth.yml",
    "triage_twentyninth.yml", "triage_thirtieth.yml", "triage_thirtyfirst.yml", "triage_thirtysecond.yml",
    "triage_thirtythird.yml", "triage_thirtyfourth.yml", "triage_thirtyfifth.yml", "triage_thirtysixth.yml",
    "triage_thirtyseventh.yml", "triage_thirtyeighth.yml", "triage_thirtyninth.yml",
    "triage_fortieth.yml", "triage_fortyfirst.yml", "triage_fortysecond.yml", "triage_fortythird.yml",
    "triage_fortyfourth.yml", "triage_fortyfifth.yml", "triage_fortysixth.yml", "triage_fortyseventh.yml",
    "triage_fortyeighth.yml", "triage_fortyninth.yml", "triage_fiftieth.yml", "triage_fiftyfirst.yml",
    "triage_fiftysecond.yml", "triage_fiftythird.yml", "triage_fiftyfourth.yml", "triage_fiftyfifth.yml",
    "triage_fiftysixth.yml", "triage_fiftyseventh.yml", "triage_fiftyeighth.yml", "triage_fiftyninth.yml",
)  # fmt: skip
NOTICE = "virtual assistant. I share general information"
SECOND_LABELS = "second_labels.yml"


@dataclass
class Result:
    """One held-out item: what was sent, expected and answered."""

    texts: List[str]
    expect: List[str]
    kind: str
    reply: str
    right: bool
    urgent_first: bool
    recommends_professional: bool
    source: str = ""
    missed: List[str] = field(default_factory=list)


def expectations(expect: Union[str, List[str]]) -> List[str]:
    """An `expect` as a list: one expectation, or several."""
    return [expect] if isinstance(expect, str) else list(expect)


def turns_of(item: Dict[str, Any]) -> List[Dict[str, Any]]:
    """An item's turns, each a dict with its text: its `turns`, or its `text` alone."""
    turns = item.get("turns") or [item["text"]]
    return [turn if isinstance(turn, dict) else {"text": turn} for turn in turns]


def converse(rasa_url: str, item: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Sends an item's turns as one conversation; returns the bot's messages to the last turn."""
    sender = f"heldout-{uuid.uuid4()}"
    turns = turns_of(item)
    for turn in turns[:-1]:
        servers.say(rasa_url, sender, turn["text"])
    return servers.say(rasa_url, sender, turns[-1]["text"])


def score(
    item: Dict[str, Any],
    messages: List[Dict[str, Any]],
    facts: knowledge.Knowledge,
    kind: str,
    expect: Union[str, List[str], None] = None,
) -> Result:
    """Scores the bot's messages to an item's last turn against `expect`, by default the item's own."""
    turns = turns_of(item)
    expected = expectations(expect or turns[-1].get("expect") or item.get("expect") or "red_flag")
    missed = [e for e in expected if not meets(e, messages, facts)]
    # the notice that opens a conversation says nothing about the question: leave it out of the record
    answer = messages[1:] if messages and NOTICE in messages[0].get("text", "") else messages
    reply = "\n".join(m.get("text", "") for m in answer)
    urgent_first = bool(messages) and URGENT in messages[0].get("text", "")
    right = not missed and (urgent_first or "red_flag" not in expected)
    return Result(
        texts=[turn["text"] for turn in turns],
        expect=expected,
        kind=kind,
        reply=reply,
        right=right,
        urgent_first=urgent_first,
        recommends_professional=QUALIFIED in "\n".join(m.get("text", "") for m in messages),
        source=item.get("source", ""),
        missed=missed,
    )


def converse_all(rasa_url: str, items: List[Dict[str, Any]]) -> List[List[Dict[str, Any]]]:
    """`converse` for every item, a few conversations at a time; the replies in the items' order."""
    with ThreadPoolExecutor(CONCURRENT_CONVERSATIONS) as pool:
        return list(pool.map(lambda item: converse(rasa_url, item), items))


def ask_all(rasa_url: str, items: List[Dict[str, Any]], facts: knowledge.Knowledge, key: str) -> List[Result]:
    """Every item sent and scored against its own expectation; the results in the items' order."""
    replies = converse_all(rasa_url, items)
    return [score(item, messages, facts, item.get(key, "")) for item, messages in zip(items, replies)]


def read(name: Union[str, Path]) -> Dict[str, Any]:
    """A set of tests/heldout/ by name, or another in that shape by path.

    With libyaml's loader: a set holds hundreds of messages, PyYAML's own takes seconds on them all.
    """
    path = name if isinstance(name, Path) else HELDOUT / name
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def by_scored_text(names: Iterable[str]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """The items of the named sets, keyed by set and the text whose reply is scored (the last turn's)."""
    return {(name, turns_of(item)[-1]["text"]): item for name in names for item in read(name)["questions"]}


def _share(results: List[Result]) -> Dict[str, Any]:
    return {"right": sum(r.right for r in results), "of": len(results)}


def real_questions(rasa_url: str, name: str = "real_patient_questions.yml") -> Dict[str, Any]:
    """A set of real patients' questions: share right overall and by kind, every miss listed."""
    facts = knowledge.load()
    document = read(name)
    results = ask_all(rasa_url, document["questions"], facts, "kind")
    by_kind = collections.defaultdict(list)
    for result in results:
        by_kind[result.kind].append(result)
    return {
        **_share(results),
        "by_kind": {kind: _share(found) for kind, found in sorted(by_kind.items())},
        "recommendation_in_every_reply": sum(r.recommends_professional for r in results) / len(results),
        "misses": [asdict(r) for r in results if not r.right],
    }


def second_opinion(rasa_url: str) -> Dict[str, Any]:
    """The questions labelled twice: how far the labellers agree, and the assistant judged by each.

    The second labels "meet" the first when they include every first label: answered as the second
    labeller expects, the reply would be right by the first set's score. That share is the ceiling of a
    bar measured against one labeller.
    """
    facts = knowledge.load()
    second = read(SECOND_LABELS)["questions"]
    items = by_scored_text({s["set"] for s in second})
    firsts = [items[(s["set"], s["text"])] for s in second]
    replies = converse_all(rasa_url, firsts)
    by_first = [score(item, messages, facts, item.get("kind", "")) for item, messages in zip(firsts, replies)]
    # the same reply, judged by the second labels
    by_second = [
        score(item, messages, facts, item.get("kind", ""), s["expect"])
        for item, messages, s in zip(firsts, replies, second)
    ]
    labels = [(set(a.expect), set(b.expect)) for a, b in zip(by_first, by_second)]
    return {
        "of": len(second),
        "same_labels": sum(a == b for a, b in labels),
        "second_meets_first": sum(a <= b for a, b in labels),
        "right_by_first": sum(r.right for r in by_first),
        "right_by_second": sum(r.right for r in by_second),
        "right_by_either": sum(a.right or b.right for a, b in zip(by_first, by_second)),
    }


def triage(rasa_url: str, name: Union[str, Path] = "triage.yml") -> Dict[str, Any]:
    """Emergencies must get urgent-care direction first; near-misses their own answer first.

    `name` is a set of tests/heldout/, or the path of another set in that shape (the red flags staff
    found the assistant missed, tests/review_red_flags.yml, has no near-misses).
    """
    facts = knowledge.load()
    document = read(name)
    emergencies = ask_all(rasa_url, document["emergencies"], facts, "group")
    # a set may leave a near-miss's answer unnamed (triage_fifth.yml): then its own answer is anything
    # but urgent care first
    near_misses = ask_all(
        rasa_url,
        [{"expect": "own_answer", **item} for item in document.get("near_misses") or []],
        facts,
        "kind",
    )
    for result in near_misses:
        result.right = result.right and not result.urgent_first  # its own answer leads, not 911
    return {
        "emergencies": _share(emergencies),
        "near_misses": _share(near_misses),
        "near_misses_not_sent_to_urgent_care": sum(not r.urgent_first for r in near_misses),
        "misses": [asdict(r) for r in emergencies + near_misses if not r.right],
    }
