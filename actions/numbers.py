"""The numbers check that guards the facts: a reply may state no number the clinic's article lacks.

Used by the tests of the facts and the domain (tests/test_facts.py), of composed answers
(tests/test_properties.py) and of real replies (scripts/answer_check.py).
"""

from __future__ import annotations

import re

from actions import config
from contract import PROJECT_ROOT

ARTICLE = PROJECT_ROOT / "knowledge" / "article.txt"
NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "thousand million dozen half quarter percent"
).split()
NUMBER = re.compile(r"\d+(?:[.,]\d+)?|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
# Given in utter_urgent_care (domain.yml): the one number a reply may state that the article lacks.
EMERGENCY_NUMBER = "911"


def numbers_in(text: str) -> set[str]:
    """Returns the numbers (digits or number words) in a text, leaving out {placeholders}."""
    return {n.lower() for n in NUMBER.findall(re.sub(r"\{[^}]*\}", "", text))}


def allowed_numbers() -> set[str]:
    """The article's numbers, plus the emergency number and the clinic's phone, which replies may give."""
    article = ARTICLE.read_text(encoding="utf-8")
    return numbers_in(article) | {EMERGENCY_NUMBER} | numbers_in(config.clinic().phone)
