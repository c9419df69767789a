"""The chat in a real browser: Debian's chromium, headless, driven by
Playwright. `python app.py` runs once for the module over the real index;
one more page is served in-process over a fake assistant whose passages carry
a script payload. Installed by `bash scripts/setup.sh --test`.

Set EMNQA_SCREENSHOT=docs/chat.png to refresh the README's screenshot."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from app_process import REPO, free_port, start_app, stop_app
from emnqa.config import Settings
from fake_assistant import PAYLOAD, REMOTE_IMAGE, FakeAssistant

CHROMIUM = os.environ.get("EMNQA_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps trying hosts it cannot reach.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
QUESTION = "How many people applied for international protection in Belgium in 2024?"
BOT = '#chat [data-testid="bot"]'
WAIT_MS = 30_000

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def chat(real_index_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-app")
    env = {"EMNQA_INDEX": str(real_index_dir), "EMNQA_CORPUS": str(REPO / "corpus"),
           "EMNQA_FEEDBACK_PATH": str(root / "feedback.jsonl")}
    proc, url = start_app([], env, root / "app.log")
    yield SimpleNamespace(url=url, feedback=root / "feedback.jsonl")
    stop_app(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"No browser at {CHROMIUM}: run `bash scripts/setup.sh --test` (it installs Debian's chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose dialogs, script errors and requests to other hosts are recorded."""

    def __init__(self, browser, url: str, viewport: dict | None = None):
        self.url = url
        self.context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.elsewhere: list[str] = []  # requests to other hosts
        self.elsewhere_failures: dict[str, str | None] = {}
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The page's own scripts must work within its policy: no violation but the refused image.
        self.page.on("console", lambda m: self.errors.append(m.text) if "Content Security Policy" in m.text
                     and "elsewhere.example" not in m.text else None)
        self.page.on("request", lambda r: self.elsewhere.append(r.url) if self._outside(r.url) else None)
        self.page.on(
            "requestfailed",
            lambda r: self.elsewhere_failures.__setitem__(r.url, r.failure) if self._outside(r.url) else None,
        )
        self.page.goto(url)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _outside(self, url: str) -> bool:
        return not url.startswith((self.url, "data:", "blob:"))

    def ask(self, question: str) -> str:
        """Type a question, press Enter, return the text of the new answer."""
        before = self.page.locator(BOT).count()
        box = self.page.locator("#question textarea")
        box.fill(question)
        box.press("Enter")
        self.page.wait_for_function(
            f"n => document.querySelectorAll('{BOT}').length > n"
            " && !document.querySelector('#chat .pending')", arg=before, timeout=WAIT_MS,
        )
        answer = self.page.locator(BOT).nth(before)
        self.page.wait_for_function(  # the message is filled in, not a placeholder
            "el => el.innerText.trim().length > 0", arg=answer.element_handle(), timeout=WAIT_MS,
        )
        return answer.inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser, chat):
    watched = Watched(browser, chat.url)
    yield watched
    watched.close()


def test_cited_answer_source_panel_and_follow_up(page, tmp_path):
    answer = page.ask(QUESTION)
    # The bubble opens on the short answer and holds the quotes with their
    # [n]; the sources are the side panel's, not a second list in the bubble.
    assert answer.startswith("39 615") and "[1]" in answer and "Sources" not in answer
    chat_box = page.page.locator("#chat").bounding_box()
    assert chat_box["height"] >= 0.6 * 1000  # the conversation uses the page's height

    sources = page.page.locator("#sources")
    first = sources.locator("#emnqa-source-1")
    assert "Asylum and Migration Overview Belgium 2024" in first.locator("summary").inner_text()
    assert sources.get_by_text("Other retrieved passages").is_visible()
    mark = first.locator("mark").filter(has_text="39 615")  # each quote of the passage is highlighted
    assert not mark.is_visible()  # closed until opened
    first.locator("summary").click()
    mark.wait_for(state="visible", timeout=5000)
    assert "39 615" in mark.inner_text()
    page.page.screenshot(path=tmp_path / "chat.png")
    if os.environ.get("EMNQA_SCREENSHOT"):
        shutil.copy(tmp_path / "chat.png", REPO / os.environ["EMNQA_SCREENSHOT"])

    follow_up = page.ask("And in 2023?")
    assert follow_up.startswith("Interpreted as:")
    assert "2023" in follow_up.splitlines()[0]
    assert "Searched for:" in sources.inner_text()
    assert page.dialogs == [] and page.errors == []


def test_example_question_and_thumbs_up_saved_as_feedback(page, chat):
    example = "What is a subsequent application?"
    page.page.locator("#chat").get_by_text(example).first.click()
    page.page.locator(BOT).first.wait_for(timeout=WAIT_MS)
    page.page.wait_for_selector("#sources details", timeout=WAIT_MS)
    page.page.locator('#chat button[aria-label="Like"]').first.click()
    page.page.get_by_text("your rating was saved").wait_for(timeout=WAIT_MS)
    lines = [json.loads(line) for line in chat.feedback.read_text(encoding="utf-8").splitlines()]
    saved = [line for line in lines if line["question"] == example]
    assert saved and saved[-1]["rating"] == "up"
    assert saved[-1]["citations"] and saved[-1]["passages"]


def test_not_covered_is_visible_with_related_passages(page):
    answer = page.ask("How do I bake sourdough bread?")
    assert answer.startswith("Not covered.")
    assert page.page.locator("#sources .emnqa-not-covered").is_visible()
    assert page.page.locator("#sources .emnqa-passage").count() > 0


def test_script_typed_as_a_question_runs_nothing_and_loads_nothing_from_elsewhere(page):
    page.ask(f"{PAYLOAD} {REMOTE_IMAGE}")
    time.sleep(0.5)  # let any handler or image load fire
    assert page.dialogs == [] and page.errors == []
    assert page.page.locator("#chat script, #chat [onerror]").count() == 0
    # The image the message asked for was refused by the page's policy.
    assert page.elsewhere == ["http://elsewhere.example/pixel.png"]
    assert page.elsewhere_failures == {"http://elsewhere.example/pixel.png": "csp"}


def test_script_in_a_passage_runs_nothing(browser, tmp_path):
    """The fake's passages and a document title hold <script>, onerror and a
    remote image: the panel shows them as text."""
    from emnqa.web.server import build_app, start

    settings = replace(Settings(), port=free_port(), feedback_path=tmp_path / "feedback.jsonl")
    server = start(build_app(FakeAssistant(settings), settings), settings, block=False)
    watched = Watched(browser, f"http://127.0.0.1:{settings.port}/")
    try:
        watched.ask("How many people applied in 2024?")
        panel = watched.page.locator("#sources")
        for details in panel.locator("details").all():
            details.locator("summary").click()
        time.sleep(0.5)
        assert PAYLOAD in panel.inner_text()  # shown as text
        assert "EMN Belgium news <b>items</b>" in panel.inner_text()
        assert watched.page.locator("#sources script, #sources img, #sources b").count() == 0
        assert watched.dialogs == [] and watched.errors == [] and watched.elsewhere == []
    finally:
        watched.close()
        server.close()


def test_phone_width_shows_the_answer_and_the_sources_below(browser, chat, tmp_path):
    phone = Watched(browser, chat.url, viewport={"width": 390, "height": 844})
    try:
        answer = phone.ask(QUESTION)
        assert answer.startswith("39 615") and "[1]" in answer
        chat_box = phone.page.locator("#chat").bounding_box()
        sources_box = phone.page.locator("#sources").bounding_box()
        assert chat_box["width"] <= 390 and sources_box["y"] >= chat_box["y"] + chat_box["height"] - 1  # stacked
        phone.page.screenshot(path=tmp_path / "chat-phone.png", full_page=True)
        if os.environ.get("EMNQA_SCREENSHOT"):
            shutil.copy(tmp_path / "chat-phone.png", REPO / os.environ["EMNQA_SCREENSHOT"].replace(".png", "-phone.png"))
    finally:
        phone.close()
