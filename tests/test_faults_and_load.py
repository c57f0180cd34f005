"""Load and faults on the real servers with the default SQLite store: nothing lost, nothing reordered."""

from __future__ import annotations

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.harness import servers

CONVERSATIONS = 50
MESSAGES = 20
QUESTIONS = ["what is botox", "how long does it last", "and fillers?", "is it safe", "thanks"]


def converse(url: str, sender: str) -> list[list[str]]:
    """Sends MESSAGES messages in order; returns each reply's texts."""
    with requests.Session() as session:
        return [
            [m.get("text", "") for m in servers.say(url, sender, QUESTIONS[i % len(QUESTIONS)], session)]
            for i in range(MESSAGES)
        ]


def test_fifty_concurrent_conversations_lose_and_reorder_nothing(rasa_url, database):
    senders = [f"load-{uuid.uuid4()}" for _ in range(CONVERSATIONS)]
    with ThreadPoolExecutor(CONVERSATIONS) as pool:
        all_replies = list(pool.map(lambda s: converse(rasa_url, s), senders))

    assert all(len(replies) == MESSAGES and all(replies) for replies in all_replies)
    with sqlite3.connect(database) as db:
        for sender, replies in zip(senders, all_replies):
            rows = db.execute(
                "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            ).fetchall()
            user_texts = [data for kind, data in rows if kind == "user"]
            assert len(user_texts) == MESSAGES  # every message stored once
            for i, data in enumerate(user_texts):  # in the order sent
                assert f'"text": "{QUESTIONS[i % len(QUESTIONS)]}"' in data
            bot_events = sum(kind == "bot" for kind, _ in rows)
            assert bot_events == sum(len(reply) for reply in replies)  # every reply stored


def test_a_message_resent_with_its_id_is_answered_again_but_handled_once(rasa_url, database):
    sender = f"resend-{uuid.uuid4()}"

    def send(text: str, message_id: str) -> list:
        body = {"sender": sender, "message": text, "message_id": message_id}
        reply = requests.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        assert reply.status_code == 200
        return [m.get("text") for m in reply.json()]

    first = send("what is botox?", "m-1")
    assert any("protein" in text for text in first)
    second = send("how long does it last?", "m-2")
    assert send("what is botox?", "m-1") == first  # a resent first message: its own replies again
    assert send("how long does it last?", "m-2") == second
    with sqlite3.connect(database) as db:
        kinds = [row[0] for row in db.execute("SELECT type_name FROM events WHERE sender_id = ?", (sender,))]
    assert kinds.count("user") == 2
    assert kinds.count("bot") == len(first) + len(second)


def test_a_restarted_rasa_server_keeps_the_conversation_and_its_context(workdir):
    database = workdir / "restart.db"
    with servers.action_server(workdir) as actions:

        def ask(url: str, text: str) -> str:
            return " ".join(m.get("text", "") for m in servers.say(url, "patient", text))

        with servers.rasa_server(workdir, database, actions.url) as rasa:
            assert "protein produced by the bacterium" in ask(rasa.url, "what is botox?")
        with servers.rasa_server(workdir, database, actions.url) as rasa:
            answer = ask(rasa.url, "how long does it last?")
    assert "three to four months" in answer  # still about Botox
    assert "I can't diagnose" not in answer  # and the notice is not shown again


def test_a_message_that_cannot_get_its_conversations_lock_gets_a_reply(workdir):
    # the lock store (Redis) cannot be reached: no message can have its conversation's lock
    unreachable = f"redis://127.0.0.1:{servers.free_port()}/1"
    with servers.action_server(workdir) as actions:
        with servers.rasa_server(
            workdir, workdir / "locks.db", actions.url, lock_store_url=unreachable
        ) as rasa:
            with ThreadPoolExecutor(max_workers=10) as pool:
                replies = list(
                    pool.map(lambda _: servers.say(rasa.url, "queued", "what is botox?"), range(10))
                )
    log = (workdir / f"rasa-{rasa.url.rsplit(':', 1)[1]}.log").read_text()  # whole: the server has stopped
    assert all(replies)  # no empty answer, whatever happened
    apologies = [r for r in replies if "can't look that up right now" in r[0]["text"]]
    assert len(apologies) == len(replies) and log.count("not handled") == len(apologies)
