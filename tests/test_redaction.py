"""Redaction and export formatting, on their own."""

from __future__ import annotations

import csv
import io

import pytest

from review.export import render
from review.queries import Message
from review.redact import pseudonym, redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, kept, removed",
    [
        ("mail me at jane.doe+clinic@example.co.uk please", "[email]", "jane.doe"),
        ("call me on 07700 900123 or +1 (555) 010-0199", "[phone]", "900123"),
        ("my patient number is 12345678", "[", "12345678"),
        ("I live at 221B Baker Street, London", "[address]", "Baker Street"),
        ("deliver to 42 Main St. tomorrow", "[address]", "Main St"),
    ],
)
def test_personal_details_are_replaced(text, kept, removed):
    assert kept in redact(text) and removed not in redact(text)


@pytest.mark.parametrize(
    "text", ["Botox lasts three to four months", "I am 45, had fillers 2 years ago", "is 1 ml enough?"]
)
def test_ordinary_questions_are_left_alone(text):
    assert redact(text) == text


def test_a_pseudonym_is_stable_and_hides_the_id():
    assert pseudonym("jane@example.com") == pseudonym("jane@example.com") != pseudonym("john@example.com")
    assert "jane" not in pseudonym("jane@example.com")


def test_csv_cells_never_run_as_formulas():
    summary = {"sender_id": "s1", "started_at": 0.0, "channel": "rest", "min_confidence": None}
    summary.update(red_flag=False, symptom_mentioned=False, fallback=False, gap=False, handoff=False)
    messages = [
        Message(1, 0.0, "patient", '=HYPERLINK("http://evil.test","x")'),
        Message(2, 1.0, "patient", "-1"),
    ]
    rows = list(csv.reader(io.StringIO("".join(render([(summary, messages)], "csv", 0.6)))))
    assert [row[6] for row in rows[1:]] == ['\'=HYPERLINK("http://evil.test","x")', "'-1"]
