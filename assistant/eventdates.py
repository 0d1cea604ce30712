"""The date of an event sentence: the date it names ("am 12. Mai 2022", "im Dezember", "Ende 2019", "am
Donnerstag", "im vergangenen Jahr"), resolved against its article's date, else the article's date.

A sentence is read as a report of something that has happened: a month or weekday without a year means the
last such month or day up to the article's date, and counts only in a sentence in a past tense (German uses
the present for the near future: "Die SPD entscheidet am 2. Mai"). A named date after the article's date is
a plan or a deadline ("Die Züge sollen ab Ende 2028 rollen"). In a sentence that looks ahead ("soll",
"will", "vom 1. April an", "kündigte an, im Februar … zu beginnen") a month or day without a year is the
plan's, so only the day of the announcement ("am Dienstag") or a past date with its year counts. A date
that describes a thing ("die 1968 gebaute Brücke", "der im Mai 2022 genannte Preis") or is the basis of a
comparison ("weniger als im Vorjahr") is not the event's. Of several dates in a sentence the most precise
one wins, then the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

_MONTHS = {
    **dict.fromkeys(("januar", "jänner", "january", "jan"), 1), **dict.fromkeys(("februar", "february", "feb"), 2),
    **dict.fromkeys(("märz", "march"), 3), **dict.fromkeys(("april",), 4), **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juni", "june"), 6), **dict.fromkeys(("juli", "july"), 7), **dict.fromkeys(("august",), 8),
    **dict.fromkeys(("september",), 9), **dict.fromkeys(("oktober", "october"), 10),
    **dict.fromkeys(("november",), 11), **dict.fromkeys(("dezember", "december"), 12),
}
_MONTH = "(?:" + "|".join(sorted((m for m in _MONTHS if m not in ("jan", "feb")), key=len, reverse=True)) + ")"
_WEEKDAYS = {"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonnabend": 5,
             "sonntag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
             "sunday": 6}
_WEEKDAY = "(?:" + "|".join(_WEEKDAYS) + ")"
# part of a year -> the month it sorts as
_PARTS = {"anfang": 1, "beginn": 1, "early": 1, "frühjahr": 4, "frühling": 4, "spring": 4, "mitte": 6, "mid": 6,
          "sommer": 7, "summer": 7, "herbst": 10, "autumn": 10, "fall": 10, "ende": 12, "late": 12, "winter": 12}
_PART = "(?:" + "|".join(_PARTS) + ")"
_NUMBERS = {"einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
            "neun": 9, "zehn": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}
_YEAR = r"(?P<y>(?:19[5-9]|20\d)\d)(?![\d,.:]\d)"
# "2000 Beschäftigte", "1980 Euro": a number that counts something is no year
_COUNTED = (r"prozent|euro|dollar|%|mio|millionen|milliarden|meter|kilometer|tonnen|menschen|personen|beschäftigte"
            r"|mitarbeiter|stellen|arbeitsplätze|besucher|zuschauer|einwohner|wohnungen|fahrzeuge|stück|punkte"
            r"|people|jobs|employees|visitors|euros|tons|units")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("dmy", re.compile(rf"\b(?P<d>[0-3]?\d)\.\s*(?P<mn>{_MONTH})\s+{_YEAR}", re.I)),
    ("dmy", re.compile(rf"\b(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.{_YEAR}", re.I)),
    ("dmy", re.compile(rf"\b(?P<mn>{_MONTH})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+{_YEAR}", re.I)),
    ("dmy", re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<mn>{_MONTH})\s+{_YEAR}", re.I)),
    ("my", re.compile(rf"\b(?:(?P<part>{_PART})\s+)?(?P<mn>{_MONTH})\s+{_YEAR}", re.I)),
    ("py", re.compile(rf"\b(?P<part>{_PART})(?:\s+(?:des\s+jahres|of))?\s+{_YEAR}", re.I)),
    ("y", re.compile(rf"(?<![\d.,/:-]){_YEAR}(?!\s*(?:{_COUNTED}))", re.I)),
    ("dm", re.compile(rf"\b(?P<d>[0-3]?\d)\.\s*(?P<mn>{_MONTH})\b", re.I)),
    ("m", re.compile(rf"\b(?:im|in|seit|anfang|mitte|ende|early|mid|late|last)\s+(?P<mn>{_MONTH})\b", re.I)),
    ("wd", re.compile(rf"\b(?:am|on|seit|since|last|vergangenen?|letzten?)\s+(?P<wd>{_WEEKDAY})|\b(?P<wd2>{_WEEKDAY})"
                      r"(?:abend|morgen|nachmittag|vormittag|mittag|nacht)\b", re.I)),
    ("season", re.compile(r"\b(?:im|in)\s+(?:vergangenen|letzten|last)\s+(?P<season>frühjahr|frühling|sommer|herbst"
                          r"|spring|summer|autumn|fall)\b", re.I)),
    ("rel", re.compile(r"\b(?P<rel>vorgestern|gestern|yesterday|heute|today|im\s+vorjahr|last\s+year"
                       r"|(?:im\s+)?(?:vergangenen|letzten)\s+jahr|vergangenes\s+jahr|letztes\s+jahr"
                       r"|vor\s+(?P<n>\d+|einem|einer|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn)\s+"
                       r"(?P<unit>jahren|monaten|wochen|tagen)"
                       r"|(?P<n2>\d+|one|two|three|four|five|six|ten)\s+(?P<unit2>years|months|weeks|days)\s+ago)\b",
                       re.I)),
]
_PRECISION = {"dmy": 3, "dm": 3, "wd": 3, "my": 2, "m": 2, "py": 1, "y": 1, "season": 1, "rel": 2}
_AHEAD = re.compile(r"\b(?:soll|sollen|sollte|sollten|will|wollen|plant|planen|geplant|künftig"
                    r"|voraussichtlich|erwarte[nt]?|vorgesehen|angedacht|bis\s+(?:ende|anfang|mitte)"
                    r"|ab\s+(?:dem\s+|der\s+)?(?:ende|anfang|mitte|\d)|is\s+to|are\s+to|plans?|expects?|expected"
                    r"|scheduled|from\s+\d|starting)\b"
                    r"|\bvo[mn]\s+(?:\d{1,2}\.\s*)?[A-ZÄÖÜ]?[a-zäöü]+\s+(?:\d{4}\s+)?an\b"  # "vom 1. April an"
                    # announced to do something: "kündigte an, im Februar mit dem Bau zu beginnen"
                    r"|\b(?:kündigte[n]?|beabsichtigte[n]?|versprach(?:en)?)\b[^.;]*\bzu\s+[a-zäöüß]+en\b", re.I)
_FUTURE = re.compile(r"\b(?:wird|werden|will)\b", re.I)  # also passive: a plan only without a past tense
# the date is the basis of a comparison ("41 Prozent weniger als im Vorjahr"), not the event's
_COMPARED = re.compile(r"(?:\bals|\bgegenüber|verglichen\s+mit|im\s+vergleich\s+zu[mr]?|than|compared\s+(?:to|with))"
                       r"\s+(?:dem\s+|der\s+)?$", re.I)

_ATTRIBUTE = re.compile(r"\b(?:aus\s+dem\s+jahre?|baujahr|jahrgang|built\s+in|dating\s+from)\s+\d{4}\b"
                        r"|\b\d{4}\s+(?:gebaute|errichtete|eröffnete|gegründete|erbaute|eingeweihte|built|founded)\w*",
                        re.I)

# the date is followed by a participle used as an adjective, then its noun: the date describes a thing
_DESCRIBES = re.compile(r"\s+(?:[a-zäöüß]+\s+)?(?:ge[a-zäöüß]+(?:ten|enen|ene|te)|[a-zäöüß]+(?:ierten|ierte))\s+"
                        r"(?:[A-ZÄÖÜ\d])")
_RELATIVE = frozenset({"dm", "m", "wd", "season"})
_PRETERITE = re.compile(
    r"\b(?:gab|gaben|nahm|nahmen|schloss|schlossen|beschloss|beschlossen|gewann|gewannen|verlor|verloren|stieg"
    r"|stiegen|sank|sanken|fiel|fielen|floh|flohen|übernahm|übernahmen|zog|zogen|begann|begannen|kam|kamen|ging"
    r"|gingen|sprang|sprangen|brach|brachen|hob|hoben|entließ|entließen|rief|riefen|lief|liefen|hielt|hielten"
    r"|sprach|sprachen|traf|trafen|stand|standen|lag|lagen|fand|fanden|bot|boten|trat|traten|war|waren|wurde"
    r"|wurden|hatte|hatten|was|were|had|\w{3,}ed)\b", re.I)
# -te, or -ten not at the end of the sentence (an infinitive stands there: "sollte … im Oktober starten.")
_WEAK_PAST = re.compile(r"\b[a-zäöüß]{3,}(?:te\b|ten\b(?!\s*(?:[.!?;)»“\"]|$)))")
_NOT_VERBS = frozenset({  # adjectives, nouns, modal verbs (plans) and present forms of verbs with a t-stem
    # ("sie arbeiten") that end like a weak preterite
    "ersten", "erste", "letzten", "letzte", "meisten", "meiste", "besten", "beste", "zweiten", "zweite",
    "dritten", "dritte", "vierten", "vierte", "fünften", "fünfte", "sechsten", "siebten", "achten", "neunten",
    "zehnten", "größten", "größte", "höchsten", "höchste", "neuesten", "neueste", "jüngsten", "jüngste",
    "nächsten", "nächste", "wichtigsten", "wichtigste", "sollte", "sollten", "wollte", "wollten", "mitte",
    "heute", "leute", "seite", "seiten", "rechte", "rechten", "gute", "guten", "alte", "alten", "weite", "weiten",
    "breiten", "harten", "harte", "festen", "feste", "konkreten", "konkrete", "direkten", "direkte", "bekannten",
    "bekannte", "geplanten", "geplante", "kommenden", "späten", "späte", "insgesamten", "bisherigen", "halbe",
    "halben", "ganze", "ganzen", "arbeiten", "bieten", "gelten", "halten", "leisten", "warten", "starten",
    "richten", "leiten", "bitten", "treten", "vertreten", "beraten", "raten", "erhalten", "enthalten", "behalten",
    "verhalten", "unterhalten", "gestalten", "veranstalten", "verwalten", "bewerten", "werten", "fürchten",
    "beobachten", "betrachten", "berichten", "errichten", "verzichten", "verpflichten", "schalten", "retten",
    "streiten", "bereiten", "begleiten", "kosten", "testen", "belasten", "stiften", "betreten", "antreten",
    "auftreten", "eintreten", "zutrauten"
})
_DETERMINER = re.compile(r"(?i:der|die|das|den|dem|des|ein|eine|einen|einem|eines|einer|im|am|zum|zur|vom|beim"
                         r"|ins|seine[mnrs]?|ihre[mnrs]?|diese[mnrs]?|jede[mnrs]?|alle|viele|mehrere|zwei|drei)")
_AUX = re.compile(r"\b(?:hat|haben|ist|sind|has|have)\b", re.I)
# A participle of the perfect: ge-forms anywhere; other forms (be-, ver-, …, -iert), which look like the
# present ("bezieht", "verkauft"), only where a perfect puts them, at the end of the clause.
_END = r"(?=\s*(?:[,.;:!?)»“\"]|$|und\b|oder\b|sowie\b|worden\b|wurde\b|wurden\b|war\b|waren\b|hatte\b|hatten\b))"
_PARTICIPLE = re.compile(r"\b(?:[a-zäöüß]*ge[a-zäöüß]{2,}(?:t|en)\b|(?:(?:be|ver|er|ent|zer|über|unter|emp|miss)"
                         r"[a-zäöüß]{3,}(?:t|en)|[a-zäöüß]{3,}iert)\b" + _END + r"|been\b|[a-z]{3,}ed\b)")


def looks_ahead(sentence: str) -> bool:
    """Whether a sentence tells of a plan, a deadline or an expectation rather than of what happened."""
    return bool(_AHEAD.search(sentence) or (_FUTURE.search(sentence) and not in_past_tense(sentence)))


def plans_only(sentence: str) -> bool:
    """A sentence about a plan with nothing in a past tense: no event at all (unless it is the news)."""
    return looks_ahead(sentence) and not in_past_tense(sentence)


def in_past_tense(sentence: str) -> bool:
    """Whether the sentence has a verb in a past tense: a preterite, or a perfect (an auxiliary with a
    participle). Approximate: German preterites of weak verbs end in -te(n), as some adjectives do."""
    if _PRETERITE.search(sentence):
        return True
    for m in _WEAK_PAST.finditer(sentence):
        before = sentence[max(0, m.start() - 12) : m.start()].split()
        if m.group() not in _NOT_VERBS and not (before and _DETERMINER.fullmatch(before[-1])):
            return True  # "im weltweiten Vergleich", "der geplanten Halle": an adjective after its article
    return bool(_AUX.search(sentence) and _PARTICIPLE.search(sentence))


DateSource = Literal["article", "sentence"]


@dataclass(frozen=True)
class EventDate:
    """When an event happened: an ISO date as precise as known, where it came from and how it sorts."""

    iso: str  # "2022-05-12", "2017-12" or "2019"
    source: DateSource
    phrase: str | None  # the words of the sentence that named it
    sort: tuple[int, int, int]  # (year, month, day); a part of a year ("Ende 2019") sorts at its month


def parse_iso(iso: str | None) -> tuple[int, int | None, int | None] | None:
    if not iso:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", iso)
    if not m:
        return None
    return int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None


def _iso(y: int, m: int | None = None, d: int | None = None) -> str:
    return f"{y:04d}" + (f"-{m:02d}" if m else "") + (f"-{d:02d}" if m and d else "")


def article_date(iso: str | None) -> EventDate | None:
    parsed = parse_iso(iso)
    if parsed is None:
        return None
    y, m, d = parsed
    return EventDate(_iso(y, m, d), "article", None, (y, m or 0, d or 0))


def event_date(sentence: str, article_iso: str | None) -> EventDate | None:
    """The date of the event ``sentence`` reports (see module docstring); None when neither the sentence
    nor the article is dated."""
    fallback = article_date(article_iso)
    ref = parse_iso(article_iso)
    ahead = looks_ahead(sentence)
    latest = (ref[0], ref[1] or 12, ref[2] or 31) if ref else None
    past = in_past_tense(sentence)
    found: list[tuple[int, int, EventDate]] = []  # (-precision, position, date)
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue  # part of a longer date already read ("Mai 2022" inside "12. Mai 2022")
            taken.append((m.start(), m.end()))
            before = sentence[max(0, m.start() - 30) : m.start()]
            if (kind == "y" and _ATTRIBUTE.search(sentence[max(0, m.start() - 16) : m.end() + 24])) \
                    or _DESCRIBES.match(sentence, m.end()) or _COMPARED.search(before):
                continue  # "die 1968 gebaute Brücke", "die im Mai 2022 genannten …", "als im Vorjahr": not the event
            if kind in _RELATIVE and (not past or (ahead and kind != "wd")):
                continue  # "am 2. Mai" in the present, "vom 1. April an": which way it points is unclear
            resolved = _resolve(kind, m, ref)
            if resolved is None:
                continue
            y, mo, d = parse_iso(resolved.iso) or (0, None, None)
            if latest is not None and (y, mo or 1, d or 1) > latest:
                continue  # after the article: a plan or a deadline, not the event
            if ahead and ref is not None and (y, mo or resolved.sort[1] or 12, d or 31) >= (ref[0], ref[1] or 1,
                                                                                           ref[2] or 1):
                continue  # "bis Ende 2022" in a sentence looking ahead from May 2022: the plan's date
            found.append((-_PRECISION[kind], m.start(), resolved))
    if found:
        return min(found, key=lambda f: (f[0], f[1]))[2]
    return fallback


def _resolve(kind: str, m: re.Match[str], ref: tuple[int, int | None, int | None] | None) -> EventDate | None:
    g = m.groupdict()
    phrase = m.group(0).strip()
    month = _MONTHS.get((g.get("mn") or "").lower()) if g.get("mn") else (int(g["m"]) if g.get("m") else None)
    if kind in ("dmy", "my", "py", "y"):
        y = int(g["y"])
        if kind == "dmy":
            d = int(g["d"])
            if not month or not _valid(y, month, d):
                return None
            return EventDate(_iso(y, month, d), "sentence", phrase, (y, month, d))
        if kind == "my":
            return EventDate(_iso(y, month), "sentence", phrase, (y, month or 0, 0))
        part = _PARTS.get((g.get("part") or "").lower(), 0)
        return EventDate(_iso(y), "sentence", phrase, (y, part, 0))
    if ref is None:
        return None  # relative to an unknown date
    ry, rm, rd = ref
    if kind in ("dm", "m"):
        if rm is None or month is None:
            return None
        y = ry if month <= rm else ry - 1
        if kind == "dm":
            d = int(g["d"])
            if not _valid(y, month, d) or (y, month, d) > (ry, rm, rd or 31):
                y -= 1
            if not _valid(y, month, d):
                return None
            return EventDate(_iso(y, month, d), "sentence", phrase, (y, month, d))
        return EventDate(_iso(y, month), "sentence", phrase, (y, month, 0))
    if kind == "season":  # "im vergangenen Herbst": the last one that ended before the article
        if rm is None:
            return None
        month = _PARTS[(g.get("season") or "").lower()]
        y = ry if month + 2 < rm else ry - 1
        return EventDate(_iso(y), "sentence", phrase, (y, month, 0))
    if kind == "wd":
        if rm is None or rd is None:
            return None
        day = date(ry, rm, rd)
        want = _WEEKDAYS[(g.get("wd") or g.get("wd2") or "").lower()]
        back = (day.weekday() - want) % 7
        if back == 0 and re.match(r"(?:last|vergangenen?|letzten?)\b", phrase, re.I):
            back = 7
        when = day - timedelta(days=back)
        return EventDate(when.isoformat(), "sentence", phrase, (when.year, when.month, when.day))
    return _relative(g, phrase, ry, rm, rd)


def _relative(g: dict[str, str | None], phrase: str, ry: int, rm: int | None, rd: int | None) -> EventDate | None:
    rel = (g.get("rel") or "").lower()
    if rel.startswith(("vorgestern", "gestern", "yesterday", "heute", "today")):
        if rm is None or rd is None:
            return None
        back = 2 if rel.startswith("vorgestern") else 1 if rel.startswith(("gestern", "yesterday")) else 0
        when = date(ry, rm, rd) - timedelta(days=back)
        return EventDate(when.isoformat(), "sentence", phrase, (when.year, when.month, when.day))
    n_text = (g.get("n") or g.get("n2") or "").lower()
    if not n_text:  # "im vergangenen Jahr", "im Vorjahr", "last year"
        return EventDate(_iso(ry - 1), "sentence", phrase, (ry - 1, 0, 0))
    n = int(n_text) if n_text.isdigit() else _NUMBERS.get(n_text)
    unit = (g.get("unit") or g.get("unit2") or "").lower()
    if n is None:
        return None
    if unit.startswith(("jahr", "year")):
        return EventDate(_iso(ry - n), "sentence", phrase, (ry - n, 0, 0))
    if rm is None:
        return None
    months = n if unit.startswith(("monat", "month")) else (n * 7 if unit.startswith(("woche", "week")) else n) // 30
    if months == 0:
        return None  # days or a few weeks ago: within the article's month, no better than its date
    total = ry * 12 + (rm - 1) - months
    return EventDate(_iso(total // 12, total % 12 + 1), "sentence", phrase, (total // 12, total % 12 + 1, 0))


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def format_date(iso: str, language: str) -> str:
    """ "12. Mai 2022" / "12 May 2022", "Mai 2022" / "May 2022", "2019"."""
    parsed = parse_iso(iso)
    if parsed is None:
        return iso
    y, m, d = parsed
    names_de = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                "November", "Dezember"]
    names_en = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]
    if m is None:
        return str(y)
    name = (names_de if language == "de" else names_en)[m - 1]
    if d is None:
        return f"{name} {y}"
    return f"{d}. {name} {y}" if language == "de" else f"{d} {name} {y}"
