"""The chat's words in German and English: example questions, hints, and every state and label it shows."""

from __future__ import annotations

EXAMPLES = [
    "Wann wurde Carlos Ghosn verhaftet?",
    "Worüber sprachen Ford und Xiaomi?",
    "In which markets will the expanded Nissan EV strategy apply?",
    "What do BMW and Toyota want to cooperate on?",
]
PLACEHOLDER = "**Fragen Sie auf Deutsch oder Englisch**<br>Ask in German or English"
ASK_HINT = "Ihre Frage … / Your question …"

TEXT: dict[str, dict[str, str]] = {
    "de": {
        "thinking": "Suche in den Quellen …",
        "writing": "{n} Quellen gefunden – die Antwort wird geschrieben …",
        "evidence": "Gefundene Belege (die Antwort wird geprüft)",
        "draft": "Entwurf – wird gegen die Quellen geprüft",
        "not_in_sources": "Keine Quelle enthält die Antwort auf diese Frage.",
        "not_verified": "Der Entwurf war nicht durch die Quellen belegt und wurde verworfen.",
        "not_verified_hint": "Fragen Sie genauer nach oder prüfen Sie die Filter. Die verworfenen Sätze:",
        "not_in_sources_hint": "Formulieren Sie die Frage anders oder prüfen Sie die Filter.",
        "dropped": "Nicht belegte Sätze wurden entfernt:",
        "busy": "Der Assistent ist gerade ausgelastet. Bitte in ein paar Sekunden erneut senden.",
        "error": "Fehler",
        "error_hint": "Die Frage steht wieder im Eingabefeld: erneut senden. Bleibt der Fehler, steht "
                      "mehr im Server-Log.",
        "input_hint": "Bitte die Frage anpassen und erneut senden.",
        "filter_hint": "Bitte die Filter korrigieren (Datum als JJJJ, JJJJ-MM oder JJJJ-MM-TT).",
        "empty_index": "Der Index ist leer: es gibt noch keine Artikel, aus denen geantwortet werden kann.",
        "empty_index_hint": "Artikel aufnehmen mit <code>assistant ingest PFAD</code> (z. B. "
                            "<code>assistant ingest corpus</code>), dann diese Seite neu laden.",
        "full_article": "Ganzer Artikel",
        "sources_for": "Quellen zu Frage",
        "thanks": "Danke, Ihr Feedback ist gespeichert.",
        "no_answer_yet": "Noch keine Antwort, die bewertet werden könnte.",
        "page": "S.",
        "also_in": "auch in",
    },
    "en": {
        "thinking": "Searching the sources …",
        "writing": "Found {n} sources – writing the answer …",
        "evidence": "Evidence found (the answer is being checked)",
        "draft": "Draft – being checked against the sources",
        "not_in_sources": "No source contains the answer to this question.",
        "not_verified": "The draft was not supported by the sources and was discarded.",
        "not_verified_hint": "Ask more specifically or check the filters. The discarded sentences:",
        "not_in_sources_hint": "Try rephrasing the question or check the filters.",
        "dropped": "Unsupported sentences were removed:",
        "busy": "The assistant is busy right now. Please retry in a few seconds.",
        "error": "Error",
        "error_hint": "Your question is back in the input box: send it again. If the error persists, the "
                      "server log has details.",
        "input_hint": "Please change the question and send it again.",
        "filter_hint": "Please correct the filters (dates as YYYY, YYYY-MM or YYYY-MM-DD).",
        "empty_index": "The index is empty: there are no articles to answer from yet.",
        "empty_index_hint": "Add articles with <code>assistant ingest PATH</code> (e.g. "
                            "<code>assistant ingest corpus</code>), then reload this page.",
        "full_article": "Full article",
        "sources_for": "Sources for question",
        "thanks": "Thank you, your feedback is saved.",
        "no_answer_yet": "There is no answer to rate yet.",
        "page": "p.",
        "also_in": "also in",
    },
}
