"""Finding the questions in a message (components/questions.py), on its own."""

from __future__ import annotations

import pytest

from components.questions import question_parts

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, parts",
    [
        ("What are fillers and how do they work?", ["What are fillers", "how do they work?"]),
        ("how long does botox last and how much is it", ["how long does botox last", "how much is it"]),
        ("Is it safe? How long does it last?", ["Is it safe?", "How long does it last?"]),
        ("my lips are swollen. is that normal? will it go down", ["is that normal?", "will it go down"]),
        ("I know Botox lasts a few months, but what does it actually cost?", None),
        ("botox and fillers, what's the difference?", None),
        ("botox vs fillers which lasts longer", []),
    ],
)
def test_question_parts(text, parts):
    found = question_parts(text)
    assert found == (parts if parts is not None else [text])
