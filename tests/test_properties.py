"""Properties over generated input (hypothesis): the chunker never loses or
invents text and keeps its budgets; the question path never fails with
anything but a domain error, whatever string it is given."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emnqa.ingest.chunking import ChunkingParams, chunk_document, embedding_text
from emnqa.store.embedding import encodable, text_key
from emnqa.errors import EmnqaError, InvalidQuery
from emnqa.retrieve.retrievers import MAX_QUERY_CHARS, check_query
from emnqa.text.spans import count_tokens
from emnqa.types import Answer, Document

from fakes import FakeEmbedder

# -- the chunker ----------------------------------------------------------------

# The awkward material of the corpus: accents, superscript footnote marks,
# numbers with thin spaces, a word hyphenated across a line break, URLs.
WORDS = st.sampled_from(
    ["asylum", "Liège", "Türkiye¹", "39 615", "applications", "the", "in", "2024", "visa", "co-\nordinated",
     "(CGRS)", "rose", "people", "https://emnbelgium.be/a", "—", "«quoted»", "minor's", "e.g.", "Art. 9bis"]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=30).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=8).map(" ".join)
HEADING = st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from(["Scope", "Asylum statistics", "Return"])).map(
    lambda t: f"{t[0]}.{t[1]} {t[2]}"
)
BLOCK = st.one_of(PARAGRAPH, PARAGRAPH, HEADING, st.just("² A footnote about 2024."), st.just("BOX 1: DEFINITIONS"))
DOCUMENT_TEXT = st.lists(BLOCK, min_size=1, max_size=12).map(lambda blocks: "\n\n".join(blocks) + "\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=DOCUMENT_TEXT,
    layout=st.sampled_from(["report", "plain", "slides"]),
    budget=st.integers(24, 200),
    overlap=st.integers(0, 2),
    max_words=st.none() | st.integers(40, 120),
)
def test_chunks_map_back_to_the_source_keep_budgets_and_lose_nothing(text, layout, budget, overlap, max_words):
    doc = Document("d", "Title", text)
    fits = None if max_words is None else (lambda t: len(t.split()) <= max_words)
    chunks = chunk_document(doc, layout, ChunkingParams(budget, overlap), fits)
    covered = bytearray(len(text))
    for chunk in chunks:
        assert chunk.token_count == count_tokens(chunk.text) <= budget
        if fits is not None and chunk.token_count > 1:
            assert fits(embedding_text(doc.title, chunk.section_path, chunk.text))
        assert (chunk.start, chunk.end) == (chunk.spans[0][0], chunk.spans[-1][1])
        for a, b in chunk.spans:
            assert text[a:b] in chunk.text  # every span is a verbatim piece of the document
            covered[a:b] = b"\x01" * (b - a)
    lost = "".join(ch for ch, seen in zip(text, covered) if not seen and not ch.isspace())
    assert lost == ""
    assert len({c.chunk_id for c in chunks}) == len(chunks)


# -- the question path ------------------------------------------------------------

# Any Unicode text (surrogates excluded: hypothesis' default), with the
# characters people paste by accident weighted in.
HOSTILE = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from("\x00\x01\x1b\x7f\u200b\u202e\ufeff<>&\"'/ \n\t\r?"), max_size=40),
    st.text(min_size=MAX_QUERY_CHARS - 5, max_size=MAX_QUERY_CHARS + 5, alphabet="ab "),
    st.builds(lambda a, b: f"{a} asylum {b}", st.text(max_size=30), st.text(max_size=30)),
)


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_check_query_returns_the_stripped_question_or_invalid_query(question):
    try:
        checked = check_query(question)
    except InvalidQuery as exc:
        assert str(exc)
        return
    assert checked == question.strip() and checked and len(checked) <= MAX_QUERY_CHARS


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.sampled_from("ab é"), max_size=20))
def test_any_python_string_can_be_tokenized_and_keyed(text):
    # Lone surrogates (command-line bytes that are not UTF-8) become U+FFFD.
    clean = encodable(text)
    clean.encode("utf-8")
    assert len(clean) == len(text)
    text_key(text)


MANIFEST = '[[document]]\nfile = "report.txt"\nid = "report"\ntitle = "A Report 2024"\nyear = "2024"\nkind = "report"\n'
REPORT = (
    "INTERNATIONAL PROTECTION\n\n2.1 Asylum statistics\n\nIn 2024, 39 615 people lodged an asylum application "
    "in Belgium. Most came from Syria.\n\n2.2 Return\n\nIn 2024, 3 270 forced returns took place.\n"
)


@pytest.fixture(scope="module")
def small_assistant(tmp_path_factory):
    from emnqa.assistant import Assistant
    from emnqa.config import Settings
    from emnqa.store.build import build

    root = tmp_path_factory.mktemp("props")
    (root / "corpus").mkdir()
    (root / "corpus" / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    (root / "corpus" / "report.txt").write_text(REPORT, encoding="utf-8")
    settings = Settings.from_env(corpus_dir=root / "corpus", index_dir=root / "index", model_name="fake/keyword-bag")
    embedder = FakeEmbedder()
    build(settings, embedder_factory=lambda: embedder, progress=False)
    return Assistant(settings, embedder=embedder)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=HOSTILE, follow_up=st.booleans())
def test_assistant_answers_or_refuses_with_a_domain_error(small_assistant, question, follow_up):
    history = [{"role": "user", "content": "asylum in 2024"}, {"role": "assistant", "content": "39 615"}]
    try:
        answer = small_assistant.ask(question, history if follow_up else None)
    except EmnqaError as exc:
        assert str(exc)
        return
    assert isinstance(answer, Answer) and answer.text.strip()
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")
