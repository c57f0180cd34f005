"""The review inbox and staff corrections, in-process on an SQLite tracker store written as Rasa writes it.

Each conversation here is a few Rasa events written by hand, so what the inbox must show is known
without the review app's own summaries.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from contract import ANSWER_AT_KEY, ANSWER_FEEDBACK_SLOT, FACTS_KEY, GAPS_KEY, HELPFUL_KEY
from review import queries, schema
from tests.harness import review_app
from tests.harness.servers import csrf_token_in

pytestmark = pytest.mark.unit
USER, PASSWORD = "staff", "a-long-staff-password"
START = 1_780_000_000.0  # 2026-05-28


def write_conversation(database: Path, sender: str, turns: List[Dict[str, Any]]) -> None:
    """Writes a conversation's events: each turn a message, its understanding, the answer, a rating."""
    at = START + len(sender)
    rows = []

    def event(type_name: str, data: Dict[str, Any], intent: Optional[str] = None) -> float:
        nonlocal at
        at += 1.5
        rows.append(
            (sender, type_name, at, intent, json.dumps({"event": type_name, "timestamp": at, **data}))
        )
        return at

    for turn in turns:
        parse = {
            "intent": {"name": turn["intent"], "confidence": turn.get("confidence", 0.95)},
            "entities": [],
        }
        event(
            "user", {"text": turn["text"], "parse_data": parse, "input_channel": "socketio"}, turn["intent"]
        )
        metadata = {FACTS_KEY: turn.get("facts", []), GAPS_KEY: turn.get("gaps", [])}
        answered_at = event("bot", {"text": "An answer.", "metadata": metadata})
        for helpful in turn.get("ratings", []):
            rating = {HELPFUL_KEY: helpful, ANSWER_AT_KEY: answered_at}
            event("slot", {"name": ANSWER_FEEDBACK_SLOT, "value": rating})
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, data) VALUES (?, ?, ?, ?, ?)",
            rows,
        )


CONVERSATIONS = {
    # the same question twice, punctuated and cased differently: one group of two
    "a": [{"text": "Can I fly after Botox?", "intent": "out_of_scope"}],
    "b": [{"text": "can i fly after botox", "intent": "out_of_scope", "confidence": 0.4}],
    # answered confidently, then rated: helpful stays out, not helpful comes in
    "c": [{"text": "How long does botox last?", "intent": "ask_duration", "facts": ["botox_duration"],
           "ratings": [True]}],
    "d": [{"text": "What areas can fillers treat?", "intent": "ask_treatment_areas",
           "facts": ["filler_treatment_areas"], "ratings": [True, False]}],  # the latest click wins
    # a gap answer, and a guess the assistant wasn't sure of
    "e": [{"text": "Is it safe while breastfeeding?", "intent": "ask_not_covered", "gaps": ["pregnancy"]}],
    "f": [{"text": "botox vs filler for smile lines", "intent": "ask_difference", "confidence": 0.3,
           "facts": ["both_difference"]}],
    # understood and answered: not in the inbox
    "g": [{"text": "What is Botox?", "intent": "ask_what_is", "facts": ["botox_what_is"]}],
}  # fmt: skip


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    schema.events.metadata.create_all(engine)
    engine.dispose()
    for sender, turns in CONVERSATIONS.items():
        write_conversation(path, sender, turns)
    return path


@pytest.fixture
def staff(database: Path) -> Iterator[TestClient]:
    with review_app.logged_in(database, USER, PASSWORD) as browser:
        yield browser


def shown(page: str) -> List[str]:
    """The messages an inbox page shows, in order."""
    return re.findall(r'<a href="/conversations/[^"]+">([^<]+)</a>', page)


def correct(staff: TestClient, message: str, **form: str) -> Any:
    page = staff.get("/inbox?status=all").text
    event_id = re.search(rf'{re.escape(message)}</a>.*?name="event_id" value="(\d+)"', page, re.S).group(1)
    data = {"csrf_token": csrf_token_in(page), "event_id": event_id, **form}
    return staff.post("/inbox/corrections", data=data, follow_redirects=False)


def test_the_inbox_groups_what_the_assistant_missed_most_frequent_first(staff: TestClient) -> None:
    page = staff.get("/inbox").text
    assert shown(page)[0] == "can i fly after botox"  # the latest of the group of two
    assert set(shown(page)) == {
        "can i fly after botox",
        "What areas can fillers treat?",
        "Is it safe while breastfeeding?",
        "botox vs filler for smile lines",
    }
    assert "<strong>4</strong> groups" in page
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert '<td class="num">2</td>' in first_row


@pytest.mark.parametrize(
    "reason, expected",
    [
        ("fallback", {"can i fly after botox"}),
        ("low_confidence", {"can i fly after botox", "botox vs filler for smile lines"}),
        ("gap", {"Is it safe while breastfeeding?"}),
        ("not_helpful", {"What areas can fillers treat?"}),
    ],
)
def test_each_reason_filters_the_inbox(staff: TestClient, reason: str, expected: set) -> None:
    assert set(shown(staff.get(f"/inbox?flag={reason}").text)) == expected


def test_the_inbox_filters_like_the_list(staff: TestClient) -> None:
    assert set(shown(staff.get("/inbox?q=FLY").text)) == {"can i fly after botox"}
    assert set(shown(staff.get("/inbox?intent=ask_difference").text)) == {"botox vs filler for smile lines"}
    assert shown(staff.get("/inbox?since=2000-01-01&until=2000-01-02").text) == []
    for bad in ("flag=red_flag", "status=deleted", "since=tomorrow", "page=0"):
        assert staff.get(f"/inbox?{bad}").status_code == 400


def test_a_rating_shows_on_the_transcript_the_list_and_the_dashboard(staff: TestClient) -> None:
    assert "the patient found it not helpful" in staff.get("/conversations/d").text
    assert "the patient found it helpful" in staff.get("/conversations/c").text
    listed = staff.get("/?flag=not_helpful").text
    assert 'href="/conversations/d"' in listed and 'href="/conversations/c"' not in listed
    dashboard = (
        staff.get("/dashboard").text.split("Answers patients found not helpful")[1].split("</table>")[0]
    )
    rows = re.findall(
        r"<tr><td>(\w+)</td><td>(\w+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", dashboard
    )
    assert rows == [("ask_treatment_areas", "none", "1", "1"), ("ask_duration", "none", "1", "0")]


def test_a_correction_labels_the_group_and_relabelling_overwrites(staff: TestClient, database: Path) -> None:
    reply = correct(staff, "can i fly after botox", outcome="gap", gap_topic="flying after treatment",
                    back="/inbox?flag=fallback")  # fmt: skip
    assert reply.status_code == 303 and reply.headers["location"] == "/inbox?flag=fallback"
    assert "can i fly after botox" not in shown(staff.get("/inbox").text)  # open only, by default
    corrected = staff.get("/inbox?status=corrected").text
    assert shown(corrected) == ["can i fly after botox"]
    assert "article gap: flying after treatment" in corrected and f"by {USER}" in corrected
    assert "flying after treatment" in staff.get("/inbox").text  # suggested for the next gap

    assert correct(staff, "can i fly after botox", outcome="intent", intent="out_of_scope").status_code == 303
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT outcome, intent, gap_topic FROM review_corrections").fetchall() == [
            ("intent", "out_of_scope", None)
        ]
        audited = db.execute("SELECT detail FROM review_audit WHERE action = 'correct'").fetchall()
    assert [json.loads(detail)["outcome"] for (detail,) in audited] == ["gap", "intent"]  # both kept


@pytest.mark.parametrize(
    "form, status",
    [
        ({"outcome": "promote"}, 400),
        ({"outcome": "intent", "intent": "report_red_flag"}, 400),  # a red flag is an outcome of its own
        ({"outcome": "intent", "intent": "ask_cost", "treatment": "laser"}, 400),
        ({"outcome": "gap", "gap_topic": "  "}, 400),
        ({"outcome": "gap", "gap_topic": "x" * 201}, 400),
    ],
)
def test_a_correction_that_names_no_valid_outcome_is_a_400(
    staff: TestClient, form: dict, status: int
) -> None:
    assert correct(staff, "Is it safe while breastfeeding?", **form).status_code == status


def test_a_correction_of_no_message_is_a_400_or_404(staff: TestClient) -> None:
    token = csrf_token_in(staff.get("/inbox").text)
    for event_id, status in (("", 400), ("1e3", 400), ("9" * 30, 400), ("999999", 404)):
        form = {"csrf_token": token, "event_id": event_id, "outcome": "fine"}
        assert staff.post("/inbox/corrections", data=form).status_code == status


def test_corrections_need_a_login_and_the_csrf_token(staff: TestClient, database: Path) -> None:
    with review_app.client(staff.app, "10.0.0.9") as stranger:
        assert "/login" in stranger.get("/inbox", follow_redirects=False).headers["location"]
        form = {"event_id": "1", "outcome": "fine"}
        reply = stranger.post("/inbox/corrections", data=form, follow_redirects=False)
        assert reply.status_code == 303 and "/login" in reply.headers["location"]
    assert staff.post("/inbox/corrections", data={"event_id": "1", "outcome": "fine"}).status_code == 403
    assert correct(staff, "botox vs filler for smile lines", outcome="fine").status_code == 303
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM review_corrections").fetchone()[0] == 1


def test_viewing_the_inbox_is_audited(staff: TestClient, database: Path) -> None:
    staff.get("/inbox?flag=gap")
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        entries, _ = queries.audit_log(connection, action="inbox")
    engine.dispose()
    assert entries and json.loads(entries[0]["detail"])["filters"] == {"flag": ["gap"]}
