"""Where the conversations are kept: the one lookup of the tracker store's database.

TRACKER_STORE_URL when it is set, else the `tracker_store` section of the endpoints file. Rasa's tracker
store (stores/tracker_store.py), the startup checks (stores/preflight.py) and the review app all ask
here, so one variable moves the conversations (`postgresql://user:password@host:5432/rasa`) for all
of them. This module does not import Rasa: the review app runs without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import sqlalchemy as sa
import yaml

from contract import PROJECT_ROOT

TRACKER_STORE_URL_VARIABLE = "TRACKER_STORE_URL"
ENDPOINTS = PROJECT_ROOT / "endpoints.yml"


class UnusableTrackerStore(RuntimeError):
    """The configured database cannot hold conversations; the text says how to fix it."""


def tracker_store_url(store: Mapping[str, Any]) -> sa.engine.URL:
    """TRACKER_STORE_URL, else the database an endpoints file's `tracker_store` section describes.

    A relative SQLite path is taken from the project's folder, wherever the process was started.
    """
    if os.environ.get(TRACKER_STORE_URL_VARIABLE):
        return sa.engine.make_url(os.environ[TRACKER_STORE_URL_VARIABLE])
    dialect = store.get("dialect") or "sqlite"
    if dialect == "sqlite":
        return sa.engine.URL.create("sqlite", database=str(PROJECT_ROOT / (store.get("db") or "rasa.db")))
    return sa.engine.URL.create(
        drivername=dialect,
        username=store.get("username"),
        password=store.get("password"),
        host=store.get("url"),
        port=store.get("port"),
        database=store.get("db"),
        query=store.get("query") or {},
    )


def configured_tracker_store_url(endpoints: Path = ENDPOINTS) -> sa.engine.URL:
    """The tracker store's database for this endpoints file (and the environment)."""
    return tracker_store_url(yaml.safe_load(endpoints.read_text(encoding="utf-8"))["tracker_store"])


def check_sqlite_file(path: Path) -> None:
    """Raises UnusableTrackerStore unless the SQLite file can be written (or created)."""
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise UnusableTrackerStore(f"The tracker store {path} is not writable: fix its permissions.")
    elif not path.parent.is_dir():
        raise UnusableTrackerStore(
            f"The tracker store's folder {path.parent} does not exist: create it (make run does) or set "
            f"{TRACKER_STORE_URL_VARIABLE}."
        )
    elif not os.access(path.parent, os.W_OK):
        raise UnusableTrackerStore(
            f"The tracker store {path} cannot be created: its folder is not writable. Fix the folder's "
            f"permissions or set {TRACKER_STORE_URL_VARIABLE}."
        )
