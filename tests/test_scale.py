"""Scale-out (`make test-scale`): two Rasa replicas on one PostgreSQL tracker store and a Redis lock store.

Real PostgreSQL and Redis from Debian's packages, on throwaway data folders; one action server; the
review app reading the same PostgreSQL. Throughput with one and with two replicas is written to
results/SCALE.md (measured, not asserted).
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import requests
import sqlalchemy as sa

from contract import PROJECT_ROOT
from tests.harness import servers, services

pytestmark = pytest.mark.scale
# one patient's messages arriving at once: each waits its turn (Rasa polls the lock once a second)
MESSAGES_AT_ONCE = 8
QUESTIONS = ["what is botox", "how long does it last?", "and fillers?", "what are the side effects?"]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with services.postgres() as url:
        yield url


@pytest.fixture(scope="module")
def redis_url(workdir: Path) -> Iterator[str]:
    with services.redis(workdir) as url:
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv("LOCK_STORE_URL", url)  # for the lock stores made in this process
            yield url


@pytest.fixture(scope="module")
def replicas(workdir: Path, postgres_url: str, redis_url: str) -> Iterator[List[servers.Server]]:
    """Two Rasa replicas sharing the tracker store and the lock store, and one action server."""
    unused = workdir / "unused.db"  # TRACKER_STORE_URL wins over the endpoints file's SQLite file
    stores = {"tracker_store_url": postgres_url, "lock_store_url": redis_url}
    with servers.action_server(workdir) as actions:
        with servers.rasa_server(workdir, unused, actions.url, **stores) as first:
            with servers.rasa_server(workdir, unused, actions.url, **stores) as second:
                yield [first, second]


def events_of(postgres_url: str, sender: str) -> List[tuple]:
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s ORDER BY id"),
            {"s": sender},
        ).all()
    engine.dispose()
    return rows


def assert_handled_one_at_a_time(rows: List[tuple]) -> None:
    """Every message is handled whole (to action_listen) before the next one starts: no interleaving."""
    listening = True
    for row in rows:
        if row.type_name == "user":
            assert listening, "a message started while another was being handled"
            listening = False
        elif row.type_name == "action" and row.action_name == "action_listen":
            listening = True


def test_a_conversation_keeps_its_context_across_replicas(replicas) -> None:
    sender = f"scale-{uuid.uuid4()}"
    first, second = replicas
    assert any("protein" in m.get("text", "") for m in servers.say(first.url, sender, "what is botox?"))
    answer = " ".join(m.get("text", "") for m in servers.say(second.url, sender, "how long does it last?"))
    assert "three to four months" in answer  # Botox, remembered from the other replica
    answer = " ".join(m.get("text", "") for m in servers.say(first.url, sender, "and fillers?"))
    assert "three to twelve months" in answer


def test_the_lock_store_serialises_one_conversation_across_replicas(replicas, postgres_url: str) -> None:
    sender = f"scale-{uuid.uuid4()}"
    targets = [replicas[n % 2].url for n in range(MESSAGES_AT_ONCE)]
    with ThreadPoolExecutor(max_workers=MESSAGES_AT_ONCE) as pool:
        replies = list(pool.map(lambda url: servers.say(url, sender, "what are dermal fillers?"), targets))
    assert all(replies)
    rows = events_of(postgres_url, sender)
    assert sum(1 for row in rows if row.type_name == "user") == MESSAGES_AT_ONCE
    assert_handled_one_at_a_time(rows)
    assert sum(1 for row in rows if row.type_name == "bot") >= MESSAGES_AT_ONCE


def throughput(urls: List[str], conversations: int = 20, length: int = 4) -> float:
    """Messages per second, `conversations` at once, each on a replica of its own in turn."""

    def converse(number: int) -> int:
        url, sender = urls[number % len(urls)], f"load-{uuid.uuid4()}"
        with requests.Session() as session:
            for text in itertools.islice(itertools.cycle(QUESTIONS), length):
                servers.say(url, sender, text, session)
        return length

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        sent = sum(pool.map(converse, range(conversations)))
    return sent / (time.perf_counter() - started)


def test_throughput_with_one_and_two_replicas(replicas) -> None:
    throughput([r.url for r in replicas], conversations=4, length=2)  # warm both up
    figures: Dict[str, float] = {
        "one replica": throughput([replicas[0].url]),
        "two replicas": throughput([r.url for r in replicas]),
    }
    PROJECT_ROOT.joinpath("results").mkdir(exist_ok=True)
    PROJECT_ROOT.joinpath("results", "SCALE.md").write_text(
        "# Scale-out throughput (PostgreSQL tracker store, Redis lock store, this machine)\n\n"
        "20 conversations at once, 4 messages each, over REST.\n\n"
        + "\n".join(f"- {name}: {value:.1f} messages/s" for name, value in figures.items())
        + "\n"
    )
    assert all(value > 0 for value in figures.values())


def test_the_review_app_lists_the_conversations_from_postgresql(workdir, replicas, postgres_url) -> None:
    sender = f"scale-review-{uuid.uuid4()}"
    servers.say(replicas[1].url, sender, "can I get fillers while pregnant?")
    with servers.review_server(workdir, postgres_url, "scale", "scale-password-long") as review:
        session, reply = servers.review_login(review.url, "scale", "scale-password-long")
        assert reply.status_code == 200
        listed = session.get(f"{review.url}/", params={"flag": "gap", "q": "pregnant"}).text
        assert sender in listed.replace("%2D", "-")


# each restart loads the model again (about 25 s on 2 cores): eight kills, four of each replica, at random
# moments keep hitting messages in flight without the test taking ten minutes
REPLICA_KILLS = 8
# a conversation's questions in turn, each answer depending on the context the earlier ones set
TALK = [
    ("what is botox?", "protein"),
    ("how long does it last?", "three to four months"),
    ("and fillers?", "three to twelve months"),
    ("how long does botox last?", "three to four months"),
]


class Balancer:
    """Sends each message to a replica in turn, as a load balancer would; resends to the next one when a
    replica dies before answering, under the same message id, until one answers."""

    def __init__(self, urls: List[str]) -> None:
        self.urls, self.turn = urls, itertools.count()
        self.interrupted = 0  # messages whose replica died after taking them

    def say(self, sender: str, text: str, message_id: str) -> List[dict]:
        body = {"sender": sender, "message": text, "message_id": message_id}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            url = self.urls[next(self.turn) % len(self.urls)]
            try:
                reply = requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                self.interrupted += "Connection refused" not in str(error)
                time.sleep(0.05)  # that replica is down or died mid-answer: the next one
                continue
            assert reply.status_code == 200, reply.text
            return reply.json()
        raise AssertionError(f"no replica answered {sender}'s {message_id} in 120 s")


# Last: it kills and restarts replicas.
def test_replicas_killed_at_random_moments_leave_no_patient_unanswered(workdir, postgres_url, redis_url):
    """Ten patients keep talking while one replica or the other is killed 8 times, each time at a random
    moment (queued, mid-NLU, mid-action, after saving) and then restarted on its port."""
    chance = random.Random(int(time.time()))
    stores = {"tracker_store_url": postgres_url, "lock_store_url": redis_url}
    ports = [servers.free_port(), servers.free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
    stop = threading.Event()
    sent: Dict[str, List[Tuple[str, str, List[dict]]]] = {}

    def talk(sender: str) -> None:
        sent[sender] = []
        for number in itertools.count():
            if stop.is_set():
                return
            text, expected = TALK[number % len(TALK)]
            replies = balancer.say(sender, text, f"{sender}-{number}")
            sent[sender].append((f"{sender}-{number}", expected, replies))

    with ExitStack() as stack:
        actions = stack.enter_context(servers.action_server(workdir))
        start = [
            lambda port=port: stack.enter_context(
                servers.rasa_server(workdir, workdir / "unused.db", actions.url, port=port, **stores)
            )
            for port in ports
        ]
        replicas = [launch() for launch in start]
        with ThreadPoolExecutor(max_workers=10) as pool:
            talking = [pool.submit(talk, f"failover-{uuid.uuid4()}") for _ in range(10)]
            try:
                for kill in range(REPLICA_KILLS):
                    time.sleep(chance.uniform(0.2, 2.0))
                    victim = kill % 2
                    replicas[victim].process.kill()  # SIGKILL: no cleanup, tickets left in Redis
                    replicas[victim].process.wait()
                    replicas[victim] = start[victim]()  # back on its port, while the other one serves
            finally:
                stop.set()
                for conversation in talking:
                    conversation.result()

    assert balancer.interrupted > 0  # the kills did hit messages in flight
    PROJECT_ROOT.joinpath("results").mkdir(exist_ok=True)
    with PROJECT_ROOT.joinpath("results", "SCALE.md").open("a") as report:
        report.write(
            f"- failover: {REPLICA_KILLS} replica kills, {sum(map(len, sent.values()))} messages, "
            f"{balancer.interrupted} of them interrupted mid-answer and resent\n"
        )
    for sender, messages in sent.items():
        assert len(messages) >= len(TALK)
        for message_id, expected, replies in messages:
            text = " ".join(reply.get("text", "") for reply in replies)
            assert "can't look that up" not in text, (message_id, text)
            assert expected in text, (message_id, text)  # answered, in its context
        rows = events_of(postgres_url, sender)
        stored_ids = [
            json.loads(row.data)["metadata"]["message_id"] for row in rows if row.type_name == "user"
        ]
        assert stored_ids == [message_id for message_id, _, _ in messages]  # none lost, none twice
        assert_handled_one_at_a_time(rows)
        assert sum(row.type_name == "bot" for row in rows) == sum(len(r) for _, _, r in messages)
