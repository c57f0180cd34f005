"""The review app in-process (Starlette's TestClient) on an SQLite tracker store: no server, no model."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import httpx2
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.testclient import TestClient

from review import auth, schema
from review.app import create_app
from review.config import Settings
from tests.harness.servers import csrf_token_in


def engine_with_staff(database: Path, staff: Mapping[str, str]) -> sa.engine.Engine:
    """The SQLite tracker store's engine, with the review tables and these staff accounts (name: password)."""
    engine = sa.create_engine(f"sqlite:///{database}")
    schema.create_tables(engine)
    for username, password in staff.items():
        auth.set_staff_user(engine, username, password)
    return engine


def app_on(engine: sa.engine.Engine, idle_minutes: float = 30) -> Starlette:
    """The review app on this engine, with test secrets."""
    settings = Settings(
        str(engine.url), "test-secret", 0.6, secure_cookies=False, session_hours=8,
        idle_minutes=idle_minutes, pseudonym_key=b"test-pseudonym-key-not-secret",
    )  # fmt: skip
    return create_app(settings, engine)


def client(app: Starlette, address: str = "10.0.0.1") -> TestClient:
    """A browser on the machine at `address` (the login throttle counts per address)."""
    return TestClient(app, base_url="http://127.0.0.1", client=(address, 50000))


def log_in(
    browser: TestClient, username: str, password: str, target: str = "/", follow_redirects: bool = True
) -> httpx2.Response:
    """Logs in through the login form, as a browser would; returns the reply."""
    token = csrf_token_in(browser.get("/login").text)
    form = {"csrf_token": token, "username": username, "password": password, "next": target}
    return browser.post("/login", data=form, follow_redirects=follow_redirects)


@contextmanager
def logged_in(database: Path, username: str, password: str) -> Iterator[TestClient]:
    """The app in-process on an SQLite tracker store with this staff account, and a client logged in."""
    engine = engine_with_staff(database, {username: password})
    with client(app_on(engine)) as browser:
        assert log_in(browser, username, password).status_code == 200
        yield browser
    engine.dispose()
