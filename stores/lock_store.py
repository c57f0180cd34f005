"""Rasa's lock store: in memory for one Rasa process, Redis (LOCK_STORE_URL) for several.

The lock store makes the messages of one conversation wait for each other. In memory, that holds only
within one process; replicas (or several Sanic workers) must share a Redis one:
LOCK_STORE_URL=redis://:password@redis.internal:6379/1 (rediss:// for TLS).

Rasa 3.6's Redis lock store reads a conversation's lock, changes it and writes it back in separate
steps. Two replicas taking a ticket at the same moment can then get the same ticket, or one can delete
the lock just as the other queued on it: two messages of one conversation handled at once (events
lost), or a message dropped with a LockError. Here every change is one Redis transaction
(WATCH/MULTI, retried on conflict).
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional, Text
from urllib.parse import urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

Change = Callable[[Optional[TicketLock]], Optional[TicketLock]]


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose read-change-write steps are atomic."""

    def _change(self, conversation_id: Text, change: Change) -> None:
        """Applies `change` to the stored lock in one transaction; a None result deletes the lock."""
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

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Queues a message of the conversation; returns its ticket number."""
        issued = []

        def take(lock: Optional[TicketLock]) -> TicketLock:
            lock = lock or self.create_lock(conversation_id)
            issued[:] = [lock.issue_ticket(lock_lifetime)]
            return lock

        try:
            self._change(conversation_id, take)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return issued[0]

    def update_lock(self, conversation_id: Text) -> None:
        """Drops the expired tickets (those of a crashed replica, say)."""

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


class EnvironmentLockStore:
    """Builds the lock store that LOCK_STORE_URL asks for (Rasa calls it like a lock store class)."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        """Returns Rasa's in-memory lock store, or the atomic Redis one for LOCK_STORE_URL."""
        url = os.environ.get("LOCK_STORE_URL")
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        return AtomicRedisLockStore(
            host=parsed.hostname or "localhost",
            port=parsed.port or 6379,
            db=int(parsed.path.lstrip("/") or 1),
            username=parsed.username or None,
            password=parsed.password or None,
            use_ssl=parsed.scheme == "rediss",
        )
