"""Rasa's SQL tracker store, on TRACKER_STORE_URL when it is set, else on what endpoints.yml says.

One variable moves the conversations to PostgreSQL (`postgresql://user:password@host:5432/rasa`) for Rasa
and the review app alike. A SQLite file that cannot be written stops the server at startup with the
fix in the message, instead of failing on the first patient's message (scripts/preflight.py, run by
`make run`, says the same before Rasa starts, without Rasa's stack trace).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore


class UnusableTrackerStore(RuntimeError):
    """The configured database cannot hold conversations; the text says how to fix it."""


def check_sqlite_file(path: Path) -> None:
    """Raises UnusableTrackerStore unless the SQLite file can be written (or created)."""
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise UnusableTrackerStore(f"The tracker store {path} is not writable: fix its permissions.")
    elif not path.parent.is_dir():
        raise UnusableTrackerStore(
            f"The tracker store's folder {path.parent} does not exist: create it (make run does) or set "
            "TRACKER_STORE_URL."
        )
    elif not os.access(path.parent, os.W_OK):
        raise UnusableTrackerStore(
            f"The tracker store {path} cannot be created: its folder is not writable. Fix the folder's "
            "permissions or set TRACKER_STORE_URL."
        )


class EnvironmentSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore taking its database from TRACKER_STORE_URL when set."""

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
        if os.environ.get("TRACKER_STORE_URL"):
            url = sa.engine.make_url(os.environ["TRACKER_STORE_URL"])
            dialect, host, port, db = url.drivername, url.host, url.port, url.database
            username, password, query = url.username, url.password, dict(url.query) or None
        if dialect.startswith("sqlite"):
            check_sqlite_file(Path(db).resolve())
        super().__init__(
            domain, dialect, host, port, db, username, password, event_broker, login_db, query, **kwargs
        )
