"""HTML escaping for text shown in Gradio's HTML components."""

from __future__ import annotations

import html


def esc(text: str) -> str:
    """HTML-escape, also braces (Gradio's HTML component treats its value as a template)."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")
