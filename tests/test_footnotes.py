"""Footnotes found by their marks: the note a quoted sentence cites."""

from emnqa.ingest.footnotes import Footnotes, marks, note_spans
from emnqa.types import Chunk


def _chunk(text, section=("2 Reception",), kind="text", doc="d"):
    return Chunk("", doc, text, tuple(section), 0, len(text), 9, kind=kind)


def test_marks_are_the_numbers_a_sentence_cites_not_its_own():
    assert marks("Conex network of Fedasil ¹²¹, launched a fund. ¹²²") == ["121", "122"]
    assert marks("⁽¹⁾ Council of State, n° 261.887.") == []
    assert marks("No marks, 261.887 and 2024 are figures.") == []


def test_a_footnote_runs_to_the_next_note_in_a_chunk_of_notes_only():
    text = "¹ One,\nwrapped.\n² Two."
    assert [text[a:b] for _, a, b in note_spans(text)] == ["¹ One,\nwrapped.", "² Two."]
    boxed = "⁽¹⁾ Council of State, n° 261.887.\nThe box goes on."
    assert [boxed[a:b] for _, a, b in note_spans(boxed, wrapped=False)] == ["⁽¹⁾ Council of State, n° 261.887."]


def test_the_cited_note_is_found_in_its_own_chunk():
    chunks = [
        _chunk("Fedasil works with the Conex network ¹²¹."),
        _chunk("¹²⁰ Another note.\n¹²¹ A network of partners, including IOM.", kind="footnotes"),
        _chunk("¹²¹ The same number in another document.", kind="footnotes", doc="other"),
    ]
    notes = Footnotes(chunks)
    (note,) = notes.cited_by(chunks[0].text, "d", 0, chunks[0].section_path)
    assert note.position == 1 and notes.text(note) == "¹²¹ A network of partners, including IOM."


def test_a_box_s_note_is_the_nearest_one_after_it():
    # Boxes number their notes from ⁽¹⁾ each time: the citing box's own note wins.
    chunks = [
        _chunk("Box 1: text ⁽¹⁾.\n⁽¹⁾ First box's note.", section=("A",)),
        _chunk("Box 2: the Council of State suspended it ⁽¹⁾.", section=("B",)),
        _chunk("⁽¹⁾ Council of State, n° 261.887, 27 December 2024.", section=("B",)),
    ]
    notes = Footnotes(chunks)
    (note,) = notes.cited_by(chunks[1].text, "d", 1, ("B",))
    assert notes.text(note).endswith("27 December 2024.")
    assert notes.cited_by("A sentence citing ⁹⁹.", "d", 0) == []


def test_a_chunk_of_notes_is_searched_with_the_sentences_citing_it():
    # "²⁴ This is the official term for case workers at the CGRS" never says
    # "protection officer"; the sentence citing it does, so BM25 reads it too.
    from emnqa.retrieve.lexical import BM25Index

    chunks = [
        _chunk("The CGRS recruited 59 new protection officers ²⁴. Decisions rose."),
        _chunk("²³ A source.\n²⁴ This is the official term for case workers at the CGRS.", kind="footnotes"),
        _chunk("Officers of the police protection unit met at the border."),
        _chunk("Reception places were opened by Fedasil in 2024."),
    ]
    context = Footnotes(chunks).citing_sentences()
    assert context == {1: ["The CGRS recruited 59 new protection officers ²⁴."]}
    plain = BM25Index(chunks, {}).scores("protection officers")
    read_with_citing = BM25Index(chunks, {}, context).scores("protection officers")
    assert plain[1] == 0 and read_with_citing[1] > 0


def test_a_box_cites_its_notes_in_plain_brackets_after_punctuation():
    # Boxes write "DEI ECPAT Belgium,(2)" or "... section. (1)" for ⁽²⁾ and ⁽¹⁾;
    # "Article 4(1)" and a slide title's "(1)" are no marks.
    assert marks("training by DEI ECPAT Belgium,(2) as part of a project,(3) in 2024.") == ["2", "3"]
    assert marks("Pursuant to Article 4(1) of the Directive.") == []
    assert marks("Measures to curb crisis (1)") == []
    chunks = [
        _chunk("Box 3: It should have been submitted to the legislative section. (1)", section=("Box 3",)),
        _chunk("⁽¹⁾ Council of State, n° 261.887, 27 December 2024.", section=("2.1",)),
    ]
    notes = Footnotes(chunks)
    (note,) = notes.cited_by(chunks[0].text, "d", 0, ("Box 3",))
    assert notes.text(note).endswith("27 December 2024.")


def test_a_number_closing_a_line_after_the_last_full_stop_is_a_lost_superscript():
    # The PDF text reads "... aged 18 to 21. 63" for "... 21.⁶³".
    chunks = [
        _chunk("Fedasil is developing a policy for young adults aged 18 to 21. 63\nPilot projects started."),
        _chunk("⁶³ The choice of 21 is motivated by the size of this group.", kind="footnotes"),
    ]
    notes = Footnotes(chunks)
    (note,) = notes.cited_by("Fedasil is developing a policy for young adults aged 18 to 21. 63", "d", 0, chunks[0].section_path)
    assert notes.text(note).startswith("⁶³ The choice of 21")
    assert marks("In 2024, 63 minors arrived.\nNext") == [] and marks("It rose by 63.") == []
