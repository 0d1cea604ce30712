"""The German-English dictionary: reading the Ding format, its cache, and what it changes in the evidence picker."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from assistant import dictionary
from assistant.coverage import lexical_coverage
from assistant.dictionary import Dictionary, parse
from assistant.evidence import EvidencePicker
from assistant.factory import build_assistant
from assistant.models import Passage
from assistant.questions import analyse
from tests.fakes import HashEmbedding, ScriptedLLM, fake_settings

DING = """# Version :: devel 2023-01-30
Landtag {m} [pol.] | Mitglied des Landtages /MdL/ :: Landtag (legislative assembly); state parliament; parliament \
| Member of the Landtag
erstmals; erstmalig {adv}; zum ersten Mal | erstmals seit langem :: for the first time; first \
| for the first time in a long while
Hüfte {f} [anat.] | Hüften {pl} :: hip | hips
Verein {m} | Vereine {pl} | eingetragener Verein /e. V./ :: association; club | associations | registered society
Kopf {m}; Haupt {n} :: head
"""

SYSTEM_DING = Path("/usr/share/trans/de-en")


def test_one_word_translations_are_read_on_both_sides_of_each_sub_entry() -> None:
    # keys and forms are stemmed and spelling-folded, as lexical_coverage compares words ("club" -> "klub")
    assert parse(DING.splitlines()) == {
        "parliament": ("landtag",),  # "state parliament" is a phrase: no word of its own
        "landtag": ("landtag",),
        "first": ("erstmal",),  # "for the first time" is a phrase; "zum ersten Mal" too
        "hip": ("huft",),  # "hips" / "Hüften" stem to the same words
        "assoki": ("verein",),
        "klub": ("verein",),  # "Mitglied des Landtages" and "eingetragener Verein" are no one-word entries
        "head": ("kopf", "haupt"),
    }


def test_a_missing_dictionary_leaves_the_glossary_alone_and_says_so(tmp_path: Path) -> None:
    d = Dictionary(tmp_path / "nope")
    assert d.forms("parliament") == () and "no dictionary" in d.describe()
    assert Dictionary(None).table() == {}


def test_the_table_is_kept_next_to_the_index_and_read_again_from_there(tmp_path: Path) -> None:
    source = tmp_path / "de-en"
    source.write_text(DING, encoding="utf-8")
    first = Dictionary(source, tmp_path / "cache")
    assert first.forms("parliament") == ("landtag",)
    kept = list((tmp_path / "cache").glob("dictionary-*.pickle"))
    assert len(kept) == 1
    # a later start (another process: nothing read yet) reads the kept table, not the source
    dictionary._READ.clear()
    source.write_bytes(source.read_bytes())  # the same size ...
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime))
    kept[0].write_bytes(pickle.dumps({"parliament": ("from-the-cache",)}))
    assert Dictionary(source, tmp_path / "cache").forms("parliament") == ("from-the-cache",)
    # a damaged kept table is read again from the source; a changed source (size, time) is read anew
    dictionary._READ.clear()
    kept[0].write_bytes(b"not a pickle")
    assert Dictionary(source, tmp_path / "cache").forms("parliament") == ("landtag",)
    dictionary._READ.clear()
    source.write_text(DING + "Wahl {f} :: election\n", encoding="utf-8")
    os.utime(source, (1, 1))
    assert Dictionary(source, tmp_path / "cache").forms("elekt") == ("wahl",)  # "election", stemmed and folded


def test_one_process_reads_a_dictionary_once(tmp_path: Path) -> None:
    source = tmp_path / "de-en"
    source.write_text(DING, encoding="utf-8")
    a, b = Dictionary(source, tmp_path / "a"), Dictionary(source, tmp_path / "b")
    assert a.table() is b.table()  # eval and the tests build many assistants, each over its own index


def test_every_index_uses_the_one_table_kept_beside_the_models(tmp_path: Path, capsys, monkeypatch) -> None:
    # make setup builds it (python -m assistant.dictionary); a new index does not read the 25 MB file again
    source = tmp_path / "de-en"
    source.write_text(DING, encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_EVIDENCE_DICTIONARY", str(source))
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_DIR", str(tmp_path / "models"))
    dictionary._READ.clear()
    dictionary.main()
    assert "(7 English words, 6 German)" in capsys.readouterr().out
    assert len(list((tmp_path / "models").glob("dictionary-*.pickle"))) == 1
    dictionary._READ.clear()  # a later process
    source.write_text("", encoding="utf-8")
    os.utime(source, (1, 1))  # the file changed: its table is read anew, kept beside the first
    settings = fake_settings(tmp_path / "index", evidence_dictionary=source, llm_model_dir=tmp_path / "models")
    picker = build_assistant(settings, embedder=HashEmbedding(), llm=ScriptedLLM("")).evidence
    assert picker.dictionary is not None and picker.dictionary.table() == {}
    assert len(list((tmp_path / "models").glob("dictionary-*.pickle"))) == 2
    assert not (tmp_path / "index" / "cache").exists()


def unit(text: str, n: int) -> Passage:
    return Passage(doc_id="d", source="d.txt", title="", chunk_id=f"d-{n:04d}", text=text, start=0,
                   end=len(text), score=0.9, language="de")


SENTENCES = ["Das Land hat im Mai gewählt, die SPD stellt die Regierung.",
             "Die AfD zog mit 7,6 Prozent erstmals in den Landtag ein."]


def test_an_english_question_meets_its_german_sentence_through_the_dictionary(tmp_path: Path) -> None:
    source = tmp_path / "de-en"
    source.write_text(DING, encoding="utf-8")
    question = analyse("Which party made it into the state parliament for the first time?", "en")
    plain = lexical_coverage(question, SENTENCES)
    with_dictionary = lexical_coverage(question, SENTENCES, dictionary=Dictionary(source))
    # the glossary's "state" -> "Land" meets both sentences; only the dictionary knows parliament -> Landtag
    assert plain[1] == plain[0] and with_dictionary[1] > with_dictionary[0]
    # German questions are matched word for word, as before
    german = analyse("Welche Partei zog erstmals in den Landtag ein?", "de")
    assert lexical_coverage(german, SENTENCES, dictionary=Dictionary(source)) == lexical_coverage(german, SENTENCES)

    def best(dictionary: Dictionary | None) -> str:
        picker = EvidencePicker(HashEmbedding(), lexical_weight=10.0, max_units=1, dictionary=dictionary)
        return picker.pick(question, [unit(" ".join(SENTENCES), 0)], lambda _: None)[0].text

    assert best(Dictionary(source)) == SENTENCES[1]
    assert best(None) == SENTENCES[0]


def test_the_installed_dictionary_maps_everyday_english_words_to_german_ones() -> None:
    assert SYSTEM_DING.is_file(), "make setup installs Debian's trans-de-en (the dictionary the picker reads)"
    d = Dictionary(SYSTEM_DING)
    assert "parlament" in d.forms("parliament") and "knie" in d.forms("knee")
    assert any(f.startswith("erstmal") for f in d.forms("first"))
