"""Whether a claim's numbers, names and words occur in a text: the text prepared once, and the lookups on it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from assistant.lexicon import german_forms, is_strict, phrases_in
from assistant.text import bm25_tokens, fold

# a number joined to a name by a hyphen names something ("Brandwacht-1", "Falcon-9", "COVID-19"): it counts nothing
HYPHEN_NUMBER = re.compile(r"(?<=[A-Za-zÄÖÜäöüß]-)\d+\b(?![.,]\d)")
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?(?![\w])")  # "1st" is checked as 1
_NUMBER_WORDS = {
    "null": "0", "zero": "0", "zwei": "2", "two": "2", "drei": "3", "three": "3", "vier": "4", "four": "4",
    "fünf": "5", "five": "5", "sechs": "6", "six": "6", "sieben": "7", "seven": "7", "acht": "8",
    "eight": "8", "neun": "9", "nine": "9", "zehn": "10", "ten": "10", "elf": "11", "eleven": "11",
    "zwölf": "12", "twelve": "12", "zwanzig": "20", "twenty": "20", "hundert": "100", "hundred": "100",
    "tausend": "1000", "thousand": "1000", "dreißig": "30", "thirty": "30", "vierzig": "40", "forty": "40",
    "fünfzig": "50", "fifty": "50", "sechzig": "60", "sixty": "60", "siebzig": "70", "seventy": "70",
    "achtzig": "80", "eighty": "80", "neunzig": "90", "ninety": "90",
}
_LOOSE_NUMBER_WORDS = {"beide": "2", "beiden": "2", "both": "2"}  # count when a source says them
_ORDINALS = {"erst": "1", "first": "1", "zweit": "2", "second": "2", "dritt": "3", "third": "3",
             "viert": "4", "fourth": "4", "fünft": "5", "fifth": "5", "sechst": "6", "sixth": "6"}
_UNITS = {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9}
_TENS = {"zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60, "siebzig": 70,
         "achtzig": 80, "neunzig": 90}
_COMPOUND = re.compile(rf"\b({'|'.join(_UNITS)})und({'|'.join(_TENS)})\b")
# Names whose presence can be checked: acronyms and model names (BMW, QX80, e-Power, i3) in any language.
ACRONYM = re.compile(r"(?<![\w-])(?:[A-ZÄÖÜ]{2,}\w*|[a-z]{1,2}-[A-Z]\w*|[A-Z][\w-]*\d[\w-]*|[a-z]{1,2}\d+\w*)\b")
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÄÖÜ][a-zäöüß]{2,}(?:['’]s)?(?:-[A-ZÄÖÜ]?[\wäöüß]+)*\b")
# a numbered source named by the prompt's own label ("According to Source [3], …", "wie Quelle 2 sagt") or by its
# place ("According to the first source, …", "laut der zweiten Quelle"): the answer's reference to its evidence,
# no claim (no name, no number, no glossary word the source must hold)
_SOURCE_REFERENCE = re.compile(
    r"\b(?:(?:sources?|quellen?)\s*(?:number\s+|nummer\s+|nr\.\s*)?\[?\d+\]?"
    r"|(?:first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|erste|zweite|dritte|vierte|fünfte|letzte)[nmrs]?"
    r"\s+(?:source|quelle))(?!\w)", re.IGNORECASE)


def without_source_references(claim: str) -> str:
    """The claim without its references to numbered sources by their label (see ``_SOURCE_REFERENCE``)."""
    return _SOURCE_REFERENCE.sub("", claim)


# German nouns naming a person's function ("Geschäftsführerin", "Vorstandschef", "Bürgermeister", "Trainerin"):
# saying someone holds a role is a claim of its own, never a paraphrase of another noun
ROLES = (r"(?:führer|chef|leiter|präsident|vorsitzende|direktor|minister|meister|trainer|sprecher|gründer"
         r"|inhaber|eigentümer|manager|vorstand)")
ROLE_NOUN = re.compile(rf"({ROLES})(?:in|innen|en|e|er|s|n|r)?$", re.IGNORECASE)
# the same in English ("Which executive …"); a question may also name the person as the head or leader of something
ENGLISH_ROLES = (r"(?:executive|manager|chief|minister|president|director|spokesman|spokeswoman|spokesperson|coach"
                 r"|founder|owner|chairman|chairwoman|chairperson|politician|player|ceo|official)")
_ENGLISH_ROLE = re.compile(rf"\b(?:{ENGLISH_ROLES}|head|leader|chair)\b", re.IGNORECASE)


def names_a_role(question: str) -> bool:
    """Whether the question names the function of the person it asks for ("der Leiter", "the head of")."""
    return any(ROLE_NOUN.search(w) for w in re.findall(r"[\w-]+", question)) or bool(_ENGLISH_ROLE.search(question))


def roles_missing(question: str, ev: EvidenceText) -> list[str]:
    """The role nouns of a German question ("Wer ist die Geschäftsführerin …?") of which the evidence names not
    even the kind ("führer"): the question presupposes a role the source gives nobody."""
    return [w for w in re.findall(r"\b[A-ZÄÖÜ][\wäöüß-]+", question)
            if (role := ROLE_NOUN.search(w)) is not None and fold(role.group(1)) not in ev.folded]
# German common nouns by their endings ("Herstellern", "Lieferungen"): not the name a "wer" question wants
NOUN_SHAPE = re.compile(r"(?:ung|ungen|heit|keit|schaft|tion|tionen|ität|ern|ismus|nis|tum|ment|enz|ie|ien)$")
_ENGLISH_COMMON_STARTS = frozenset([
    "according", "after", "although", "as", "at", "because", "before", "both", "but", "by", "during", "for",
    "from", "further", "however", "if", "in", "it", "its", "on", "one", "since", "so", "that", "the", "their",
    "there", "these", "they", "this", "though", "to", "under", "until", "when", "whereas", "while", "with",
    "yes", "no", "not", "only", "also", "he", "she", "we", "an", "a", "all", "among", "two", "three"])
_GERMAN_COMMON_STARTS = frozenset([
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "im", "in", "am", "an", "auf", "aus", "bei",
    "laut", "nach", "seit", "mit", "von", "vor", "zum", "zur", "er", "sie", "es", "wir", "ja", "nein", "nur",
    "auch", "dort", "dies", "diese", "dieser", "beide", "beiden", "zwei", "drei", "wegen", "weil", "um", "bis"])
# German nouns an answer may well use without the source using them (it paraphrases, not names).
GENERIC_NOUNS = frozenset(fold(w) for w in [
    "Unternehmen", "Konzern", "Konzerne", "Hersteller", "Firma", "Firmen", "Jahr", "Jahre", "Jahren", "Prozent",
    "Euro", "Dollar", "Millionen", "Milliarden", "Angaben", "Quelle", "Quellen", "Bericht", "Artikel", "Zeit",
    "Teil", "Ende", "Anfang", "Mitte", "Woche", "Monat", "Monate", "Monaten", "Tag", "Tage", "Menschen",
    "Personen", "Leute", "Rahmen", "Frage", "Antwort", "Grund", "Gründe", "Ziel", "Ziele", "Zusammenarbeit",
    "Kooperation", "Partner", "Partnerschaft", "Bereich", "Bereiche", "Thema", "Themen", "Fall", "Weise", "Art",
    "Zahl", "Anzahl", "Höhe", "Summe", "Betrag", "Plan", "Pläne", "Ja", "Nein", "Laut", "Demnach", "Dabei",
    "Zudem", "Außerdem", "Damit", "Deshalb", "Daher", "Dort", "Hier", "Heute", "Insgesamt", "Sprecher",
    "Sprecherin", "Chef", "Chefin"])


def numbers_in(text: str) -> set[str]:
    """Numbers as digit strings: '43%' -> '43', '1.500' and '1,500' -> '1500', '2,5' -> '2.5'."""
    out = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(1)
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", raw):
            out.add(re.sub(r"[.,]", "", raw))
        else:
            out.add(raw.replace(",", "."))
    return out


def number_words(text: str, loose: bool = False) -> set[str]:
    """Numbers written as words: 'drei', 'three', 'dreiundzwanzig', ordinals at a word's start
    ('drittgrößter', 'third'); with ``loose`` also 'beide'/'both'."""
    low = text.lower()
    words = re.findall(r"[a-zäöüß]+", low)
    table = _NUMBER_WORDS | (_LOOSE_NUMBER_WORDS if loose else {})
    out = {table[w] for w in words if w in table}
    out |= {str(_UNITS[m.group(1)] + _TENS[m.group(2)]) for m in _COMPOUND.finditer(low)}
    # "erst" alone is the adverb ("erst vergangene Woche": only last week), not "erste"
    out |= {d for w in words for o, d in _ORDINALS.items()
            if w.startswith(o) and len(w) <= len(o) + 8 and w != "erst"}
    return out




@dataclass(frozen=True)
class EvidenceText:
    """Text prepared for the grounding checks."""

    text: str  # lower-cased
    folded: str
    text_cased: str
    tokens: frozenset[str]  # folded words and stems
    numbers: frozenset[str]


@lru_cache(maxsize=4096)
def evidence_text(text: str) -> EvidenceText:
    low = text.lower()
    tokens = {fold(t) for t in re.findall(r"\w+", low)}
    for lang in ("de", "en"):
        tokens |= set(bm25_tokens(text, lang))
    numbers = numbers_in(text) | number_words(text, loose=True)
    return EvidenceText(low, fold(low), text, frozenset(tokens), frozenset(numbers))



def merge_evidence(parts: list[EvidenceText]) -> EvidenceText:
    if len(parts) == 1:
        return parts[0]
    return EvidenceText(" ".join(p.text for p in parts), " ".join(p.folded for p in parts),
                     " ".join(p.text_cased for p in parts), frozenset().union(*(p.tokens for p in parts)),
                     frozenset().union(*(p.numbers for p in parts)))


def derived_numbers(numbers: frozenset[str] | set[str], sums: bool = True) -> set[str]:
    """Differences (and sums) of two numbers (a claim may state "28 percentage points" for "from 43 to 15")."""
    values = []
    for n in numbers:
        try:
            values.append(float(n))
        except ValueError:
            continue
    out = set()
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            for v in (abs(a - b), a + b) if sums else (abs(a - b),):
                out.add(str(int(v)) if v == int(v) else f"{v:g}")
    return out


# the items a claim lists after a colon, an opening parenthesis or a spaced dash, up to its end
_LIST_TAIL = re.compile(r"(?::|\(|\s[–—-]\s)\s*([^:()]+?)\s*\)?\s*(?:\[\d+\]\s*)*[.!]?\s*$")
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and|und|or|oder|sowie)?\s*|\s+(?:and|und|or|oder|sowie)\s+", re.IGNORECASE)


def enumerated_count(claim: str) -> set[str]:
    """The count a claim shows by listing its items ("four cities: Würzburg, Nürnberg, Bamberg and Schweinfurt"
    states 4 with the four names, each checked on its own), when the claim names that count before the list."""
    m = _LIST_TAIL.search(claim)
    if m is None:
        return set()
    items = [i for i in _LIST_SEPARATOR.split(m.group(1)) if i.strip()]
    if len(items) < 2 or any(len(i.split()) > 4 for i in items):
        return set()
    head = claim[: m.start()]
    n = str(len(items))
    return {n} if n in numbers_in(head) | number_words(head) else set()


# an amount of money: a number with a currency before or after it, or with "Millionen" / "billion" (a price
# named without its currency); "1.900 Roller" is none
_MONEY = re.compile(
    r"(?:[€$£]|\b(?:EUR|USD|CHF|GBP))\s*\d[\d.,]*|\d[\d.,]*\s*(?:(?:Mio|Mrd)\.?|Millionen|Milliarden|million"
    r"|billion|bn|Tausend|thousand|[€$£]|(?:Euro|EUR|Dollar|US-Dollar|USD|Cent|Franken|CHF|Pfund|pounds?|euros?"
    r"|dollars?|cents?)\b)", re.IGNORECASE)


def money_numbers(text: str) -> set[str]:
    """The numbers of ``text`` that are amounts of money (see ``_MONEY``)."""
    return set().union(*(numbers_in(m.group()) for m in _MONEY.finditer(text)))


# "um … zu" with the "zu" inside a separable verb: "um Optionen auszuloten", "um Kosten einzusparen"
_ZU_INFINITIVE = (r"(?:zu|(?:ab|an|auf|aus|bei|ein|fest|her|hin|los|mit|nach|vor|weg|zurück|zusammen|weiter|wieder"
                  r"|dar|durch|frei|hoch|voran|heraus|herab|vorbei)zu\w{3,})")
# The words that give a reason - connectives, and a cause named by its verb or noun ("begründete den Schritt mit …",
# "führten … auf die Streckenführung zurück", "die Ursache", "was caused by", "blamed … on") - shared by the evidence
# picker's reason bonus (assistant/evidence.py) and the check below that an answer states one; each adds its own.
CAUSE_WORDS = (r"weil|da|denn|damit|wegen|aufgrund|angesichts|grund|gründe|ziel|because|since|so\s+that|in\s+order"
               r"|reasons?|begründe\w*|begründung|zurückzuführen|zurückgeführt|führ\w*\s[^.;]*?\bauf\b[^.;]*?\bzurück"
               r"|ursache\w*|auslöser|ausgelöst|verursacht\w*|caused|blamed|attributed|result\s+of|resulted|led\s+to"
               r"|triggered|justif\w*|rationale")
_CAUSAL = re.compile(
    r"\b(?:" + CAUSE_WORDS + r"|um(?=\s[^.;]*\b" + _ZU_INFINITIVE + r"\b)|dank|infolge|vorwurf|soll|sollen"
    r"|as|due|owing|thanks|to\s+\w+|aim|goal|purpose|accused|allegations?|after|following)\b", re.IGNORECASE)


# a motive: what someone wants ("Ford will seine Position stärken" answers "Warum spricht Ford mit Xiaomi?"); German
# "will" is "wants", English "will" only the future
_MOTIVE = {"de": re.compile(r"\b(?:will|wollen|wollte|wollten|möchte|möchten|strebt|streben|hofft|hoffen)\b", re.I),
           "en": re.compile(r"\b(?:wants?|wanted|aims?|aimed|seeks?|sought|hopes?|hoped|intends?|intended)\b", re.I)}


def states_cause(text: str, language: str | None = None) -> bool:
    """Whether a text gives a reason with a connective ("weil", "wegen", "um … zu", "because", "due to") or, in
    ``language``, states a motive ("will …", "wants to …")."""
    motive = _MOTIVE.get(language or "")
    return bool(_CAUSAL.search(text) or (motive is not None and motive.search(text)))


def checkable_names(claim: str, language: str) -> list[str]:
    """The names in a sentence whose presence in the sources can be checked (see check 3 in assistant/verify.py)."""
    found = [m.group() for m in ACRONYM.finditer(claim)]
    words = claim.split()
    start = len(claim) - len(claim.lstrip())
    for m in _CAPITALISED.finditer(claim):
        word = m.group()
        first = m.start() == start or claim[start: m.start()].strip() in ('"', "„", "'", "«")
        if language == "en":
            if first and (len(words) > 4 or word.lower() in _ENGLISH_COMMON_STARTS):
                continue  # a capitalised first word is usually an ordinary word, unless the answer is short
        else:
            if first and (len(words) > 4 or word.lower() in _GERMAN_COMMON_STARTS) or fold(word) in GENERIC_NOUNS:
                continue
        found.append(re.sub(r"['’]s$", "", word))
    return list(dict.fromkeys(found))


DETERMINERS = frozenset([
    "der", "die", "das", "des", "dem", "den", "ein", "eine", "einer", "eines", "einem", "einen", "kein",
    "keine", "keiner", "keines", "keinem", "keinen", "dieser", "diese", "dieses", "diesem", "diesen", "jeder",
    "jede", "jedes", "jedem", "jeden", "sein", "seine", "seiner", "seines", "seinem", "seinen", "ihr", "ihre",
    "ihrer", "ihres", "ihrem", "ihren", "unser", "unsere", "the", "a", "an", "this", "that", "its", "their",
    "his", "her", "neue", "neuen", "neuer", "neues"])
_PREPOSITIONS = frozenset(["im", "am", "zum", "zur", "vom", "beim", "ins", "mit", "von", "für", "bei", "aus", "nach",
                           "über", "unter", "ohne", "durch", "gegen", "um"])
_INFLECTED = re.compile(r"[a-zäöüß]+(?:e|en|er|es|em)")  # "neuen", "bloßen", "diesem"
_CONTRACTIONS = frozenset({"am", "im", "zum", "zur", "vom", "beim", "ins", "ans", "aufs", "übers", "unterm"})


def determined(before: str, two_before: str = "") -> bool:
    """Whether a German noun after these words has its article: a determiner or a contraction holding one
    ("des Leiters", "am Ufer"), or an inflected adjective after a determiner or a preposition ("aus einmaligen
    Geschäften", "der neuen Modelle"); a name mostly stands without ("von Ivan Espinosa", "sagte Reithofer")."""
    b, t = before.lower(), two_before.lower()
    if b in DETERMINERS or b in _CONTRACTIONS:
        return True
    # a capitalised determiner opens the sentence and is mostly a pronoun there: "Das sagte Reithofer"
    return bool(before.islower() and _INFLECTED.fullmatch(b)
                and (two_before.islower() and t in DETERMINERS or t in _PREPOSITIONS))


def common_noun_in(claim: str, word: str) -> bool:
    """Whether a capitalised word of a German sentence stands as a common noun there: after an article, a
    preposition or an inflected adjective ("der Fahrzeuge", "mit Partnern", "neuen Modelle"), where a name
    mostly stands without one ("hat Google als Partner", "Fitch und Moody's")."""
    before = [m.group(1) for m in re.finditer(rf"(\S+)\s+{re.escape(word)}\b", claim)]
    return any(b.lower() in DETERMINERS or b.lower() in _PREPOSITIONS or _INFLECTED.fullmatch(b) for b in before)


def glossary_words(claim: str) -> list[str]:
    """English words and phrases of the claim that the glossary maps to German, except generic ones."""
    words = [w for w in re.findall(r"[a-zA-Z][a-zA-Z-]+", claim) if len(w) >= 3]
    out = [p for p in phrases_in(claim) if is_strict(p)]
    covered = " ".join(out)
    for w in words:
        if w.lower() in covered or not is_strict(w.lower()):
            continue
        out.append(w.lower())
    return list(dict.fromkeys(out))


def compound_grounded(word: str, ev: EvidenceText) -> bool:
    """A German compound made of words of the source ('Festkörperbatterien' from 'Festkörper-…-Batterien')."""
    w = fold(word)
    for i in range(4, len(w) - 3):
        head, tail = w[:i], w[i:]
        if _part_in(head, ev) and (_part_in(tail, ev) or tail.startswith("s") and _part_in(tail[1:], ev)):
            return True
    return False


def _part_in(part: str, ev: EvidenceText) -> bool:
    return len(part) >= 4 and (part in ev.tokens or part in ev.folded)


def name_in(name: str, ev: EvidenceText) -> bool:
    """Whether a name occurs in the evidence: as a word, inside a compound, via the glossary, or spelled
    nearly the same (Lebanon/Libanon); an English plural or genitive of it counts ('EVs', "Nissan's")."""
    low = name.lower()
    if low in ev.text or (len(low) > 2 and low.endswith("s") and low[:-1] in ev.text):
        return True
    parts = [fold(p) for p in re.split(r"[-\s]", low) if p]
    if parts and all(token_in(p, ev, near=True) for p in parts):
        return True
    forms = german_forms(low)
    return bool(forms) and any(f in ev.folded for f in forms)


def token_in(word: str, ev: EvidenceText, near: bool = False) -> bool:
    """Whether a (folded) word occurs in the evidence: as a token or inside one, through the glossary, or
    (``near``, for names only) spelled nearly the same."""
    if word in ev.tokens or (len(word) >= 3 and word in ev.folded):
        return True
    forms = german_forms(word)
    if forms and any(f in ev.folded for f in forms):
        return True
    return near and len(word) >= 5 and any(SequenceMatcher(None, word, t[: len(word)]).ratio() >= 0.8
                                           for t in ev.tokens if len(t) >= 5 and t[0] == word[0])

