"""What a question asks for, read more closely: how precise a date, one person by their function, a saying's
place or time; and answers that say "not in the sources" or "won't" in words of their own."""

import pytest

from assistant.agreement import disagreement
from assistant.evidence import holds_kind
from assistant.lexicon import german_forms
from assistant.non_answers import is_refusal
from assistant.questions import analyse
from assistant.quote import Quoter
from assistant.verify import Verifier
from tests.assistant.test_verify import REFUSAL_DE, passage, reasons
from tests.fakes import HashEmbedding


@pytest.mark.parametrize(
    ("question", "language", "answer", "source", "kept"),
    [
        # "in which year" is not answered by a week, nor "on what date" by a year
        ("In which year was the alliance founded?", "en", "The alliance met this week [1].",
         "Der Aufsichtsrat der Allianz hat sich in dieser Woche getroffen.", False),
        ("In which year was the alliance founded?", "en", "The alliance was founded in 1999 [1].",
         "Die Allianz wurde 1999 gegründet.", True),
        ("In welchem Jahr wurde die Allianz gegründet?", "de", "Im vergangenen Jahr [1].",
         "Die Allianz wurde im vergangenen Jahr gegründet.", True),
        ("On what date was Elbtor delisted?", "en", "Elbtor was delisted in 2023 [1].",
         "Elbtor wurde 2023 von der Börse genommen.", False),
        ("On what date was Elbtor delisted?", "en", "Elbtor was delisted on 3 March 2023 [1].",
         "Elbtor wurde am 3. März 2023 von der Börse genommen.", True),
        ("An welchem Tag hat BMW das mitgeteilt?", "de", "BMW hat das im Juni mitgeteilt [1].",
         "BMW hat das im Juni mitgeteilt, am Donnerstag.", False),
        ("An welchem Tag hat BMW das mitgeteilt?", "de", "Am Donnerstag [1].",
         "BMW hat das im Juni mitgeteilt, am Donnerstag.", True),
        ("In which month did BMW announce it?", "en", "BMW announced it in 2018 [1].",
         "BMW kündigte das im Juni 2018 an.", False),
        ("Wann hat BMW das mitgeteilt?", "de", "Im Juni [1].", "BMW hat das im Juni mitgeteilt.", True),
        # a unit of time alone places nothing in time: a rate or a length is no answer to "when"
        ("Wann wird wieder verhandelt?", "de",
         "Verdi fordert 200 Euro im Monat und eine Laufzeit von zwölf Monaten [1].",
         "Verdi fordert 200 Euro im Monat und eine Laufzeit von zwölf Monaten.", False),
        ("Wann wird wieder verhandelt?", "de", "In drei Wochen wird wieder verhandelt [1].",
         "In drei Wochen wird wieder verhandelt.", True),
        ("Wann wird wieder verhandelt?", "de", "Am Freitag um 10 Uhr [1].",
         "Am Freitag um 10 Uhr wird wieder verhandelt.", True),
        ("When will they negotiate again?", "en", "The union wants 200 euros a month [1].",
         "Die Gewerkschaft will 200 Euro im Monat.", False),
        ("When did the trains stop running?", "en", "The trains stopped running 25 years ago [1].",
         "Vor 25 Jahren fuhr der letzte Zug.", True),
        # the month the question names, in the other language, is no answer to "when exactly"; its day is
        ("When exactly did BMW and Toyota sign the December agreement?", "en", "Im Dezember [1].",
         "BMW und Toyota unterzeichneten im Dezember eine Vereinbarung.", False),
        ("When exactly did BMW and Toyota sign the December agreement?", "en", "On December 1 [1].",
         "BMW und Toyota unterzeichneten am 1. Dezember eine Vereinbarung.", True),
        ("By when should the deal be completed?", "en", "By mid-year [1].",
         "Der Deal soll bis Mitte des Jahres abgeschlossen sein.", True),
        ("By when should the deal be completed?", "en", "By the end of the year [1].",
         "Der Deal soll bis Ende des Jahres abgeschlossen sein.", True),
        # the day of the saying dates the report, not what it reports, unless the question asks about the saying
        ("Wann beginnt der Bau des Werks?", "de",
         "Voltaris investiert 340 Millionen Euro in das Werk, wie die Chefin am Mittwoch mitteilte [1].",
         "Voltaris investiert 340 Millionen Euro in das Werk, wie die Chefin am Mittwoch mitteilte.", False),
        ("Wann teilte die Chefin die Investition in das Werk mit?", "de",
         "Voltaris investiert 340 Millionen Euro in das Werk, wie die Chefin am Mittwoch mitteilte [1].",
         "Voltaris investiert 340 Millionen Euro in das Werk, wie die Chefin am Mittwoch mitteilte.", True),
        ("When does construction of the plant start?", "en",
         "Voltaris is investing 340 million euros in the plant, the company announced on Wednesday [1].",
         "Voltaris investiert 340 Millionen Euro in das Werk, teilte das Unternehmen am Mittwoch mit.", False),
        ("Wann beginnt der Bau des Werks?", "de",
         "Voltaris investiert 340 Millionen Euro, wie Voltaris-Chefin Johanna Wendisch am Mittwoch bei der "
         "Vorstellung der Pläne in Spremberg sagte [1].",
         "Voltaris investiert 340 Millionen Euro, wie Voltaris-Chefin Johanna Wendisch am Mittwoch bei der "
         "Vorstellung der Pläne in Spremberg sagte.", False),
    ],
)
def test_a_date_question_is_answered_as_precisely_as_it_asks(lenient: Verifier, question: str, language: str,
                                                              answer: str, source: str, kept: bool) -> None:
    got = lenient.verify(answer, [passage(source)], REFUSAL_DE, language, analyse(question, language))
    assert bool(got.kept) == kept, reasons(got)


@pytest.mark.parametrize(
    ("question", "language", "kind"),
    [
        ("Welcher Manager von Xiaomi führte die Gespräche mit Ford?", "de", "name"),
        ("Welchen Trainer hat Lübeck entlassen?", "de", "name"),
        ("Welche Ministerin hat das Gesetz vorgelegt?", "de", "name"),
        ("Which Xiaomi executive led the talks with Ford?", "en", "name"),
        ("Which executives led the talks?", "en", "list"),  # several people: a list
        ("Welche Modelle soll die Plattform tragen?", "de", "list"),
    ],
)
def test_a_question_about_one_person_by_their_function_asks_for_a_name(question: str, language: str,
                                                                       kind: str) -> None:
    assert analyse(question, language).kind == kind


def test_a_name_question_by_function_is_not_answered_without_a_name(lenient: Verifier) -> None:
    source = [passage("Ford hat mit Xiaomi über eine Zusammenarbeit gesprochen, sagte Xiaomi-Manager Lei Jun.")]
    question = analyse("Welcher Manager von Xiaomi sprach mit Ford?", "de")
    assert not lenient.verify("Ein Manager von Xiaomi sprach mit Ford [1].", source, REFUSAL_DE, "de", question).kept
    assert lenient.verify("Lei Jun [1].", source, REFUSAL_DE, "de", question).kept


def test_where_or_when_someone_said_something_stands_in_the_attribution(lenient: Verifier) -> None:
    source = [passage("«Unsere Firmen werden dadurch beide stärker», sagte Toyota-Chef Akio Toyoda in München.")]
    question = analyse("Wo sagte Toyoda, dass beide Firmen stärker werden?", "de")
    got = lenient.verify("«Unsere Firmen werden dadurch beide stärker», sagte Toyoda in München [1].", source,
                         REFUSAL_DE, "de", question)
    assert got.kept, reasons(got)
    assert not lenient.verify("Toyoda sagte, dass beide Firmen stärker werden [1].", source, REFUSAL_DE, "de",
                              question).kept
    # the quote that stands in for the rejected draft: the sentence whose attribution names the place
    quote = Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0).quote(question, source, "de")
    assert quote is not None and "München" in quote.text
    # a question about something else still gets nothing from an attribution ("why" is not "sagte Toyoda")
    why = analyse("Warum werden beide Firmen stärker?", "de")
    assert not lenient.verify("Beide Firmen werden stärker, sagte Toyoda in München [1].", source, REFUSAL_DE, "de",
                              why).kept


@pytest.mark.parametrize(
    "sentence",
    [
        "Der Manager von Xiaomi, der die Gespräche mit Ford führt, wurde nicht in den Quellen angegeben.",
        "Sein Name wird in keinem der Artikel genannt.",
        "The name of the executive is not mentioned in the sources.",
        "The price was not given in any of the articles.",
    ],
)
def test_the_sources_not_naming_something_is_a_refusal_also_when_the_negation_comes_first(sentence: str) -> None:
    assert is_refusal(sentence, REFUSAL_DE)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ford führte keine Gespräche mit den in den Artikeln genannten Firmen [1].",
        "Nissan will seine Technik nicht in den Joint Ventures einsetzen [1].",
    ],
)
def test_a_negated_statement_that_mentions_articles_is_no_refusal(sentence: str) -> None:
    assert not is_refusal(sentence, REFUSAL_DE)


@pytest.mark.parametrize("claim", ["Nissan won't give its e-Power technology to the joint venture.",
                                   "Nissan doesn’t give its e-Power technology to the joint venture.",
                                   "Nissan can't give its e-Power technology to the joint venture."])
def test_a_contracted_english_negation_is_a_negation(claim: str) -> None:
    source = ("Nissan plant auch nicht, seine e-Power-Hybridtechnologie einem Joint Venture zur Verfügung zu "
              "stellen, das Renault mit Geely unterhält.")
    assert disagreement(claim, "en", source, "de") is None
    assert disagreement("Nissan gives its e-Power technology to the joint venture.", "en", source, "de")


@pytest.mark.parametrize(("english", "german"), [("leads", "leit"), ("stops", "halt")])
def test_news_words_of_english_questions_meet_their_german_forms(english: str, german: str) -> None:
    assert german in german_forms(english)


def test_what_an_english_answer_says_a_figure_measures_must_be_in_its_german_source(lenient: Verifier) -> None:
    """"cost", "revenue", "profit", "loss", "debt" say what a number is: 9.5 million paid by the city is not what
    the museum cost."""
    sources = [passage("Statt der veranschlagten 26 Millionen Euro kostete das Projekt am Ende 38,5 Millionen Euro.", 1,
                       title="Museum in Koblenz eröffnet"),
               passage("Das Land übernahm 20 Millionen Euro, die Stadt Koblenz 9,5 Millionen.", 2,
                       title="Museum in Koblenz eröffnet")]
    question = analyse("How much did the Koblenz museum cost in the end?", "en")
    wrong = lenient.verify("The Koblenz museum cost 9.5 million euros [2].", sources, REFUSAL_DE, "en", question)
    assert not wrong.kept and "'cost' is not in the cited source" in str(wrong.rejected[0].reason)
    right = lenient.verify("The museum cost 38.5 million euros in the end [1].", sources, REFUSAL_DE, "en", question)
    assert right.kept, reasons(right)


@pytest.mark.parametrize(
    ("answer", "source", "kept"),
    [
        # the source dates the contract with 2028: the year counts no salary
        ("Das Jahresgehalt von Brandhuber beträgt 2028 [1].",
         "Brandhuber unterschreibt bei der Borussia einen Vertrag bis zum 30. Juni 2028.", False),
        ("Das Jahresgehalt von Brandhuber beträgt 2028 [1].",
         "Bis 2028 soll Brandhuber bleiben.", False),
        # a four-digit figure that counts something stays a number
        ("Das Jahresgehalt von Brandhuber beträgt 2000 Euro [1].",
         "Das Jahresgehalt von Brandhuber beträgt 2000 Euro.", True),
    ],
)
def test_a_year_the_source_uses_as_one_answers_no_how_much(lenient: Verifier, answer: str, source: str,
                                                           kept: bool) -> None:
    question = analyse("Wie hoch ist das Jahresgehalt von Brandhuber?", "de")
    got = lenient.verify(answer, [passage(source)], REFUSAL_DE, "de", question)
    assert bool(got.kept) == kept, reasons(got)


@pytest.mark.parametrize(
    ("question", "language", "kind", "grain"),
    [
        ("Ab welchem Datum gilt der neue Tarif?", "de", "date", "day"),
        ("Bis zu welchem Zeitpunkt muss Baltrans das Terminal verkaufen?", "de", "date", None),
        ("Seit welchem Jahr kooperieren BMW und Toyota?", "de", "date", "year"),
        ("Nach welchem Termin wird wieder verhandelt?", "de", "date", None),
        ("Unter welchem Namen verkauft Nissan das Modell?", "de", "name", None),
        ("Welchen Namen trägt das Projekt?", "de", "name", None),
        ("Under what name will the car be sold?", "en", "name", None),
        ("Welche Namen stehen auf der Liste?", "de", "list", None),  # several names: a list
    ],
)
def test_a_date_or_a_name_asked_for_after_a_preposition_is_recognised(question: str, language: str, kind: str,
                                                                       grain: str | None) -> None:
    info = analyse(question, language)
    assert (info.kind, info.grain) == (kind, grain)


def test_a_german_noun_after_an_adjective_is_no_name_that_answers_who() -> None:
    # "aus einmaligen Geschäften": a common noun, though no article stands right before it; the role is the answer
    source = passage("Nach Angaben des Leiters der Produktplanung für Nissan in Nordamerika sollen aus einmaligen "
                     "Geschäften langfristige Kooperationen werden.")
    question = analyse("Wie heißt der Leiter der Produktplanung von Nissan in Nordamerika?", "de")
    assert Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0).quote(question, [source], "de") is None
    named = passage("Nach Angaben von Produktplaner Ivan Espinosa sollen aus einmaligen Geschäften Kooperationen "
                    "werden.")
    assert Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0).quote(question, [named], "de")


def test_an_answer_that_names_its_source_by_the_prompts_label_is_not_dropped_for_it(lenient: Verifier) -> None:
    source = [passage("Im Rennen waren auch Standorte in Sachsen-Anhalt und Polen.")]
    question = analyse("Which other locations did Voltaris consider?", "en")
    got = lenient.verify("According to Source [1], sites in Saxony-Anhalt and Poland were considered [1].", source,
                         REFUSAL_DE, "en", question)
    assert not any("'Source'" in r for r in reasons(got)), reasons(got)


def test_an_answer_that_names_its_source_by_its_place_claims_no_number_for_it(lenient: Verifier) -> None:
    source = [passage("Täglich fahren noch rund 24.000 Autos über das Bauwerk.")]
    question = analyse("Roughly how many cars still drive over the old bridge every day?", "en")
    for answer in ("According to the first source, about 24,000 cars still drive over the bridge every day [1].",
                   "Laut der ersten Quelle fahren täglich noch rund 24.000 Autos über das Bauwerk [1]."):
        got = lenient.verify(answer, source, REFUSAL_DE, "en" if answer.startswith("According") else "de", question)
        assert not any("number" in r for r in reasons(got)), reasons(got)
    # a first that is part of the claim is still a number the source must hold
    got = lenient.verify("The first 24,000 cars drove over the bridge [1].", source, REFUSAL_DE, "en", question)
    assert any("number(s) 1 " in r for r in reasons(got)), reasons(got)


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("The roofs were in four cities: Würzburg, Nürnberg, Bamberg and Schweinfurt [1].", True),
        ("Die Dächer lagen in vier Städten (Würzburg, Nürnberg, Bamberg und Schweinfurt) [1].", True),
        # a count that its list does not show is a claim of its own
        ("The roofs were in five cities: Würzburg, Nürnberg, Bamberg and Schweinfurt [1].", False),
        ("The roofs were in four cities, among them Würzburg and Bamberg [1].", False),
    ],
)
def test_a_count_shown_by_the_list_that_follows_it_is_no_number_to_find(lenient: Verifier, answer: str,
                                                                         kept: bool) -> None:
    source = [passage("Untersucht wurden Dächer in Würzburg, Nürnberg, Bamberg und Schweinfurt.")]
    question = analyse("In which cities were the roofs in the study?", "en")
    language = "de" if answer.startswith("Die") else "en"
    got = lenient.verify(answer, source, REFUSAL_DE, language, question)
    assert (not any("number" in r for r in reasons(got))) is kept, reasons(got)


def test_a_price_question_is_answered_by_an_amount_of_money_not_by_a_count() -> None:
    quoter = Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0)
    count = passage("Die beiden Firmen bieten in Freiburg zusammen rund 1.900 Roller an.")
    for question in (analyse("How much does it cost to rent an e-scooter in Freiburg?", "en"),
                     analyse("Wie viel kostet ein Leihroller in Freiburg?", "de")):
        assert question.kind == "number" and quoter.quote(question, [count], question.language) is None
        price = passage("Eine Fahrt mit dem Leihroller kostet in Freiburg 1,50 Euro.")
        quote = quoter.quote(question, [price], question.language)
        assert quote is not None and "1,50 Euro" in quote.text
    # a share of a cost is a number, not an amount; so is a count of the people who paid
    share = analyse("What share of the costs does the federal government pay?", "en")
    assert quoter.quote(share, [passage("Der Bund übernimmt 75 Prozent der Kosten.")], "en") is not None
    paid = analyse("How many people paid for a ride?", "en")
    assert quoter.quote(paid, [passage("Rund 1.900 Menschen zahlten für eine Fahrt mit dem Roller.")], "en")


def test_a_count_is_not_answered_by_an_amount_of_money() -> None:
    quoter = Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0)
    allowance = passage("Für Firmenkunden gilt seit Oktober 2019 ein Freibetrag von 250.000 Euro.")
    for question in (analyse("Wie viele Firmenkunden müssen das Entgelt zahlen?", "de"),
                     analyse("How many business customers have to pay the charge?", "en")):
        assert question.kind == "number" and quoter.quote(question, [allowance], question.language) is None
        count = passage("Betroffen sind rund 300 Firmenkunden.")
        assert quoter.quote(question, [count], question.language) is not None
    # a count of money is money
    euros = analyse("Wie viele Millionen Euro zahlt der Bund?", "de")
    assert quoter.quote(euros, [passage("Der Bund zahlt 75 Millionen Euro.")], "de") is not None


def test_a_quote_for_why_needs_a_sentence_that_gives_a_reason() -> None:
    quoter = Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0)
    question = analyse("Why did Freiburg want the rental scooters out of the old town?", "en")
    event = passage("Die Stadt Freiburg darf das Abstellen von Leih-E-Scootern in der Altstadt nicht pauschal "
                    "verbieten.")
    assert quoter.quote(question, [event], "en") is None
    reason = passage("Die Stadt hatte das Verbot erlassen, weil abgestellte Roller immer wieder Gehwege versperrten.")
    quote = quoter.quote(question, [reason], "en")
    assert quote is not None and "Gehwege" in quote.text


def test_an_answer_to_why_states_a_cause_not_only_more_words_of_the_event() -> None:
    """"um zwei Jahre" is no purpose ("um ... zu" is); a sentence in many new words without a connective tells
    what happened, not why (a false presupposition: the captain is no longer captain)."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0)
    source = [passage("Kapitän bleibt Abwehrchef Sören Lüders, der seinen Vertrag im Mai um zwei Jahre verlängert "
                      "hatte. Lüders verlängerte, um in Lübeck zu bleiben.")]
    question = analyse("Warum ist Sören Lüders nicht mehr Kapitän?", "de")
    event = "Kapitän bleibt Abwehrchef Sören Lüders, der seinen Vertrag im Mai um zwei Jahre verlängert hatte [1]."
    assert not verifier.verify(event, source, REFUSAL_DE, "de", question).kept
    purpose = analyse("Warum verlängerte Lüders?", "de")
    assert verifier.verify("Lüders verlängerte, um in Lübeck zu bleiben [1].", source, REFUSAL_DE, "de", purpose).kept


def test_a_number_joined_to_a_name_counts_nothing() -> None:
    quoter = Quoter(min_relevance=0.5, min_relevance_cross=0.5, min_coverage=0.0)
    question = analyse("Wie schwer ist der Bremer Waldbrand-Satellit?", "de")
    lead = passage("Mit Verspätung ist der Waldbrand-Satellit «Brandwacht-1» des Bremer Start-ups ins All gestartet.")
    assert question.kind == "number" and quoter.quote(question, [lead], "de") is None
    weight = passage("Der Waldbrand-Satellit «Brandwacht-1» wiegt 68 Kilogramm.")
    quote = quoter.quote(question, [weight], "de")
    assert quote is not None and "68 Kilogramm" in quote.text


def test_a_motive_answers_why_in_german_will_and_english_wants_not_in_english_will() -> None:
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0)
    source = [passage("Ford will seine Position im globalen EV-Markt stärken und Synergien mit Xiaomi nutzen. "
                      "Das Werk in Köln wird 2026 umgebaut.")]
    why = analyse("Warum spricht Ford mit Xiaomi?", "de")
    assert verifier.verify("Ford will seine Position im EV-Markt stärken [1].", source, REFUSAL_DE, "de", why).kept
    english = analyse("Why is Ford talking to Xiaomi?", "en")
    assert verifier.verify("Ford wants to strengthen its position in the EV market [1].", source, REFUSAL_DE, "en",
                           english).kept
    plant = analyse("Why is Ford's Cologne plant being rebuilt?", "en")
    assert not verifier.verify("The Cologne plant will be rebuilt in 2026 [1].", source, REFUSAL_DE, "en", plant).kept


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        # "um … zu" states a purpose also when the "zu" sits inside a separable verb ("auszuloten")
        ("Ford führt Gespräche mit Xiaomi, um strategische Optionen bei Elektroautos auszuloten [1].", True),
        ("Ford führt Gespräche mit Xiaomi, um strategische Optionen bei Elektroautos zu prüfen [1].", True),
        # "um" as a preposition gives no reason: the event retold with new words
        ("Ford führt Gespräche mit Xiaomi um strategische Optionen bei Elektroautos [1].", False),
    ],
)
def test_a_purpose_with_zu_inside_a_separable_verb_is_a_reason(answer: str, kept: bool) -> None:
    source = passage("Ford führt Gespräche mit Xiaomi, um strategische Optionen bei Elektroautos auszuloten und "
                     "zu prüfen.", 1)
    got = Verifier(HashEmbedding(), min_similarity=0.0).verify(answer, [source], REFUSAL_DE, "de",
                                                               analyse("Warum führt Ford Gespräche mit Xiaomi?", "de"))
    assert bool(got.kept) == kept, reasons(got)


@pytest.mark.parametrize(
    ("source", "answer", "kept"),
    [
        # a cause named by its verb: "begründete … mit", "führten … auf … zurück", "was caused by"
        ("Die Stadt begründete das Verbot mit Beschwerden über Roller, die Gehwege blockierten.",
         "Die Stadt begründete das Verbot mit Beschwerden über Roller auf den Gehwegen [1].", True),
        ("Die schnellen Zeiten führten die Veranstalter auf die geänderte Streckenführung zurück.",
         "Die Veranstalter führten die schnellen Zeiten auf die geänderte Streckenführung zurück [1].", True),
        ("Die Stadt hat das Verbot für die Altstadt am 1. März wegen Beschwerden erlassen.",
         "Die Stadt hat das Verbot für die Altstadt am 1. März erlassen [1].", False),  # the event, no cause
    ],
)
def test_a_cause_named_by_its_verb_answers_why(source: str, answer: str, kept: bool) -> None:
    question = analyse("Warum hat die Stadt das Verbot erlassen?", "de")
    got = Verifier(HashEmbedding(), min_similarity=0.0).verify(answer, [passage(source, 1)], REFUSAL_DE, "de",
                                                               question)
    assert bool(got.kept) == kept, reasons(got)


def test_the_evidence_picker_counts_a_cause_verb_as_a_reason() -> None:
    why = analyse("Warum sind die Zeiten so gut?", "de")
    assert holds_kind(why, "Die Zeiten führten die Veranstalter auf die geänderte Streckenführung zurück.")
    assert holds_kind(why, "Die Sparkasse begründet den Schritt mit der Geldpolitik der Zentralbank.")
    assert holds_kind(analyse("Why were the times so good?", "en"), "The good times were caused by a flat course.")
    assert not holds_kind(why, "Der Kenianer lief den Marathon in 2:09:17 Stunden.")
    assert not holds_kind(why, "Er führte das Team auf Platz drei.")
