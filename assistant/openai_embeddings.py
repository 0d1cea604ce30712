"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` server (vLLM, Text Embeddings Inference, Infinity,
llama.cpp's server): batches, several requests in flight, retries with backoff, clear errors.

Vectors are asked for as base64 (``encoding_format``, OpenAI's own API and vLLM, TEI, Infinity and llama.cpp's
server know it): a quarter of the bytes of JSON numbers and no number parsing, which was a tenth of the ingest's
own time per chunk through a fast server. A server that sends numbers anyway (llama-cpp-python's) is read as
before; one that refuses the field is asked without it from then on."""

from __future__ import annotations

import base64
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
from pydantic import PrivateAttr

from assistant.embeddings import VectorEmbedding, _normalise
from assistant.errors import EmbeddingServerError

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
E5_PREFIXES = ("query: ", "passage: ")


def default_prefixes(model: str) -> tuple[str, str]:
    """e5 models were trained with ``query: `` / ``passage: ``; other models get no prefix."""
    return E5_PREFIXES if "e5" in model.lower() else ("", "")


class OpenAIEmbedding(VectorEmbedding):
    """Vectors from an embeddings server. ``model_name`` (what the index records) names the served model and
    the prefixes, so an index built through one model or prefix scheme refuses another."""

    base_url: str = ""
    served_model: str = ""
    query_prefix: str = ""
    passage_prefix: str = ""
    in_flight: int = 4
    timeout_s: float = 60.0
    max_retries: int = 5
    backoff_s: float = 0.5
    _client: httpx.Client = PrivateAttr()
    _headers: dict[str, str] = PrivateAttr(default_factory=dict)
    _base64: bool = PrivateAttr(default=True)  # until the server refuses encoding_format

    def __init__(self, base_url: str, model: str, api_key: str = "", *, query_prefix: str | None = None,
                 passage_prefix: str | None = None, batch: int = 64, in_flight: int = 4, timeout_s: float = 60.0,
                 max_retries: int = 5, backoff_s: float = 0.5, transport: httpx.BaseTransport | None = None,
                 **kw: Any) -> None:
        auto_q, auto_p = default_prefixes(model)
        qp = auto_q if query_prefix is None else query_prefix
        pp = auto_p if passage_prefix is None else passage_prefix
        name = f"openai:{model}" + (f" (prefixes {qp!r} / {pp!r})" if qp or pp else "")
        super().__init__(model_name=name, dim=0, passage_batch=batch, base_url=base_url.rstrip("/"),
                         served_model=model, query_prefix=qp, passage_prefix=pp, in_flight=in_flight,
                         timeout_s=timeout_s, max_retries=max_retries, backoff_s=backoff_s, **kw)
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport,
                                    trust_env=False, limits=httpx.Limits(max_connections=max(in_flight, 1) + 4))
        if api_key and api_key != "none":
            self._headers = {"Authorization": f"Bearer {api_key}"}

    @classmethod
    def class_name(cls) -> str:
        return "OpenAIEmbedding"

    # --- the model interface --------------------------------------------------------------------
    def dimension(self) -> int:
        """The served vectors' length, asked from the server once (a clear error when it is down)."""
        if not self.dim:
            self._encode(["dimension probe"], is_query=False)
        return self.dim

    def warm_up(self) -> None:
        self.dimension()

    @property
    def max_in_flight(self) -> int:
        return self.in_flight

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        return self._post([prefix + t for t in texts])

    # the server does its own scheduling: no model lock, queries never wait behind an ingest's batches
    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [texts[lo : lo + self.passage_batch] for lo in range(0, len(texts), self.passage_batch)]
        if len(batches) == 1 or self.in_flight == 1:
            parts = [self._encode(b, is_query=False) for b in batches]
        else:
            with ThreadPoolExecutor(min(self.in_flight, len(batches)), thread_name_prefix="embed") as pool:
                parts = list(pool.map(lambda b: self._encode(b, is_query=False), batches))
        return _normalise(np.concatenate(parts))

    def query_vector(self, text: str) -> np.ndarray:
        vector: np.ndarray = _normalise(self._encode([text], is_query=True))[0]
        return vector

    def similarity_vectors(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._encode(texts, is_query=True))

    # --- the wire ---------------------------------------------------------------------------------
    def _post(self, texts: list[str]) -> np.ndarray:
        url = f"{self.base_url}/embeddings"
        problem = ""
        for attempt in range(self.max_retries + 1):
            wait = min(30.0, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311 - jitter
            base64_asked = self._base64
            body = {"model": self.served_model, "input": texts, **({"encoding_format": "base64"} if base64_asked
                                                                      else {})}
            try:
                r = self._client.post("/embeddings", json=body, headers=self._headers)
            except httpx.TransportError as e:
                problem = f"{type(e).__name__}: {e}"
            else:
                if r.status_code == 200:
                    return self._vectors(r, len(texts))
                if base64_asked and r.status_code in (400, 422):  # a server that knows no encoding_format
                    log.info("the embeddings server at %s refused a request with encoding_format=base64 (HTTP %d); "
                             "asking for numbers from now on", url, r.status_code)
                    self._base64 = False
                    return self._post(texts)
                if r.status_code not in RETRY_STATUS:
                    raise EmbeddingServerError(
                        f"the embeddings server at {url} refused the request (HTTP {r.status_code}: "
                        f"{_detail(r)}); check ASSISTANT_EMBED_MODEL and ASSISTANT_EMBED_API_KEY"
                    )
                problem = f"HTTP {r.status_code}: {_detail(r)}"
                wait = max(wait, _retry_after(r))
            if attempt < self.max_retries:
                log.warning("embeddings request failed (%s); retry %d/%d in %.1f s", problem, attempt + 1,
                            self.max_retries, wait)
                time.sleep(wait)
        raise EmbeddingServerError(
            f"the embeddings server at {url} failed {self.max_retries + 1} times ({problem}); "
            "start it or check ASSISTANT_EMBED_BASE_URL"
        )

    def _vectors(self, r: httpx.Response, n: int) -> np.ndarray:
        try:
            data = sorted(r.json()["data"], key=lambda d: d.get("index", 0))
            rows = [d["embedding"] for d in data]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise EmbeddingServerError(
                f"the embeddings server at {self.base_url} sent no OpenAI embeddings response ({e!r})"
            ) from e
        if len(rows) != n:
            raise EmbeddingServerError(f"the embeddings server returned {len(rows)} vectors for {n} texts")
        if rows and isinstance(rows[0], str):
            rows = [_from_base64(row) for row in rows]
        if rows and len(rows[0]) and isinstance(rows[0][0], list):
            raise EmbeddingServerError(
                "the embeddings server returned one vector per token, not one per text: start it with pooling "
                "(llama.cpp: --pooling mean; llama-cpp-python: --kv_overrides <arch>.pooling_type=int:1)"
            )
        lengths = {len(row) for row in rows}
        if len(lengths) != 1:
            raise EmbeddingServerError(f"the embeddings server returned vectors of different lengths {lengths}")
        dim = lengths.pop()
        if self.dim and dim != self.dim:
            raise EmbeddingServerError(
                f"the embeddings server now returns {dim}-dimensional vectors, not {self.dim}: it serves another "
                "model than before. Point ASSISTANT_EMBED_BASE_URL/ASSISTANT_EMBED_MODEL back at the model that "
                "built the index, or rebuild it (`assistant ingest PATH --reset`)"
            )
        self.dim = dim
        return np.asarray(rows, dtype=np.float32)


def _from_base64(row: Any) -> np.ndarray:
    """One vector sent as base64 (little-endian float32, as OpenAI's API sends it)."""
    try:
        raw = base64.b64decode(row, validate=True)
        if len(raw) % 4:
            raise ValueError(f"{len(raw)} bytes are no float32 vector")
    except (ValueError, TypeError) as e:
        raise EmbeddingServerError(f"the embeddings server sent a vector that is no base64 float32 ({e})") from e
    return np.frombuffer(raw, dtype="<f4")


def _detail(r: httpx.Response) -> str:
    text = r.text.strip().replace("\n", " ")
    return text[:300] or r.reason_phrase


def _retry_after(r: httpx.Response) -> float:
    try:
        return min(60.0, float(r.headers.get("Retry-After", 0)))
    except ValueError:
        return 0.0
