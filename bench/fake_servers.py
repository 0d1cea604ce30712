"""Stand-in servers for benchmarks on loopback: an OpenAI chat server that answers at once (so a worker's start-up
and search figures are its own, "LLM remote"), and an OpenAI embeddings server that serves composed vectors as
fast as one core allows, or at a set rate (to see how far the ingest keeps up with a fast GPU server).

    python -m bench.fake_servers chat --port 8090
    python -m bench.fake_servers embeddings --port 8091 --sentence-cache .cache/growth/sentence-vectors.npz [--rate 500]
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

REPLY = "Dazu enthalten die Quellen keine Angaben."


def chat_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": "fake", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        if not body.get("stream"):
            return {"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY},
                                 "finish_reason": "stop"}]}

        def events() -> Iterator[str]:
            for piece in (REPLY, ""):
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                         "choices": [{"index": 0, "delta": {"content": piece} if piece else {},
                                      "finish_reason": None if piece else "stop"}]}
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class _Pacer:
    """At most ``rate`` texts a second over all requests (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, n: int) -> None:
        if not self.rate:
            return
        with self._lock:
            start = max(self._next, time.monotonic())
            self._next = start + n / self.rate
        time.sleep(max(0.0, self._next - time.monotonic()))


def embeddings_app(sentence_cache: Path, rate: float = 0.0, model: str = "composed-e5") -> FastAPI:
    from bench.composed import ComposedEmbedding

    embedder = ComposedEmbedding(sentence_cache, threads=1)
    pacer = _Pacer(rate)
    app = FastAPI()
    stats = {"requests": 0, "texts": 0, "busy_s": 0.0}

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": model, "object": "model"}]}

    @app.get("/stats")
    def get_stats() -> dict:
        return stats

    @app.post("/v1/embeddings")
    def embeddings(body: dict) -> Any:
        t = time.perf_counter()
        texts = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        texts = [x.removeprefix("passage: ").removeprefix("query: ") for x in texts]
        vectors = embedder._encode(texts, is_query=False)
        pacer.wait(len(texts))
        stats["requests"] += 1
        stats["texts"] += len(texts)
        stats["busy_s"] += time.perf_counter() - t
        as_base64 = body.get("encoding_format") == "base64"  # as vLLM, TEI, Infinity and OpenAI answer it
        data = [{"object": "embedding", "index": i,
                 "embedding": base64.b64encode(v.astype("<f4").tobytes()).decode() if as_base64 else v.tolist()}
                for i, v in enumerate(vectors)]
        return JSONResponse({"object": "list", "model": model, "data": data})

    return app


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.fake_servers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["chat", "embeddings"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sentence-cache", type=Path)
    p.add_argument("--rate", type=float, default=0.0, help="embeddings: most texts per second (0 = no limit)")
    a = p.parse_args(argv)
    app = chat_app() if a.kind == "chat" else embeddings_app(a.sentence_cache, a.rate)
    uvicorn.run(app, host="127.0.0.1", port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
