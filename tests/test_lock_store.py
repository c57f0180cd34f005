"""The lock store's leased tickets (stores/lock_store.py), in memory and on a real Redis.

A crashed replica is simulated by a ticket taken and never renewed (its process gone); a live replica
holds its ticket through `lock()`, which renews it. Leases are shortened here so the tests run fast.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List

import pytest
from rasa.core.lock_store import LockError, LockStore

from stores import lock_store
from stores.lock_store import EnvironmentLockStore, LeasedInMemoryLockStore, LeasedRedisLockStore
from tests.harness import services
from tests.harness.servers import free_port

pytestmark = pytest.mark.unit
LEASE = 0.5


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: make test installs it (make scale-deps)")
        pytest.skip("no redis-server here: make scale-deps installs it")
    with services.redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> LockStore:
    monkeypatch.setattr(lock_store, "LEASE_SECONDS", LEASE)
    if request.param == "memory":
        monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    else:
        monkeypatch.setenv("LOCK_STORE_URL", request.getfixturevalue("redis_url"))
    return EnvironmentLockStore()


def test_the_environment_picks_the_store(store: LockStore) -> None:
    expected = LeasedRedisLockStore if os.environ.get("LOCK_STORE_URL") else LeasedInMemoryLockStore
    assert type(store) is expected


async def test_messages_of_one_conversation_take_turns_in_order(store: LockStore) -> None:
    conversation, order = f"turns-{uuid.uuid4()}", []

    async def handle(number: int) -> None:
        async with store.lock(conversation):
            order.append(("start", number))
            await asyncio.sleep(0.05)
            order.append(("end", number))

    await asyncio.gather(*(handle(n) for n in range(5)))
    assert order == [(step, n) for n in range(5) for step in ("start", "end")]
    assert store.get_lock(conversation) is None  # nobody waits: the lock is gone


async def test_a_message_handled_for_many_leases_keeps_its_turn(store: LockStore) -> None:
    conversation, order = f"slow-{uuid.uuid4()}", []

    async def slow() -> None:
        async with store.lock(conversation):
            order.append("slow starts")
            await asyncio.sleep(6 * LEASE)  # renewed all along: nobody else may start
            order.append("slow ends")

    async def next_one() -> None:
        await asyncio.sleep(LEASE)
        async with store.lock(conversation):
            order.append("next starts")

    await asyncio.gather(slow(), next_one())
    assert order == ["slow starts", "slow ends", "next starts"]


async def test_waiting_behind_a_crashed_replica_is_bounded_by_one_lease(store: LockStore) -> None:
    conversation = f"bounded-{uuid.uuid4()}"
    store.issue_ticket(conversation, LEASE)

    async def handle() -> str:
        async with store.lock(conversation):
            return "handled"

    assert await asyncio.wait_for(handle(), timeout=20 * LEASE) == "handled"


async def test_a_ticket_whose_lease_lapsed_gives_up_at_once(store: LockStore) -> None:
    conversation = f"lapsed-{uuid.uuid4()}"
    store.issue_ticket(conversation, 60)  # a message being handled
    waiting = store.issue_ticket(conversation, 0.1)  # queued, then its replica stalled: never renewed
    await asyncio.sleep(0.3)
    with pytest.raises(LockError):  # Rasa's own loop would wait until the web server's timeout
        await asyncio.wait_for(store._acquire_lock(conversation, waiting, 0.05), timeout=5)


async def test_renewing_never_revives_a_lapsed_ticket(store: LockStore) -> None:
    conversation = f"revive-{uuid.uuid4()}"
    lapsed = store.issue_ticket(conversation, 0.1)
    await asyncio.sleep(0.3)  # another replica may already have served the next ticket
    store.renew(conversation, lapsed)
    assert all(ticket.has_expired() for ticket in store.get_lock(conversation).tickets)


def test_replicas_taking_tickets_at_once_never_share_one(redis_url: str, monkeypatch) -> None:
    monkeypatch.setenv("LOCK_STORE_URL", redis_url)
    stores: List[LockStore] = [EnvironmentLockStore() for _ in range(2)]  # as two replicas would
    conversation = f"tickets-{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(lambda n: stores[n % 2].issue_ticket(conversation, 60), range(64)))
    assert sorted(tickets) == list(range(64))
    for ticket in tickets:
        stores[ticket % 2].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None


def test_an_unreachable_redis_is_a_lock_error(monkeypatch) -> None:
    monkeypatch.setenv("LOCK_STORE_URL", f"redis://127.0.0.1:{free_port()}/1")  # nothing listens
    with pytest.raises(LockError):
        EnvironmentLockStore().issue_ticket("patient", 5)
