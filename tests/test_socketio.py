"""The widget's channel, socket.io, with malformed events: each gets an `input_error`, and the server goes on.

A real python-socketio client talks to the real Rasa server (long-polling, as browsers fall back to).
"""

from __future__ import annotations

import queue
from typing import Any, Iterator, List, Optional, Tuple

import pytest
import socketio

from channels.checks import MAX_MESSAGE_LENGTH, MAX_SENDER_LENGTH

WAIT = 60  # s; the first answer loads the model's components


class Client:
    """A socket.io client that queues every event the server sends it."""

    def __init__(self, url: str) -> None:
        self.events: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "input_error"):
            self.sio.on(name, lambda data, name=name: self.events.put((name, data)))
        self.sio.connect(url, transports=["polling"], wait_timeout=WAIT)

    def next_event(self) -> Tuple[str, Any]:
        return self.events.get(timeout=WAIT)

    def start_session(self, session_id: Optional[str] = None, token: Optional[str] = None) -> Tuple[str, str]:
        self.sio.emit("session_request", {"session_id": session_id, "session_token": token})
        name, confirmed = self.next_event()
        assert name == "session_confirm"
        return confirmed["session_id"], confirmed["session_token"]

    def answers(self, session_id: str, question: str, expected: str) -> None:
        self.sio.emit("user_uttered", {"message": question, "session_id": session_id})
        replies: List[str] = []
        while not any(expected in text for text in replies):
            name, data = self.next_event()
            assert name == "bot_uttered", (name, data)
            replies.append(data["text"])


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
