"""Language-aware text utilities: language detection, German-aware sentence spans, BM25 tokens."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import Stemmer

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from assistant.models import Language

# Abbreviations after which a period does not end a German or English sentence.
_ABBREVIATIONS = frozenset(
    [
        "z", "b", "zb", "u", "a", "ua", "d", "h", "dh", "bzw", "ca", "etc", "evtl", "ggf", "inkl", "usw", "vgl",
        "sog", "s", "o", "u", "ä", "i", "d", "r", "v", "a", "o", "ä", "z", "t", "bspw", "dr", "prof", "nr", "st",
        "str", "mio", "mrd", "tsd", "jh", "jhd", "abs", "art", "hr", "fr", "frau", "herr", "dipl", "ing", "mag",
        "geb", "gest", "jan", "feb", "febr", "mär", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dez",
        "mr", "mrs", "ms", "jr", "sr", "vs", "inc", "ltd", "co", "corp", "no", "fig", "approx", "e", "g", "i", "e"
    ]
)
_MONTHS = (
    "Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "January|February|March|May|June|July|October|December"
)
# A candidate boundary: terminal punctuation (+ closing quotes/brackets), then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'»«“”)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+[\"'»«“„(\[]?[A-ZÄÖÜ0-9]")
_ORDINAL_BEFORE_MONTH = re.compile(rf"\b\d{{1,2}}\.\s+(?:{_MONTHS})\b")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences, returned as (start, end) character offsets (whitespace trimmed).

    Line breaks always end a sentence (headlines, paragraphs). A period after a known abbreviation,
    a single letter or an ordinal number ("28. Februar", "3. Quartal") does not.
    """
    spans: list[tuple[int, int]] = []
    for block in re.finditer(r"[^\n]+", text):
        base = block.start()
        line = block.group()
        start = 0
        for m in _BOUNDARY.finditer(line):
            end = m.end()
            if not _NEXT_START.match(line, end):
                continue
            if _is_false_boundary(line, m.start()):
                continue
            _append_trimmed(spans, text, base + start, base + end)
            start = end
        _append_trimmed(spans, text, base + start, base + len(line))
    return spans


def _is_false_boundary(line: str, dot: int) -> bool:
    if line[dot] != ".":
        return False
    word = re.search(r"([\wÄÖÜäöüß.]+)$", line[:dot])
    if not word:
        return False
    token = word.group(1)
    bare = token.replace(".", "").lower()
    if bare in _ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()):
        return True
    if "." in token and all(len(p) <= 2 for p in token.split(".")):  # "z.B", "u.a", "d.h"
        return True
    return token.isdigit() and len(token) <= 2  # ordinals: "28. Februar", "3. Quartal"


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings."""
    return [text[s:e] for s, e in sentence_spans(text)]


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    langs = [Language.GERMAN, Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.ITALIAN, Language.DUTCH]
    # articles are long enough for the trigram models alone (14 MB instead of ~130 MB of preloaded models)
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


@lru_cache(maxsize=1)
def _de_en_detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.GERMAN, Language.ENGLISH).build()


def detect_language(text: str, default: str = "de") -> str:
    """ISO 639-1 code of the text's language (de, en, fr, es, it, nl), or ``default`` if unsure."""
    sample = text[:4000]
    if not re.search(r"[A-Za-zÄÖÜäöüß]{2}", sample):
        return default
    lang = _detector().detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang is not None else default


def question_language(text: str) -> Language:
    """'de' or 'en' for a question: the two languages the assistant answers in. Its function words decide
    when they clearly do (two or more of one language, at least twice as many as of the other): a question
    about German news is full of German names ("How much did Hanseatia Lübeck pay Markus Thielen?"), which
    tip a detector reading the letters towards German. Otherwise the detector decides."""
    words = re.findall(r"[a-zäöüß]+", text.lower())
    en = sum(w in _EN_ONLY for w in words)
    de = sum(w in _DE_ONLY for w in words)
    if en >= 2 and en >= 2 * de:
        return "en"
    if de >= 2 and de >= 2 * en:
        return "de"
    lang = _de_en_detector().detect_language_of(text)
    return "en" if lang is not None and lang.iso_code_639_1.name == "EN" else "de"


_STOPWORDS = {
    "de": frozenset(
        [
            "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem", "einen", "und",
            "oder", "aber", "als", "auch", "an", "auf", "aus", "bei", "bis", "durch", "für", "gegen", "hat",
            "haben", "hatte", "hatten", "ist", "sind", "war", "waren", "wird", "werden", "wurde", "wurden", "im",
            "in", "ins", "mit", "nach", "nicht", "noch", "nur", "ob", "oder", "sich", "sie", "er", "es", "wir",
            "ihr", "ich", "du", "so", "um", "von", "vor", "zu", "zum", "zur", "über", "unter", "dass", "daß", "wie",
            "was", "wer", "wann", "wo", "warum", "welche", "welcher", "welches", "wieviel", "viel", "denn", "dann",
            "doch", "man", "mehr", "sein", "seine", "seiner", "seinen", "seinem", "ihre", "ihren", "ihrem", "ihrer",
            "diese", "dieser", "dieses", "diesen", "diesem", "sowie", "sei", "seien", "kann", "können", "soll",
            "sollen", "will", "wollen", "laut", "am", "vom", "beim"
        ]
    ),
    "en": frozenset(
        [
            "the", "a", "an", "and", "or", "but", "as", "also", "at", "on", "of", "for", "from", "by", "to", "in",
            "into", "with", "without", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had",
            "do", "does", "did", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "not",
            "no", "yes", "it", "its", "this", "that", "these", "those", "which", "who", "whom", "whose", "what",
            "when", "where", "why", "how", "much", "many", "there", "their", "they", "them", "he", "she", "his",
            "her", "we", "our", "you", "your", "i", "me", "my", "about", "over", "under", "than", "then", "so",
            "such", "according"
        ]
    ),
}
_EN_ONLY = _STOPWORDS["en"] - _STOPWORDS["de"]
_DE_ONLY = _STOPWORDS["de"] - _STOPWORDS["en"]
_STEMMER_NAMES = {"de": "german", "en": "english", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch"}
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMER_NAMES.get(lang, "german"))


def _fold(token: str) -> str:
    return token.replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")


def fold(word: str) -> str:
    """Spelling-fold a word so that English and German forms meet: Tokyo/Tokio, America/Amerika,
    cooperate/kooperieren, North/Nord."""
    w = _fold(word.lower())
    for a, b in (("th", "d"), ("ph", "f"), ("c", "k"), ("y", "i"), ("z", "s")):
        w = w.replace(a, b)
    return w


def bm25_tokens(text: str, lang: str = "de") -> list[str]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens; hyphenated compounds also yield their parts."""
    stop = _STOPWORDS.get(lang, frozenset())
    stemmer = _stemmer(lang)
    words: list[str] = []
    for m in _WORD.finditer(text.lower()):
        w = m.group()
        parts = [w] + (w.split("-") if "-" in w else [])
        words.extend(p for p in parts if p and p not in stop and (len(p) > 1 or p.isdigit()))
    return [_fold(t) for t in stemmer.stemWords(words)]
