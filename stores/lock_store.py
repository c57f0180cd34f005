"""Rasa's lock store: in memory for one Rasa process, Redis (LOCK_STORE_URL) for several.

The lock store makes the messages of one conversation wait for each other. In memory, that holds only
within one process; replicas (or several Sanic workers) must share a Redis one:
LOCK_STORE_URL=redis://:password@redis.internal:6379/1 (rediss:// for TLS).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore


class EnvironmentLockStore:
    """Builds the lock store that LOCK_STORE_URL asks for (Rasa calls it like a lock store class)."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:
        url = os.environ.get("LOCK_STORE_URL")
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        return RedisLockStore(
            host=parsed.hostname or "localhost",
            port=parsed.port or 6379,
            db=int(parsed.path.lstrip("/") or 1),
            username=parsed.username or None,
            password=parsed.password or None,
            use_ssl=parsed.scheme == "rediss",
        )
