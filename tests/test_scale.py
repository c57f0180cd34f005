"""Scale-out (`make test-scale`): two Rasa replicas on one PostgreSQL tracker store and a Redis lock store.

Real PostgreSQL and Redis from Debian's packages, on throwaway data folders; one action server; the
review app reading the same PostgreSQL. Throughput with one and with two replicas is written to
results/SCALE.md (measured, not asserted).
"""

from __future__ import annotations

import itertools
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
import sqlalchemy as sa

from scripts import servers, services
from stores.lock_store import EnvironmentLockStore

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
    # every message is handled whole (to action_listen) before the next one starts: no interleaving
    listening = True
    for row in rows:
        if row.type_name == "user":
            assert listening, "a message started while another was being handled"
            listening = False
        elif row.type_name == "action" and row.action_name == "action_listen":
            listening = True
    assert sum(1 for row in rows if row.type_name == "bot") >= MESSAGES_AT_ONCE


def test_replicas_taking_tickets_at_once_never_share_one(redis_url: str) -> None:
    stores = [EnvironmentLockStore() for _ in range(2)]  # as two replicas would
    conversation = f"tickets-{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(lambda n: stores[n % 2].issue_ticket(conversation), range(64)))
    assert sorted(tickets) == list(range(64))
    for ticket in tickets:
        stores[ticket % 2].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None


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
    servers.ROOT.joinpath("results").mkdir(exist_ok=True)
    servers.ROOT.joinpath("results", "SCALE.md").write_text(
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


def through_balancer(urls: List[str], turn: int, sender: str, text: str) -> str:
    """Sends a message as a load balancer would: to the replica whose turn it is, else to the next one."""
    for url in urls[turn % len(urls) :] + urls[: turn % len(urls)]:
        try:
            return " ".join(m.get("text", "") for m in servers.say(url, sender, text))
        except requests.ConnectionError:
            continue
    raise AssertionError("no replica answered")


# Last: it stops a replica.
def test_when_a_replica_dies_under_load_the_other_keeps_the_context(replicas) -> None:
    urls = [r.url for r in replicas]
    senders = [f"failover-{uuid.uuid4()}" for _ in range(10)]
    for turn, sender in enumerate(senders):
        assert "protein" in through_balancer(urls, turn, sender, "what is botox?")

    def keep_talking(sender: str) -> str:
        for turn in range(4):
            through_balancer(urls, turn, sender, "what are the side effects?")
        return through_balancer(urls, 1, sender, "how long does it last?")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = pool.map(keep_talking, senders)
        time.sleep(1)
        replicas[1].process.kill()  # mid-conversation, with messages in flight
        answers = list(answers)
    assert [a for a in answers if "three to four months" not in a] == []  # still Botox
