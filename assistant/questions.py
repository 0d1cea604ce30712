"""What a question asks for: a date, a number, a name, a place, several items, a reason or a fact.

The answer path uses this twice: to pick evidence sentences that can hold such an item, and to accept an
answer only when it states one taken from its cited evidence (a "when" question answered without a date
is not an answer, however true the sentence is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from assistant.grounding import ENGLISH_ROLES, ROLES
from assistant.text import bm25_tokens

AnswerKind = Literal["date", "number", "name", "place", "list", "reason", "yesno", "fact"]

# an organisation's kind, singular ("Welcher Investor …?", "Which party …?"): a question about one of them
_FEMININE = ("firma|partei|mannschaft|agentur|bank|zeitung|gewerkschaft|behörde|universität|hochschule|kanzlei"
             "|reederei|werft|fraktion|stiftung|klinik|genossenschaft")
_FEMININE_ENTITIES = f"(?:{_FEMININE})"
_ENTITIES = ("(?:unternehmen|konzern|hersteller|autobauer|investor|verein|klub|club|sender|verband|gericht|institut"
             f"|anbieter|betreiber|zulieferer|käufer|partner|sponsor|{_FEMININE})")
_ENGLISH_ENTITIES = (r"(?:company|firm|carmaker|automaker|manufacturer|maker|party|club|team|agency|investor|bank"
                     r"|newspaper|broadcaster|union|court|institute|university|operator|supplier|buyer|bidder"
                     r"|sponsor|insurer|airline|shipyard|foundation|clinic|hospital)")
# one company, party, club … asked for by its kind ("Welcher Investor …", "Which club did …"): one thing, not a
# list. Its kind stays a fact: a German sentence's capitalised nouns tell no name apart well enough to demand one
# (dev: 111 -> 110 right with "name"). A plural ("Welche Vereine …", "Which clubs …") asks for a list; German
# "welche" is singular only before a noun whose plural differs ("Welche Partei …", not "Welche Unternehmen …")
_ONE_ENTITY = re.compile(
    r"\b(?:welche[rsm]\s+(?:\w+(?:e|en|er|es|em)\s+)?[\w-]*" + _ENTITIES + r"|welche\s+(?:\w+(?:e|en)\s+)?"
    r"[\w-]*" + _FEMININE_ENTITIES + r"|(?:which|what)\s+(?:\w+\s+)?" + _ENGLISH_ENTITIES + r")\b", re.I)

# Checked in order: the first pattern that matches the start of the question (or a clause) decides.
_KIND_PATTERNS: list[tuple[AnswerKind, re.Pattern[str]]] = [
    ("reason", re.compile(
        r"\b(?:warum|weshalb|wieso|weswegen|aus\s+welche[mn]\s+gr(?:u|ü)nde?n?|mit\s+welche[rm]\s+begründung"
        r"|was\s+(?:war|ist|sind|waren)\s+(?:der|die)\s+gr(?:u|ü)nde?|why|for\s+what\s+reasons?"
        r"|what\s+(?:is|was|are|were)\s+the\s+reasons?|what\s+reasons?|how\s+come"
        # a cause asked for by its verb: "What caused …", "What led to …", "Wodurch …", "Was führte zu …"
        r"|what\s+(?:caused|causes|led\s+to|leads\s+to|triggered|prompted|was\s+behind)|wodurch"
        r"|was\s+(?:führte|führt)\s+zu|was\s+hat\s+zu[rm]?\s+(?:\w+\s+){1,3}?geführt"
        r"|was\s+hat\s+(?:\w+\s+){1,4}?(?:ausgelöst|verursacht)|was\s+(?:löste|verursachte)"
        r"|(?:was|wer)\s+(?:war|ist)\s+(?:der\s+)?auslöser"
        # a justification is a reason given: "What justification does … give", "Wie begründet …", "Womit begründet …"
        r"|what\s+(?:\w+\s+)?(?:justification|rationale)|how\s+(?:does|did|do)\s+(?:\w+\s+){1,4}?justify"
        r"|(?:wie|womit)\s+(?:\w+\s+){0,2}?begründe\w*|welche\s+begründung)\b", re.I)),
    ("date", re.compile(
        r"\b(?:wann|seit\s+wann|bis\s+wann|ab\s+wann|welches\s+datum"
        # "In welchem Jahr …", "Ab welchem Datum …", "Bis zu welchem Zeitpunkt …", "Seit welchem Monat …"
        r"|(?:in|an|ab|seit|bis|vor|nach|zu|um)\s+welche[mn]\s+(?:jahr|monat|quartal|tag|datum|zeitpunkt|termin)"
        r"|when|since\s+when|until\s+when|by\s+when|(?:in\s+)?what\s+(?:year|month|date|day)"
        r"|(?:in\s+)?which\s+(?:year|month|quarter)|on\s+(?:what|which)\s+(?:date|day)(?:\s+of\s+the\s+week)?"
        r"|in\s+welche[mr]\s+zeitraum|an\s+welche[mr]\s+wochentag|what\s+time)\b", re.I)),
    ("number", re.compile(
        r"\b(?:wie\s*viele?n?|wieviele?|wie\s+hoch|wie\s+groß|wie\s+lange?|wie\s+alt|wie\s+schnell|wie\s+oft"
        # a measure asked for by its adjective ("Wie schwer ist der Satellit?"; not "how far": "how far will X go")
        r"|wie\s+(?:schwer|teuer|tief|breit|häufig)|how\s+(?:heavy|expensive|deep|wide|often|tall)"
        # a measure asked for by its noun, also after one word ("Welche Ablösesumme …", "What transfer fee …")
        r"|um\s+wie\s+viel|welche[nrs]?\s+(?:\w+(?:e|en|er|es|em)\s+)?(?:anteil|betrag|summe|preis|wert|umsatz"
        r"|gewinn|prozentsatz|ablöse|ablösesumme|kaufpreis|gehalt|jahresgehalt|budget|etat|verlust)"
        r"|how\s+(?:many|much|high|large|big|long|old|fast)|by\s+how\s+much"
        r"|what\s+(?:share|proportion|figure)|(?:what|which)\s+(?:\w+(?<!s)\s+)?(?:percentage|amount|sum|price"
        r"|stake|fee|salary|budget|revenue|turnover)"
        # a rank is a number: "Where does Nissan rank …", "Auf welchem Platz …", "Which position …"
        r"|(?:wo|where)\s+(?:\S+\s+){0,4}?(?:rank\w*|rangier\w*|platzier\w*)|auf\s+welche[mn]\s+(?:platz|rang)"
        r"|(?:which|what)\s+(?:rank|position)|an\s+welcher\s+(?:stelle|position))\b", re.I)),
    ("place", re.compile(
        r"\b(?:wo|wohin|woher|(?:in|aus)\s+welche[mnr]\s+(?:land|stadt|region|ort|staat|länder|städte)"
        r"|where|in\s+which\s+(?:country|city|region|town|state|countries|cities)"
        r"|which\s+(?:country|city|countries|cities))\b", re.I)),
    ("name", re.compile(
        r"\b(?:wer|wem|wen|wessen|mit\s+wem|von\s+wem|who|whom|whose|with\s+whom"
        # what someone or something is called: a name
        r"|wie\s+(?:heißt|heisst|hieß|hiess|heißen|hießen|lautet\s+der\s+name)|what\s+is\s+the\s+name"
        r"|(?:unter|mit)\s+welche[mn]\s+namen|welchen\s+namen|wie\s+nenn(?:t|en)\s+sich"
        r"|(?:under|by|with)\s+(?:what|which)\s+name|what\s+name"
        r"|what\s+(?:is|was|are|were)\s+(?:\S+\s+){1,8}?called"
        # one person by their function: "Welcher Manager …", "Welche Ministerin …", "Which executive …"
        r"|welche[rmn]\s+(?:\w+\s+)?[\w-]*" + ROLES + r"(?:in)?|welche\s+(?:\w+\s+)?[\w-]*" + ROLES + r"in"
        r"|(?:which|what)\s+(?:\w+\s+)?" + ENGLISH_ROLES + r")\b", re.I)),
]
# "Welche Technologien …", "Which companies …", "What measures …": a plural noun after which/welche.
_LIST = re.compile(
    r"\b(?:welche[nmrs]?|which|what)\s+(?:\w+\s+){0,2}?"
    r"(?!(?:is|was|has|does|hat|ist|war)\b)"  # an auxiliary verb is no plural noun ("What is …", "Which X has …")
    r"(?P<noun>\w+(?:en|ern|ungen|ien|ten|eln|s|ies|es)|länder|partner|maßnahmen|gründe|ziele|projekte|firmen"
    r"|modelle|märkte|teams|clubs|people|men|women|children)\b"
    # a noun with a singular verb after it is one thing ("Welches Unternehmen hat …"); in English the verb after
    # "which players" agrees with the subject that follows ("Which players was Hanseatia missing?")
    r"(?!\s+(?:hat|ist|war|wird|wurde|has|is)\b)",
    re.I)
_LIST_WORDS = re.compile(
    # whole words: "all" in "alliance", "alle" in "Allianz" ask for nothing
    r"\b(?:(?:alle[nms]?|sämtliche[nms]?|all|both|beide[n]?)\b|welche\s+\w+\s+(?:und|and)\b"
    r"|(?:in|laut|nach)\s+den\s+(?:artikeln"
    r"|berichten|quellen|meldungen)|im\s+archiv|(?:in|across|according\s+to)\s+(?:the|all|all\s+the)\s+"
    r"(?:articles|reports|sources)|in\s+the\s+archive|which\s+\w+s\b)", re.I)
# "Hat Nissan …?", "Will BMW …?", "Is the deal …?": a question that a yes or a no answers
_YES_NO = {
    "de": re.compile(
        r"^(?:hat|haben|hatte|hatten|ist|sind|war|waren|wird|werden|wurde|wurden|kann|können|konnte|soll"
        r"|sollen|will|wollen|muss|müssen|gibt|gab|darf|dürfen|verhandelt|plant|plane)\b", re.IGNORECASE),
    # "was" is English only: the German "Was plant Nissan?" asks for a fact
    "en": re.compile(
        r"^(?:is|are|was|were|does|do|did|has|have|had|will|would|can|could|should|must|may)\b", re.IGNORECASE),
}
# How precise a date the question asks for: "In welchem Jahr …?" is not answered by "vergangene Woche", nor
# "An welchem Tag …?" by "2018".
DateGrain = Literal["year", "month", "day"]
_GRAINS: list[tuple[DateGrain, re.Pattern[str]]] = [
    ("day", re.compile(r"\b(?:(?:an|ab|bis|seit)\s+welche[mn]\s+(?:tag|datum|wochentag)|welches\s+datum"
                       r"|an\s+welchem\s+wochentag|(?:on|from|since|until|by)?\s*(?:what|which)\s+(?:date|day)\b)",
                       re.I)),
    ("month", re.compile(r"\b(?:(?:in|ab|bis|seit)\s+welche[mn]\s+monat|(?:what|which)\s+month)\b", re.I)),
    ("year", re.compile(r"\b(?:(?:in|ab|bis|seit)\s+welche[mn]\s+jahr|welches\s+jahr|(?:what|which)\s+year)\b",
                        re.I)),
]
_ENUMERATION = re.compile(r"\b(?:und|and|sowie|as well as)\b|,")


@dataclass(frozen=True)
class QuestionInfo:
    """The analysed question: what kind of item answers it, and its content words."""

    text: str
    language: str
    kind: AnswerKind
    focus: frozenset[str] = field(default_factory=frozenset)  # stemmed content words (no wh-words)
    anchors: tuple[str, ...] = ()  # names, acronyms and numbers the question mentions
    several: bool = False  # the question asks for several items (a list)
    grain: DateGrain | None = None  # a date question's precision: a year, a month or a day
    parts: tuple[QuestionInfo, ...] = ()  # two questions in one ("Was kostet X, und wer zahlt?"): each analysed


_WH_STEMS = {w for lang in ("de", "en") for w in bm25_tokens(
    "wann warum weshalb wieso wer wem wen wessen wo wohin woher welch welche welcher welches wie viel viele "
    "hoch lange when why who whom whose where which what how many much long year jahr", lang)}
_ANCHOR = re.compile(r"\b(?:[A-ZÄÖÜ][\w-]*[A-Z0-9][\w-]*|[A-Z][a-zäöüß]+(?:-[A-Z][\w]+)*)\b|\d+(?:[.,]\d+)*")


# Where a question asks a second question: "…, und wer zahlt?", "… and why?", "When and where …?". A wh-word
# after "und" / "and" starts one (a noun after it does not: "Ford und Xiaomi").
_WH_START = (r"(?:wann|wo|wohin|woher|wer|wem|wen|wessen|was|wie|welche[mnrs]?|warum|weshalb|wieso|weswegen|womit"
             r"|wofür|wozu|worüber|wodurch|(?:mit|an|für|von|bei|zu|gegen)\s+wem|(?:seit|bis|ab)\s+wann"
             r"|(?:in|an|auf|aus|mit|von|bei|zu|um|nach|seit|bis)\s+(?:welche[mnrs]?|wie)|when|where|who|whom"
             r"|whose|what"
             r"|which|why|how|(?:since|until|by|to|with|from|for|in|on|at|of)\s+(?:when|whom|which|what|how))\b")
_SECOND_QUESTION = re.compile(r",?\s+(?:und|and|sowie|as\s+well\s+as)\s+(?=" + _WH_START + ")", re.I)
_LEADING_WH = re.compile(r"^" + _WH_START + r"(?:\s+(?:viele?n?|much|many|long|lange|hoch|high|genau|exactly))?",
                         re.I)


def question_parts(text: str) -> list[str]:
    """The questions ``text`` asks, when it asks two or more in one ("Was kostet die Strecke, und welchen Anteil
    übernimmt der Bund?"); else ``[text]``. A part of only a wh-word borrows the rest of its neighbour ("Wann und
    wo wurde er verhaftet?" -> "Wann wurde er verhaftet", "wo wurde er verhaftet"; "Wann beginnt der Bau und
    warum?" -> …, "warum beginnt der Bau")."""
    cuts = [m for m in _SECOND_QUESTION.finditer(text) if m.start() > 0]
    if not cuts:
        return [text]
    bounds = [0] + [m.end() for m in cuts]
    ends = [m.start() for m in cuts] + [len(text)]
    parts = [text[b:e].strip(" ,?;") for b, e in zip(bounds, ends, strict=True)]
    out: list[str] = []
    for i, part in enumerate(parts):
        wh = _LEADING_WH.match(part)
        if wh is not None and len(part[wh.end():].split()) <= 1:  # a wh-word ("und wo?", "und wie viele jeweils?"):
            # the rest of a neighbour says what it asks about
            donor = parts[i + 1] if i + 1 < len(parts) else parts[i - 1]
            donor_wh = _LEADING_WH.match(donor)
            rest = donor[donor_wh.end():].strip() if donor_wh else donor
            part = f"{part} {rest}".strip()
        out.append(part)
    return out


def analyse(question: str, language: str) -> QuestionInfo:
    """The kind of answer ``question`` asks for (see module docstring), its content words and, for two questions
    in one, each of them (``parts``)."""
    info = _analyse(question, language)
    parts = [_analyse(p, language) for p in question_parts(info.text)]
    if len(parts) < 2 or not all(p.focus for p in parts):  # "Wie und wann?": nothing to tell the parts apart
        return info
    return replace(info, parts=tuple(parts))


def _analyse(question: str, language: str) -> QuestionInfo:
    text = " ".join(question.split())
    kind: AnswerKind = "fact"
    first = len(text) + 1
    for k, pattern in _KIND_PATTERNS:
        m = pattern.search(text)
        if m and m.start() < first:  # the earliest wh-phrase decides ("Wer … und wann …" asks for a name)
            kind, first = k, m.start()
    # an English plural noun is no name: "Which match cost Markus …" asks for one match, not for several Markus
    lists = [m.start() for m in _LIST.finditer(text) if language != "en" or not m.group("noun")[0].isupper()]
    entity = _ONE_ENTITY.search(text)  # "Welcher Verein …": one thing, unless a plural is asked for first
    one = entity is not None and not any(at < entity.start() for at in lists)
    several = not one and bool(lists or _LIST_WORDS.search(text))
    if kind == "fact" and several:
        kind = "list"
    if kind == "fact" and _YES_NO["en" if language == "en" else "de"].match(text):
        kind = "yesno"
    focus = frozenset(t for t in bm25_tokens(text, language) if t not in _WH_STEMS)
    words = text.split()
    anchors = tuple(dict.fromkeys(
        m.group() for m in _ANCHOR.finditer(text)
        if not (m.start() == 0 and language == "en") and m.group().lower() not in _WH_STEMS
        and (language == "en" or m.group().isupper() or any(c.isdigit() for c in m.group())
             or _looks_like_name(m.group(), words))))
    grain = next((g for g, p in _GRAINS if p.search(text)), None) if kind == "date" else None
    return QuestionInfo(text=text, language=language, kind=kind, focus=focus, anchors=anchors, several=several,
                        grain=grain)


def _looks_like_name(token: str, words: list[str]) -> bool:
    """In German every noun is capitalised: a capitalised word counts as a name only when it has an
    inner capital or digit (BMW, e-Power, QX80) - common nouns are left to the content words."""
    return any(c.isupper() for c in token[1:]) or any(c.isdigit() for c in token)


def has_enumeration(sentence: str) -> bool:
    """Whether a sentence lists items ("A, B und C")."""
    return len(_ENUMERATION.findall(sentence)) >= 1


# a question about an amount of money: its answer is an amount in a currency ("rund 1.900 Roller" is no price)
_ASKS_MONEY = re.compile(
    r"\b(?:kost\w*|teuer\w*|preis\w*|kaufpreis\w*|ablöse\w*|gebühr\w*|miete\w*|gehalt\w*|gezahlt|bezahl\w*"
    r"|zahl(?:t|te|ten|en)|cost\w*|price\w*|fee|fees|pay|paid|pays|charge[sd]?|expensive|salary|how\s+much\s+money"
    r"|wie\s+viel\s+geld)\b", re.IGNORECASE)

# a count or a share is asked for, also when money is the subject ("What share of the costs does X pay?")
_NOT_MONEY = re.compile(r"\b(?:how\s+many|wie\s*viele|anteil\w*|prozent\w*|share|percent\w*|proportion)\b", re.I)


# a count: "how many customers" is not answered by "250.000 Euro" (unless the count is of money: "wie viele Euro")
_ASKS_COUNT = re.compile(r"\b(?:how\s+many|wie\s*viele|wie\s*vielen|wieviele)\b(?!\s+(?:\w+\s+)?(?:euro|dollars?"
                         r"|franken|pfund|pounds?|millionen|milliarden|millions?|billions?)\b)", re.IGNORECASE)


def asks_count(question: str) -> bool:
    """Whether the question asks how many things there are ("Wie viele Firmenkunden …", "How many fans …")."""
    return bool(_ASKS_COUNT.search(question))


def asks_money(question: str) -> bool:
    """Whether a how-much question asks for an amount of money ("Wie viel kostet …", "How much did X pay …")."""
    return bool(_ASKS_MONEY.search(question)) and not _NOT_MONEY.search(question)
