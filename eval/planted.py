"""A test corpus with planted agency copies, updated versions and near misses, made from the repo's own
German articles with a fixed seed (``python -m eval.planted OUT --split test``).

For every original article of the split:

- copies (1-3): the same text under another outlet and title, with 0-15 % of its words edited (synonyms,
  filler words, deleted or added sentences), sometimes paragraphs swapped and the dateline changed, dated
  the same day or the next;
- an updated version (half of the originals): the text with a new paragraph or two (20-60 % longer), a
  new title, and a few small edits, dated the same day or the next;
- a near miss: half of another article (from the *other* split, so it is no copy of anything here; each
  half used once) with its names replaced by this article's names, and in half of them one background
  sentence of this article, mostly dated within a few days of it: same names, a different story.

Originals on the same subject (the Elbtor takeover, the Hanseatia coach, ...) are near misses of each
other too. ``gold.json`` lists the stories (original + copies + updates) and the kind of every file.
Splits keep same-subject articles together; tune on ``dev``, report on ``test``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from assistant.models import Article
from assistant.settings import PROJECT_ROOT
from assistant.text import sentence_spans

SOURCES = (PROJECT_ROOT / "corpus", PROJECT_ROOT / "eval" / "corpus")
# Same-subject groups stay in one split; everything not listed under "test" is dev.
TEST = {"003_09edd9866d9f63b6.txt", "004_575870f288329a95.txt", "a06_landtagswahl-saarland.md",
        "a07_koalitionsvertrag-saarland.md", "a10_talbruecke-ferndorf.md", "a11_seentalbahn-reaktivierung.md",
        "a12_batterierecycling-lausitz.md", "b01_hanseatia_neuer_trainer.md",
        "b02_hanseatia_niederlage_guetersloh.md", "b03_hanseatia_trennung_thielen.md",
        "b07_satellit_brandwacht_start.md", "b12_brandwacht_erste_bilanz.md", "b08_klinikstudie_fruehmobilisierung.md",
        "b09_foerde_folk_festival.md", "b10_museum_rheinschifffahrt.md", "b11_urteil_escooter_freiburg.md"}
SEEDS = {"dev": 101, "test": 202}
MAX_EDIT = 0.15

OUTLETS = ["Süddeutsche Zeitung", "Rheinische Post", "Stuttgarter Zeitung", "Hamburger Abendblatt",
           "Kölner Stadt-Anzeiger", "Berliner Morgenpost", "Freie Presse", "Nordkurier", "Weser-Kurier",
           "Mannheimer Morgen", "Badische Zeitung", "Neue Westfälische", "Lausitzer Rundschau", "Allgemeine Zeitung"]
SYNONYMS = {
    "sagte": "erklärte", "erklärte": "sagte", "sagten": "erklärten", "Unternehmen": "Konzern",
    "Konzern": "Unternehmen", "rund": "etwa", "etwa": "rund", "zudem": "außerdem", "außerdem": "zudem",
    "jedoch": "allerdings", "allerdings": "jedoch", "bereits": "schon", "schon": "bereits",
    "derzeit": "zurzeit", "zurzeit": "derzeit", "Millionen": "Mio.", "Milliarden": "Mrd.", "Prozent": "%",
    "erhalten": "bekommen", "bekommen": "erhalten", "deutlich": "klar", "zunächst": "vorerst",
    "Mitarbeiter": "Beschäftigte", "Beschäftigte": "Mitarbeiter", "Angaben": "Informationen",
    "künftig": "in Zukunft", "insgesamt": "alles in allem", "wegen": "aufgrund", "gestiegen": "geklettert",
    "Chef": "Vorsitzende", "mehr": "mehr", "nun": "jetzt", "jetzt": "nun", "wollen": "möchten",
    "will": "möchte", "Stadt": "Kommune", "kündigte": "stellte", "Euro": "EUR", "sowie": "und",
    "vergangenen": "letzten", "letzten": "vergangenen", "neuen": "neuerlichen", "erste": "erstmalige",
}
FILLERS = ["nun", "auch", "dabei", "demnach", "bislang", "inzwischen", "offenbar", "indes"]
ADDED = [
    "Das Unternehmen wollte sich auf Anfrage zunächst nicht weiter äußern.",
    "Weitere Einzelheiten wurden zunächst nicht bekannt.",
    "Eine offizielle Bestätigung stand am Abend noch aus.",
    "Beobachter werteten die Entwicklung als wichtiges Signal für die gesamte Branche.",
    "Die Entscheidung war in den vergangenen Wochen bereits erwartet worden.",
    "Ein Sprecher verwies auf eine Mitteilung vom Vormittag.",
    "Kritiker hatten zuvor vor überzogenen Erwartungen gewarnt.",
    "Die Nachricht sorgte in der Region für Gesprächsstoff.",
    "Details sollen in den kommenden Tagen vorgestellt werden.",
    "Zuletzt hatte es bereits ähnliche Berichte gegeben.",
]
UPDATES = [
    "Am Nachmittag bestätigte ein Sprecher die Angaben auf Nachfrage.",
    "Inzwischen hat sich auch die Landesregierung zu Wort gemeldet und eine rasche Prüfung angekündigt.",
    "Nach Angaben aus Teilnehmerkreisen soll bereits in der kommenden Woche ein weiteres Treffen stattfinden.",
    "Die Opposition forderte am Abend eine lückenlose Aufklärung aller offenen Fragen.",
    "An der Börse reagierten Anleger zunächst gelassen auf die Nachricht.",
    "Branchenvertreter begrüßten den Schritt in ersten Stellungnahmen ausdrücklich.",
    "Ein Gewerkschaftssprecher kündigte an, die Pläne in den nächsten Tagen genau prüfen zu wollen.",
    "Wie am Abend bekannt wurde, sollen die Gespräche noch vor dem Jahreswechsel abgeschlossen werden.",
    "Ergänzend teilte das Unternehmen mit, die Finanzierung sei vollständig gesichert.",
    "Auch der zuständige Bürgermeister äußerte sich inzwischen und sprach von einem guten Tag für die Region.",
    "Ein Verbandssprecher sagte am Abend, man werde die Folgen für kleinere Betriebe genau beobachten.",
    "Nach Redaktionsschluss wurde bekannt, dass ein erstes Gutachten bereits im Frühjahr vorliegen soll.",
]
_DATELINE = re.compile(r"^([A-ZÄÖÜ][\w./() -]{1,40}?)\s*\(([\w/-]+)\)\s*[-–]\s*")
NAMES = {  # the protagonists of each source article, by file name prefix
    "000": ["Nissan", "Renault", "Ampere", "Ghosn", "Allianz"], "001": ["Nissan", "Frontier", "Pathfinder", "Infiniti"],
    "002": ["Xiaomi", "Ford"], "003": ["GM", "BMW", "Reithofer", "Saab", "Girsky"],
    "004": ["BMW", "Toyota", "Reithofer", "Toyoda", "Leichtbau"],
    "a01": ["Baltrans", "Elbtor", "Kjærgaard", "Morgenroth", "Verdi"],
    "a02": ["Kessler", "Kassel", "Bollmann", "Eisenach", "Wärmepumpen"],
    "a03": ["Emden", "Bremerhaven", "Cuxhaven", "Warnstreik"],
    "a04": ["Sparkasse", "Gschwendtner", "Verwahrentgelt", "Landsberg"],
    "a05": ["Elbtor", "Baltrans", "Pomorze", "Rostock"], "a06": ["SPD", "CDU", "Wolff-Hesse", "AfD", "Saarland"],
    "a07": ["SPD", "Linke", "Wolff-Hesse", "Saarland", "Grunderwerbsteuer"],
    "a08": ["Flensburg", "Thorsen", "Haushalt", "Defizit"], "a09": ["Baltrans", "Elbtor", "Tidewater", "Morgenroth"],
    "a10": ["Ferndorftalbrücke", "Kowalczyk", "Kreuztal", "Siegen"],
    "a11": ["Seentalbahn", "Müritz", "Plau", "Malchow", "Jabel"],
    "a12": ["Voltaris", "Schwarze Pumpe", "Spremberg", "Lausitz"],
    "b01": ["Hanseatia", "Thielen", "Lübeck", "Vahldieck"],
    "b02": ["Hanseatia", "Gütersloh", "Pietrzak", "Thielen"], "b03": ["Hanseatia", "Thielen", "Vahldieck", "Brüning"],
    "b04": ["Brandhuber", "Neckartal", "Hellweg", "Marxen"], "b05": ["Mutai", "Salzstadt-Marathon", "Halle", "Saale"],
    "b06": ["Wildbienen", "Würzburg", "Straubinger", "Gründächer"],
    "b07": ["«Brandwacht-1»", "OrbitWerk", "Harmsen", "Bremen"],
    "b08": ["Hannover", "Aydın", "Delir"], "b09": ["Förde-Folk-Festival", "Marquardt", "Skerry", "Flensburg"],
    "b10": ["Koblenz", "Museum", "Rhein"], "b11": ["Freiburg", "Altstadt", "E-Scooter", "Roller"],
    "b12": ["«Brandwacht-1»", "OrbitWerk", "Portugal"],
}


@dataclass
class Planted:
    """One file of the planted corpus."""

    source: str
    kind: str  # original | copy | update | near_miss
    story: str  # the original's source; a near miss has its own story
    title: str
    outlet: str | None
    date: str | None
    text: str
    edit: float = 0.0  # share of words edited (copies and updates)
    of: str | None = None  # the article a copy, update or near miss was made from


def load_originals(folders: tuple[Path, ...] = SOURCES) -> list[Article]:
    from ingest.metadata import build_article
    from ingest.readers import RawDoc, iter_documents

    out = []
    for raw in iter_documents(list(folders)):
        if isinstance(raw, RawDoc):
            built = build_article(raw)
            if isinstance(built, Article):
                out.append(built)
    return sorted(out, key=lambda a: a.source)


def split_of(source: str) -> str:
    return "test" if Path(source).name in TEST else "dev"


def _shift(iso: str | None, days: int) -> str | None:
    if not iso or len(iso) < 10:
        return iso
    return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()


def _paragraphs(text: str) -> list[list[str]]:
    return [[p[s:e] for s, e in sentence_spans(p)] for p in re.split(r"\n\s*\n", text) if p.strip()]


def _join(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def edit_text(text: str, rate: float, rng: random.Random, additions: list[str]) -> tuple[str, float]:
    """Edit about ``rate`` of the words: synonyms or fillers (half), deleted sentences and added ones (a
    quarter each). Returns the text and the share of words actually edited."""
    paragraphs = _paragraphs(text)
    total = sum(len(s.split()) for p in paragraphs for s in p)
    budget = rate * total
    edited = 0.0
    # sentences deleted (never the first one, which carries the story)
    while edited < budget * 0.25:
        places = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p)) if (i, j) != (0, 0)]
        if not places:
            break
        i, j = rng.choice(places)
        n = len(paragraphs[i][j].split())
        if edited + n > budget * 0.5:
            break
        edited += n
        del paragraphs[i][j]
    # sentences added
    while edited < budget * 0.5:
        s = rng.choice(additions)
        if edited + len(s.split()) > budget * 0.75:
            break
        p = rng.randrange(len(paragraphs))
        paragraphs[p].insert(rng.randint(1, len(paragraphs[p])) if paragraphs[p] else 0, s)
        edited += len(s.split())
    # word substitutions and fillers
    flat = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p))]
    tries = 0
    while edited < budget and flat and tries < 10 * total:
        tries += 1
        i, j = rng.choice(flat)
        ws = paragraphs[i][j].split(" ")
        k = rng.randrange(len(ws))
        bare = ws[k].strip(".,;:!?«»„“\"()")
        if bare in SYNONYMS and SYNONYMS[bare] != bare:
            ws[k] = ws[k].replace(bare, SYNONYMS[bare])
        elif k > 0 and rng.random() < 0.5:
            ws.insert(k, rng.choice(FILLERS))
        else:
            continue
        paragraphs[i][j] = " ".join(ws)
        edited += 1
    return _join(paragraphs), edited / max(total, 1)


def _new_title(a: Article, rng: random.Random) -> str:
    first = a.text.split("\n")[0]
    lead = _DATELINE.sub("", first)
    words = lead.split()
    variants = [" ".join(words[: rng.randint(6, 10)]).rstrip(",;:") + " …",
                f"Kurz gemeldet: {a.title}", a.title.split(":")[-1].strip().split(" – ")[0]]
    return rng.choice([v for v in variants if v and v != a.title] or [f"{a.title} (Meldung)"])


def make_copy(a: Article, n: int, rng: random.Random, max_edit: float = MAX_EDIT) -> Planted:
    text, edit = edit_text(a.text, rng.uniform(0, max_edit), rng, ADDED)
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 3 and rng.random() < 0.4:  # two later paragraphs swapped
        i = rng.randrange(1, len(paragraphs) - 1)
        paragraphs[i], paragraphs[i + 1] = paragraphs[i + 1], paragraphs[i]
    text = "\n\n".join(paragraphs)
    if rng.random() < 0.5:  # the dateline rewritten or dropped
        text = _DATELINE.sub(lambda m: rng.choice(["", f"{m[1]} ({m[2]}/{rng.choice(['dpa', 'AFP'])}) - "]),
                             text, count=1)
    outlet = rng.choice([o for o in OUTLETS if o != a.outlet])
    return Planted(f"copy-{n}-{Path(a.source).stem}.md", "copy", a.source, _new_title(a, rng), outlet,
                   _shift(a.date, rng.choice([0, 0, 1])), text, round(edit, 3), a.source)


def make_update(a: Article, rng: random.Random) -> Planted:
    text, edit = edit_text(a.text, rng.uniform(0, 0.05), rng, ADDED)
    words = len(text.split())
    extra: list[str] = []
    target = words * rng.uniform(0.2, 0.6)
    pool = UPDATES[:]
    rng.shuffle(pool)
    while pool and sum(len(s.split()) for s in extra) < target:
        extra.append(pool.pop())
    half = (len(extra) + 1) // 2
    paragraphs = text.split("\n\n")
    paragraphs.insert(1, " ".join(extra[:half]))  # news first: right after the lead
    if extra[half:]:
        paragraphs.append(" ".join(extra[half:]))
    return Planted(f"update-{Path(a.source).stem}.md", "update", a.source, f"{_new_title(a, rng)} (aktualisiert)",
                   a.outlet, _shift(a.date, rng.choice([0, 1])), "\n\n".join(paragraphs), round(edit, 3), a.source)


def names(a: Article) -> list[str]:
    """The article's protagonists (hand-listed: German capitalises every noun, so a name cannot be told from
    a noun by its shape), as far as they occur in its text."""
    listed = NAMES.get(Path(a.source).name.split("_")[0], [])
    return [n for n in listed if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", a.text)]


def halves(a: Article) -> list[str]:
    """The first and the second half of an article's paragraphs (each is the body of one near miss)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", a.text) if p.strip()]
    cut = max(1, len(paragraphs) // 2)
    return ["\n\n".join(paragraphs[:cut]), "\n\n".join(paragraphs[cut:])]


def make_near_miss(a: Article, other: Article, body: str, rng: random.Random) -> Planted:
    """``body`` (half of ``other``) told with ``a``'s names (and perhaps one background sentence of ``a``)."""
    mine, theirs = names(a), names(other)
    text = body
    for old, new in zip(theirs, mine, strict=False):
        text = re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, text)
    title = other.title
    for old, new in zip(theirs, mine, strict=False):
        title = title.replace(old, new)
    if rng.random() < 0.5:
        background = [a.text[s:e] for s, e in sentence_spans(a.text)][1:]
        if background:
            paragraphs = text.split("\n\n")
            paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(background))
            text = "\n\n".join(paragraphs)
    return Planted(f"near-{Path(a.source).stem}.md", "near_miss", f"near-{a.source}", title,
                   rng.choice(OUTLETS), _shift(a.date, rng.choice([0, 1, 2, 5, 12])), text, of=a.source)


def plant(split: str, originals: list[Article] | None = None, seed: int | None = None,
          max_edit: float = MAX_EDIT) -> list[Planted]:
    """The planted corpus of ``split`` (see module docstring); ``max_edit`` above 0.15 makes a stress test."""
    originals = originals or load_originals()
    rng = random.Random(SEEDS[split] if seed is None else seed)
    mine = [a for a in originals if split_of(a.source) == split]
    others = [a for a in originals if split_of(a.source) != split]
    # every near miss gets its own half of another article: two near misses must not be copies of each other
    segments = [(o, h) for o in others for h in halves(o) if len(h.split()) >= 80]
    rng.shuffle(segments)
    out: list[Planted] = []
    n = 0
    for a in mine:
        out.append(Planted(Path(a.source).name.rsplit(".", 1)[0] + ".md", "original", a.source, a.title, a.outlet,
                           a.date, a.text))
        for _ in range(rng.randint(1, 3)):
            n += 1
            out.append(make_copy(a, n, rng, max_edit))
        if rng.random() < 0.5:
            out.append(make_update(a, rng))
        other, body = segments.pop()
        out.append(make_near_miss(a, other, body, rng))
    return out


def write(planted: list[Planted], dest: Path) -> dict:
    """Write the corpus as Markdown with front matter into ``dest/corpus``, and ``dest/gold.json``; returns
    the gold."""
    (dest / "corpus").mkdir(parents=True, exist_ok=True)
    for p in planted:
        front = {"title": p.title, "outlet": p.outlet, "date": p.date}
        head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items() if v)
        (dest / "corpus" / p.source).write_text(f"---\n{head}\n---\n{p.text}\n", encoding="utf-8")
    gold: dict[str, dict[str, Any]] = {"stories": {}, "files": {}}
    for p in planted:
        gold["files"][p.source] = {"kind": p.kind, "story": p.story, "edit": p.edit, "of": p.of,
                                   "date": p.date, "outlet": p.outlet}
        gold["stories"].setdefault(p.story, []).append(p.source)
    (dest / "gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
    return gold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    args = parser.parse_args(argv)
    gold = write(plant(args.split), args.out)
    kinds = Counter(f["kind"] for f in gold["files"].values())
    print(f"{len(gold['files'])} files in {args.out}: {dict(kinds)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
