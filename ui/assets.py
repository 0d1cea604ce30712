"""The web UI's stylesheets and scripts: the files in ui/static/ (package data), read when the app is built."""

from __future__ import annotations

from importlib.resources import files

STYLESHEETS = (
    "chat.css",  # the chat: answers, states, source cards (ui/chat_render.py)
    "chips.css",  # filters taken from the question (ui/date_chips.py)
    "articles.css",  # the Articles tab (ui/articles.py)
    "timeline.css",  # timeline answers (ui/timeline.py)
)
SCRIPTS = (
    "cite-links.js",  # a click on a [n] marker scrolls to its source card (opening collapsed sections), flashes it
    "chips.js",  # a click on a chip's ✕ presses the hidden button that asks again without the question's filters
)


def asset(name: str) -> str:
    """The text of one file in ui/static/ (also from an installed, non-editable package)."""
    return (files("ui") / "static" / name).read_text(encoding="utf-8")


def css() -> str:
    """Every stylesheet, for ``gr.mount_gradio_app(css=...)``."""
    return "".join("\n" + asset(name) for name in STYLESHEETS)


def head() -> str:
    """Every script as a ``<script>`` element, for ``gr.mount_gradio_app(head=...)``."""
    return "".join(f"\n<script>\n{asset(name)}</script>\n" for name in SCRIPTS)
