"""The Articles tab: upload files (or a .zip), follow the job file by file, list, delete and ask about articles.

Callbacks only translate between Gradio values and the upload jobs, the ingester and ``Assistant.ask``; the
checks are those of the HTTP upload (``ui.uploads``). ``build_ui`` puts the chat and this tab side by side.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.models import DocumentInfo, Filters
from assistant.service import Assistant
from ingest.factory import supported_suffixes
from ui.chat import build_chat
from ui.chat_render import answer_html, esc, sources_html, state_html
from ui.feedback import FeedbackLog
from ui.jobs import IngestJobs, Job
from ui.uploads import UploadLimits, UploadRejected, remove_tree, stage_local

POLL_S = 0.4
STATUS_TEXT = {"pending": "wartet / waiting", "new": "neu / new", "changed": "geändert / changed",
               "unchanged": "unverändert / unchanged", "skipped": "übersprungen / skipped",
               "failed": "fehlgeschlagen / failed"}


def job_html(job: Job) -> str:
    """Progress and one row per file: name, result, and why a file was skipped."""
    head = {"queued": "In der Warteschlange / queued", "running": "Wird aufgenommen / ingesting",
            "done": "Fertig / done", "failed": "Fehlgeschlagen / failed"}[job.state]
    rows = "".join(
        f'<tr class="file-{f.status}" data-status="{f.status}"><td>{esc(f.name)}</td>'
        f"<td>{STATUS_TEXT[f.status]}</td><td>{esc(f.reason or '')}</td></tr>" for f in job.files)
    error = f"<p>{esc(job.error)}</p>" if job.error else ""
    return (f'<div class="job" data-state="{job.state}"><b>{head}</b> – {job.done} / {job.total}'
            f'<progress value="{job.done}" max="{max(job.total, 1)}"></progress>{error}'
            f"<table><tr><th>Datei / file</th><th>Ergebnis / result</th><th>Grund / reason</th></tr>{rows}"
            "</table></div>")


def article_rows(docs: list[DocumentInfo]) -> list[list[Any]]:
    return [[d.title, d.source, d.outlet or "", d.date or "", d.language, d.chunks, d.doc_id] for d in docs]


def article_choices(docs: list[DocumentInfo]) -> list[tuple[str, str]]:
    return [(f"{d.title[:70]} ({d.source})", d.doc_id) for d in docs]


class ArticleCallbacks:
    """What the Articles tab's events do."""

    def __init__(self, assistant: Assistant, jobs: IngestJobs, limits: UploadLimits) -> None:
        self.assistant = assistant
        self.jobs = jobs
        self.limits = limits

    def listing(self, keep: str | None = None) -> tuple[Any, Any]:
        """(table, picker) of the articles now in the index; the picker keeps ``keep`` if it is still there."""
        docs = self.assistant.documents()
        ids = {d.doc_id for d in docs}
        return (gr.update(value=article_rows(docs)),
                gr.update(choices=article_choices(docs), value=keep if keep in ids else None))

    def add(self, files: list[str] | None, picked: str | None) -> Iterator[tuple[Any, ...]]:
        """Yields (status, table, picker, file box) from the checks through the job's progress to its end."""
        paths = [Path(f) for f in files or []]
        job_id = self.jobs.new_id()
        staging = self.jobs.staging(job_id)
        try:
            names = stage_local([(p, p.name) for p in paths], staging, self.limits, supported_suffixes())
        except (UploadRejected, OSError) as e:
            remove_tree(staging)
            yield (state_html("error", f"⚠ {esc(str(e))}", "Nichts wurde aufgenommen. / Nothing was added."),
                   gr.update(), gr.update(), gr.update())
            return
        job = self.jobs.submit(job_id, names)
        yield job_html(job), gr.update(), gr.update(), None
        while not job.final:
            time.sleep(POLL_S)
            job = self.jobs.get(job_id) or job
            yield job_html(job), gr.update(), gr.update(), gr.update()
        table, picker = self.listing(picked or _first_new(job))
        yield job_html(job), table, picker, gr.update()

    def delete(self, doc_id: str | None) -> tuple[Any, Any, Any, Any]:
        """(note, table, picker, answer) after deleting the picked article."""
        if not doc_id:
            return state_html("error", "Bitte einen Artikel wählen. / Pick an article first."), *self.listing(), ""
        try:
            found = self.jobs.ingester.delete(doc_id)
        except AssistantError as e:
            return state_html("error", f"⚠ {esc(str(e))}"), *self.listing(doc_id), gr.update()
        note = (f"Gelöscht / deleted: {esc(found[0])}" if found else "Der Artikel war schon gelöscht. / "
                "The article was already deleted.")
        return state_html("deleted", note), *self.listing(), ""

    def ask(self, doc_id: str | None, question: str) -> str:
        """An answer from the picked article only (or from all articles when none is picked)."""
        question = (question or "").strip()
        if not question:
            return ""
        found = self.assistant.document(doc_id) if doc_id else None
        filters = Filters(source=[found[0].source]) if found else None
        try:
            answer = self.assistant.ask(question, filters=filters)
        except AssistantError as e:
            return state_html("error", f"⚠ {esc(str(e))}")
        return answer_html(answer, 0) + sources_html(answer, 0, self._article_text)

    def _article_text(self, doc_id: str) -> str | None:
        found = self.assistant.document(doc_id)
        return found[1] if found else None


def _first_new(job: Job) -> str | None:
    return next((f.doc_ids[0] for f in job.files if f.status in ("new", "changed") and f.doc_ids), None)


def build_articles(assistant: Assistant, jobs: IngestJobs, limits: UploadLimits) -> gr.Blocks:
    """The Articles tab's content, as its own Blocks (rendered into a tab by ``build_ui``)."""
    cb = ArticleCallbacks(assistant, jobs, limits)
    kinds = sorted(supported_suffixes() | {".zip"})
    with gr.Blocks(analytics_enabled=False) as tab:
        gr.Markdown(f"Dateien hinzufügen / add files: {' '.join(kinds)} · höchstens / at most "
                    f"{limits.max_files} Dateien / files, {limits.max_file_bytes // 1_000_000} MB je Datei / "
                    "per file. Gleicher Dateiname = dieselbe Datei / same name = same file.")
        files = gr.File(file_count="multiple", file_types=kinds, elem_id="upload-files",
                        label="Dateien oder .zip / files or .zip")
        add = gr.Button("Aufnehmen / Add", elem_id="upload-add", variant="primary")
        status = gr.HTML(elem_id="upload-status")
        gr.Markdown("**Artikel im Archiv / articles in the archive**")
        table = gr.Dataframe(headers=["Titel / title", "Quelle / source", "Medium / outlet", "Datum / date",
                                      "Sprache / language", "Abschnitte / chunks", "ID"],
                             interactive=False, elem_id="article-list", wrap=True,
                             column_widths=["30%", "26%", "12%", "10%", "7%", "7%", "8%"])
        with gr.Row(equal_height=True):
            picker = gr.Dropdown([], label="Artikel / article", elem_id="article-pick", scale=4)
            delete = gr.Button("Löschen / Delete", variant="stop", elem_id="article-delete", scale=1)
        note = gr.HTML(elem_id="article-note")
        with gr.Row(equal_height=True):
            question = gr.Textbox(show_label=False, elem_id="article-question", scale=5,
                                  placeholder="Frage zu diesem Artikel / question about this article")
            ask = gr.Button("Fragen / Ask", elem_id="article-ask", scale=1)
        answer = gr.HTML(elem_id="article-answer")

        add.click(cb.add, [files, picker], [status, table, picker, files], show_progress="hidden",
                  concurrency_limit=None)
        delete.click(cb.delete, [picker], [note, table, picker, answer])
        ask.click(cb.ask, [picker, question], [answer], concurrency_limit=None)
        question.submit(cb.ask, [picker, question], [answer], concurrency_limit=None)
        tab.load(cb.listing, None, [table, picker])
    return tab


def build_ui(assistant: Assistant, feedback: FeedbackLog, jobs: IngestJobs, limits: UploadLimits) -> gr.Blocks:
    """The web UI: the chat in one tab, the articles in another."""
    chat = build_chat(assistant, feedback)
    articles = build_articles(assistant, jobs, limits)
    # Gradio keeps a copy of every uploaded file in its cache; the job has its own: drop Gradio's after an hour
    with gr.Blocks(title="News archive assistant", analytics_enabled=False, fill_width=False,
                   delete_cache=(3600, 3600)) as ui, gr.Tabs(elem_id="tabs"):
        with gr.Tab("Fragen / Ask", id="chat-tab", elem_id="chat-tab"):
            chat.render()
        with gr.Tab("Artikel / Articles", id="articles-tab", elem_id="articles-tab"):
            articles.render()
    return ui
