"""The web chat's server side with a fake assistant: message checks, what
the chat and the source panel show (escaped, quotes highlighted), follow-up
history, filters, one-sentence errors, feedback lines, and, launched
in-process, the busy queue and the password."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app_process import free_port
from emnqa.types import Filters
from emnqa.config import HISTORY_WINDOW, Settings
from emnqa.errors import EmnqaError, IndexCorrupt, InvalidQuery
from emnqa.web.feedback import append_feedback
from emnqa.web.chat import (
    ERROR_MARK,
    GENERIC_ERROR,
    MAX_TURN_CHARS,
    UNAVAILABLE,
    WebChat,
    auth_pair,
    conversation,
    highlight,
    make_filters,
    render_answer,
    render_sources,
    validate_message,
)
from fake_assistant import DOCUMENTS, PAYLOAD, REMOTE_IMAGE, FakeAssistant, make_answer


@pytest.fixture
def settings(tmp_path):
    return Settings(feedback_path=tmp_path / "new" / "feedback.jsonl")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def tags_of(markup: str) -> list[tuple[str, list]]:
    parser = Tags()
    parser.feed(markup)
    return parser.tags


# -- messages --------------------------------------------------------------------


@pytest.mark.parametrize("message", ["", " ", "\n\t  \n"])
def test_blank_messages_are_refused_with_a_friendly_sentence(message):
    with pytest.raises(InvalidQuery, match="Please type a question: the message is empty."):
        validate_message(message)


def test_message_length_limit_is_2000_characters():
    assert validate_message("a" * 2000) == "a" * 2000
    assert validate_message("  " + "a" * 2000 + "  ") == "a" * 2000  # white space around does not count
    with pytest.raises(InvalidQuery, match="2,001 characters long; the limit is 2,000"):
        validate_message("a" * 2001)


def test_a_message_that_is_not_text_is_refused():
    with pytest.raises(InvalidQuery, match="as text"):
        validate_message(None)


# -- the chat message --------------------------------------------------------------


def test_answer_markdown_escapes_html_and_breaks_images():
    answer = replace(make_answer(), text=f"Says {PAYLOAD} and {REMOTE_IMAGE} [1]")
    shown = render_answer(answer)
    assert "<img" not in shown and "<script" not in shown
    assert "&lt;img src=x onerror=alert(1)>&lt;script>" in shown
    assert "!\\[tracker\\](http" in shown  # shown as text, not an image
    assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\(", shown)
    assert "[1]" in shown


def test_the_bubble_keeps_the_answer_and_quotes_and_leaves_the_sources_to_the_panel():
    text = "**39 615** [1]\n\n> In 2024, 39 615 persons applied. [1]\n\n**Sources**\n\n[1] Overview — Asylum\n  - “In 2024, 39 615 persons applied.”\n"
    shown = render_answer(replace(make_answer(), text=text))
    assert shown.startswith("**39 615** [1]") and "> In 2024, 39 615 persons applied. [1]" in shown
    assert "Sources" not in shown and "Overview — Asylum" not in shown


def test_interpreted_follow_up_is_shown_escaped():
    answer = make_answer("And in 2023?", "How many <b>people</b> applied in 2023?")
    first = render_answer(answer).splitlines()[0]
    assert first.startswith("_Interpreted as: How many &lt;b&gt;people&lt;/b&gt; applied in 2023?")
    assert "Interpreted as" not in render_answer(make_answer("How many?", " how  many? "))


def test_not_covered_says_which_checks_failed_in_plain_words_escaped():
    answer = replace(make_answer(), abstained=True, citations=(), text="The documents do not cover this question.\n",
                     abstain_reasons=("figure_other_year: 2031", "unknown_name: <Zorg>"))
    shown = render_answer(answer)
    assert shown.endswith("_Why: the figure found is not for 2031; the documents never mention &lt;Zorg&gt;._")


def test_abstention_is_marked_not_covered():
    answer = replace(make_answer(), abstained=True, citations=(), text="The documents do not cover this question.\n")
    assert render_answer(answer).startswith("**Not covered.** The documents do not cover")
    assert "Why:" not in render_answer(answer)
    panel = render_sources(answer, DOCUMENTS)
    assert 'class="emnqa-not-covered"' in panel
    assert panel.count('class="emnqa-passage"') == 2  # the possibly related passages


# -- the source panel --------------------------------------------------------------

ALLOWED_TAGS = {"div", "p", "q", "h3", "details", "summary", "span", "mark", "strong"}


def test_source_panel_escapes_corpus_text_and_loads_no_image():
    panel = render_sources(make_answer(), DOCUMENTS)
    tags = tags_of(panel)
    assert {tag for tag, _ in tags} <= ALLOWED_TAGS
    assert all(name in ("class", "id") for _, attrs in tags for name, _ in attrs)  # no src, no on*
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in panel
    assert "EMN Belgium news &lt;b&gt;items&lt;/b&gt;" in panel


def test_source_panel_lists_cited_passage_with_title_year_section_and_quote():
    panel = render_sources(make_answer(), DOCUMENTS)
    cited, others = panel.split("Other retrieved passages")
    assert '<span class="emnqa-n">[1]</span>' in cited
    assert "Asylum and Migration Overview Belgium 2024" in cited
    assert "Executive summary › International protection &amp; reception" in cited
    assert "<mark>In 2024, 39 615 individuals applied for international protection in Belgium.</mark>" in cited
    # The other retrieved passage, with its year (not in its title) and no section.
    assert "#2" in others and '<span class="emnqa-year">2023</span>' in others and "(no section)" in others
    assert "<mark>" not in others


def test_source_panel_shows_how_a_follow_up_was_searched():
    panel = render_sources(make_answer("And in 2023?", "How many people applied in 2023?"), DOCUMENTS)
    assert "Searched for: <q>How many people applied in 2023?</q>" in panel


# -- highlighting ------------------------------------------------------------------


def test_highlight_marks_the_quote_and_escapes_the_rest():
    assert highlight("A <b> rose. It fell.", ["It fell."]) == "A &lt;b&gt; rose. <mark>It fell.</mark>"


def test_highlight_finds_a_quote_across_a_line_break():
    assert highlight("The total\nrose to 39 615.", ["total rose"]) == "The <mark>total\nrose</mark> to 39 615."


def test_highlight_merges_overlapping_quotes_and_ignores_missing_ones():
    assert highlight("one two three", ["one two", "two three", "absent", " "]) == "<mark>one two three</mark>"


def test_highlight_escapes_html_inside_the_mark():
    assert highlight("x <script>y</script>", ["<script>y"]) == "x <mark>&lt;script&gt;y</mark>&lt;/script&gt;"


@given(st.text(max_size=200), st.integers(0, 200), st.integers(1, 60))
def test_highlight_keeps_the_text_and_marks_any_span_of_it(text, start, length):
    quote = text[start : start + length]
    out = highlight(text, [quote])
    assert html.unescape(out.replace("<mark>", "").replace("</mark>", "")) == text
    assert {tag for tag, _ in tags_of(out)} <= {"mark"}
    assert out.count("<mark>") == (1 if quote.strip() else 0)


# -- conversation and filters --------------------------------------------------------


def test_conversation_leaves_out_refused_messages_and_reads_gradio_parts():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "How many people applied in 2024?"}]},
        {"role": "assistant", "content": "The documents give these figures: … [1]"},
        {"role": "user", "content": "   "},
        {"role": "assistant", "content": ERROR_MARK + "Please type a question: the message is empty."},
    ]
    assert conversation(history) == [
        {"role": "user", "content": "How many people applied in 2024?"},
        {"role": "assistant", "content": "The documents give these figures: … [1]"},
    ]


def test_make_filters():
    assert make_filters(None, []) is None
    assert make_filters(["overview-2024"], []) == Filters(doc_ids=frozenset({"overview-2024"}))
    assert make_filters([], ["2023", ""]) == Filters(years=frozenset({"2023"}))


# -- WebChat.respond -------------------------------------------------------------------


def test_follow_up_gets_the_chat_history_and_the_filters(settings):
    assistant = FakeAssistant(settings)
    chat = WebChat(assistant, settings)
    first, _ = chat.respond("How many people applied in 2024?", [])
    history = [{"role": "user", "content": "How many people applied in 2024?"}, {"role": "assistant", "content": first}]
    text, panel = chat.respond("And in 2023?", history, ["overview-2024"], ["2024"])
    question, turns, filters = assistant.calls[-1]
    assert question == "And in 2023?"
    # The assistant sees its own answer text, not the markdown the chat showed.
    assert turns == [{"role": "user", "content": "How many people applied in 2024?"},
                     {"role": "assistant", "content": make_answer().text}]
    assert filters == Filters(doc_ids=frozenset({"overview-2024"}), years=frozenset({"2024"}))
    assert text.startswith("_Interpreted as: How many people applied in 2023?_")
    assert "[1]" in text and "emnqa-source-1" in panel


@pytest.mark.parametrize("message", ["", "   ", "x" * 2001])
def test_refused_messages_never_reach_the_assistant(settings, message):
    assistant = FakeAssistant(settings)
    text, panel = WebChat(assistant, settings).respond(message, [])
    assert assistant.calls == []
    assert text.startswith(ERROR_MARK)
    assert "emnqa-error" in panel


@pytest.mark.parametrize(
    "error, shown",
    [
        (InvalidQuery("k must be greater than 0. Currently it is 0."), "k must be greater than 0"),
        (IndexCorrupt("/srv/secret/index/chunks.jsonl is damaged; run emnqa index --rebuild"), UNAVAILABLE),
        (RuntimeError("boom in /srv/secret/module.py"), GENERIC_ERROR),
    ],
)
def test_errors_reach_the_user_as_one_sentence_without_paths(settings, caplog, error, shown):
    chat = WebChat(FakeAssistant(settings, error=error), settings)
    with caplog.at_level(logging.ERROR, logger="emnqa.web.chat"):
        text, panel = chat.respond("How many people applied in 2024?", [])
    assert text.startswith(ERROR_MARK) and shown in html.unescape(text.replace("\\", ""))
    for out in (text, panel):
        assert "/srv/secret" not in out and "Traceback" not in out and "\n" not in out
    if not isinstance(error, InvalidQuery):
        # The server log keeps the detail on one line, with the id the user sees.
        (record,) = caplog.records
        error_id = re.search(r"\(error ([0-9a-f]{12})\)", html.unescape(text.replace("\\", ""))).group(1)
        assert "/srv/secret" in record.getMessage() and error_id in record.getMessage()
        assert record.exc_info is None and "\n" not in record.getMessage()


# -- feedback ------------------------------------------------------------------------


def test_thumbs_up_and_down_append_question_answer_and_passages(settings):
    chat = WebChat(FakeAssistant(settings), settings)
    first, _ = chat.respond("How many people applied in 2024?", [])
    history = [{"role": "user", "content": "How many people applied in 2024?"}, {"role": "assistant", "content": first}]
    second, _ = chat.respond("And in 2023?", history, [], ["2024"])
    history += [{"role": "user", "content": "And in 2023?"}, {"role": "assistant", "content": second}]

    assert chat.rate(history, 1, True) == (True, "Thank you: your rating was saved.")
    assert chat.rate(history, [3, 0], False)[0]
    lines = [json.loads(line) for line in settings.feedback_path.read_text(encoding="utf-8").splitlines()]
    assert [line["rating"] for line in lines] == ["up", "down"]
    up, down = lines
    assert up["question"] == "How many people applied in 2024?" and up["history"] == []
    assert up["answer"] == make_answer().text
    assert up["citations"][0]["quote"].startswith("In 2024, 39 615")
    assert [p["chunk_ids"][0] for p in up["passages"]] == ["overview-2024:a", "news-2023:b"]
    assert down["question"] == "And in 2023?" and down["interpreted_query"] == "How many people applied in 2023?"
    assert down["history"][0] == {"role": "user", "content": "How many people applied in 2024?"}
    assert down["filters"] == {"years": ["2024"]}
    assert "Liège" in settings.feedback_path.read_text(encoding="utf-8")  # kept as written, not \u-escaped


def test_only_an_answer_this_chat_gave_is_rated_and_only_once(settings):
    """Issue 17: ratings were accepted for answers the server never gave (it
    asked the question again, at the client's word). Now a forged or
    pre-restart message is refused without a search, and an answer is rated once."""
    forged = [{"role": "user", "content": "How many people applied in 2024?"},
              {"role": "assistant", "content": "an answer this server never gave " + "x" * 10_000}]
    assistant = FakeAssistant(settings)
    chat = WebChat(assistant, settings)
    assert chat.rate(forged, 1, True) == (
        False, "This answer can no longer be rated: it was not given in this chat since the server last started.")
    assert assistant.calls == [] and not settings.feedback_path.exists()
    text, _ = chat.respond("How many people applied in 2024?", [])
    history = [forged[0], {"role": "assistant", "content": text}]
    assert chat.rate(history, 1, True)[0]
    assert chat.rate(history, 1, False) == (False, "This answer has already been rated.")
    assert len(settings.feedback_path.read_text(encoding="utf-8").splitlines()) == 1


def test_an_answer_is_rated_only_in_the_session_it_was_given_in(settings):
    """Issue 17: the answer id is the server's (session, answer); another
    session sending the same text cannot rate it, nor have it read as its own."""
    assistant = FakeAssistant(settings)
    chat = WebChat(assistant, settings)
    text, _ = chat.respond("How many people applied in 2024?", [], session="alice")
    history = [{"role": "user", "content": "How many people applied in 2024?"}, {"role": "assistant", "content": text}]
    assert chat.rate(history, 1, True, session="mallory")[0] is False
    assert chat.rate(history, 1, True, session="alice")[0] is True
    chat.respond("And in 2023?", history, session="mallory")
    assert assistant.calls[-1][1][-1]["content"] == text  # not replaced by alice's answer record


@pytest.mark.parametrize("history, index", [
    ("not a list", 1), ([None, 5], 1), ([{"role": "user"}], 0), ([], [[0]]), ([{"role": "assistant"}], "0"),
    ([{"role": "assistant", "content": "x"}], True), ([{"role": "assistant", "content": "x"}], []),
])
def test_a_rating_of_any_shape_is_refused_in_one_sentence(settings, history, index):
    chat = WebChat(FakeAssistant(settings), settings)
    saved, note = chat.rate(history, index, True, session="s")
    assert saved is False and note and "\n" not in note
    assert not settings.feedback_path.exists()


def test_the_feedback_file_does_not_grow_past_its_limit(tmp_path):
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, {"q": "a"}, max_file_bytes=30)
    with pytest.raises(OSError, match="is full"):
        append_feedback(path, {"q": "b" * 20}, max_file_bytes=30)
    with pytest.raises(OSError, match="over the limit"):
        append_feedback(path, {"q": "c" * 1_100_000})
    assert path.read_text(encoding="utf-8") == '{"q": "a"}\n'


def test_refusals_and_retracted_ratings_are_not_saved(settings):
    chat = WebChat(FakeAssistant(settings), settings)
    history = [{"role": "user", "content": " "}, {"role": "assistant", "content": ERROR_MARK + "Please type"}]
    assert chat.rate(history, 1, True) == (False, "Only answers can be rated.")
    assert chat.rate(history, 0, True) == (False, "Only answers can be rated.")
    assert chat.rate(history, 7, True)[0] is False
    assert chat.rate(history, 1, "") == (False, "")
    assert not settings.feedback_path.exists()


def test_unwritable_feedback_file_is_one_sentence(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings = Settings(feedback_path=blocker / "feedback.jsonl")
    chat = WebChat(FakeAssistant(settings), settings)
    text, _ = chat.respond("How many people applied in 2024?", [])
    history = [{"role": "user", "content": "How many people applied in 2024?"}, {"role": "assistant", "content": text}]
    with caplog.at_level(logging.ERROR, logger="emnqa.web.chat"):
        assert chat.rate(history, 1, False) == (False, "Sorry, this rating could not be saved.")
    assert "a-file" in caplog.text


def test_append_feedback_creates_the_folder_and_appends_lines(tmp_path):
    path = tmp_path / "deep" / "er" / "feedback.jsonl"
    append_feedback(path, {"question": "Türkiye?"})
    append_feedback(path, {"question": "Liège?"})
    assert path.read_text(encoding="utf-8") == '{"question": "Türkiye?"}\n{"question": "Liège?"}\n'


# -- settings ------------------------------------------------------------------------


def test_web_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EMNQA_HOST", "0.0.0.0")
    monkeypatch.setenv("EMNQA_PORT", "8080")
    monkeypatch.setenv("EMNQA_AUTH_USER", "ana")
    monkeypatch.setenv("EMNQA_AUTH_PASSWORD", "s3cret")
    monkeypatch.setenv("EMNQA_QUEUE_MAX_SIZE", "3")
    monkeypatch.setenv("EMNQA_FEEDBACK_PATH", str(tmp_path / "f.jsonl"))
    settings = Settings.from_env(port=9000)
    assert (settings.host, settings.port, settings.queue_max_size) == ("0.0.0.0", 9000, 3)
    assert auth_pair(settings) == ("ana", "s3cret")
    assert "s3cret" not in repr(settings)
    assert str(settings.feedback_path) == str(tmp_path / "f.jsonl")


def test_default_feedback_file_is_under_the_project():
    from emnqa.config import PROJECT_ROOT

    assert Settings().feedback_path == PROJECT_ROOT / "feedback" / "feedback.jsonl"
    assert (Settings().host, Settings().port) == ("127.0.0.1", 7860)


def test_a_user_name_without_a_password_is_refused():
    assert auth_pair(Settings()) is None
    with pytest.raises(EmnqaError, match="EMNQA_AUTH_PASSWORD is not set"):
        auth_pair(Settings(auth_user="ana"))


# -- launched in-process with the fake: the queue and the password ------------------


@pytest.fixture
def launched(settings):
    """Start the page over a fake assistant; yield (url, assistant)."""
    from emnqa.web.server import build_app, start

    servers = []

    def launch(assistant_settings: Settings, **fake):
        assistant = FakeAssistant(assistant_settings, **fake)
        servers.append(start(build_app(assistant, assistant_settings), assistant_settings, block=False))
        return servers[-1].url, assistant

    yield launch
    for server in servers:
        server.close()


def test_a_full_queue_answers_busy_at_once(launched, settings):
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError

    release = threading.Event()
    url, assistant = launched(replace(settings, port=free_port(), concurrency_limit=1, queue_max_size=1), delay=release)
    clients = [Client(url, verbose=False) for _ in range(4)]
    try:
        jobs = [clients[0].submit("How many people applied in 2024?", api_name="/chat")]
        deadline = time.time() + 10
        while not assistant.calls and time.time() < deadline:  # the first is being answered
            time.sleep(0.05)
        jobs.append(clients[1].submit("And in 2023?", api_name="/chat"))  # waits in the queue
        time.sleep(0.5)
        started = time.time()
        with pytest.raises((QueueError, AppError), match="(?i)queue is full"):
            clients[2].predict("One too many?", api_name="/chat")
        assert time.time() - started < 5  # told at once, not left hanging
    finally:
        release.set()
    assert all("[1]" in job.result(timeout=20)[0] for job in jobs)


def test_the_page_and_api_ask_for_the_password_when_set(launched, settings):
    from gradio_client import Client

    url, assistant = launched(replace(settings, port=free_port(), auth_user="ana", auth_password="s3cret"))
    ask = urllib.request.Request(
        url + "gradio_api/call/chat", data=json.dumps({"data": ["How many?"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    for request in (url + "config", ask):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
    assert assistant.calls == []
    answer, panel = Client(url, auth=("ana", "s3cret"), verbose=False).predict("How many?", api_name="/chat")
    assert "[1]" in answer and "<mark>" in panel


def test_only_the_end_of_a_huge_history_is_read_and_junk_is_ignored():
    """Issue 17: a client's history is never trusted. 100 000 messages give
    the last turns only; items that are not message objects are skipped;
    control characters in a turn are dropped and a turn is cut at a limit."""
    history = [{"role": "user", "content": f"Question {i}?"} if i % 2 == 0 else {"role": "assistant", "content": "Answer."}
               for i in range(100_000)]
    turns = conversation(history + ["junk", 42, None, {"role": "user", "content": "Last\x00 one" + "x" * 50_000}])
    assert len(turns) == HISTORY_WINDOW and turns[-1]["content"].startswith("Last one")
    assert len(turns[-1]["content"]) == MAX_TURN_CHARS  # the NUL removed, then cut
    assert conversation("not a list") == [] and conversation(None) == []


@pytest.mark.parametrize("message", ["\x00\x00\x00", "What is Fedasil?\x07", "Fedasil \ud800?"])
def test_control_characters_and_broken_text_are_refused(message):
    with pytest.raises(InvalidQuery, match="not text"):
        validate_message(message)
