"""Rasa's lock store, with leases: in memory for one Rasa process, Redis (LOCK_STORE_URL) for several.

The lock store makes the messages of one conversation wait for each other. In memory, that holds only
within one process; replicas (or several Sanic workers) must share a Redis one:
LOCK_STORE_URL=redis://:password@redis.internal:6379/1 (rediss:// for TLS).

Two changes to Rasa 3.6's ticket lock:

- Tickets are leases. Rasa gives each message's ticket one fixed lifetime (TICKET_LOCK_LIFETIME, 60 s),
  which forces a choice: a crashed replica's ticket blocks the conversation for that long, while a
  message slower than it is handled twice at once. And a message queued behind a dead ticket has a
  lifetime barely longer than it, so it usually expired in the same poll and was dropped. Here a ticket
  lives LOCK_LEASE_SECONDS (5 s) and the replica that holds it renews it while the message is queued
  or handled; only a dead replica's tickets lapse, within one lease.
- Every change is one atomic step. Rasa's Redis lock store reads a conversation's lock, changes it and
  writes it back in separate steps: two replicas taking a ticket at the same moment got the same number,
  or one deleted the lock just as the other queued on it. Here each change is one Redis transaction
  (WATCH/MULTI, retried on conflict); in memory, one step of the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from typing import Any, AsyncIterator, Callable, List, Optional, Text
from urllib.parse import urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore, RedisLockStore

Change = Callable[[Optional[TicketLock]], Optional[TicketLock]]

# How long a ticket lives without renewal: how long a crashed replica's message blocks its conversation.
LEASE_SECONDS = float(os.environ.get("LOCK_LEASE_SECONDS", "5"))
# How often a queued message looks whether its turn has come (Rasa: once a second).
POLL_SECONDS = 0.1


class LeasedTicketLockStore(LockStore):
    """Ticket locks whose tickets are leases renewed by their holder; every change is atomic."""

    def _change(self, conversation_id: Text, change: Change) -> None:
        """Applies `change` to the stored lock; a None result deletes the lock."""
        lock = change(self.get_lock(conversation_id))
        if lock is None:
            self.delete_lock(conversation_id)
        else:
            self.save_lock(lock)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LEASE_SECONDS) -> int:
        """Queues a message of the conversation; returns its ticket number."""
        issued: List[int] = []

        def take(lock: Optional[TicketLock]) -> TicketLock:
            lock = lock or self.create_lock(conversation_id)
            issued[:] = [lock.issue_ticket(lock_lifetime)]
            return lock

        try:
            self._change(conversation_id, take)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return issued[0]

    def renew(self, conversation_id: Text, ticket_number: int) -> None:
        """Extends a live ticket's lease by LEASE_SECONDS from now (an expired one stays expired)."""

        def extend(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            for ticket in lock.tickets if lock else []:
                if ticket.number == ticket_number and not ticket.has_expired():
                    ticket.expires = time.time() + LEASE_SECONDS
            return lock

        self._change(conversation_id, extend)

    def update_lock(self, conversation_id: Text) -> None:
        """Drops the expired tickets (those of a crashed replica)."""

        def expire(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock:
                lock.remove_expired_tickets()
            return lock

        self._change(conversation_id, expire)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Removes a finished message's ticket, and the lock once nobody waits on it."""

        def finish(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return lock if lock and lock.is_someone_waiting() else None

        self._change(conversation_id, finish)

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LEASE_SECONDS,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's lock for the block, renewing the ticket until the block ends.

        `lock_lifetime` is ignored: Rasa passes its fixed TICKET_LOCK_LIFETIME, which a lease replaces.
        """
        ticket = self.issue_ticket(conversation_id, LEASE_SECONDS)
        renewing = asyncio.create_task(self._keep_renewing(conversation_id, ticket))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            renewing.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_renewing(self, conversation_id: Text, ticket: int) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 5)
            with contextlib.suppress(redis.RedisError):  # a passing fault: the next renewal may pass
                self.renew(conversation_id, ticket)

    async def _acquire_lock(
        self, conversation_id: Text, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Waits for the ticket's turn; gives up at once if the ticket has lapsed.

        Rasa's loop would wait on for a turn that never comes, until the web server's timeout.
        """
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None:
                break
            if not lock.is_locked(ticket):
                return lock
            if all(queued.number != ticket for queued in lock.tickets):
                break  # is_locked dropped the expired tickets: this one's lease has lapsed
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


class LeasedInMemoryLockStore(LeasedTicketLockStore, InMemoryLockStore):
    """Rasa's in-memory lock store (one Rasa process), with leased tickets."""


class LeasedRedisLockStore(LeasedTicketLockStore, RedisLockStore):
    """Rasa's Redis lock store (several replicas), with leased tickets and atomic changes."""

    def _change(self, conversation_id: Text, change: Change) -> None:
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = change(TicketLock.from_dict(json.loads(stored)) if stored else None)
                    pipe.multi()
                    if lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, lock.dumps())
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # another replica changed the lock meanwhile: start over from its version


class EnvironmentLockStore:
    """Builds the lock store that LOCK_STORE_URL asks for (Rasa calls it like a lock store class)."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        """Returns the in-memory lock store, or the Redis one for LOCK_STORE_URL."""
        url = os.environ.get("LOCK_STORE_URL")
        if not url:
            return LeasedInMemoryLockStore()
        parsed = urlparse(url)
        return LeasedRedisLockStore(
            host=parsed.hostname or "localhost",
            port=parsed.port or 6379,
            db=int(parsed.path.lstrip("/") or 1),
            username=parsed.username or None,
            password=parsed.password or None,
            use_ssl=parsed.scheme == "rediss",
        )
