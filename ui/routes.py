"""Which requests are API calls, asks and uploads: the route classes that guards price and bodies are bounded by."""

from __future__ import annotations

API_PREFIXES = ("/api/", "/v1/")
# Routes that take files: their bodies are bounded by the upload limit (the route checks each file itself).
UPLOAD_ROUTES = {("POST", "/api/documents"), ("POST", "/gradio_api/upload")}
ASK_ROUTES = {("POST", "/api/ask"), ("POST", "/v1/chat/completions")}


def is_api(path: str) -> bool:
    """A JSON API path (/api, /v1), not a page or a request of the Gradio UI."""
    return path.startswith(API_PREFIXES) or path in ("/api", "/v1")
