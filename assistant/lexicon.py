"""A small English-German glossary of news words, so English answers and questions meet German sources.

An English answer drawn from a German article says "French carmaker", "fuel cells", "December", "three";
the article says "französischen Automobilherstellers", "Brennstoffzellen", "Dezember", "drei". Spelling
folding (Tokyo/Tokio) does not bridge such words; this glossary does. Every entry is a group of word
beginnings (matched as prefixes of spelling-folded, lower-cased tokens, see ``assistant.text.fold``):
English forms left of ``=``, German forms right of it. It is general vocabulary of news writing
(countries, nationalities, months, number words, business and politics), not words from any test set.
Entries marked ``@`` are places (countries, nationalities, cities). Entries marked ``!`` name facts
(places, months, technologies, events, roles): an English answer that uses such a word must find it in
its German source; the others only help to match words.
"""

from __future__ import annotations

from functools import lru_cache

import Stemmer

from assistant.text import fold

_GLOSSARY = """
@!germany german = deutschland deutsch
@!france french = frankreich franzos
@!sweden swedish swede = schwed
@!japan japanese = japan
@!china chinese = china chines
@!united states = usa vereinigte staaten
@!us american america = usa amerika us-
@!north american = nordamerika
@!south american latin american = sudamerika lateinamerika
@!asia asian = asien asiat
@!europe european = europa europa
@!africa african = afrika
@!britain british united kingdom england english = grossbritannien britisch england englisch
@!italy italian = italien
@!spain spanish = spanien spanisch
@!netherlands dutch = niederland hollaend
@!austria austrian = osterreich
@!switzerland swiss = schweiz
@!poland polish = polen polnisch
@!russia russian = russland russisch
@!ukraine ukrainian = ukrain
@!india indian = indien indisch
@!korea korean = korea
@!saudi = saudi
@!lebanon lebanese = libanon
@!brazil brazilian = brasilien
@!mexico mexican = mexiko
@!canada canadian = kanada
@!turkey turkish = turkei turkisch
@!greece greek = griechenland griechisch
@!belgium belgian = belgien
@!denmark danish = danemark danisch
@!norway norwegian = norweg
@!finland finnish = finnland finnisch
@!czech = tschech
@!hungary hungarian = ungarn ungarisch
@!bavaria bavarian = bayern bayrisch bayerisch
@!munich = munchen
@!cologne = koln
@!vienna = wien
@!rome = rom
@!moscow = moskau
@!beijing = peking
@!lisbon = lissabon
@!prague = prag
@!warsaw = warschau
@!brussels = brussel
!january = januar
!february = februar
!march = marz
!april = april
!may = mai
!june = juni
!july = juli
!august = august
!september = september
!october = oktober
!november = november
!december = dezember
!monday = montag
!tuesday = dienstag
!wednesday = mittwoch
!thursday = donnerstag
!friday = freitag
!saturday = samstag sonnabend
!sunday = sonntag
!spring = fruhjahr fruhling
!summer = sommer
!autumn fall = herbst
!winter = winter
week = woche
month = monat
year = jahr
quarter = quartal
half = halfte halb
one = ein
two = zwei
three = drei
four = vier
five = funf
six = sechs
seven = sieben
eight = acht
nine = neun
ten = zehn
twelve = zwolf
twenty = zwanzig
hundred = hundert
thousand = tausend
!million = million mio
!billion = milliard mrd
percent per cent = prozent
first = erst
second = zweit
third = dritt
last = letzt
next = nachst kommend
carmaker automaker car manufacturer = autobauer autoherstell automobilherstell hersteller
car cars vehicle = auto fahrzeug wagen pkw
electric = elektr
ev evs = elektro e-auto elektroauto
ceo = chef vorstandsvorsitz vorstandschef
!battery batteries = batter akku
engine engines motor = motor antrieb
!fuel cell = brennstoffzell
!hybrid = hybrid
!lightweight construction = leichtbau
!sports car = sportwagen
plant factory = werk fabrik
job jobs = arbeitsplatz stelle job
employee employees staff workers = beschaftigt mitarbeit arbeitnehm
company firm companies = unternehm firm konzern gesellschaft
group = konzern grupp
subsidiary = tocht
share stake = anteil beteiligung aktie
!shareholder = aktionar anteilseign
investor = investor anleg
investment invest = investi anlag
!price = preis
cost costs = kost
revenue sales turnover = umsatz erlos
profit = gewinn
loss = verlust
debt = schuld
bank = bank
!interest rate = zins
!inflation = inflation
!tax = steuer
!budget = haushalt etat budget
contract agreement deal = vertrag vereinbarung abkommen
sign signed = unterzeichn unterschrieb abgeschlossen schloss
!merger merge = fusion
!takeover acquisition acquire = ubernahm ubernehm kauf
partnership cooperation cooperate = partnerschaft kooperation zusammenarbeit kooperi
partner = partner
talks negotiations negotiate = gesprach verhand
supply deliver delivery = liefer
develop development = entwickl
research = forsch
technology = technolog
software = software
platform = plattform
market = markt
customer = kund
!strike = streik
union = gewerkschaft
!court = gericht
judge = richt
!ruling verdict = urteil
law = gesetz
!police = polizei
government = regierung
minister = minist
chancellor = kanzl
president = prasident
mayor = burgermeist
!election = wahl
vote votes = stimm
party = partei
!coalition = koalition
!parliament = parlament bundestag landtag
city town = stadt
state = land staat bundesland
region = region
!bridge = bruck
!railway rail train = bahn zug schien
road = strass
!airport = flughafen
!port harbour harbor = hafen
station = bahnhof
!hospital = klinik krankenhaus
study = studie
researcher scientist = forsch wissenschaft
!university = universitat hochschul
!school = schul
!museum = museum
!festival = festival
visitor visitors = besuch
team = team mannschaft
club = verein klub club
coach = trainer
player = spieler
match game = spiel partie
goal = tor
season = saison
league = liga
win won victory = sieg gewann gewinn
defeat lost = niederlag verlor
transfer = transfer wechsel
fee = ablos gebuhr
record = rekord
!marathon = marathon
chief executive ceo boss head = chef vorstandsvorsitz leit
spokesman spokeswoman spokesperson = sprech
founder = grund
!arrest arrested = verhaft festgenommen festnahm
!fled flee = floh flucht
!plot conspiracy = komplott verschwor
!accused allegation = vorwurf beschuldig
growth grow = wachstum wachs
increase rise = steiger anstieg erhoh
decrease decline fall = sank sink ruckgang
open opening = eroffn
close closure = schliess
build construction = bau
delay delayed = verzoger verspat
plan plans planned = plan
reason because = grund weil
agree agreed agreement = vereinbar einig
announce announced = angekundigt kundigt mitgeteilt bekanntgegeben
!launch launched = markteinfuhr einfuhr gestartet startet lancier
!convict convicted conviction = verurteil
!sentence sentenced = verurteil haftstraf
release released = freigelassen veroffentlich
!resign resigned resignation = rucktritt zurucktret zuruckgetret
!appoint appointed = ernannt berufen
!dismiss dismissed fired sacked = entlass gefeuert freigestellt
!hire hired = eingestellt verpflicht
meet met meeting = treff traf sitzung
!insolvency bankruptcy bankrupt = insolvenz pleite konkurs
!loan credit = kredit darlehen
!subsidy subsidies grant = forderung zuschuss subvention
!fine = strafe bussgeld
!diesel = diesel
!petrol gasoline = benzin
!fuel = kraftstoff treibstoff brennstoff
!solid-state = festkorper
!lithium = lithium
crossover = crossover
pickup = pickup pick-up
!truck trucks lorry = lkw lastwag pick-up pickup
!bus = bus
!aircraft plane = flugzeug
!ship = schiff
!weather = wetter
!rain = regen
!football soccer = fussball
!price increase = preiserhoh
interest = zins interesse
!profit warning = gewinnwarn
!dividend = dividend
!share price = aktienkurs kurs
!stock exchange = borse
!board supervisory board = aufsichtsrat vorstand verwaltungsrat
management = management fuhrung vorstand
director = direktor leit
manager = manag
spokesperson = sprech
!dealer dealership = handl autohaus
!crisis = kris
!automated autonomous self-driving = automatisiert autonom selbstfahr
!acquisition acquisitions = ubernahm ubernehm zukauf kauf
!financial = finans
!war = krieg
!pandemic = pandemi
!flood = hochwass uberschwemm flut
!fire = brand feuer
!accident = unfall
!earthquake = erdbeb
!vote = abstimm stimm wahl
!victory = sieg
!defeat = niederlag
showroom motor show = autosalon messe
engineer = ingenieur
worker = arbeit
negotiate negotiating negotiated = verhand
refuse refused reject rejected = ablehn abgelehnt lehnte
support = unterstutz
protect protection = schutz schutz
sell sold sale = verkauf verkauft
buy bought purchase purchasing procurement = kauf kauft beschaff einkauf
save saving savings = spar einspar
cut cuts = kurz senk abbau
reduce reduced lower lowered = senk reduzier verring
raise raised = erhoh anheb
double doubled = verdoppel
halve halved = halbier
"""


@lru_cache(maxsize=1)
def _groups() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [g for g, _ in _entries()]


@lru_cache(maxsize=1)
def _entries() -> list[tuple[tuple[tuple[str, ...], tuple[str, ...]], bool]]:
    entries = []
    for line in _GLOSSARY.strip().splitlines():
        strict = line.lstrip("@").startswith("!")
        left, right = line.lstrip("@!").split("=")
        english = tuple(fold(w) for w in _phrases(left))
        german = tuple(fold(w) for w in right.split())
        entries.append(((english, german), strict))
    return entries


@lru_cache(maxsize=4096)
def is_strict(english: str) -> bool:
    """Whether an English word or phrase names a fact the source must contain (a ``!`` entry)."""
    w = _stem(english)
    return any(strict and any(w == _stem(e) for e in eng) for (eng, _), strict in _entries())


def _phrases(side: str) -> list[str]:
    """Words of one side; a two-word English term ('fuel cell') is kept as one phrase."""
    words = side.split()
    known_pairs = {"united states", "north american", "south american", "latin american", "united kingdom",
                   "per cent", "car manufacturer", "fuel cell", "lightweight construction", "sports car",
                   "interest rate", "chief executive", "price increase", "profit warning", "share price",
                   "stock exchange", "supervisory board", "motor show"}
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2])
        if pair in known_pairs:
            out.append(pair)
            i += 2
        else:
            out.append(words[i])
            i += 1
    return out


@lru_cache(maxsize=8192)
def german_forms(english: str) -> tuple[str, ...]:
    """German word beginnings (folded) for an English word or phrase (any inflection: 'arrested',
    'companies'); () when the glossary has none."""
    w = _stem(english)
    out: list[str] = []
    for eng, ger in _groups():
        if any(w == _stem(e) for e in eng):
            out += ger
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return " ".join(_english_stemmer().stemWords(fold(word).split()))


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _place_forms() -> tuple[str, ...]:
    lines = [line for line in _GLOSSARY.strip().splitlines() if line.startswith("@")]
    return tuple(fold(w) for line in lines for side in line.lstrip("@!").split("=") for w in side.split())


def is_place(word: str) -> bool:
    """Whether a word names a country, nationality, region or city of the glossary, in either language
    ('chinesisches', 'Japanese', 'Tokio' is not in it: any capitalised name after 'in' counts elsewhere)."""
    w = fold(word)
    return len(w) >= 3 and any(w.startswith(f) for f in _place_forms() if len(f) >= 3)


def english_forms(german: str) -> tuple[str, ...]:
    """English word beginnings (folded) for a German word; () when the glossary has none."""
    w = fold(german)
    out: list[str] = []
    for eng, ger in _groups():
        if any(w.startswith(g) for g in ger if len(g) >= 3) or w in ger:
            out += eng
    return tuple(dict.fromkeys(out))


def german_words(english_text: str) -> list[str]:
    """German words for the English words and phrases of a text that the glossary knows (for searching German
    text with an English question); the glossary's word beginnings are used as words, unfolded."""
    words = [w.strip(".,;:!?\"'()") for w in english_text.lower().replace("-", " ").split()]
    keys = phrases_in(english_text) + [w for w in words if len(w) >= 3]
    out = [g for key in keys for eng, raw in _raw_groups() if any(_stem(key) == _stem(e) for e in eng) for g in raw]
    return list(dict.fromkeys(g for g in out if len(g) >= 4))


@lru_cache(maxsize=1)
def _raw_groups() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The glossary's groups with the German words as written (lower case, not spelling-folded)."""
    out = []
    for line in _GLOSSARY.strip().splitlines():
        left, right = line.lstrip("@!").split("=")
        out.append((tuple(fold(w) for w in _phrases(left)), tuple(right.split())))
    return out


def phrases_in(text: str) -> list[str]:
    """The two-word English glossary phrases that occur in ``text`` (folded), e.g. 'fuel cell'."""
    t = fold(text)
    return [e for eng, _ in _groups() for e in eng if " " in e and e in t]

