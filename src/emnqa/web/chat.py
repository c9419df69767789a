"""The web chat: a Gradio page over `Assistant.ask`.

    build_demo(assistant)    # emnqa.web.server serves it beside the JSON API

A chat whose follow-ups are read against its history, a source panel beside it
(each cited passage with its document, year and section, the quoted sentence
highlighted; the other retrieved passages below), filters by document and
year, example questions, and thumbs up / down saved as JSON lines.

Everything shown from the corpus or from a user is escaped here, so no HTML or
script in a message or a passage runs, and image syntax is broken so nothing
is fetched; the page also sends a Content-Security-Policy that lets images,
fonts and requests come from the app itself only (emnqa.web.server). The functions that turn an
Answer into markdown and HTML are pure: gradio is imported only to build the
page.
"""

from __future__ import annotations

import html
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable, Mapping, Sequence

# Before gradio is imported anywhere: otherwise it calls out at launch.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from ..answer.abstain import explain  # noqa: E402
from ..language.messages import message as reply_text  # noqa: E402
from ..types import Filters  # noqa: E402
from ..config import HISTORY_WINDOW, Settings  # noqa: E402
from ..errors import EmnqaError, InvalidQuery  # noqa: E402
from .feedback import append_feedback, feedback_record  # noqa: E402
from .guard import error_id  # noqa: E402
from ..types import Answer, Citation, Passage  # noqa: E402

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
# An earlier turn as the follow-up reader sees it: an answer with its quotes
# is a few thousand characters; anything longer is cut.
MAX_TURN_CHARS = 20_000
EXAMPLES = (
    "How many people applied for international protection in Belgium in 2024?",
    "What is a subsequent application?",
    "How many voluntary returns were facilitated in 2024?",
    "What is the Reception Crisis?",
)
# Replies that are not answers start with this mark; they are left out of the
# conversation a follow-up is read against, and cannot be rated.
ERROR_MARK = "⚠️ "
GENERIC_ERROR = "Sorry, something went wrong while answering. Please try again in a moment."
UNAVAILABLE = "The assistant cannot answer right now: its index or model needs attention. The server log says why."



# -- messages ------------------------------------------------------------------


def validate_message(message: object) -> str:
    """The message stripped, or InvalidQuery with one sentence for the user.
    The server checks this itself: API clients skip the browser's checks.

    >>> validate_message("  What is a subsequent application? ")
    'What is a subsequent application?'
    >>> validate_message(" \\n ")
    Traceback (most recent call last):
    ...
    emnqa.errors.InvalidQuery: Please type a question: the message is empty.
    >>> validate_message("\\x00\\x00")
    Traceback (most recent call last):
    ...
    emnqa.errors.InvalidQuery: Your message holds characters that are not text (control characters or a broken one); please type it again.
    """
    if not isinstance(message, str):
        raise InvalidQuery("Please send the question as text.")
    text = message.strip()
    if _NOT_TEXT.search(text):
        raise InvalidQuery("Your message holds characters that are not text (control characters or a broken one); "
                           "please type it again.")
    if not text:
        raise InvalidQuery("Please type a question: the message is empty.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidQuery(
            f"Your message is {len(text):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}. Please shorten it."
        )
    return text


def validate_turn(content: str) -> str:
    """An earlier turn an API client sends, stripped; InvalidQuery when it
    holds characters that are not text (a reply may be longer than a
    message: its length is the caller's bound).

    >>> validate_turn("39 615 [1] ")
    '39 615 [1]'
    """
    if _NOT_TEXT.search(content):
        raise InvalidQuery("A turn of the history holds characters that are not text (control characters or a broken one).")
    return content.strip()


# NUL and the other C0/C1 control characters but tab and line breaks, and a
# lone surrogate (half of a UTF-16 pair: it broke a session for good).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def message_text(content: object) -> str:
    """The text of a chat message's content, in any of the shapes Gradio uses
    (a string, a list of {"type": "text", "text": ...} parts, a file).

    >>> message_text([{"type": "text", "text": "And in "}, {"type": "text", "text": "2023?"}])
    'And in 2023?'
    >>> message_text({"path": "/tmp/x.png"})
    ''
    """
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        text = content.get("text")
        return text if isinstance(text, str) and content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "".join(message_text(part) for part in content)
    return ""


def conversation(history: Iterable[Mapping[str, Any]], answers: Mapping[str, Answer] | None = None) -> list[dict]:
    """The chat as `Assistant.ask` takes its history: plain-text turns, each
    rendered answer replaced by the answer text it was made from (when
    `answers` knows it), refused messages and their replies left out.

    >>> conversation([{"role": "user", "content": " "}, {"role": "assistant", "content": "⚠️ Please type"},
    ...               {"role": "user", "content": "How many?"}, {"role": "assistant", "content": "39 615 [1]"}])
    [{'role': 'user', 'content': 'How many?'}, {'role': 'assistant', 'content': '39 615 [1]'}]
    """
    answers = answers or {}
    turns: list[dict] = []
    # A client sends the whole history with every message: only its end is
    # read (the assistant reads the last HISTORY_WINDOW turns), anything but
    # a message object is ignored, and no turn is kept longer than a limit.
    recent = list(history or ())[-4 * HISTORY_WINDOW :] if isinstance(history, (list, tuple)) else []
    for message in recent:
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        text = _NOT_TEXT.sub("", message_text(message.get("content")))[:MAX_TURN_CHARS].strip()
        if role == "user":
            if text:
                turns.append({"role": "user", "content": text})
        elif role == "assistant":
            if text.startswith(ERROR_MARK.strip()):
                if turns and turns[-1]["role"] == "user":
                    turns.pop()
                continue
            known = answers.get(text)
            turns.append({"role": "assistant", "content": known.text if known else text})
    return turns[-HISTORY_WINDOW:]


def make_filters(
    doc_ids: Iterable[str] | None, years: Iterable[str] | None, documents: Mapping[str, Mapping[str, Any]] | None = None
) -> Filters | None:
    """Filters for the chosen documents and years; None when nothing is
    chosen. With `documents`, a document or year none of them has is
    refused in one sentence (a client may send anything).

    >>> make_filters([], None) is None
    True
    >>> make_filters(["overview-2024"], ["2024"]).years
    frozenset({'2024'})
    >>> make_filters(["nope"], None, {"overview-2024": {"year": "2024"}})
    Traceback (most recent call last):
    ...
    emnqa.errors.InvalidQuery: There is no document 'nope' to filter by; choose from the list.
    """
    if not isinstance(doc_ids, (list, tuple, set, frozenset, type(None))) or not isinstance(years, (list, tuple, set, frozenset, type(None))):
        raise InvalidQuery("The filters must be lists of documents and years; choose from the lists.")
    docs = frozenset(d for d in doc_ids or () if d)
    chosen_years = frozenset(y for y in years or () if y)
    if documents is not None:
        for doc in sorted(docs, key=str):
            if not isinstance(doc, str) or doc not in documents:
                raise InvalidQuery(f"There is no document {str(doc)[:80]!r} to filter by; choose from the list.")
        known_years = set(year_choices(documents))
        for year in sorted(chosen_years, key=str):
            if not isinstance(year, str) or year not in known_years:
                raise InvalidQuery(f"No document covers the year {str(year)[:80]!r}; choose from the list.")
    if not docs and not chosen_years:
        return None
    return Filters(doc_ids=docs or None, years=chosen_years or None)


# -- rendering: markdown for the chat -------------------------------------------

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def escape_markdown(text: str) -> str:
    """`text` shown literally in markdown: HTML escaped, markdown syntax
    backslash-escaped, white space folded. For user text on one line.

    >>> escape_markdown("<b>*2024*</b>")
    '&lt;b&gt;\\\\*2024\\\\*&lt;/b&gt;'
    """
    text = re.sub(r"\s+", " ", text).strip()
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def safe_markdown(text: str) -> str:
    """Markdown that shows `text` without running or fetching anything: no
    tag can open (`<` and `&` escaped), image and link syntax is broken; the
    rest (block quotes, bold, [n] markers) is kept.

    >>> safe_markdown('> <img src=x onerror=alert(1)> ![a](http://e/a.png) [1]')
    '> &lt;img src=x onerror=alert(1)> !\\\\[a\\\\](http://e/a.png) [1]'
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace("![", "!\\[").replace("](", "\\](")


def render_answer(answer: Answer) -> str:
    """The chat message for an answer: how a follow-up was read, a visible
    "Not covered." when the assistant abstained, then the answer's markdown
    (the short answer and the quotes with their [n]; the Sources list is the
    side panel's), and for "not covered" which checks failed, in a reader's
    words."""
    lines = []
    language = answer.language
    interpreted = reply_text(language, "interpreted")
    if _differs(answer.interpreted_query, answer.question) and interpreted not in answer.text:
        lines += [f"_{interpreted} {escape_markdown(answer.interpreted_query)}_", ""]
    # The sources live in the side panel, with the quotes highlighted in
    # their passages: the bubble keeps the answer and its quotes.
    body = safe_markdown(answer.text.split(f"\n**{reply_text(language, 'sources')}**", 1)[0].strip())
    lines.append(f"**{reply_text(language, 'badge')}** {body}" if answer.abstained else body)
    if answer.abstained and answer.abstain_reasons and "language" not in answer.abstain_reasons:
        why = "; ".join(explain(r, language) for r in answer.abstain_reasons)
        lines += ["", f"_{reply_text(language, 'why')} {escape_markdown(why)}._"]
    return "\n".join(lines)


def render_error(message: str) -> str:
    """A refusal or failure, as one marked chat line."""
    return ERROR_MARK + escape_markdown(message)


def _differs(interpreted: str, question: str) -> bool:
    return " ".join(interpreted.split()).casefold() != " ".join(question.split()).casefold()


# -- rendering: HTML for the source panel ---------------------------------------

EMPTY_PANEL = (
    '<div class="emnqa-sources"><p class="emnqa-empty">Ask a question: the passages that answer it appear here, '
    "each quoted sentence highlighted.</p></div>"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` is in `text`: verbatim, else with any run of white space
    matching any other.

    >>> find_quote("The number\\nrose to 39 615.", "number rose")
    (4, 15)
    """
    quote = quote.strip()
    if not quote:
        return None
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (match.start(), match.end()) if match else None


def highlight(text: str, quotes: Iterable[str]) -> str:
    """`text` escaped for HTML, each quote found in it wrapped in <mark>.

    >>> highlight("A <b> rose. It fell.", ["It fell."])
    'A &lt;b&gt; rose. <mark>It fell.</mark>'
    """
    spans = sorted(span for span in (find_quote(text, q) for q in quotes) if span)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out += [_e(text[at:start]), "<mark>", _e(text[start:end]), "</mark>"]
        at = end
    out.append(_e(text[at:]))
    return "".join(out)


def render_sources(answer: Answer, documents: Mapping[str, Mapping[str, Any]]) -> str:
    """The source panel: the cited passages, each with its document title,
    year and section path and the quoted sentences highlighted; then the other
    retrieved passages. When the assistant abstained: a "not covered" notice
    and the passages that may be related. Every text is escaped."""
    parts = ['<div class="emnqa-sources">']
    say = partial(reply_text, answer.language)
    if _differs(answer.interpreted_query, answer.question):
        parts.append(f'<p class="emnqa-asked">{_e(say("searched"))} <q>{_e(answer.interpreted_query)}</q></p>')
    if answer.abstained or not answer.citations:
        parts.append(
            f'<p class="emnqa-not-covered"><strong>{_e(say("badge"))}</strong> {_e(say("panel_not_covered"))}</p>'
        )
        parts += [_passage(hit, documents) for hit in answer.passages]
        if not answer.passages:
            parts.append(f'<p class="emnqa-empty">{_e(say("no_passage"))}</p>')
        return "\n".join(parts + ["</div>"])
    cited: dict[int, list[Citation]] = {}
    for citation in answer.citations:
        cited.setdefault(citation.n, []).append(citation)
    parts.append(f'<h3 class="emnqa-heading">{_e(say("sources"))}</h3>')
    parts += [_cited(citations, documents) for citations in cited.values()]
    cited_ids = {c.passage.chunk_ids for c in answer.citations}
    others = [hit for hit in answer.passages if hit.chunk_ids not in cited_ids]
    if others:
        parts.append(f'<h3 class="emnqa-heading">{_e(say("other_passages"))}</h3>')
        parts += [_passage(hit, documents) for hit in others]
    return "\n".join(parts + ["</div>"])


def render_notice(message: str) -> str:
    """The source panel when there is no answer to show sources for."""
    return f'<div class="emnqa-sources"><p class="emnqa-error">{_e(message)}</p></div>'


def _cited(citations: Sequence[Citation], documents: Mapping[str, Mapping[str, Any]]) -> str:
    first = citations[0]
    hit = first.passage
    quotes = [c.quote for c in citations]
    quoted = " … ".join(f"“{_e(' '.join(q.split()))}”" for q in quotes)
    return (
        f'<details class="emnqa-source" id="emnqa-source-{first.n}">'
        f'<summary><span class="emnqa-n">[{first.n}]</span> {_where(hit, documents)}'
        f'<span class="emnqa-quote">{quoted}</span></summary>'
        f'<div class="emnqa-text">{highlight(hit.text, quotes)}</div></details>'
    )


def _passage(hit: Passage, documents: Mapping[str, Mapping[str, Any]]) -> str:
    return (
        f'<details class="emnqa-passage"><summary><span class="emnqa-rank">#{hit.rank}</span> '
        f"{_where(hit, documents)}</summary>"
        f'<div class="emnqa-text">{_e(hit.text)}</div></details>'
    )


def _where(hit: Passage, documents: Mapping[str, Mapping[str, Any]]) -> str:
    """Title, year, section path (and page) of a passage, escaped."""
    document = documents.get(hit.doc_id, {})
    title = hit.title or document.get("title") or hit.doc_id
    year = str(document.get("year") or "")
    if year in str(title) or year.replace("-", "–") in str(title):
        year = ""  # "… Belgium 2024" says it already
    section = " › ".join(hit.section_path) or "(no section)"
    page = f", p. {hit.page}" if hit.page else ""
    return (
        f'<span class="emnqa-title">{_e(title)}</span>'
        + (f' <span class="emnqa-year">{_e(year)}</span>' if year else "")
        + f'<span class="emnqa-section">{_e(section)}{_e(page)}</span>'
    )


def document_choices(documents: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(label, doc_id) for the document filter, newest first."""
    def label(doc_id: str) -> str:
        d = documents[doc_id]
        title, year = str(d.get("title") or doc_id), str(d.get("year") or "")
        return f"{title} ({year})" if year and year not in title else title

    ordered = sorted(documents, key=lambda i: (str(documents[i].get("year") or ""), i), reverse=True)
    return [(label(doc_id), doc_id) for doc_id in ordered]


def year_choices(documents: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The years the documents cover, newest first."""
    return sorted({str(d.get("year")) for d in documents.values() if d.get("year")}, reverse=True)


# -- the chat's server side -----------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """An answer as the chat showed it, with what it was asked with."""

    answer: Answer
    history: tuple[dict, ...]
    filters: dict[str, list[str]]


class WebChat:
    """What the page calls: `respond` answers a message, `rate` saves a thumbs
    up / down. Every failure reaches the user as one sentence; unexpected ones
    are logged here with their traceback."""

    def __init__(self, assistant, settings: Settings | None = None, *, remember: int = 1000):
        self.assistant = assistant
        self.settings = settings or assistant.settings
        self.documents: Mapping[str, Mapping[str, Any]] = assistant.index.documents
        self._asked: OrderedDict[tuple[str, str], Asked] = OrderedDict()  # (session, answer text)
        self._remember = remember
        self._rated: set[tuple[str, str]] = set()  # answers rated already (each once)
        self._lock = threading.Lock()

    def respond(self, message: str, history: list, doc_ids: list[str] | None = None, years: list[str] | None = None,
                session: str = ""):
        """(chat markdown, source panel HTML) for a message in a chat;
        `session` is the browser session's id (Gradio's session hash): its
        answers can be rated in it, and only in it."""
        try:
            question = validate_message(message)
            turns = conversation(history or [], self._known(session))
            answer = self.assistant.ask(question, turns or None, filters=make_filters(doc_ids, years, self.documents))
        except InvalidQuery as exc:
            return render_error(str(exc)), render_notice(str(exc))
        except EmnqaError as exc:
            logged = error_id()
            log.error("error %s: cannot answer %.200r: %s", logged, message, exc)
            shown = f"{UNAVAILABLE} (error {logged})"
            return render_error(shown), render_notice(shown)
        except Exception as exc:  # one line with an id the user sees; never a traceback
            logged = error_id()
            log.error("error %s: unexpected %s answering %.200r: %s", logged, type(exc).__name__, message, exc)
            shown = f"{GENERIC_ERROR} (error {logged})"
            return render_error(shown), render_notice(shown)
        text = render_answer(answer)
        chosen = {"doc_ids": list(doc_ids or []), "years": list(years or [])}
        key = (session, text)
        with self._lock:
            self._asked[key] = Asked(answer, tuple(turns), chosen)
            self._asked.move_to_end(key)
            while len(self._asked) > self._remember:
                self._rated.discard(self._asked.popitem(last=False)[0])
        return text, render_sources(answer, self.documents)

    def rate(self, history: list, index: int | Sequence[int], liked: bool | str, session: str = "") -> tuple[bool, str]:
        """Append a rating of the answer at `index` of the chat to the
        feedback file. Returns (saved, a sentence for the user)."""
        if liked is not True and liked is not False:
            return False, ""  # a rating taken back: nothing to append
        position = index[0] if isinstance(index, (list, tuple)) and index else index
        if not isinstance(position, int) or isinstance(position, bool) or not isinstance(history, list):
            return False, "That message is no longer in the chat."
        try:
            message = history[position]
        except IndexError:
            return False, "That message is no longer in the chat."
        if not isinstance(message, Mapping):
            return False, "Only answers can be rated."
        text = message_text(message.get("content")).strip()
        if message.get("role") != "assistant" or text.startswith(ERROR_MARK.strip()):
            return False, "Only answers can be rated."
        # Only an answer this chat gave in this session (since the server
        # started) is rated, once: the record is the server's own (its
        # answer, the turns it read), never what a client sends, and a
        # forged message costs no search.
        key = (session, text)
        with self._lock:
            asked = self._asked.get(key)
            if asked is None:
                return False, "This answer can no longer be rated: it was not given in this chat since the server last started."
            if key in self._rated:
                return False, "This answer has already been rated."
            self._rated.add(key)
        try:
            record = feedback_record(asked.answer, liked, history=asked.history, filters=asked.filters)
            append_feedback(self.settings.feedback_path, record)
        except OSError as exc:
            log.error("cannot write feedback to %s: %s", self.settings.feedback_path, exc)
            return False, "Sorry, this rating could not be saved."
        return True, "Thank you: your rating was saved."

    def _known(self, session: str) -> dict[str, Answer]:
        """The answers given in `session`, by their rendered text."""
        with self._lock:
            return {text: asked.answer for (owner, text), asked in self._asked.items() if owner == session}



# -- the page -------------------------------------------------------------------

HEADER = (
    "## emnqa: ask the EMN Belgium documents\n"
    "Every answer quotes the publications of EMN Belgium and numbers its sources [n]; "
    "open a source on the right to read the passage. Follow-up questions (\"And in 2023?\") "
    "are read against the conversation. Nothing you type leaves this machine."
)

CSS = """
.emnqa-sources { font-size: 0.95rem; }
.emnqa-sources details { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 6px 10px; margin: 6px 0; }
.emnqa-sources summary { cursor: pointer; }
.emnqa-n, .emnqa-rank { font-weight: 700; margin-right: 4px; }
.emnqa-title { font-weight: 600; }
.emnqa-year { color: var(--body-text-color-subdued); }
.emnqa-section { display: block; font-size: 0.85rem; color: var(--body-text-color-subdued); }
.emnqa-quote { display: block; font-style: italic; margin-top: 2px; }
.emnqa-text { white-space: pre-wrap; margin-top: 6px; line-height: 1.45; }
.emnqa-sources mark { background: #fde68a; color: #1f2937; padding: 0 2px; border-radius: 2px; }
.emnqa-not-covered { border-left: 4px solid #d97706; background: #fffbeb; color: #1f2937; padding: 8px 10px; }
.emnqa-error { border-left: 4px solid #b91c1c; padding: 8px 10px; }
.emnqa-heading { margin: 8px 0 2px; }
"""


def build_demo(assistant, settings: Settings | None = None):
    """The Blocks of the chat page over `assistant`. Its `/chat` API takes a
    message (and optional doc_ids, years) and returns (answer markdown, source
    panel HTML)."""
    import gradio as gr

    chat = WebChat(assistant, settings)

    def respond(message: str, history: list, doc_ids: list[str] | None, years: list[str] | None, request: gr.Request):
        return chat.respond(message, history, doc_ids, years, session=_session(request))

    # Gradio finds the Request (and LikeData) arguments by their annotations,
    # which `from __future__ import annotations` leaves as unresolvable strings.
    respond.__annotations__["request"] = gr.Request
    with gr.Blocks(title="emnqa: EMN Belgium documents", analytics_enabled=False) as demo:
        gr.Markdown(HEADER, latex_delimiters=[])
        sources = gr.HTML(EMPTY_PANEL, elem_id="sources", label="Sources", render=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                # Rendered before the ChatInterface, so it does not wrap them
                # in an accordion of its own under the chat.
                # allow_custom_value: Gradio would refuse an unknown value with a
                # traceback in the log; WebChat checks it and answers one sentence.
                with gr.Accordion("Filter by document and year", open=False, elem_id="filters"):
                    with gr.Row():
                        doc_filter = gr.Dropdown(
                            choices=document_choices(chat.documents), value=[], multiselect=True, allow_custom_value=True,
                            label="Only these documents", elem_id="filter-docs",
                        )
                        year_filter = gr.Dropdown(
                            choices=year_choices(chat.documents), value=[], multiselect=True, allow_custom_value=True,
                            label="Only documents about these years", elem_id="filter-years",
                        )
                chatbot = gr.Chatbot(
                    elem_id="chat", label="Chat", height="calc(100vh - 240px)", min_height=420, latex_delimiters=[], sanitize_html=True,
                    allow_tags=False, buttons=["copy"],
                    placeholder="Ask about asylum and migration in Belgium, or start from an example.",
                )
                gr.ChatInterface(
                    respond,
                    chatbot=chatbot,
                    textbox=gr.Textbox(
                        elem_id="question", placeholder="Ask a question…", max_length=MAX_MESSAGE_CHARS,
                        show_label=False, submit_btn=True,
                    ),
                    additional_inputs=[doc_filter, year_filter],
                    additional_outputs=[sources],
                    examples=[[q] for q in EXAMPLES],
                    api_name="chat",
                    api_description="Answer a question from the EMN Belgium documents. Returns the answer "
                    "(markdown: the short answer and the quotes with [n] markers) and the source panel (HTML) with the sources.",
                    flagging_mode="never",
                    fill_height=False,
                )
            with gr.Column(scale=2, min_width=320):
                sources.render()

        def on_like(history: list, data: gr.LikeData, request: gr.Request) -> None:
            saved, note = chat.rate(history, data.index, data.liked, session=_session(request))
            if note:
                (gr.Info if saved else gr.Warning)(note)

        on_like.__annotations__.update(data=gr.LikeData, request=gr.Request)
        chatbot.like(on_like, [chatbot], None, api_visibility="undocumented")
    return demo


def _session(request) -> str:
    """The browser session's id (each gradio_client Client has its own)."""
    return str(getattr(request, "session_hash", None) or "")


def auth_pair(settings: Settings) -> tuple[str, str] | None:
    """(user, password) when both are set, None when neither is.

    >>> auth_pair(Settings(auth_user="ana", auth_password="s3cret"))
    ('ana', 's3cret')
    """
    user, password = settings.auth_user, settings.auth_password
    if bool(user) != bool(password):
        missing = "EMNQA_AUTH_PASSWORD" if user else "EMNQA_AUTH_USER"
        raise EmnqaError(
            f"A user name and a password are needed together; {missing} is not set. "
            "Set both EMNQA_AUTH_USER and EMNQA_AUTH_PASSWORD, or neither."
        )
    return (user, password) if user else None
