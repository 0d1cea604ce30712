"""What an answer sentence states of the kind its question asks for, and which listed items it leaves out."""

from __future__ import annotations

import re

from assistant.date_words import NUMBERS
from assistant.grounding import (
    ACRONYM,
    DETERMINERS,
    GENERIC_NOUNS,
    HYPHEN_NUMBER,
    NOUN_SHAPE,
    EvidenceText,
    checkable_names,
    derived_numbers,
    determined,
    evidence_text,
    money_numbers,
    name_in,
    names_a_role,
    number_words,
    numbers_in,
    states_cause,
    token_in,
)
from assistant.lexicon import german_forms, is_place, phrases_in
from assistant.questions import AnswerKind, QuestionInfo, asks_count, asks_money
from assistant.text import bm25_tokens, fold

_MONTHS = (r"januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
           r"|january|february|march|may|june|july|october|december")
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTHS}|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday|frühjahr|frühling|sommer|herbst|winter|spring|summer|autumn"
    r"|quartal\w*|quarter\w*|woche\w*|week\w*|monat\w*|month\w*|jahr\w*|year\w*|jahrhundert\w*|century"
    r"|gestern|heute|morgen|yesterday|today|tomorrow"
    # "Ende 2019", "Mitte des Jahres", "seit März", "late 2019": a qualifier only counts with its time
    r"|(?:vergangene[nmrs]?|letzte[nmrs]?|nächste[nmrs]?|kommende[nmrs]?|last|next|ende|anfang|mitte|beginning"
    r"|end|middle|early|late|seit|since|bis|until|by)\s+(?:(?:des|der|dem|den|of|the|this|diese[nmrs]?)\s+)?"
    r"(?:\d{4}|\w*(?:jahr|monat|woche|quartal|year|month|week|quarter)\w*|" + _MONTHS + r"))\b",
    re.IGNORECASE)
# "in Tokio", "nach Paris", "in den Libanon", "at the Paris motor show": where a place is named
_LOCATIVE = re.compile(r"\b(?i:in|im|nach|aus|bei|an|am|vor|at|to|from|near|into|auf)\s+(?i:den|dem|der|die|das|the)?"
                       r"\s*([A-ZÄÖÜ][\wäöüß-]+)")
_YEAR = re.compile(r"(?<![\d.,])(?:1[89]\d\d|20\d\d)(?![\d])")
# a question that asks for a change or a gap ("um wie viele Prozentpunkte", "by how much"): the difference of two
# numbers of the sentence is then what it asks for, though the sentence states only the two numbers
_BY_HOW_MUCH = re.compile(r"\b(?:um\s+wie\s*viel\w*|by\s+how\s+(?:many|much)|how\s+(?:many|much)\s+(?:more|fewer|less|"
                          r"higher|lower)|wie\s*viel\w*\s+(?:mehr|weniger)|difference|unterschied)\b", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(rf"\b\d{{1,2}}\.\s*(?=(?i:{_MONTHS})\b)")  # "am 1. Oktober"
_MONTH_DAY = re.compile(rf"\b((?i:{_MONTHS}))\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![.,]\d)")  # "October 1"
# "Hellweg 1904.", "Heidekreis 08 -": a capitalised word, then a founding year or a number with a leading zero
# (as clubs are named), and no unit after it
_NAME_NUMBER = re.compile(r"(\b[A-ZÄÖÜ][\wäöüß-]{2,})\s+(?:0\d|1[89]\d\d)\b(?![.,]\d)(?=\s*(?:[.;:)–-]|,\s|$))")
# an age that names a person ("der 21-Jährige", "the 34-year-old"), for a question that does not ask for an age
_AGE_NOUN = re.compile(r"\b\d{1,3}-(?:[Jj]ährig[a-z]*|year-olds?)\b")
_ASKS_AGE = re.compile(r"\b(?:alt|Alter|Alters|old|age|aged)\b", re.IGNORECASE)
_ORDINAL_NOUN = re.compile(r"(?<=[\w,;:] )(?:Erst|Zweit|Dritt|Viert|Fünft|Sechst)[a-zäöüß]{3,}\b")
# "…, wie die Chefin am Mittwoch mitteilte.": the time of the saying dates the report, not what it reports
_SPEECH = (r"(?:sagte|sagten|sagt|sagen|erklärte\w*|berichtete\w*|mitteilte\w*|bekanntgab\w*|bestätigte\w*"
           r"|ankündigte\w*|hieß\s+es|heißt\s+es|said|says|say|told\s+\w+|announced|reported|confirmed)")
# "…, sagte X.", "…, wie X am Mittwoch mitteilte.", "…, the company announced on Wednesday.", "…, teilte X am
# Montag mit."
_ATTRIBUTION_AFTER = re.compile(rf",\s*(?:so\s+)?(?:{_SPEECH}|teilte\w*)\b.*$|,\s*(?:[\w'’-]+\s+){{1,8}}{_SPEECH}"
                                r"(?:\s+(?:on|last|this|early|late)\s+\w+)?\s*[.!]?\s*$"
                                # "…, wie Voltaris-Chefin Johanna Wendisch am Mittwoch bei der Vorstellung der Pläne
                                # in Spremberg sagte.": a "wie"/"as" clause may say where and when at length
                                rf"|,\s*(?:wie|as)\s+(?:[\w'’.-]+\s+){{1,16}}?{_SPEECH}(?:\s+\w+){{0,3}}\s*[.!]?\s*$",
                                re.IGNORECASE | re.DOTALL)
_SAYING = re.compile(rf"\b(?:{_SPEECH}|sagen|äußerte\w*|betonte\w*|kündigte\w*|teilte\w*|mitgeteilt|bekannt\w*"
                     r"|bestätigt\w*|announc\w*|stated?|claimed?|report\w*|confirm\w*)\b",
                     re.IGNORECASE)
_ATTRIBUTION_BEFORE = re.compile(r"^\s*(?:according\s+to|laut|nach\s+angaben)\b[^,]{0,80},\s*", re.IGNORECASE)
# qualifiers of a time that say the same: "nächste" = "kommende" = "next"; "letzte" = "vergangene" = "last"
_QUALIFIERS = tuple(tuple(fold(w) for w in group) for group in (
    ("nächst", "kommend", "folgend", "next", "coming", "upcoming", "following"),
    ("letzt", "vergangen", "vorig", "last", "past", "previous")))
# the kinds whose item is any grounded word beyond the question's (answer_items): almost every sentence of a source
# states one, so such an item tells no answer apart from a neighbouring fact
UNTYPED_KINDS: frozenset[AnswerKind] = frozenset({"fact", "yesno"})
_FILLERS = frozenset(fold(w) for w in ["des", "der", "dem", "den", "of", "the", "this", "in", "im"])
_LIST_SPLIT = re.compile(r",\s*|;\s*|\s+(?:und|sowie|oder|and|or|as\s+well\s+as)\s+", re.IGNORECASE)


_FINITE_VERBS = frozenset({
    "ist", "sind", "war", "waren", "hat", "haben", "hatte", "hatten", "wird", "werden", "wurde", "wurden", "soll",
    "sollen", "kann", "können", "will", "wollen", "muss", "müssen", "darf", "dürfen", "bleibt", "bleiben", "gilt",
    "gelten", "is", "are", "was", "were", "has", "have", "had", "would", "can", "could", "must", "shall",
    "should", "remains", "remain"
})


def missing_items(answer: str, source_sentence: str, language: str, source_language: str) -> list[str]:
    """The items of an enumeration in the source sentence ("Brennstoffzellen, Sportwagen, Elektroantriebe und
    Leichtbau") that the answer leaves out, when it names some of them; [] when it names all or none, or the
    sentence lists nothing, or answer and source are in different languages (words cannot be compared)."""
    if language != source_language:
        return []
    parts = [p.strip() for p in _LIST_SPLIT.split(source_sentence) if p.strip()]
    # the first part holds subject and verb; a part that opens with a verb ("… heißen Aruna und Temir und sind
    # drei Jahre alt") starts another statement, which ends the enumeration
    clause = next((i for i, p in enumerate(parts[1:], 1) if p.split()[0].lower() in _FINITE_VERBS), len(parts))
    items = [p for p in parts[1:clause] if 1 <= len(p.split()) <= 6]
    if len(items) < 2:
        return []
    answer_ev = evidence_text(answer)

    def named(item: str) -> bool:
        words = [w for w in bm25_tokens(item, source_language) if len(w) >= 3]
        return bool(words) and any(token_in(fold(w), answer_ev) for w in words)

    flags = [named(i) for i in items]
    if not any(flags) or all(flags):
        return []
    return [i for i, f in zip(items, flags, strict=True) if not f]


def left_out(answer: str, source_sentence: str, language: str, source_language: str) -> list[str]:
    """What a source sentence says beyond an answer that copies it only in part (the answer's words are, in order,
    the sentence's, but a clause is cut off: "… 400 Euro angeboten" of "… 400 Euro angeboten, bei einer Laufzeit
    von 24 Monaten"): its numbers and capitalised words the answer lacks; [] when the answer is no such copy (its
    own wording, another language, or a short or very long sentence)."""
    if language != source_language:
        return []
    said = [fold(w) for w in _WORD.findall(answer)]
    words = _WORD.findall(source_sentence)
    if len(said) < 4 or len(words) > 60:
        return []
    folded, at, copied = [fold(w) for w in words], 0, 0
    for w in said:  # in order
        if w in folded[at:]:
            at = folded.index(w, at) + 1
            copied += 1
    if copied < 0.9 * len(said):
        return []
    known = set(said)
    return [w for i, w in enumerate(words) if fold(w) not in known and (any(c.isdigit() for c in w)
                                                                         or (i > 0 and w[0].isupper()))]


_WORD = re.compile(r"\w[\w-]*")


def answer_items(claim: str, q: QuestionInfo, ev: EvidenceText | str, language: str) -> list[str]:
    """The things the sentence states beyond the question that the evidence holds, of the kind asked for."""
    if isinstance(ev, str):
        ev = evidence_text(ev)
    claim = statement(claim, q)  # who said it answers "who" and nothing else
    asked_tokens = {fold(t) for t in bm25_tokens(q.text, q.language)} | {fold(t) for t in q.focus}
    asked_numbers = numbers_in(q.text) | number_words(q.text)
    stated = claim if q.kind != "number" else quantities_text(claim, ages=bool(_ASKS_AGE.search(q.text)))
    numbers = sorted((numbers_in(stated) | number_words(stated)) - asked_numbers)
    # only numbers the source states: "cut by 28%" for "from 43 % to 15 %" passes the grounding check (a
    # difference) but is not what the source says, and a reader cannot find it there; the quote can. Only a
    # question about a change ("by how many points") is answered by such a gap, stated in points
    differences = _differences(ev.numbers, claim) if q.kind == "number" and _BY_HOW_MUCH.search(q.text) else set()
    numbers = [n for n in numbers if n in ev.numbers or n in differences]
    if q.kind == "date":
        dates = [m.group() for m in _DATE_WORDS.finditer(claim) if not _asked_date(m.group(), q.text)
                 and _date_in(m.group(), ev) and _places_in_time(m, claim)]
        years = [n for n in numbers if _YEAR.fullmatch(n)]
        clock = [m.group() for pattern in (_CLOCK, _DAY_DATE) for m in pattern.finditer(claim)  # "am 1. Dezember"
                 if not _asked_date(m.group(), q.text) and all(n in ev.numbers for n in numbers_in(m.group()))]
        found = list(dict.fromkeys(years + dates + clock))
        return _of_grain(found, q.grain, claim) if q.grain else found
    if q.kind == "number":  # a year the source uses as one ("Vertrag bis 2028") counts nothing; a price is money
        count = asks_count(q.text)  # a count is no amount of money
        money = money_numbers(stated) if count or asks_money(q.text) else None
        return [n for n in numbers if not (_YEAR.fullmatch(n) and _only_as_year(n, ev.text_cased))
                and (money is None or (n in money) != count)]
    words = [w for w in bm25_tokens(claim, language) if fold(w) not in asked_tokens and not _asked(w, asked_tokens)]
    grounded = [w for w in dict.fromkeys(words) if token_in(fold(w), ev)]
    grounded += [p for p in phrases_in(claim) if p not in fold(q.text) and any(f in ev.folded
                                                                                for f in german_forms(p))]
    names = [n for n in checkable_names(claim, language) if n.lower() not in q.text.lower() and name_in(n, ev)]
    if q.kind == "place":
        places = [m.group(1) for m in _LOCATIVE.finditer(claim) if name_in(m.group(1), ev)
                  and m.group(1).lower() not in q.text.lower() and not _DATE_WORDS.fullmatch(m.group(1))]
        # the words as written (a stemmer cuts "France" to "franc", which no place begins with) and stemmed
        words = re.findall(r"[\w-]+", claim) + bm25_tokens(claim, language)  # "chinesisches" meets "chinesische"
        adjectives = [w for w in words if is_place(w) and token_in(fold(w), ev) and fold(w) not in fold(q.text)]
        return list(dict.fromkeys(places + adjectives))
    if q.kind == "name":
        found = [n for n in names if not _DATE_WORDS.fullmatch(n) and (language == "en" or _proper(n, ev))]
        if found or _names_in(ev, q) or names_a_role(q.text):
            return found  # who / with whom: a name, not just more words, when the source names one
        # the source gives no name ("der Leiter der Produktplanung"): the role it gives is the answer, unless the
        # question names the role itself ("Wie heißt der Leiter der Produktplanung?": restating it names nobody)
    if q.kind == "yesno":
        # a yes or no answer restates the question; the polarity check (negations) does the work
        restated = [w for w in dict.fromkeys(bm25_tokens(claim, language)) if token_in(fold(w), ev)]
        return restated if len(restated) >= 2 else []
    items = list({fold(i): i for i in names + numbers + grounded}.values())
    if q.kind == "reason" and not (states_cause(claim, language) and items):
        return []  # a reason is stated with its connective or as a motive; more words of the event are none
    return items


def statement(claim: str, q: QuestionInfo) -> str:
    """The claim without who said it, unless the question asks who or about the saying ("Wo sagte Toyoda …?")."""
    return claim if q.kind == "name" or _SAYING.search(q.text) else without_attribution(claim)


def without_attribution(claim: str) -> str:
    """The claim without who said it: "…, two people involved in the talks said.", "…, sagten zwei Personen, die
    …", "According to the sources, …", "Laut dem Bericht, …" (a restated event answers no "why", no "how many")."""
    return _ATTRIBUTION_AFTER.sub("", _ATTRIBUTION_BEFORE.sub("", claim)) or claim


def quantities_text(claim: str, ages: bool = False) -> str:
    """The claim without the numbers that count nothing, for a "how many / how much" question: a day of a
    month ("am 1. Oktober", "October 1"), a number that is part of a name ("Borussia Hellweg 1904", "SV
    Heidekreis 08": a founding year or a number with a leading zero after a name, and no unit; "Brandwacht-1"), a noun
    made with an ordinal ("Drittligist") and, unless ``ages`` (the question asks how old), a person named by
    their age ("der 21-Jährige")."""
    out = _MONTH_DAY.sub(lambda m: m.group(1), _DAY_OF_MONTH.sub(" ", claim))
    if not ages:
        out = _AGE_NOUN.sub(" ", out)
    out = HYPHEN_NUMBER.sub(" ", _NAME_NUMBER.sub(lambda m: m.group(1), out))
    return _ORDINAL_NOUN.sub(" ", out)


# a unit of time alone states no time: "200 Euro im Monat" is a rate, "eine Laufzeit von zwölf Monaten" a length; it
# places an event in time with a preposition or an adverb ("in drei Wochen", "nach fast 25 Jahren", "two years
# ago") or a determiner ("in diesem Jahr", "im selben Monat", "that year")
_BARE_UNIT = re.compile(r"(?:woche|wochen|monat|monate|monaten|monats|jahr|jahre|jahren|jahres|quartal|quartale|"
                        r"quartalen|quartals|week|weeks|month|months|year|years|quarter|quarters)", re.IGNORECASE)
_COUNT = (r"(?:\d+(?:[.,]\d+)?|" + "|".join(sorted(NUMBERS, key=len, reverse=True))
          + r"|ein\w*|\w+zig|hundert|wenigen|einigen|mehreren|\w+ty|few|several|many)")
_PLACING = re.compile(
    r"\b(?:in|innerhalb|binnen|nach|vor|seit|ab|within|after|since|for)\s+(?:(?:den|der|dem|the|fast|knapp|gut"
    rf"|rund|etwa|mehr\s+als|über|nearly|almost|about|more\s+than|over|just|nur)\s+)*{_COUNT}\s+\w+\b"
    rf"|\b{_COUNT}\s+\w+\s+(?:ago|later|earlier|before|after|später|zuvor|danach|früher|davor|darauf)\b"
    r"|\b(?:dies\w*|selbe\w*|gleiche\w*|jene\w*|this|that|the\s+same|same)\s+\w+\b"
    # a part of it: "mid-year", "by the end of the year", "Mitte des Jahres", "zum Ende des Monats"
    r"|\b(?:mid|end|start|beginning|middle|rest|turn|ende|anfang|beginn|mitte|rest)(?:-|\s+(?:of\s+)?(?:the\s+|this"
    r"\s+|des\s+|der\s+|dieses\s+)?)\w+\b"
    r"|\b(?:im|in\s+dem|in\s+the)\s+\w+\s+(?:darauf|danach|zuvor|davor|after|before)\b", re.IGNORECASE)
# a time of day or a date in figures: "um 15 Uhr", "at 3 p.m.", "am 3.7.2023"
_CLOCK = re.compile(r"\b\d{1,2}(?:[.:]\d\d)?\s*(?:Uhr|o'clock|[ap]\.\s?m\.)|\b\d{1,2}\.\d{1,2}\.(?:\d{2,4})?",
                    re.IGNORECASE)


# what stands before a year used as one: "bis (zum) 2028", "im Jahr 2019", "30. Juni 2028", "Ende 2019", "since 2016"
_BEFORE_YEAR = re.compile(rf"(?:\b(?:bis|seit|ab|im|in|von|vor|nach|zum|zur|um|ende|anfang|mitte|jahr|jahres|saison"
                          rf"|since|until|by|from|of|year|early|late|{_MONTHS})\.?\s+(?:zum\s+|dem\s+jahr\s+|"
                          r"the\s+year\s+)?)$", re.IGNORECASE)


def _only_as_year(number: str, text: str) -> bool:
    """Whether the text uses the figure only as a year: each time it stands after a word that dates ("bis",
    "im Jahr", a month) or without a word after it ("… 2028."); "2000 Arbeitsplätze" counts something."""
    found = list(re.finditer(rf"(?<![\d.,]){number}(?![\d])", text))
    return bool(found) and all(_BEFORE_YEAR.search(text[max(0, m.start() - 30):m.start()])
                               or not re.match(r"\s*[^\W\d_]", text[m.end():]) for m in found)


def _asked_date(phrase: str, question: str) -> bool:
    """Whether a date phrase of the answer only repeats the question's: as written, or in the other language
    (the glossary's months and weekdays: "Dezember" in an answer to "… the December agreement?")."""
    if phrase.lower() in question.lower():
        return True
    if " " in phrase.strip():
        return False
    words = re.findall(r"\w+", question)
    said = fold(phrase)
    return any(said.startswith(f) for w in words for f in german_forms(w)) or \
        any(fold(w).startswith(f) for w in words for f in german_forms(phrase))


def _places_in_time(found: re.Match[str], claim: str) -> bool:
    """Whether a date word of the claim places something in time: any but a bare unit of time ("Monat"), which
    only does as part of a placing phrase ("in drei Monaten", "im selben Monat")."""
    if not _BARE_UNIT.fullmatch(found.group()):
        return True
    return any(m.start() <= found.start() and found.end() <= m.end() for m in _PLACING.finditer(claim))


_YEAR_ITEM = re.compile(r"^(?:1[89]\d\d|20\d\d)$|jahr|year", re.IGNORECASE)
_MONTH_ITEM = re.compile(rf"\b(?:{_MONTHS}|monat\w*|months?)\b", re.IGNORECASE)
_DAY_ITEM = re.compile(r"\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday"
                       r"|thursday|friday|saturday|sunday|gestern|heute|morgen|yesterday|today|tomorrow)\b",
                       re.IGNORECASE)
_DAY_DATE = re.compile(rf"\b\d{{1,2}}\.\s*(?:{_MONTHS}|\d{{1,2}}\.)|\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
                       rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b|\b\d{{4}}-\d\d-\d\d\b",
                       re.IGNORECASE)


def _of_grain(items: list[str], grain: str, claim: str) -> list[str]:
    """The date items precise enough for the question: a year for "in welchem Jahr" (or a year named relative to
    now: "im vergangenen Jahr"), a month for "in which month", a day for "an welchem Tag" (a weekday, "gestern",
    or a day of a month stated in the claim)."""
    if grain == "year":
        return [i for i in items if _YEAR_ITEM.search(i)]
    if grain == "month":
        return [i for i in items if _MONTH_ITEM.search(i)]
    days = [i for i in items if _DAY_ITEM.search(i)]
    return days + [i for i in items if i not in days and _MONTH_ITEM.search(i)] if _DAY_DATE.search(claim) else days


def _date_in(phrase: str, ev: EvidenceText) -> bool:
    """Whether a date phrase of the claim is in the evidence: as written, or word by word with its qualifier
    in other words ("in den nächsten Monaten" for "in den kommenden Monaten", "next months")."""
    if token_in(fold(phrase), ev):
        return True
    words = fold(phrase).split()
    if len(words) < 2:
        return False

    def found(w: str) -> bool:
        if w in _FILLERS or token_in(w, ev):
            return True
        return any(any(f in ev.folded for f in group) for group in _QUALIFIERS if w.startswith(group))
    return all(found(w) for w in words)


def _differences(numbers: frozenset[str], claim: str) -> set[str]:
    """The differences of two numbers ("von 43 % auf 15 %" -> 28), except those the claim states as a percentage:
    the gap between two percentages is in points ("um 28 Prozentpunkte"), "um 28 %" is another, wrong claim."""
    return {g for g in derived_numbers(numbers, sums=False)
            if not re.search(rf"(?<![\d.,]){re.escape(g)}\s*(?:%|prozent\b|per\s*cent\b)", claim, re.IGNORECASE)}


def _names_in(ev: EvidenceText, q: QuestionInfo) -> bool:
    """Whether the evidence names someone or something beyond the question (a proper name, an acronym)."""
    asked = fold(q.text)
    return any(fold(m.group()) not in asked and _proper(m.group(), ev)
               for m in re.finditer(r"(?<=[\w,;:] )[A-ZÄÖÜ][\w-]+|\b[A-Z]{2,}\b", ev.text_cased))


def _proper(word: str, ev: EvidenceText) -> bool:
    """Whether a capitalised word is a name in the evidence and not a German common noun: an acronym or model
    name, or a word that occurs there at least once without an article before it ("von Ivan Espinosa", not "des
    Leiters", "am Ufer" nor "aus einmaligen Geschäften": ``determined``); never a determiner ("Diese Haltung")."""
    if ACRONYM.fullmatch(word):
        return True
    if NOUN_SHAPE.search(word) or fold(word) in GENERIC_NOUNS or word.lower() in DETERMINERS:
        return False
    # the word before (group 2) and the one before that (group 1); "Im Gegenzug" at a sentence's start has one
    for m in re.finditer(rf"(?:(?:(\w+)\s+)?(\w+)\s+)?\b{re.escape(word)}\b", ev.text_cased):
        if not determined(m.group(2) or "", m.group(1) or ""):
            return True
    return False


def _asked(word: str, asked: set[str]) -> bool:
    w = fold(word)
    return any(len(a) >= 5 and (w.startswith(a) or a.startswith(w)) for a in asked)
