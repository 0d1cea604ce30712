"""Words and patterns that mark dates in German and English questions: months, numbers, the words that open
a range ("seit", "until"), newest-first words, event nouns, and what makes a four-digit number a count."""

from __future__ import annotations

import re
from typing import Literal

Relation = Literal["before", "after", "since", "until"]

MONTHS = {
    "januar": 1, "jänner": 1, "january": 1, "jan": 1, "februar": 2, "february": 2, "feb": 2, "märz": 3,
    "maerz": 3, "march": 3, "mar": 3, "mär": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "june": 6,
    "jun": 6, "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12,
    "december": 12, "dez": 12, "dec": 12,
}
FULL_MONTHS = [m for m in MONTHS if len(m) > 4 or m in ("mai", "may", "juni", "june", "juli", "july", "märz")]
MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
MONTH_FULL = r"(?P<month>" + "|".join(sorted(FULL_MONTHS, key=len, reverse=True)) + r")"
NUMBERS = {
    "ein": 1, "eins": 1, "einem": 1, "einer": 1, "einen": 1, "one": 1, "a": 1, "an": 1, "zwei": 2, "two": 2,
    "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "five": 5, "sechs": 6, "six": 6, "sieben": 7,
    "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9, "zehn": 10, "ten": 10, "elf": 11, "eleven": 11,
    "zwölf": 12, "twelve": 12, "fünfzehn": 15, "fifteen": 15, "zwanzig": 20, "twenty": 20, "dreißig": 30,
    "thirty": 30,
}
N = r"(?P<n>\d{1,2}|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
ORDINAL = {"erst": 1, "first": 1, "1": 1, "zweit": 2, "second": 2, "2": 2, "dritt": 3, "third": 3, "3": 3,
           "viert": 4, "fourth": 4, "4": 4}
YEAR = r"(?P<year>(?:19|20)\d\d)(?![\d])"
UNIT_DE = {"jahr": "year", "monat": "month", "woche": "week", "tag": "day"}
UNIT_EN = {"year": "year", "month": "month", "week": "week", "day": "day"}

# Words around a four-digit number that make it a count, a name or a label rather than a year.
COUNTED = re.compile(
    r"\s*(?:%|€|\$|prozent|percent|per\s+cent|euro|dollar|franken|pfund|pounds?|yen|yuan|mio\b|millionen|milliarden"
    r"|mrd|million|billion|stück|mal\b|times\b|x\b|km\b|m\b|kg\b|t\b|mw\b|gw\b|kwh|ps\b|hp\b|meter|metres?|kilo"
    r"|tonnen|tonnes?|tons?\b|liter|litres?|grad|degrees|hektar|hectares?|quadratmeter|meilen|miles|jahren?\b"
    r"|years\b"
    r"|einwohner|mitarbeiter|beschäftigte|angestellte|arbeitsplätze|arbeitsplätzen|stellen\b|jobs?\b|menschen"
    r"|personen|leute|besucher|zuschauer|fans\b|teilnehmer|läufer|demonstranten|schüler|studenten|studierende"
    r"|patienten|betten|soldaten|polizisten|beamte|kunden|filialen|standorte|wohnungen|häuser|fahrzeuge|autos"
    r"|wagen\b|exemplare|aktien|punkte|tore\b|seiten|stimmen|sitze|bäume|tiere|flüge|passagiere|unternehmen"
    r"|firmen|betriebe|anlagen|windräder|händler|mitglieder|unterschriften|euro|employees|workers|staff\b"
    r"|people|persons|residents|inhabitants|visitors|spectators|participants|runners|protesters|demonstrators"
    r"|students|pupils|patients|beds|soldiers|officers|customers|stores|shops|branches|sites|homes|houses|flats"
    r"|apartments|cars|vehicles|units|copies|shares|points|goals|pages|votes|seats|trees|animals|flights"
    r"|passengers|companies|firms|plants|turbines|panels|solar|dealers|members|signatures)",
    re.IGNORECASE)
COUNT_BEFORE = re.compile(
    r"(?:\b(?:rund|etwa|ca\.?|circa|ungefähr|knapp|fast|beinahe|mehr\s+als|über|weniger\s+als|unter|bis\s+zu"
    r"|mindestens|höchstens|gut|insgesamt|je|pro|nur|lediglich|genau|about|around|approximately|nearly|almost"
    r"|more\s+than|over|less\s+than|fewer\s+than|under|up\s+to|at\s+least|at\s+most|some|roughly|exactly|only"
    r"|just|nr\.?|nummer|no\.?|number|paragra(?:f|ph)|artikel|article|art\.|seite|page|s\.|platz|rang|rank|flug"
    r"|flight|zimmer|room|linie|line|modell|model|tempo|kapitel|chapter|top|windows|boeing|airbus|porsche"
    r"|peugeot|typ|type|version|release|route|highway|bus|tram|gleis|kanal|channel|code|plz|postleitzahl"
    r"|tel\.?|telefon|iso|din)|§|€|\$|£)\s*$",
    re.IGNORECASE)
GERMAN_DETERMINER = re.compile(
    r"\b(?:der|die|den|dem|des|alle[rn]?|ihre[rnm]?|seine[rnm]?|unsere[rnm]?|diese[rnm]?|jene[rnm]?)\s+$")

# A word before a date that turns it into an open range (or into a period the date is "for").
FILLER = (r"(?:(?:dem|das|den|des|der|the)\s+)?(?:(?:jahre?s?|year|jahresende|jahresbeginn|anfang|beginning|start"
           r"|mitte|middle|ende|end|frühjahr|sommer|herbst|winter|spring|summer|autumn|fall|early|late|mid"
           r"|spätestens)(?:\s+of)?(?:\s+the)?(?:\s+|-))?")
MODIFIER = re.compile(
    r"\b(?P<mod>seit|ab|since|starting(?:\s+(?:in|from))?|from|von|vom|nach|after|later\s+than|following"
    r"|bis(?:\s+(?:zum|zur|ins|in))?|until|till|up\s+(?:to|until)|through|by|vor|before|prior\s+to"
    r"|earlier\s+than|für|for)\s+" + FILLER + r"$",
    re.IGNORECASE)
MODIFIERS: dict[str, str] = {
    "seit": "since", "ab": "since", "since": "since", "starting": "since", "from": "from", "von": "from",
    "vom": "from", "nach": "after", "after": "after", "later": "after", "following": "after", "bis": "until",
    "until": "until", "till": "until", "up": "until", "through": "until", "by": "until", "vor": "before",
    "before": "before", "prior": "before", "earlier": "before", "für": "for", "for": "for",
}
# A year named as the period of a budget or of accounts ("Haushalt 2024", "Flensburg's 2024 budget",
# "Geschäftsjahr 2018"): like "für 2024", the period the figures are for, which appear in other years.
ACCOUNTS_BEFORE = re.compile(
    r"\b(?:haushalt(?:sjahr|s|es|splan)?|etat|budget|doppelhaushalt|geschäftsjahr(?:es)?|wirtschaftsjahr(?:es)?"
    r"|jahresabschluss(?:es)?|jahresbilanz|bilanz|fiscal(?:\s+year)?|financial\s+year|fy)\s+$", re.IGNORECASE)
ACCOUNTS_AFTER = re.compile(r"^\s*(?:budget|haushalt|etat|fiscal\s+year|financial\s+year|annual\s+(?:report|accounts)"
                            r"|accounts)\b", re.IGNORECASE)
# What joins two dates into one span: "2017 bis 2019", "between March and May 2020", "2015-2018".
CONNECTOR = re.compile(r"\s*(?:bis(?:\s+(?:zum|zur|ende|anfang))?|auf|to|until|till|through|und|and|-|–|—)"
                        r"(?:\s+(?:dem|den|the))?\s*$", re.IGNORECASE)

NEWEST = re.compile(
    r"\b(?:neueste[nmrs]?|aktuellste[nmrs]?|zuletzt|kürzlich|jüngst|neuerdings|vor\s+kurzem|in\s+jüngster\s+zeit"
    r"|jüngste[nmrs]?\s+(?=(?:entwicklung|zahlen|meldung|nachricht|bericht|umfrage|stand|ergebnis|entscheidung"
    r"|äußerung|aussage|schritt|ereignis))|(?:letzte[nmrs]?|aktuelle[nmrs]?)\s+stand|newest|most\s+recent(?:ly)?"
    r"|recently|lately|most\s+up[- ]to[- ]date|(?<!\bat\s)(?<!\bat\sthe\s)latest)\b",
    re.IGNORECASE)

# Events that a question can date something by; German nouns also as the end of a compound (Landtagswahl).
EVENT_SUFFIXES_DE = (
    "insolvenz", "pleite", "konkurs", "übernahme", "fusion", "zusammenschluss", "verhaftung", "festnahme",
    "anklage", "flucht", "wahl", "krise", "streik", "skandal", "affäre", "katastrophe", "schließung",
    "einigung", "abstimmung", "reform", "verbot", "urteil", "trennung", "entlassung", "rücktritt", "niederlage")
EVENT_WORDS = frozenset((
    "brexit", "pandemie", "krieg", "invasion", "anschlag", "angriff", "abstieg", "aufstieg", "gründung",
    "börsengang", "eröffnung", "einführung", "unfall", "einsturz", "hochwasser", "flut", "erdbeben",
    "ankündigung", "referendum", "amtsantritt", "machtübernahme", "rezession", "weltmeisterschaft", "wm", "em",
    "olympia", "finale", "genehmigung", "zulassung", "stilllegung", "abschaltung", "kündigung", "verkauf", "kauf",
    "ausstieg", "einstieg", "beitritt", "austritt", "wiedervereinigung", "mauerfall", "lockdown", "havarie",
    "explosion", "wende", "bankruptcy", "insolvency", "collapse", "takeover", "acquisition", "merger", "arrest",
    "indictment", "escape", "election", "pandemic", "crisis", "war", "attack", "strike", "walkout",
    "resignation", "dismissal", "sacking", "firing", "departure", "relegation", "promotion", "defeat",
    "ruling", "verdict", "ban", "founding", "ipo", "listing", "flotation", "opening", "closure", "launch",
    "introduction", "reform", "accident", "crash", "flood", "earthquake", "scandal", "affair", "announcement",
    "vote", "inauguration", "recession", "olympics", "final", "agreement", "deal", "settlement", "approval",
    "shutdown", "sale", "purchase", "explosion", "disaster", "reunification", "split", "lockdown"))
EVENT_PREP = re.compile(r"\b(?P<prep>vor|nach|seit|bis\s+zu[mr]|before|after|since|until|till|prior\s+to"
                        r"|following)\s+", re.IGNORECASE)
EVENT_RELATION: dict[str, Relation] = {
    "vor": "before", "before": "before", "prior": "before", "nach": "after", "after": "after",
    "following": "after", "seit": "since", "since": "since", "bis": "until", "until": "until", "till": "until"}
DETERMINERS = frozenset({"der", "die", "das", "dem", "den", "des", "the", "einer", "einem", "a", "an"})
COMPLEMENT = frozenset({"von", "vom", "des", "der", "durch", "mit", "gegen", "zwischen", "bei", "in", "im", "an",
                        "am", "of", "by", "with", "against", "between", "at", "from"})
TOKEN = re.compile(r"[\w'’-]+(?:\.[\w'’-]+)*|[^\w\s]", re.UNICODE)

# Words that end the search for an event noun ("nach dem Treffen über die Fusion" names no event).
STOP = frozenset({
    "und", "oder", "über", "für", "mit", "von", "auf", "zu", "zum", "zur", "in", "im", "an", "am", "bei", "aus", "als",
    "wie", "wann", "was", "wer", "and", "or", "about", "for", "with", "on", "to", "at", "as", "how", "what", "when",
    "who", "der", "die", "das", "dem", "den", "des", "the", "a", "ist", "war", "is", "hat", "has", "had", "did",
    "sagte", "said"})


def number(word: str) -> int | None:
    """A small count in digits or words (1-99): "drei", "three", "3"."""
    word = word.lower()
    n = int(word) if word.isdigit() else NUMBERS.get(word)
    return n if n is not None and 1 <= n <= 99 else None


def ordinal(word: str) -> int:
    """1-4 from "ersten", "third", "2.", "4th"; 0 otherwise."""
    w = word.lower()
    return next((n for prefix, n in ORDINAL.items() if w.startswith(prefix)), 0)


def counted(text: str, start: int, end: int) -> bool:
    """Whether the four-digit number at start..end counts something or is part of a name."""
    before, after = text[max(0, start - 30):start], text[end:end + 30]
    if COUNT_BEFORE.search(before) or COUNTED.match(after):
        return True
    # "der 2000 Mitarbeiter": a German determiner, the number, a noun
    return bool(GERMAN_DETERMINER.search(before) and re.match(r"\s+[A-ZÄÖÜ]\w", after))


def unit(word: str) -> str:
    """year, month, week or day from a German or English unit word."""
    w = word.lower()
    return UNIT_DE.get(w) or UNIT_EN.get(w) or "year"


def is_event(word: str) -> bool:
    """A word that names an event: a known event noun, or a German compound ending in one (Landtagswahl)."""
    low = word.lower().strip("'’.")
    if low in EVENT_WORDS:
        return True
    return word[:1].isupper() and any(low.endswith(s) for s in EVENT_SUFFIXES_DE)
