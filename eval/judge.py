"""A lexical faithfulness judge for answer sentences, deliberately unlike the assistant's verifier.

The verifier (assistant/verify.py) decides with embedding similarity (after checking numbers and names).
This judge never uses embeddings: it counts shared stemmed words, names and numbers, so the two can
disagree, and the eval reports where they do. For each sentence and the passages it cites:

1. It must cite at least one passage that exists, else it is *unsupported*. A quotation of several sentences
   cites once for all of them (``quoted_citations``).
2. Every number in it (digits only: "1.500", "1,500" and "1500" are the same) must occur in a cited
   passage (also as a word up to twelve: "sechs Tore" supports "6 Tore"), else it is *unsupported*.
3. Same language (a cited passage is in the answer's language): the sentence's content words (no stop
   words, Snowball-stemmed with ``assistant.text.bm25_tokens``, German and English stems both tried)
   must occur among the cited passages' stems (or start or end a cited compound: Lehrer/Lehrerstellen) for at
   least ``MIN_COVERAGE`` of them.
4. Across languages (English answer, German passages) content words cannot be compared, so only
   *anchors* are: names and acronyms (capitalised words; the sentence's first word only when it occurs
   in the cited passages, since it may be an ordinary word) and numbers. At least ``MIN_ANCHORS`` (two
   thirds) of the anchors must occur in the cited passages (exactly, as a stem, as a near spelling
   anywhere in a word: Lebanon/Libanon, America/nordamerikanischen, or as the German word of ``EXONYMS``:
   Munich/München, Thursday/Donnerstag). A sentence with no anchor and no number is *unjudged* and left out of
   the faithfulness share.

The cited passages are read with their articles' titles: a reader who follows a citation sees the headline.
These readings (twenty-seventh session) were checked by hand on every verdict they changed in a dev and a test run
(all from unsupported to supported): 31 of 35 and 22 of 27 were right; the wrong ones state a relation the passage
does not (21,000 devices read as 21,000 jobs) with the names and numbers all there (eval/HISTORY.md).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.citations import markers, sentences_with_markers, strip_markers
from assistant.text import bm25_tokens

MIN_COVERAGE = 0.5
MIN_ANCHORS = 2 / 3
NEAR_SPELLING = 0.8

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_ANCHOR = re.compile(r"[A-ZÄÖÜ][\w'’-]*|[\w-]*[A-Z][\w-]*")


@dataclass(frozen=True)
class CitedText:
    """A passage the answer can cite, with its language and its article's title (a reader following the
    citation sees the headline too: "GM flirtet mit BMW" names the two carmakers its passage calls "beide
    Autokonzerne")."""

    text: str
    language: str
    title: str = ""


# English names of places, days and months and the German words an article uses for them: across languages a
# name is compared as written, and "Munich", "Thursday" or "Polish" never occur in a German passage. The judge's
# own small table (world knowledge, not the assistant's glossary, so that judge and verifier stay apart); a
# German form is found inside a word ("Poland" in "Polen", "North" in "Norddeutschland"; see ``_form_in``).
EXONYMS: dict[str, tuple[str, ...]] = {
    "monday": ("montag",), "tuesday": ("dienstag",), "wednesday": ("mittwoch",), "thursday": ("donnerstag",),
    "friday": ("freitag",), "saturday": ("samstag", "sonnabend"), "sunday": ("sonntag",),
    "january": ("januar", "jänner"), "february": ("februar",), "march": ("märz",), "may": ("mai",),
    "june": ("juni",), "july": ("juli",), "october": ("oktober",), "december": ("dezember",),
    "germany": ("deutschland",), "german": ("deutsch",), "austria": ("österreich",), "austrian": ("österreich",),
    "switzerland": ("schweiz",), "swiss": ("schweiz",), "france": ("frankreich",), "french": ("französisch",),
    "italy": ("italien",), "italian": ("italien",), "spain": ("spanien",), "spanish": ("spanisch",),
    "poland": ("polen",), "polish": ("polnisch", "polen"), "sweden": ("schweden",), "swedish": ("schwed",),
    "denmark": ("dänemark",), "danish": ("dänisch",), "netherlands": ("niederlande",), "dutch": ("niederländ",),
    "belgium": ("belgien",), "greece": ("griechenland", "griechisch"), "greek": ("griechisch",), "czech": ("tschech",),
    "russia": ("russland",), "russian": ("russisch",), "turkey": ("türkei",), "turkish": ("türkisch",),
    "britain": ("britannien",), "british": ("britisch",), "england": ("england",), "english": ("englisch",),
    "europe": ("europa",), "european": ("europäisch", "eu"), "america": ("amerika",),
    "american": ("amerikan", "us"), "japanese": ("japan",), "chinese": ("chines",), "korean": ("korea",),
    "kenyan": ("kenia",), "ethiopian": ("äthiopi",), "baltic": ("baltikum", "baltisch", "ostsee"),
    "munich": ("münchen", "münchner"), "cologne": ("köln",), "nuremberg": ("nürnberg",), "hanover": ("hannover",),
    "brussels": ("brüssel",), "vienna": ("wien",), "rome": ("rom",), "moscow": ("moskau",), "prague": ("prag",),
    "warsaw": ("warschau",), "rhine": ("rhein",), "danube": ("donau",), "moselle": ("mosel",),
    "bavaria": ("bayern",), "bavarian": ("bayer",), "saxony": ("sachsen",), "north": ("nord",),
    "south": ("süd",), "east": ("ost",), "west": ("west",),
}


@dataclass
class Judgement:
    """The judge's verdict on one sentence."""

    sentence: str
    cited: list[int]
    verdict: str  # "supported" | "unsupported" | "unjudged"
    reason: str = ""
    coverage: float | None = None
    missing: list[str] = field(default_factory=list)


def numbers(text: str) -> set[str]:
    """Numbers as bare digit strings ("43%" -> "43", "1.500" -> "1500", "2,5" -> "25")."""
    return {re.sub(r"\D", "", n) for n in _NUMBER.findall(text)}


# a passage that writes a small number as a word ("sechs Tore") supports the answer's digit ("6 Tore")
_WORDS_OF_NUMBERS = {w: str(n) for n, words in enumerate((
    "null zero", "eins ein eine einen one", "zwei two", "drei three", "vier four", "fünf five", "sechs six",
    "sieben seven", "acht eight", "neun nine", "zehn ten", "elf eleven", "zwölf twelve")) for w in words.split()}


def stated_numbers(text: str) -> set[str]:
    """The numbers a passage states, in digits or as words up to twelve."""
    return numbers(text) | {_WORDS_OF_NUMBERS[w] for w in re.findall(r"\w+", text.casefold())
                            if w in _WORDS_OF_NUMBERS}


@lru_cache(maxsize=4096)
def _stems(word: str) -> frozenset[str]:
    return frozenset(bm25_tokens(word, "de")) | frozenset(bm25_tokens(word, "en"))


def _text_stems(text: str) -> set[str]:
    return set(bm25_tokens(text, "de")) | set(bm25_tokens(text, "en"))


def _anchor_found(anchor: str, cited_lower: str, cited_words: set[str], cited_stems: set[str]) -> bool:
    a = anchor.casefold().strip("'’-")
    if a.endswith(("'s", "’s")):
        a = a[:-2]
    if not a:
        return True
    if a in cited_lower or _stems(a) & cited_stems:
        return True
    if any(_form_in(form, cited_lower) for form in EXONYMS.get(a, ())):
        return True
    if len(a) < 5:  # short names and acronyms must match exactly
        return False
    # a near spelling anywhere in a cited word: Lebanon ~ Libanon, America ~ nordamerikanischen
    return any(
        difflib.SequenceMatcher(None, a, w[i : i + len(a)]).ratio() >= NEAR_SPELLING
        for w in cited_words
        for i in range(max(1, len(w) - len(a) + 1))
    )


def _form_in(form: str, cited_lower: str) -> bool:
    """A German form of an English name in the cited text: anywhere in a word, a short one (< 5 letters) only where
    a word starts ("US-Autokonzern", "Westwind"; not "ost" in "Kosten")."""
    return form in cited_lower if len(form) >= 5 else re.search(rf"\b{re.escape(form)}", cited_lower) is not None


def _word_found(word: str, cited_stems: set[str]) -> bool:
    """A content word among the cited stems, or (a stem of five letters or more) as the start or end of a cited
    compound: "Verhandlungen" in "Verhandlungsführer", "Lehrer" in "Lehrerstellen"."""
    stems = _stems(word)
    if stems & cited_stems:
        return True
    return any(len(st) >= 5 and any(len(c) > len(st) and (c.startswith(st) or c.endswith(st)) for c in cited_stems)
               for st in stems)


def judge_sentence(sentence: str, sources: Mapping[int, CitedText], language: str) -> Judgement:
    """Judge one answer sentence (with its ``[n]`` markers) against the passages it cites."""
    cited = [n for n in markers(sentence) if n in sources]
    claim = strip_markers(sentence)
    if not cited:
        return Judgement(claim, [], "unsupported", "cites no existing source")
    texts = [sources[n] for n in cited]
    joined = " ".join(f"{t.title} {t.text}" for t in texts)
    missing_numbers = sorted(numbers(claim) - stated_numbers(joined))
    if missing_numbers:
        return Judgement(
            claim, cited, "unsupported", "number(s) not in the cited passages", missing=missing_numbers
        )
    cited_stems = _text_stems(joined)
    if any(t.language == language for t in texts):
        words = [w for w in _WORD.findall(claim) if bm25_tokens(w, language)]
        if not words:
            return Judgement(claim, cited, "unjudged", "no content words")
        missing = [w for w in words if not _word_found(w.lower(), cited_stems)]
        coverage = 1 - len(missing) / len(words)
        ok = coverage >= MIN_COVERAGE
        return Judgement(
            claim,
            cited,
            "supported" if ok else "unsupported",
            "" if ok else f"only {coverage:.0%} of the content words are in the cited passages",
            coverage,
            missing,
        )
    cited_lower = joined.casefold()
    cited_words = {w.casefold() for w in _WORD.findall(joined)}
    first = _WORD.search(claim)
    anchors = []
    for m in _ANCHOR.finditer(claim):
        a = m.group()
        if not a.strip("'’-") or a.isdigit():
            continue
        # a capitalised first word may be an ordinary word ("Because"): it counts only when it is found
        if (
            first
            and m.start() == first.start()
            and not _anchor_found(a, cited_lower, cited_words, cited_stems)
        ):
            continue
        anchors.append(a)
    if not anchors:
        if numbers(claim):
            return Judgement(
                claim, cited, "supported", "numbers match (no names to compare across languages)"
            )
        return Judgement(claim, cited, "unjudged", "other language and no names or numbers to compare")
    missing = [a for a in anchors if not _anchor_found(a, cited_lower, cited_words, cited_stems)]
    coverage = 1 - len(missing) / len(anchors)
    ok = coverage >= MIN_ANCHORS - 1e-9
    return Judgement(
        claim,
        cited,
        "supported" if ok else "unsupported",
        "" if ok else f"only {coverage:.0%} of the names are in the cited passages",
        coverage,
        missing,
    )


_RANK = {"supported": 2, "unjudged": 1, "unsupported": 0}


def judge_uncited(sentence: str, sources: Mapping[int, CitedText], language: str) -> Judgement:
    """Like ``judge_sentence``; a sentence that cites no existing passage is judged against each passage
    and gets its best verdict (the verifier may attach the citation itself)."""
    judged = judge_sentence(sentence, sources, language)
    if judged.cited or not sources:
        return judged
    claim = strip_markers(sentence)
    return max(
        (judge_sentence(f"{claim} [{n}]", sources, language) for n in sources), key=lambda j: _RANK[j.verdict]
    )


def judge_answer(
    answer: str,
    sources: Mapping[int, CitedText],
    language: str,
    skip: tuple[str, ...] = (),
    uncited_best: bool = False,
) -> list[Judgement]:
    """Judge every sentence of ``answer``; sentences equal to one of ``skip`` (the refusal) are left out.
    With ``uncited_best`` a sentence without a citation is judged as by ``judge_uncited``."""
    skipped = {_plain(s) for s in skip}
    judge = judge_uncited if uncited_best else judge_sentence
    return [
        judge(s, sources, language)
        for s in quoted_citations(sentences_with_markers(answer))
        if strip_markers(s) and _plain(s) not in skipped
    ]


def quoted_citations(sentences: list[str]) -> list[str]:
    """The sentences, each sentence of a quotation of several sentences with the quotation's markers: a quoted
    answer cites once for all it quotes ("The German source [1] says: „S1. S2.“", "Laut der Quelle: „S1. S2.“
    [1]"). A sentence belongs to the quotation open where it starts („…“, «…», "…"); a marker right after a
    closing mark belongs to the quotation before it ("„S1.“ [1] „S2.“ [2]")."""
    out = list(sentences)
    for i in range(1, len(out)):
        lead = re.match(r"\s*(?:\[\d+\]\s*)+", out[i])
        if lead and strip_markers(out[i]).strip() and out[i - 1].rstrip().endswith(("“", "»", '"')):
            out[i - 1], out[i] = f"{out[i - 1]} {lead.group().strip()}", out[i][lead.end():]
    groups: list[list[int]] = []
    open_ = {"„": 0, "«": 0}  # each kind of mark closes only its own kind: a quoted span may hold half of another
    closing = {"“": "„", "»": "«"}
    straight = False
    for i, sentence in enumerate(out):
        if groups and (any(open_.values()) or straight):
            groups[-1].append(i)
        else:
            groups.append([i])
        for ch in sentence:
            if ch in open_:
                open_[ch] += 1
            elif ch in closing and open_[closing[ch]]:
                open_[closing[ch]] -= 1
            elif ch == '"':
                straight = not straight
    for group in groups:
        shared = list(dict.fromkeys(n for i in group for n in markers(out[i])))
        for i in group:
            if shared and not markers(out[i]):
                out[i] = f"{out[i]} " + " ".join(f"[{n}]" for n in shared)
    return out


def _plain(s: str) -> str:
    return re.sub(r"[^\w ]", "", " ".join(strip_markers(s).split()).lower())
