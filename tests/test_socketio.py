"""The widget's channel, socket.io, with malformed events: each gets an `input_error`, and the server goes on.

A real python-socketio client talks to the real Rasa server (long-polling, as browsers fall back to).
"""

from __future__ import annotations

import queue
from typing import Any, Iterator, Tuple

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

    def start_session(self) -> str:
        self.sio.emit("session_request", {"session_id": None})
        name, session_id = self.next_event()
        assert name == "session_confirm"
        return session_id


@pytest.fixture
def client(rasa_url: str) -> Iterator[Client]:
    client = Client(rasa_url)
    yield client
    client.sio.eio.disconnect(abort=True)  # without waiting for the pending long-poll


def test_a_session_gets_answers(client: Client) -> None:
    session_id = client.start_session()
    client.sio.emit("user_uttered", {"message": "how long does botox last", "session_id": session_id})
    replies = []
    while not any("three to four months" in text for text in replies):
        name, data = client.next_event()
        assert name == "bot_uttered"
        replies.append(data["text"])


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
    session_id = client.start_session()
    client.sio.emit("user_uttered", {"message": "hi", "session_id": session_id, "metadata": "not a dict"})
    name, reply = client.next_event()
    assert name == "bot_uttered" and reply["text"]
