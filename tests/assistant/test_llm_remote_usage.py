"""The OpenAI-compatible LLM backend asks for token usage (``stream_options``) and keeps answering through a
server that refuses that field: a real HTTP server on loopback, strict like a schema with no extra fields."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.errors import LLMError
from assistant.llm import OpenAICompatibleLLM
from assistant.models import TokenUsage


class _ChatServer:
    """Streams "Leipzig [1]." as chat-completion chunks; ``strict`` answers 400 to a body with fields it does not
    know, as servers with closed request schemas do."""

    def __init__(self, strict: bool) -> None:
        self.bodies: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.bodies.append(body)
                if (strict and "stream_options" in body) or not body.get("messages"):
                    self._send(400, json.dumps({"error": {"message": "extra fields not permitted",
                                                          "type": "invalid_request_error"}}).encode())
                    return
                chunks: list[dict[str, object]] = [{"choices": [{"index": 0, "delta": {"content": piece}}]}
                                                   for piece in ("Leipzig", " [1].")]
                if "stream_options" in body:
                    chunks.append({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 2,
                                                            "total_tokens": 14}})
                head = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
                data = "".join(f"data: {json.dumps(head | c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                self._send(200, data.encode(), "text/event-stream")

            def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def chat_server() -> Iterator[type[_ChatServer]]:
    made: list[_ChatServer] = []

    def make(strict: bool) -> _ChatServer:
        made.append(_ChatServer(strict))
        return made[-1]

    yield make  # type: ignore[misc]
    for s in made:
        s.httpd.shutdown()


MESSAGES = [{"role": "user", "content": "Wo baut die Muster AG?"}]


def test_usage_comes_from_the_last_chunk_when_the_server_knows_stream_options(chat_server) -> None:
    server = chat_server(strict=False)
    llm = OpenAICompatibleLLM(server.url, "key", "m")
    assert "".join(llm.stream(MESSAGES, 20, 30)) == "Leipzig [1]."
    assert llm.last_usage == TokenUsage(prompt_tokens=12, completion_tokens=2)
    assert server.bodies[0]["stream_options"] == {"include_usage": True}


def test_a_server_refusing_stream_options_still_answers_and_is_not_asked_again(chat_server) -> None:
    server = chat_server(strict=True)
    llm = OpenAICompatibleLLM(server.url, "key", "m")
    assert "".join(llm.stream(MESSAGES, 20, 30)) == "Leipzig [1]."
    assert llm.last_usage is None  # nothing counted: no usage rather than a made-up one
    assert "".join(llm.stream(MESSAGES, 20, 30)) == "Leipzig [1]."
    assert ["stream_options" in b for b in server.bodies] == [True, False, False]


def test_a_request_the_server_refuses_for_another_reason_is_an_error_and_usage_stays_asked_for(chat_server) -> None:
    server = chat_server(strict=False)
    llm = OpenAICompatibleLLM(server.url, "key", "m")
    with pytest.raises(LLMError, match="failed"):
        list(llm.stream([], 20, 30))  # no messages: 400 with or without stream_options
    assert "".join(llm.stream(MESSAGES, 20, 30)) == "Leipzig [1]."
    assert llm.last_usage == TokenUsage(prompt_tokens=12, completion_tokens=2)
