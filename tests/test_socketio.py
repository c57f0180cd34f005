"""The widget's channel, socket.io, with malformed events: each gets an `input_error`, and the server goes on.

A real python-socketio client talks to the real Rasa server (long-polling, as browsers fall back to).
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import socketio

from channels.checks import MAX_MESSAGE_LENGTH, MAX_SENDER_LENGTH
from contract import FACTS_KEY, GAPS_KEY
from tests.conftest import stored_events, stored_feedback

WAIT = 60  # s; the first answer loads the model's components


class Client:
    """A socket.io client that queues every event the server sends it."""

    def __init__(self, url: str) -> None:
        self.events: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "input_error", "feedback_received"):
            self.sio.on(name, lambda data, name=name: self.events.put((name, data)))
        self.sio.connect(url, transports=["polling"], wait_timeout=WAIT)

    def next_event(self) -> Tuple[str, Any]:
        return self.events.get(timeout=WAIT)

    def start_session(self, session_id: Optional[str] = None, token: Optional[str] = None) -> Tuple[str, str]:
        self.sio.emit("session_request", {"session_id": session_id, "session_token": token})
        name, confirmed = self.next_event()
        assert name == "session_confirm"
        return confirmed["session_id"], confirmed["session_token"]

    def answers(self, session_id: str, question: str, expected: str) -> List[Dict[str, Any]]:
        """Asks a question; returns the bot's messages up to the one holding `expected`."""
        self.sio.emit("user_uttered", {"message": question, "session_id": session_id})
        replies: List[Dict[str, Any]] = []
        while not any(expected in reply["text"] for reply in replies):
            name, data = self.next_event()
            assert name == "bot_uttered", (name, data)
            replies.append(data)
        return replies

    def answer(self, session_id: str, question: str) -> str:
        """Asks a question; returns the answer's whole text, from the message marking it for feedback."""
        self.sio.emit("user_uttered", {"message": question, "session_id": session_id})
        while True:
            name, data = self.next_event()
            assert name == "bot_uttered", (name, data)
            if data.get("informational"):
                assert data["informational"] is True and data["answer"].endswith(data["text"])
                assert not {FACTS_KEY, GAPS_KEY, "metadata"} & set(data)  # they stay on the server
                return data["answer"]

    def rate(self, session_id: str, answer: Any, helpful: Any) -> Tuple[str, Any]:
        self.sio.emit("feedback_given", {"session_id": session_id, "answer": answer, "helpful": helpful})
        return self.next_event()


@pytest.fixture
def client(rasa_url: str) -> Iterator[Client]:
    client = Client(rasa_url)
    yield client
    client.sio.eio.disconnect(abort=True)  # without waiting for the pending long-poll


def test_a_session_gets_answers(client: Client) -> None:
    session_id, _ = client.start_session()
    client.answers(session_id, "how long does botox last", "three to four months")


def test_naming_another_patients_conversation_does_not_open_it(rasa_url: str, client: Client) -> None:
    """Before, a client that sent another's id in `session_request` got every reply meant for them."""
    session_id, _ = client.start_session()
    intruder = Client(rasa_url)
    try:
        for token in (None, "0" * 64, "forged"):
            assert intruder.start_session(session_id, token)[0] != session_id
        intruder.sio.emit("user_uttered", {"message": "what is botox", "session_id": session_id})
        name, reply = intruder.next_event()
        assert name == "input_error"
        client.answers(session_id, "how long does botox last", "three to four months")
        assert intruder.events.empty()  # none of the patient's replies reached it
    finally:
        intruder.sio.eio.disconnect(abort=True)


def test_the_tab_that_started_a_conversation_continues_it_after_a_reconnect(
    rasa_url: str, client: Client
) -> None:
    session_id, token = client.start_session()
    client.answers(session_id, "what is botox", "botulinum")
    client.sio.eio.disconnect(abort=True)
    again = Client(rasa_url)
    try:
        assert again.start_session(session_id, token) == (session_id, token)
        again.answers(session_id, "how long does it last?", "three to four months")  # the same context
    finally:
        again.sio.eio.disconnect(abort=True)


@pytest.mark.parametrize(
    "event, data",
    [
        ("session_request", "not an object"),
        ("session_request", ["a", "list"]),
        ("session_request", {"session_id": 42}),
        ("session_request", {"session_id": ""}),
        ("session_request", {"session_id": "x" * (MAX_SENDER_LENGTH + 1)}),
        ("session_request", {"session_id": "line\nbreak"}),
        ("user_uttered", "just a string"),
        ("user_uttered", {"session_id": "s1"}),
        ("user_uttered", {"message": None, "session_id": "s1"}),
        ("user_uttered", {"message": {"nested": "object"}, "session_id": "s1"}),
        ("user_uttered", {"message": "x" * (MAX_MESSAGE_LENGTH + 1), "session_id": "s1"}),
        ("user_uttered", {"message": "hello"}),
        ("user_uttered", {"message": "hello", "session_id": ["s1"]}),
    ],
)
def test_malformed_events_get_an_input_error_and_the_session_goes_on(client: Client, event, data) -> None:
    client.sio.emit(event, data)
    name, reply = client.next_event()
    assert name == "input_error" and reply["error"]
    session_id, _ = client.start_session()
    client.sio.emit("user_uttered", {"message": "hi", "session_id": session_id, "metadata": "not a dict"})
    name, reply = client.next_event()
    assert name == "bot_uttered" and reply["text"]


def the_answer_at(database: Path, session_id: str, answer: str) -> float:
    """The timestamp of the conversation's latest bot event with this text."""
    return [e for e in stored_events(database, session_id, "bot") if e["text"] == answer][-1]["timestamp"]


def test_feedback_on_an_answer_is_stored_in_the_tracker_store(client: Client, database: Path) -> None:
    session_id, _ = client.start_session()
    answer = client.answer(session_id, "how long does botox last")
    assert "three to four months" in answer

    stored = client.rate(session_id, answer, False)
    assert stored == ("feedback_received", {"answer": answer, "helpful": False})
    answer_at = the_answer_at(database, session_id, answer)
    assert stored_feedback(database, session_id) == [{"helpful": False, "answer_at": answer_at}]

    # a change of mind is another event: the latest wins
    stored = client.rate(session_id, answer, True)
    assert stored == ("feedback_received", {"answer": answer, "helpful": True})
    assert stored_feedback(database, session_id) == [
        {"helpful": False, "answer_at": answer_at},
        {"helpful": True, "answer_at": answer_at},
    ]
    client.answers(session_id, "and fillers?", "three to twelve months")  # the same context


def test_only_answers_from_the_article_are_marked_for_feedback(client: Client) -> None:
    session_id, _ = client.start_session()
    greeting = client.answers(session_id, "/greet", "What would you like to know")
    red_flag = "my lips went white and hurt badly after filler yesterday"
    urgent_care = client.answers(session_id, red_flag, "Once you're safe")
    assert "911" in urgent_care[0]["text"]
    assert not any("informational" in reply or "answer" in reply for reply in greeting + urgent_care)


def test_feedback_naming_another_patients_conversation_is_refused(
    rasa_url: str, client: Client, database: Path
) -> None:
    session_id, _ = client.start_session()
    answer = client.answer(session_id, "what is botox")
    intruder = Client(rasa_url)
    try:
        name, reply = intruder.rate(session_id, answer, False)  # before asking for any session
        assert name == "input_error" and reply["event"] == "feedback_given"
        intruder.start_session()
        assert intruder.rate(session_id, answer, False)[0] == "input_error"
        assert stored_feedback(database, session_id) == []
        client.answers(session_id, "how long does it last?", "three to four months")
    finally:
        intruder.sio.eio.disconnect(abort=True)


@pytest.mark.parametrize(
    "feedback",
    [
        pytest.param(lambda answer: {"answer": answer, "helpful": "yes"}, id="helpful-yes"),
        pytest.param(lambda answer: {"answer": answer, "helpful": 0}, id="helpful-0"),
        pytest.param(lambda answer: {"answer": answer}, id="no-helpful"),
        pytest.param(lambda answer: {"helpful": True}, id="no-answer"),
        pytest.param(lambda answer: {"answer": "", "helpful": True}, id="empty-answer"),
        pytest.param(lambda answer: {"answer": ["a", "list"], "helpful": True}, id="list-answer"),
        pytest.param(lambda answer: {"answer": "Botox lasts forever.", "helpful": True}, id="never-said"),
        pytest.param(lambda answer: {"answer": answer + " ", "helpful": True}, id="not-exactly-said"),
        pytest.param(lambda answer: {"answer": "x" * 100_000, "helpful": True}, id="100kB-answer"),
    ],
)
def test_malformed_feedback_gets_an_input_error_and_stores_nothing(
    client: Client, database: Path, feedback
) -> None:
    session_id, _ = client.start_session()
    answer = client.answer(session_id, "how long does botox last")
    client.sio.emit("feedback_given", {"session_id": session_id, **feedback(answer)})
    name, reply = client.next_event()
    assert name == "input_error" and reply["error"] and reply["event"] == "feedback_given"
    assert stored_feedback(database, session_id) == []
    client.answers(session_id, "and fillers?", "three to twelve months")


def test_feedback_on_something_the_assistant_said_that_is_not_an_answer_is_refused(
    client: Client, database: Path
) -> None:
    session_id, _ = client.start_session()
    greeting = client.answers(session_id, "/greet", "What would you like to know")[-1]["text"]
    assert client.rate(session_id, greeting, True)[0] == "input_error"
    assert stored_feedback(database, session_id) == []
