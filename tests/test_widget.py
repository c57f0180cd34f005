"""The website chat widget in a real browser (Debian's chromium, driven by Playwright) on the real servers.

The demo page and the built widget (widget/dist, `make widget`) are served from a folder of their own on a
free loopback port; the Rasa server lets exactly that origin in.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from contract import FACTS_KEY, PROJECT_ROOT
from tests.conftest import ARTIFACTS, serious_accessibility_violations, stored_events, stored_feedback
from tests.harness import servers

DIST = PROJECT_ROOT / "widget" / "dist"
QUALIFIED = "qualified medical professional"
URGENT = "call 911 or go to the nearest emergency department"
TIMEOUT = 30_000  # ms; the first answer after a (re)start loads the model's components


class Site:
    """The demo page on its own origin, pointing its widget at a Rasa server on `rasa_port`."""

    def __init__(self, folder: Path, rasa_port: int) -> None:
        folder.mkdir(exist_ok=True)
        self.port = servers.free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.rasa_port = rasa_port
        page = (DIST / "index.html").read_text()
        assert 'data-server="http://localhost:5005"' in page
        page = page.replace("http://localhost:5005", f"http://127.0.0.1:{rasa_port}")
        (folder / "index.html").write_text(page)
        (folder / "clinic-chat.js").write_bytes((DIST / "clinic-chat.js").read_bytes())
        self.folder = folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo page served over HTTP, as a clinic's website would serve it."""
    assert (DIST / "clinic-chat.js").exists(), "build the widget first: make widget"
    folder = tmp_path_factory.mktemp("site")
    site = Site(folder / "www", servers.free_port())
    command = [sys.executable, "-m", "http.server", str(site.port), "--bind", "127.0.0.1"]
    with servers.running(command, site.origin + "/", folder / "http.log", cwd=site.folder):
        yield site


@pytest.fixture(scope="module")
def actions(workdir: Path) -> Iterator[servers.Server]:
    with servers.action_server(workdir) as server:
        yield server


@pytest.fixture(scope="module")
def widget_database(workdir: Path) -> Path:
    return workdir / "widget.db"


@pytest.fixture(scope="module")
def rasa(workdir, widget_database, actions, site) -> Iterator[servers.Server]:
    with servers.rasa_server(
        workdir, widget_database, actions.url, cors=[site.origin], port=site.rasa_port
    ) as server:
        yield server


@pytest.fixture
def page(browser: Browser, site: Site, rasa: servers.Server) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage, so its own conversation) on the demo page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site.origin + "/")
    yield page
    context.close()


def widget(page: Page) -> Locator:
    return page.locator("#clinic-chat")


def bot_messages(page: Page) -> Locator:
    return widget(page).locator(".msg.bot")


def open_chat(page: Page) -> None:
    """Opens the panel and waits for the greeting the widget asks for."""
    widget(page).get_by_role("button", name="Open chat").click()
    expect(widget(page).get_by_role("dialog")).to_be_visible()
    expect(bot_messages(page).last).to_contain_text("What would you like to know", timeout=TIMEOUT)


def ask(page: Page, question: str, *expected: str) -> str:
    """Sends a question with Enter; returns the bot's reply (its messages joined) once it holds `expected`."""
    before = bot_messages(page).count()
    box = widget(page).get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    expect(bot_messages(page)).not_to_have_count(before, timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        reply = "\n".join(bot_messages(page).all_inner_texts()[before:])
        if all(phrase in reply for phrase in expected) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    for phrase in expected:
        assert phrase in reply
    return reply


def conversation(page: Page) -> str:
    return widget(page).get_by_role("log").inner_text()


def feedback(page: Page) -> Locator:
    """The "was this answer helpful?" groups under the informational answers."""
    return widget(page).get_by_role("group", name="Was this answer helpful?")


def session_id(page: Page) -> str:
    """The conversation id the widget keeps in the tab's sessionStorage."""
    key = next(k for k in page.evaluate("Object.keys(sessionStorage)") if k.startswith("clinic-chat:"))
    return page.evaluate("key => JSON.parse(sessionStorage.getItem(key)).sessionId", key)


def test_answers_a_question_and_a_quick_reply(page: Page) -> None:
    open_chat(page)
    ask(page, "How long does Botox last?", "three to four months", QUALIFIED)
    expect(widget(page).locator(".msg.user").last).to_have_text("You: How long does Botox last?")

    replies = widget(page).get_by_role("group", name="Suggested questions").get_by_role("button")
    expect(replies.first).to_be_visible()
    title = replies.first.inner_text()
    before = bot_messages(page).count()
    replies.first.click()
    expect(widget(page).locator(".msg.user").last).to_have_text(f"You: {title}")
    expect(bot_messages(page)).not_to_have_count(before, timeout=TIMEOUT)
    expect(widget(page).get_by_role("log")).to_contain_text(QUALIFIED)


def test_a_reload_keeps_the_history_and_the_context(page: Page) -> None:
    open_chat(page)
    ask(page, "how long does botox last", "three to four months")
    page.reload()
    expect(widget(page).get_by_role("dialog")).to_be_visible()
    assert "three to four months" in conversation(page)
    ask(page, "and fillers?", "three to twelve months", QUALIFIED)


def test_markup_is_shown_as_text(page: Page) -> None:
    open_chat(page)
    for attack in ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>"]:
        ask(page, attack)
        expect(widget(page).locator(".msg.user").last).to_have_text(f"You: {attack}")
    assert page.dialogs == []
    assert widget(page).locator("img, script, iframe").count() == 0
    assert page.locator("body img, body script:not([src])").count() == 0


def test_a_red_flag_gets_the_urgent_care_reply(page: Page) -> None:
    open_chat(page)
    before = bot_messages(page).count()
    ask(page, "my lips went white and hurt badly after filler yesterday", URGENT, "Once you're safe")
    assert URGENT in bot_messages(page).all_inner_texts()[before]  # the urgent-care reply comes first
    expect(feedback(page)).to_have_count(0)  # nor under the greeting: only answers from the article


def test_a_patient_rates_an_answer_with_the_keyboard_and_it_is_stored(page: Page, widget_database) -> None:
    open_chat(page)
    ask(page, "How long does Botox last?", "three to four months", QUALIFIED)
    expect(feedback(page)).to_have_count(1)
    helpful = feedback(page).get_by_role("button", name="This answer was helpful", exact=True)
    not_helpful = feedback(page).get_by_role("button", name="This answer was not helpful", exact=True)
    expect(not_helpful).to_have_text("Not helpful")
    expect(not_helpful).to_have_attribute("aria-pressed", "false")

    widget(page).get_by_role("button", name="Close chat").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if not_helpful.evaluate("button => button.getRootNode().activeElement === button"):
            break
    expect(not_helpful).to_be_focused()
    assert not_helpful.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"  # visible focus
    page.keyboard.press("Enter")
    expect(feedback(page)).to_contain_text("Thanks for your feedback")
    expect(not_helpful).to_have_attribute("aria-pressed", "true")
    expect(helpful).to_have_attribute("aria-pressed", "false")

    conversation_id = session_id(page)
    answer = [
        e for e in stored_events(widget_database, conversation_id, "bot") if e["metadata"].get(FACTS_KEY)
    ][-1]
    assert "three to four months" in answer["text"]
    assert stored_feedback(widget_database, conversation_id) == [
        {"helpful": False, "answer_at": answer["timestamp"]}
    ]
    page.reload()  # the rating stays shown
    expect(feedback(page).get_by_role("button", name="This answer was not helpful")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_an_answer_marked_not_helpful_reaches_the_review_inbox(
    page: Page, browser: Browser, workdir: Path, widget_database: Path
) -> None:
    question = "So how long would dermal fillers usually last?"
    open_chat(page)
    ask(page, question, QUALIFIED)
    feedback(page).get_by_role("button", name="This answer was not helpful", exact=True).click()
    expect(feedback(page)).to_contain_text("Thanks for your feedback")

    with servers.review_server(workdir, widget_database, "staff", "a-long-staff-password") as review:
        staff = browser.new_context(bypass_csp=True)  # bypass_csp: for the injected axe-core script
        inbox = staff.new_page()
        inbox.goto(f"{review.url}/inbox")
        inbox.get_by_label("Username").fill("staff")
        inbox.get_by_label("Password").fill("a-long-staff-password")
        inbox.get_by_role("button", name="Log in").click()
        inbox.get_by_label("Answer marked not helpful").check()
        inbox.get_by_role("button", name="Apply").click()
        row = inbox.get_by_role("row").filter(has_text=question)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Answer marked not helpful")
        inbox.screenshot(path=str(ARTIFACTS / "review-inbox.png"), full_page=True)
        assert serious_accessibility_violations(inbox) == []
        staff.close()


def test_keyboard_only_open_type_send_close(page: Page) -> None:
    launcher = widget(page).get_by_role("button", name="Open chat")
    for _ in range(10):
        page.keyboard.press("Tab")
        if launcher.evaluate("button => button.getRootNode().activeElement === button"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    box = widget(page).get_by_label("Your question")
    expect(box).to_be_focused()
    expect(bot_messages(page).last).to_contain_text("What would you like to know", timeout=TIMEOUT)
    page.keyboard.type("what are dermal fillers")
    page.keyboard.press("Enter")
    expect(widget(page).get_by_role("log")).to_contain_text(QUALIFIED, timeout=TIMEOUT)
    page.keyboard.press("Escape")
    expect(widget(page).get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_the_page_cannot_restyle_the_widget_and_nothing_leaks_into_it(page: Page) -> None:
    open_chat(page)
    send = widget(page).get_by_role("button", name="Send")
    # the demo page styles every button red at 22px; the widget keeps its accent colour and size
    assert send.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(15, 118, 110)"
    assert send.evaluate("b => getComputedStyle(b).fontSize") == "15px"
    assert page.evaluate("typeof window.io") == "undefined"


def test_a_page_on_another_origin_cannot_connect(browser: Browser, site: Site, rasa: servers.Server) -> None:
    page = browser.new_page()
    page.goto(f"http://localhost:{site.port}/")  # same files, but not the origin Rasa lets in
    widget(page).get_by_role("button", name="Open chat").click()
    expect(widget(page).get_by_role("status")).to_contain_text("offline", timeout=TIMEOUT)
    expect(widget(page).locator(".msg")).to_have_count(0)
    page.close()


@pytest.mark.parametrize("width, height", [(1280, 800), (375, 812)])
def test_screenshots(page: Page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    open_chat(page)
    ask(page, "What's the difference between Botox and fillers?", QUALIFIED)
    panel = widget(page).get_by_role("dialog").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width
    assert panel["y"] >= 0 and panel["y"] + panel["height"] <= height
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{width}x{height}.png"))


@pytest.mark.parametrize("width, height", [(1280, 800), (375, 812)])
def test_axe_finds_no_serious_accessibility_violation_with_an_answer_and_its_feedback_buttons_shown(
    page: Page, width, height
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    open_chat(page)
    ask(page, "how long does botox last", "three to four months")
    rating = feedback(page).get_by_role("button", name="This answer was helpful", exact=True)
    expect(rating).to_be_visible()
    assert serious_accessibility_violations(page) == []
    rating.click()  # and with a choice pressed
    expect(feedback(page)).to_contain_text("Thanks for your feedback")
    assert serious_accessibility_violations(page) == []


# Last in the file: it stops the module's Rasa server (the tests above share it).
def test_the_widget_goes_offline_and_recovers_when_rasa_restarts(
    page: Page, rasa: servers.Server, workdir: Path, widget_database: Path, actions, site: Site
) -> None:
    open_chat(page)
    ask(page, "what is botox", QUALIFIED)
    rasa.process.terminate()
    rasa.process.wait(timeout=30)
    status = widget(page).get_by_role("status")
    expect(status).to_contain_text("offline", timeout=TIMEOUT)
    expect(widget(page).get_by_role("button", name="Send")).to_be_disabled()
    # a question entered while offline is kept, and goes out once the widget is back online
    box = widget(page).get_by_label("Your question")
    box.fill("how long does it last?")
    box.press("Enter")
    with servers.rasa_server(workdir, widget_database, actions.url, cors=[site.origin], port=site.rasa_port):
        expect(status).to_be_hidden(timeout=60_000)
        expect(widget(page).get_by_role("log")).to_contain_text("Back online.")
        expect(widget(page).get_by_role("log")).to_contain_text("three to four months", timeout=TIMEOUT)
        expect(box).to_have_value("")
        ask(page, "and fillers?", "three to twelve months")
