"""The review app's sessions, login throttling and audit log, in-process on a seeded SQLite store.

Each test here failed before the fix it covers (security review, round two): a copied cookie kept
working after logout; five wrong passwords from anywhere locked a member of staff out; failed logins
pushed real entries off the audit page; the conversation list and dashboard were not audited.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.testclient import TestClient

from review import auth, queries
from scripts import seed_conversations
from tests.harness import review_app, servers
from tests.harness.review_app import client
from tests.harness.servers import csrf_token_in

pytestmark = pytest.mark.unit
USER, PASSWORD = "staff", "a-long-staff-password"
OTHER, OTHER_PASSWORD = "other", "another-long-password"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Tuple[Path, sa.engine.Engine]]:
    path = tmp_path / "tracker.db"
    seed_conversations.seed(path, 20)
    engine = review_app.engine_with_staff(path, {USER: PASSWORD, OTHER: OTHER_PASSWORD})
    yield path, engine
    engine.dispose()


def app_for(database: Tuple[Path, sa.engine.Engine], idle_minutes: float = 30) -> Starlette:
    return review_app.app_on(database[1], idle_minutes)


def log_in(browser: TestClient, username: str = USER, password: str = PASSWORD) -> int:
    return review_app.log_in(browser, username, password).status_code


def signed_in(browser: TestClient) -> bool:
    return browser.get("/audit", follow_redirects=False).status_code == 200


def test_a_copied_cookie_stops_working_at_logout(database) -> None:
    app = app_for(database)
    with client(app) as staff, client(app) as thief:
        assert log_in(staff) == 200
        thief.cookies.update(staff.cookies)
        assert signed_in(thief)
        staff.post("/logout", data={"csrf_token": csrf_token_in(staff.get("/audit").text)})
        assert not signed_in(staff) and not signed_in(thief)
        reply = thief.post("/conversations/anyone/notes", data={"body": "x"}, follow_redirects=False)
        assert reply.status_code == 303 and "/login" in reply.headers["location"]


def test_an_idle_session_ends(database) -> None:
    with client(app_for(database, idle_minutes=0.01)) as staff:  # 0.6 s
        assert log_in(staff) == 200 and signed_in(staff)
        time.sleep(1)
        assert not signed_in(staff)


def test_end_sessions_logs_one_member_of_staff_out_everywhere(database) -> None:
    path, _ = database
    app = app_for(database)
    with client(app) as staff, client(app) as other:
        assert log_in(staff) == 200 and log_in(other, OTHER, OTHER_PASSWORD) == 200
        command = [sys.executable, "-m", "review", "end-sessions", "--user", USER]
        env = {**os.environ, **servers.ENV, "TRACKER_STORE_URL": f"sqlite:///{path}"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        assert "ended 1 session" in done.stdout
        assert not signed_in(staff) and signed_in(other)


def test_a_new_password_ends_the_old_sessions(database) -> None:
    _, engine = database
    with client(app_for(database)) as staff:
        assert log_in(staff) == 200
        auth.set_staff_user(engine, USER, "a-new-long-password")
        assert not signed_in(staff)


def test_a_guesser_elsewhere_cannot_lock_staff_out(database) -> None:
    app = app_for(database)
    with client(app, "203.0.113.9") as guesser, client(app, "10.0.0.7") as staff:
        replies = [log_in(guesser, USER, f"wrong-password-{n}") for n in range(8)]
        assert replies[:3] == [401, 401, 401] and 429 in replies[3:]  # the guesser is slowed
        assert log_in(staff) == 200  # the real user, from their own machine, is not


def test_a_slowed_pair_is_told_how_long_to_wait(database) -> None:
    with client(app_for(database), "203.0.113.9") as guesser:
        for n in range(3):
            log_in(guesser, USER, f"wrong-password-{n}")
        token = csrf_token_in(guesser.get("/login").text)
        reply = guesser.post("/login", data={"csrf_token": token, "username": USER, "password": "x" * 12})
        assert reply.status_code == 429 and int(reply.headers["retry-after"]) >= 1


def test_views_of_patient_text_are_audited(database) -> None:
    _, engine = database
    with client(app_for(database)) as staff:
        log_in(staff)
        staff.get("/?q=botox")
        staff.get("/dashboard")
    with engine.connect() as connection:
        actions = [e["action"] for e in queries.audit_log(connection)[0]]
    assert "list" in actions and "dashboard" in actions


def test_a_flood_of_failed_logins_cannot_hide_an_export(database) -> None:
    _, engine = database
    with client(app_for(database)) as staff:
        log_in(staff)
        token = csrf_token_in(staff.get("/").text)
        assert staff.post("/export", data={"csrf_token": token, "format": "json"}).status_code == 200
        with engine.begin() as connection:  # as 500 guesses from as many addresses would leave it
            for n in range(500):
                queries.record(connection, "-", "login_failed", {"username": f"guess-{n}"})
        assert "export" not in staff.get("/audit").text.split("<tbody>")[1]  # off the first page…
        assert "&#34;format&#34;: &#34;json&#34;" in staff.get("/audit?action=export").text  # …not lost
        assert staff.get("/audit?page=3").status_code == 200
        assert staff.get("/audit?action=nonsense").status_code == 400
