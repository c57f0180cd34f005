"""The staff review app on conversations held with the real assistant over REST, in a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Set
from urllib.parse import quote, unquote

import httpx2
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, expect
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import ARTIFACTS, serious_accessibility_violations
from tests.harness import review_app, servers
from tests.harness.review_app import client, log_in
from tests.harness.servers import csrf_token_in

USER, PASSWORD = "alice", "a-long-test-password"
# the account of the served app (its start sets the password, which ends that account's other sessions)
SERVED_USER, SERVED_PASSWORD = "bob", "another-long-test-password"
RUN = uuid.uuid4().hex[:8]
EMAIL, PHONE = "jane.doe@example.com", "07700 900123"
# a few patients, each raising a different flag
PATIENTS: Dict[str, List[str]] = {
    f"red-{RUN}": ["hi", "my lips turned white and hurt after filler yesterday"],
    f"gap-{RUN}": ["can I get botox while pregnant?"],
    f"plain-{RUN}": ["how long does botox last?", f"thanks, my email is {EMAIL} and my phone {PHONE}"],
    f"scope-{RUN}": ["what's the weather like tomorrow"],
    f"human-{RUN}": ["can I talk to a real person please"],
    f"{RUN}-{EMAIL}": ["what are dermal fillers?"],  # a REST client that uses an email as the sender id
}


@pytest.fixture(scope="module")
def held(rasa_url: str) -> None:
    """The patients' conversations, held with the real assistant."""
    for sender, messages in PATIENTS.items():
        for text in messages:
            servers.say(rasa_url, sender, text)


@pytest.fixture(scope="module")
def app(database: Path, held: None) -> Iterator[Starlette]:
    """The review app in-process on the conversations' SQLite file."""
    engine = review_app.engine_with_staff(database, {USER: PASSWORD})
    yield review_app.app_on(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def staff(app: Starlette) -> Iterator[TestClient]:
    with client(app) as browser:
        assert log_in(browser, USER, PASSWORD).status_code == 200
        yield browser


def listed(staff: TestClient, **params) -> Set[str]:
    """The conversations (of this run) that the list shows for these filters, on all pages."""
    found: Set[str] = set()
    page = 1
    while True:
        reply = staff.get("/", params={**params, "page": page})
        assert reply.status_code == 200, reply.text
        found |= {unquote(s) for s in re.findall(r'href="/conversations/([^"]+)"', reply.text)}
        if 'rel="next"' not in reply.text:
            return {sender for sender in found if RUN in sender}
        page += 1


def test_pages_need_a_login(app: Starlette) -> None:
    with client(app) as stranger:
        for path in ("/", "/dashboard", "/audit", f"/conversations/plain-{RUN}", "/?flag=red_flag"):
            reply = stranger.get(path, follow_redirects=False)
            assert reply.status_code == 303 and reply.headers["location"].startswith("/login?next=")
        reply = stranger.post("/export", data={"format": "csv"}, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"].startswith("/login")


def test_a_wrong_password_is_refused(app: Starlette) -> None:
    with client(app, "10.0.0.2") as stranger:
        assert log_in(stranger, USER, "not-the-password").status_code == 401
        assert stranger.get("/", follow_redirects=False).status_code == 303


def test_repeated_failures_slow_the_guesser(app: Starlette) -> None:
    with client(app, "10.0.0.3") as guesser:
        for _ in range(3):
            assert log_in(guesser, "mallory", "wrong-password").status_code == 401
        assert log_in(guesser, "mallory", "wrong-password").status_code == 429


def test_a_forged_forwarded_for_header_does_not_reset_the_limit(
    workdir: Path, database: Path, held: None
) -> None:
    """Served by uvicorn, which decides whom to trust with X-Forwarded-For (REVIEW_TRUSTED_PROXIES)."""
    with servers.review_server(workdir, database, SERVED_USER, SERVED_PASSWORD) as review:
        for n in range(20):
            session = requests.Session()
            session.headers["X-Forwarded-For"] = f"198.51.100.{n}"
            token = csrf_token_in(session.get(f"{review.url}/login").text)
            form = {"csrf_token": token, "username": f"guess-{n}", "password": "wrong-password"}
            assert session.post(f"{review.url}/login", data=form).status_code == 401
        session.headers["X-Forwarded-For"] = "198.51.100.99"
        token = csrf_token_in(session.get(f"{review.url}/login").text)
        form = {"csrf_token": token, "username": "guess-99", "password": "wrong-password"}
        assert session.post(f"{review.url}/login", data=form).status_code == 429


def test_the_session_cookie_is_signed_httponly_and_samesite(app: Starlette) -> None:
    with client(app, "10.0.0.4") as browser:
        cookie = log_in(browser, USER, PASSWORD, follow_redirects=False).headers["set-cookie"]
        assert "review_session=" in cookie
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()


def test_a_post_without_the_csrf_token_is_forbidden(staff: TestClient) -> None:
    reply = staff.post(f"/conversations/plain-{RUN}/notes", data={"body": "no token"})
    assert reply.status_code == 403
    reply = staff.post("/export", data={"format": "csv", "csrf_token": "forged"})
    assert reply.status_code == 403


def test_flags_are_computed_from_the_events(staff: TestClient, database: Path) -> None:
    assert listed(staff, flag="red_flag") == {f"red-{RUN}"}
    assert listed(staff, flag="gap") == {f"gap-{RUN}"}
    assert f"scope-{RUN}" in listed(staff, flag="fallback")
    assert listed(staff, flag="handoff") == {f"human-{RUN}"}
    with sqlite3.connect(database) as db:
        unsure = {
            sender
            for (sender,) in db.execute(
                "SELECT sender_id FROM events WHERE type_name = 'user' AND sender_id LIKE ? "
                "GROUP BY sender_id HAVING MIN(json_extract(data, '$.parse_data.intent.confidence')) < 0.6",
                (f"%{RUN}%",),
            )
        }
    assert listed(staff, flag="low_confidence") == unsure


def test_filters_combine_and_stay_in_the_url(staff: TestClient) -> None:
    assert listed(staff, intent="ask_duration") == {f"plain-{RUN}"}
    assert listed(staff, treatment="filler") >= {f"red-{RUN}", f"{RUN}-{EMAIL}"}
    assert listed(staff, q="PREGNANT") == {f"gap-{RUN}"}
    assert listed(staff, flag="red_flag", treatment="botox") == set()
    assert listed(staff, since="2000-01-01", until="2000-01-31") == set()
    reply = staff.get("/", params={"flag": "gap", "treatment": "botox"})
    assert 'value="gap" checked' in reply.text and "<option selected>botox</option>" in reply.text


def test_sql_or_html_in_a_filter_is_harmless(staff: TestClient, database: Path) -> None:
    for text in ("'; DROP TABLE events; --", '" OR 1=1 --', "%", "_"):
        assert listed(staff, q=text) == set()
    reply = staff.get("/", params={"q": "<script>alert(1)</script>"})
    assert reply.status_code == 200
    assert (
        "<script>alert(1)</script>" not in reply.text
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.text
    )
    for bad in ({"intent": "x' OR '1'='1"}, {"flag": "<b>"}, {"since": "yesterday"}, {"page": "-1"}):
        reply = staff.get("/", params=bad)
        assert reply.status_code == 400 and "<b>" not in reply.text
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0


def test_the_transcript_shows_what_the_assistant_understood_and_cited(staff: TestClient) -> None:
    page = staff.get(f"/conversations/plain-{RUN}").text
    assert "how long does botox last?" in page
    assert "intent <code>ask_duration</code>" in page and "treatment <code>botox</code>" in page
    assert re.search(r"confidence \d\.\d\d", page)
    assert "facts cited <code>botox_duration</code>" in page
    assert "treatment=botox" in page  # the slot
    red = staff.get(f"/conversations/red-{RUN}").text
    assert "red flag:" in red and "call 911" in red
    assert staff.get(f"/conversations/nobody-{RUN}").status_code == 404


def test_notes_and_review_marks(staff: TestClient) -> None:
    url = f"/conversations/gap-{RUN}"
    token = csrf_token_in(staff.get(url).text)
    note = {"csrf_token": token, "body": "Add pregnancy to the FAQ <b>"}
    assert staff.post(f"{url}/notes", data=note).is_success
    assert staff.post(f"{url}/review", data={"csrf_token": token, "reviewed": "1"}).is_success
    page = staff.get(url).text
    assert "Add pregnancy to the FAQ &lt;b&gt;" in page and f"by {USER}" in page
    assert staff.post(f"{url}/notes", data={"csrf_token": token, "body": " "}).status_code == 400


def export(staff: TestClient, fmt: str, **extra) -> httpx2.Response:
    token = csrf_token_in(staff.get("/").text)
    return staff.post("/export?q=email", data={"csrf_token": token, "format": fmt, **extra})


def test_exports_redact_personal_details_by_default(staff: TestClient) -> None:
    reply = export(staff, "csv")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    texts = " ".join(row["text"] for row in rows)
    assert "[email]" in texts and "[phone]" in texts
    assert EMAIL not in reply.text and PHONE not in reply.text and RUN not in reply.text
    assert {row["conversation"].startswith("conversation-") for row in rows} == {True}

    data = export(staff, "json").json()
    assert EMAIL not in json.dumps(data) and data[0]["messages"][0]["speaker"] == "patient"


def test_an_unredacted_export_is_explicit_and_audited(staff: TestClient) -> None:
    reply = export(staff, "csv", unredacted="1")
    assert EMAIL in reply.text and PHONE in reply.text
    assert "unredacted" in reply.headers["content-disposition"]
    audit = staff.get("/audit").text
    assert "&#34;redacted&#34;: false" in audit and "export" in audit


def test_the_export_command_line(database: Path, held: None) -> None:
    env = {**servers.ENV, "TRACKER_STORE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-m", "review", "export", "--format", "csv", "--flag", "red_flag"]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    assert "my lips turned white" in output and "report_red_flag" in output
    assert "what are dermal fillers" not in output


def test_the_dashboard(staff: TestClient) -> None:
    page = staff.get("/dashboard").text
    assert "Conversations per day" in page and '<svg class="chart conversations"' in page
    assert "ask_duration" in page
    assert "can i get botox while pregnant?" in page  # the gap list
    assert staff.get("/dashboard", params={"flag": "red_flag"}).status_code == 200


def test_the_review_app_never_changes_rasas_events(staff: TestClient, database: Path) -> None:
    def events() -> list:
        with sqlite3.connect(database) as db:
            return db.execute(
                "SELECT * FROM events WHERE sender_id LIKE ? ORDER BY id", (f"%{RUN}%",)
            ).fetchall()

    before = events()
    staff.get("/")
    staff.get(f"/conversations/plain-{RUN}")
    export(staff, "json")
    assert events() == before


def test_the_app_refuses_to_start_without_a_staff_account(tmp_path: Path) -> None:
    env = {**servers.ENV, "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    env.pop("REVIEW_STAFF_PASSWORD", None)
    result = subprocess.run(
        [sys.executable, "-m", "review", "serve", "--port", str(servers.free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "make staff-user" in result.stderr and "Traceback" not in result.stderr


def test_the_app_and_the_export_refuse_to_run_without_a_pseudonym_key(tmp_path: Path) -> None:
    env = {
        **servers.ENV,
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'staff.db'}",
        "REVIEW_PSEUDONYM_KEY": "",
    }
    for command in (["serve", "--port", str(servers.free_port())], ["export", "--format", "csv"]):
        result = subprocess.run(
            [sys.executable, "-m", "review", *command], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode != 0 and "REVIEW_PSEUDONYM_KEY" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    env = {
        **servers.ENV,
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'staff.db'}",
        "REVIEW_STAFF_PASSWORD": "short",
    }
    result = subprocess.run(
        [sys.executable, "-m", "review", "staff-user", "bob"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "at least 12 characters" in result.stderr


def test_in_a_browser_log_in_filter_open_note_export(
    workdir: Path, database: Path, held: None, browser: Browser
) -> None:
    with servers.review_server(workdir, database, SERVED_USER, SERVED_PASSWORD) as review:
        ARTIFACTS.mkdir(exist_ok=True)
        # bypass_csp: the app's CSP rightly refuses the injected axe-core script
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, bypass_csp=True
        )
        page = context.new_page()
        page.goto(review.url)
        page.get_by_label("Username").fill(SERVED_USER)
        page.get_by_label("Password").fill(SERVED_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Conversations")).to_be_visible()

        page.get_by_label("Red flag").check()
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"flag=red_flag"))
        page.screenshot(path=str(ARTIFACTS / "review-list.png"), full_page=True)
        assert serious_accessibility_violations(page) == []
        page.locator(f'a[href="/conversations/{quote(f"red-{RUN}", safe="")}"]').click()
        expect(page.get_by_text("my lips turned white")).to_be_visible()

        page.get_by_label("Add a note").fill("Called the patient back.")
        page.get_by_role("button", name="Add note").click()
        expect(page.get_by_text("Called the patient back.")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "review-transcript.png"), full_page=True)
        assert serious_accessibility_violations(page) == []

        page.go_back()
        page.go_back()
        expect(page).to_have_url(re.compile(r"flag=red_flag"))
        with page.expect_download() as download:
            page.get_by_role("button", name="Export CSV").click()
        exported = Path(download.value.path()).read_text()
        assert "my lips turned white" in exported and f"red-{RUN}" not in exported

        page.get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", name="Questions by topic and treatment")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "review-dashboard.png"), full_page=True)
        assert serious_accessibility_violations(page) == []
        context.close()


@pytest.mark.parametrize(
    "target, expected", [("/?flag=gap", "/?flag=gap"), ("//evil.test", "/"), ("/\\evil.test", "/")]
)
def test_after_login_only_paths_of_this_app_are_followed(app: Starlette, target: str, expected: str) -> None:
    with client(app, "10.0.0.5") as browser:
        reply = log_in(browser, USER, PASSWORD, target, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == expected


filter_values = st.text(max_size=60) | st.sampled_from(
    ["red_flag", "gap", "botox", "2026-01-31", "ask_cost", "1"]
)


@settings(max_examples=60, deadline=None)
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["flag", "since", "until", "intent", "treatment", "q", "page"]), filter_values
        ),
        max_size=5,
    ),
    path=st.sampled_from(["/", "/dashboard"]),
)
def test_any_filter_gets_a_page_or_a_400(staff, params, path) -> None:
    # (markup in a filter coming back escaped: test_sql_or_html_in_a_filter_is_harmless)
    reply = staff.get(path, params=params, follow_redirects=False)
    assert reply.status_code in (200, 400), (params, reply.status_code)
