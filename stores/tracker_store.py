"""Rasa's SQL tracker store, on the database stores/locations.py names (TRACKER_STORE_URL or endpoints.yml).

A SQLite file that cannot be written stops the server at startup with the fix in the message, instead of
failing on the first patient's message (stores/preflight.py, run by `make run`, says the same before
Rasa starts, without Rasa's stack trace).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore

from stores.locations import check_sqlite_file, tracker_store_url


class EnvironmentSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore on the database `tracker_store_url` names."""

    def __init__(
        self,
        domain: Optional[Any] = None,
        dialect: Text = "sqlite",
        host: Optional[Text] = None,
        port: Optional[int] = None,
        db: Text = "rasa.db",
        username: Optional[Text] = None,
        password: Optional[Text] = None,
        event_broker: Optional[Any] = None,
        login_db: Optional[Text] = None,
        query: Optional[Dict] = None,
        **kwargs: Any,
    ) -> None:
        url = tracker_store_url(
            {"dialect": dialect, "url": host, "port": port, "db": db, "username": username,
             "password": password, "query": query}
        )  # fmt: skip
        if url.drivername.startswith("sqlite"):
            check_sqlite_file(Path(url.database or "").resolve())
        super().__init__(
            domain, url.drivername, url.host, url.port, url.database, url.username, url.password,
            event_broker, login_db, dict(url.query) or None, **kwargs,
        )  # fmt: skip
