"""What becomes of the LLM's draft: the verified answer, an evidence sentence quoted instead, or the refusal."""

from __future__ import annotations

from assistant.answer_items import UNTYPED_KINDS, left_out, missing_items, statement
from assistant.models import Answer, AnswerTrace, Citation, DerivedFilter, Language, Passage
from assistant.questions import QuestionInfo
from assistant.quote import Quote, Quoter
from assistant.settings_answers import QuoteSettings
from assistant.verify import Verification, Verifier


def settle_draft(verifier: Verifier, quoter: Quoter, quoting: QuoteSettings, draft: str, evidence: list[Passage],
                 info: QuestionInfo, lang: str, refusal: str, cut_off: bool) -> tuple[Verification, Quote | None]:
    """The verifier's checks of the draft, and the evidence sentence quoted instead of the draft (or beside its
    incomplete list), if any. Without a kept sentence and a quote the answer is the refusal. The LLM's own
    refusal is checked for a quote only as ``quoting`` says (by default: across languages)."""
    check = verifier.verify(draft, evidence, refusal, lang, info, cut_off=cut_off)
    quote: Quote | None = None
    # after the LLM's own refusal a quote needs an item of a kind that tells answers apart (a date, a number, a
    # name, a place, a reason, a list): for a plain fact or a yes/no question any sentence with a word beyond the
    # question's would pass, and the model's refusal is the better evidence
    after_refusal = info.kind not in UNTYPED_KINDS and quoting.on_refusal_for(lang, [p.language for p in evidence])
    if not check.kept and (check.rejected or after_refusal):
        # a draft dropped as a neighbouring fact points at no quote: not its sentence, nor the source it cites
        quote = quoter.quote(info, evidence, lang, [n for c in check.rejected if not c.off_question for n in c.cited],
                             [(c.nearest_source, c.nearest_sentence) for c in check.rejected
                              if c.nearest_source is not None and c.nearest_sentence],
                             "the draft failed verification" if check.rejected else "the LLM found no answer",
                             [c.source_sentence for c in check.rejected if c.off_question and c.source_sentence])
    elif check.kept:
        quote = _incomplete(quoter, check, evidence, info, lang)
    return check, quote


def _incomplete(quoter: Quoter, check: Verification, evidence: list[Passage], info: QuestionInfo,
                lang: str) -> Quote | None:
    """When the answer names only some of the items its source sentence lists (a question about several
    things), or copies the sentence with a clause cut off, the source sentence quoted (it says it all); None
    when the answer is complete."""
    for c in check.checks:
        if not c.accepted or not c.source_sentence or not c.cited:
            continue
        n = c.cited[0]
        unit = evidence[n - 1]
        start = unit.text.find(c.source_sentence)
        if start < 0:
            continue
        # who said it is no item the answer leaves out ("…, sagten die Personen."), unless the question asks for it
        said = statement(c.source_sentence, info)
        missing = missing_items(c.sentence, said, lang, unit.language) if info.kind == "list" or info.several else []
        if missing:
            return quoter.quote_span(n, unit, start, start + len(c.source_sentence), lang,
                                     "the draft named only some of the items its source lists (missing: "
                                     f"{'; '.join(missing)[:120]})")
        cut = left_out(c.sentence, said, lang, unit.language)
        if info.kind in ("date", "number"):  # the answer states the date or number asked for: only another
            cut = [w for w in cut if any(ch.isdigit() for ch in w)]  # figure of the sentence is left out of it
        if cut:
            return quoter.quote_span(n, unit, start, start + len(c.source_sentence), lang,
                                     "the draft copied its source sentence with a part cut off (left out: "
                                     f"{' '.join(cut)[:120]})")
    return None


def settled_answer(check: Verification, quote: Quote | None, citations: list[Citation], trace: AnswerTrace, *,
                   lang: Language, refusal: str, timings: dict[str, float], rewritten: str | None,
                   applied: list[DerivedFilter]) -> Answer:
    """The answer of a settled draft: its kept sentences with the sources they cite, the quoted evidence sentence,
    or the refusal; ``trace`` gets the mode (and the reason of a quote or a refusal)."""
    unsupported = [f"{c.sentence} ({c.reason})" for c in check.rejected]
    if check.kept and quote is None:
        cited = [citations[n - 1] for n in sorted(check.cited)]
        return Answer(answer=check.text, language=lang, answerable=True, citations=cited,
                      unsupported=unsupported, timings=timings, standalone_question=rewritten,
                      trace=trace, applied_filters=applied)
    if quote is not None:
        trace.mode, trace.quote_reason = "quoted", quote.reason
        quoted = [_span(citations[p.n - 1], p.start, p.end) for p in quote.parts]
        return Answer(answer=quote.text, language=lang, answerable=True, citations=quoted,
                      unsupported=unsupported, timings=timings, standalone_question=rewritten,
                      trace=trace, applied_filters=applied)
    trace.mode = "refused"
    trace.refusal_cause = "verifier_rejected" if check.rejected else "llm_refused"
    return Answer(answer=refusal, language=lang, answerable=False, citations=[],
                  unsupported=unsupported, timings=timings, standalone_question=rewritten,
                  trace=trace, applied_filters=applied)


def _span(unit: Citation, start: int, end: int) -> Citation:
    """The citation of ``unit.text[start:end]``, with article offsets."""
    return unit.model_copy(update={"text": unit.text[start:end], "start": unit.start + start,
                                   "end": unit.start + end})
