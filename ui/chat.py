"""The chat tab's layout: the Gradio components and which callback each event calls.

Streamed drafts are replaced by verified answers, [n] links to source cards, answers can be rated. The HTML
comes from ui/chat_render.py, the callbacks from ui/chat_callbacks.py, the words from ui/chat_text.py.
"""

from __future__ import annotations

import gradio as gr

from assistant.service import Assistant
from ui.chat_callbacks import ChatCallbacks, example_text
from ui.chat_text import ASK_HINT, EXAMPLES, PLACEHOLDER
from ui.date_chips import DROP_ID
from ui.feedback import FeedbackLog


def build_chat(assistant: Assistant, feedback: FeedbackLog) -> gr.Blocks:
    """The chat UI bound to one assistant; ui.server mounts it with the stylesheets and scripts of ui.assets."""
    cb = ChatCallbacks(assistant, feedback)
    with gr.Blocks(title="News archive assistant", analytics_enabled=False, fill_width=False) as demo:
        gr.HTML('<div class="app-head"><h2 style="margin:0">News archive assistant</h2>'
                '<div class="src-note">Antworten nur aus den Artikeln, jede Aussage mit Quelle [n] · '
                "Answers from the articles only, every statement cited</div></div>")
        banner = gr.HTML(elem_id="banner", visible=False)
        exchanges = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chat = gr.Chatbot(elem_id="chat", label="Chat", show_label=False, height="62vh",
                                  min_height=320, feedback_options=None, layout="bubble", buttons=[],
                                  examples=[{"text": q} for q in EXAMPLES],
                                  placeholder=PLACEHOLDER)
                with gr.Row(equal_height=True):
                    box = gr.Textbox(elem_id="question", show_label=False, scale=5, min_width=160,
                                     max_lines=6, autofocus=True, placeholder=ASK_HINT)
                    send = gr.Button("Senden / Send", elem_id="send", variant="primary", scale=1,
                                     min_width=90)
                with gr.Row(visible=False, elem_id="feedback") as feedback_row:
                    up = gr.Button("✓ Hilfreich / helpful", elem_id="thumb-up", size="sm", min_width=120)
                    down = gr.Button("✗ Nicht hilfreich / not helpful", elem_id="thumb-down", size="sm",
                                     min_width=120)
                    comment = gr.Textbox(elem_id="feedback-comment", show_label=False, min_width=180, scale=2,
                                         placeholder="Kommentar (optional) / comment (optional)")
                feedback_status = gr.Markdown(elem_id="feedback-status")
                new = gr.Button("↺ Neues Gespräch / New conversation", elem_id="new", size="sm")
            with gr.Column(scale=2, min_width=300):
                with gr.Accordion("Filter & Sprache / filters & language", open=False, elem_id="filters"):
                    language = gr.Radio(["auto", "de", "en"], value="auto", elem_id="language",
                                        label="Antwortsprache / answer language")
                    outlet = gr.Dropdown([], multiselect=True, label="Medium / outlet", elem_id="outlet")
                    with gr.Row():
                        date_from = gr.Textbox(label="Von / from", placeholder="YYYY[-MM[-DD]]",
                                               min_width=120, elem_id="date-from")
                        date_to = gr.Textbox(label="Bis / to", placeholder="YYYY[-MM[-DD]]",
                                             min_width=120, elem_id="date-to")
                gr.Markdown("**Quellen / Sources**")
                sources = gr.HTML(elem_id="sources")

        inputs = [box, chat, exchanges, language, outlet, date_from, date_to]
        outputs = [chat, exchanges, sources, box, feedback_row, feedback_status]
        # no concurrency limit: the assistant's LLM admission queues (and answers 'busy')
        send.click(cb.respond, inputs, outputs, show_progress="hidden", concurrency_limit=None)
        box.submit(cb.respond, inputs, outputs, show_progress="hidden", concurrency_limit=None)
        drop_dates = gr.Button("ohne Datum aus der Frage", elem_id=DROP_ID, visible="hidden")
        drop_dates.click(cb.respond_without_dates, inputs[1:], outputs, show_progress="hidden", concurrency_limit=None)
        chat.example_select(example_text, None, box, queue=False).then(
            cb.respond, inputs, outputs, show_progress="hidden", concurrency_limit=None)
        up.click(lambda ex, c: cb.rate("up", ex, c), [exchanges, comment], [feedback_status, comment])
        down.click(lambda ex, c: cb.rate("down", ex, c), [exchanges, comment], [feedback_status, comment])
        cleared = [chat, exchanges, sources, box, feedback_row, feedback_status]
        new.click(cb.reset, None, cleared, queue=False)
        chat.clear(cb.reset, None, cleared, queue=False)
        demo.load(cb.load, None, [banner, outlet])
    return demo
