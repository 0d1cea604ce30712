"""LLM backends behind one small interface: local llama.cpp (GGUF) or any OpenAI-compatible server."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.errors import LLMError, ModelError
from assistant.models import TokenUsage

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger(__name__)

Message = dict[str, str]


class LLM(Protocol):
    """Streams the reply to a chat as text pieces; stops at ``max_tokens`` or after ``timeout_s``. A backend that
    counts tokens sets ``last_usage`` (a TokenUsage) when a stream ends; the one LLM slot (assistant/admission.py)
    keeps another stream from starting before the caller has read it."""

    name: str

    def stream(self, messages: list[Message], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]: ...


def lean_llama_class() -> Any:
    """``llama_cpp.Llama`` whose ``save_state`` (called after every answer when the prefix cache is on) keeps
    one row of logits instead of all n_batch rows (512 x 151,936 floats, ~300 MB with Qwen2.5's vocabulary,
    not counted against the cache's capacity) and copies the state buffer once instead of twice. Loading a
    state re-evaluates the last token (llama-cpp-python sets ``_requires_eval``), so no other row is read.
    The stock version grew the server by ~250 MB per question and its transient copies raised peak RSS by
    ~0.9 GB with a 256 MB cache. Its ``generate`` counts what a completion processes (``counted``: prompt
    tokens, tokens generated but the end-of-generation one), as llama.cpp's usage would; a stream reports none."""
    import ctypes

    import llama_cpp
    from llama_cpp import Llama, LlamaState

    class LeanStateLlama(Llama):
        counted: TokenUsage | None = None

        def generate(self, tokens: Any, *args: Any, **kwargs: Any) -> Any:
            counted = self.counted = TokenUsage(prompt_tokens=len(tokens))
            for token in super().generate(tokens, *args, **kwargs):
                if not llama_cpp.llama_vocab_is_eog(self._model.vocab, token):
                    counted.completion_tokens += 1
                yield token

        def save_state(self) -> LlamaState:
            size = int(llama_cpp.llama_state_get_size(self._ctx.ctx))
            buf = (ctypes.c_uint8 * size)()
            n = int(llama_cpp.llama_state_get_data(self._ctx.ctx, buf, size))
            if n > size:
                raise RuntimeError("failed to copy the llama state")
            data = bytes(memoryview(buf)[:n])
            del buf
            return LlamaState(scores=self._scores[-1:].copy(), input_ids=self.input_ids.copy(),
                              n_tokens=self.n_tokens, llama_state=data, llama_state_size=n, seed=self._seed)

    return LeanStateLlama


def pinned_cache_class() -> Any:
    """``llama_cpp.LlamaRAMCache`` with pinned entries: the processed static prompt prefixes (system text and
    examples, one per language) are never evicted by the states of later answers, and they can be loaded
    from disk at start instead of being computed (~10 s each on two cores)."""
    from llama_cpp.llama_cache import LlamaRAMCache

    class PinnedRAMCache(LlamaRAMCache):
        def __init__(self, capacity_bytes: int) -> None:
            super().__init__(capacity_bytes)
            self.pinned: dict[tuple[int, ...], Any] = {}

        def pin(self, key: tuple[int, ...], state: Any) -> None:
            self.pinned[tuple(key)] = state

        def _best(self, key: tuple[int, ...]) -> tuple[int, Any]:
            from llama_cpp import Llama

            best: tuple[int, Any] = (0, None)
            for store in (self.pinned, self.cache_state):
                for k, state in store.items():
                    n = Llama.longest_token_prefix(k, key)
                    if n > best[0]:
                        best = (n, state)
            return best

        def __getitem__(self, key: Any) -> Any:
            n, state = self._best(tuple(key))
            if state is None:
                raise KeyError("Key not found")
            return state

        def __contains__(self, key: Any) -> bool:
            return self._best(tuple(key))[1] is not None

    return PinnedRAMCache


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed by another process meanwhile
        return 0.0


class LlamaCppLLM:
    """A GGUF model run in-process by llama-cpp-python, loaded once on first use."""

    def __init__(self, model_path: Path, n_ctx: int = 2048, threads: int = 2, prefix_cache_mb: int = 0,
                 n_batch: int = 256, state_dir: Path | None = None, mmap: bool = False,
                 flash_attn: bool = True, keep_states: int = 12) -> None:
        self.model_path = model_path
        self.flash_attn = flash_attn  # faster prompts on a busy CPU; the KV layout differs (saved states)
        self.mmap = mmap  # off: read into RAM; llama.cpp's CPU repack copies most weights anyway (settings)
        self.prefix_cache_mb = prefix_cache_mb
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self.state_dir = state_dir  # processed static prompts, shared by every index of this machine (settings)
        self.keep_states = keep_states  # most state files kept there (~4-17 MB each), the least recently used go
        self.threads = threads
        self.name = model_path.stem
        self.last_usage: TokenUsage | None = None
        self._llama: Any = None
        self._load_lock = threading.Lock()

    @property
    def variant(self) -> str:
        """What besides the model changes its greedy replies (rare tokens): keys the eval's reply cache."""
        return "flash_attn" if self.flash_attn else ""

    def warm_up(self) -> None:
        self._model()

    def _model(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                if not self.model_path.is_file():
                    raise ModelError(f"GGUF model {self.model_path} not found; set ASSISTANT_LLM_MODEL_PATH")
                try:
                    self._llama = lean_llama_class()(
                        model_path=str(self.model_path), n_ctx=self.n_ctx, n_batch=self.n_batch,
                        n_threads=self.threads, n_threads_batch=self.threads, chat_format="chatml", verbose=False,
                        use_mmap=self.mmap, flash_attn=self.flash_attn,
                    )
                except (ValueError, RuntimeError) as e:
                    raise ModelError(f"cannot load {self.model_path}: {e}") from e
                if self.prefix_cache_mb:
                    # Keeps processed prompt states (e.g. the German and the English static prefix), so
                    # switching languages does not re-read the whole system prompt and examples.
                    self._llama.set_cache(pinned_cache_class()(capacity_bytes=self.prefix_cache_mb << 20))
            return self._llama

    def prime(self, prompts: list[list[Message]]) -> list[str]:
        """Have the static prefix of each prompt processed and pinned in the prompt-state cache: restored from
        ``state_dir`` when an earlier start (of any index, or ``make setup``) saved it for this model, context and
        prompt, else computed and saved. Returns what happened to each ("restored" / "computed"), for the
        start-up log."""
        llama = self._model()
        cache = getattr(llama, "cache", None)
        done = []
        for messages in prompts:
            path = self._state_path(messages)
            if cache is not None and path is not None and path.is_file():
                try:
                    key, state = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, beside the models
                    cache.pin(key, state)
                    with contextlib.suppress(OSError):  # a read-only folder still restores
                        os.utime(path)  # recently used: kept when older states are pruned
                    done.append("restored")
                    continue
                except (OSError, pickle.UnpicklingError, EOFError, ValueError) as e:
                    log.warning("prompt state %s unreadable (%s); computing it again", path.name, e)
            for _ in self.stream(messages, 1, 600.0):
                pass
            if cache is not None:
                key, state = next(reversed(cache.cache_state.items()))
                cache.pin(key, state)
                if path is not None:
                    self._save_state(path, pickle.dumps((key, state)))
            done.append("computed")
        return done

    def primed(self, prompts: list[list[Message]]) -> bool:
        """Whether every prompt's processed state is on disk already (without loading the model)."""
        paths = [self._state_path(m) for m in prompts]
        return all(p is not None and p.is_file() for p in paths)

    def _save_state(self, path: Path, data: bytes) -> None:
        """Write the state file atomically (a temporary name of this process: two starts may save at once), then
        remove the least recently used state files beyond ``keep_states`` (older prompt texts, other models)."""
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            log.warning("cannot save the prompt state to %s: %s", path, e)
            return
        saved = sorted(path.parent.glob("prompt-*.state"), key=_mtime, reverse=True)
        for old in saved[self.keep_states:]:
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink(missing_ok=True)

    def _state_path(self, messages: list[Message]) -> Path | None:
        """Where the processed state of this prompt is kept: one file per model file, context, batch size,
        attention kind (its KV layout), llama.cpp version and prompt text."""
        if self.state_dir is None:
            return None
        import llama_cpp

        stat = self.model_path.stat()
        attention = ["flash_attn"] if self.flash_attn else []  # earlier states (no flash attention) keep their names
        ident = json.dumps([self.model_path.name, stat.st_size, int(stat.st_mtime), self.n_ctx, self.n_batch,
                            llama_cpp.__version__, messages, *attention], ensure_ascii=False)
        return self.state_dir / f"prompt-{hashlib.sha256(ident.encode('utf-8')).hexdigest()[:20]}.state"

    def stream(self, messages: list[Message], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        llama = self._model()
        deadline = time.monotonic() + timeout_s
        self.last_usage = llama.counted = None
        try:
            chunks = llama.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True,
                stop=["<|im_end|>", "<|endoftext|>"],
            )
        except ValueError as e:  # prompt longer than the context window
            raise LLMError(f"the LLM refused the prompt: {e}") from e
        try:
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content") or ""
                if piece:
                    yield piece
                if time.monotonic() > deadline:
                    log.warning("generation stopped after %.0f s (ASSISTANT_LLM_TIMEOUT_S)", timeout_s)
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
            self.last_usage = getattr(llama, "counted", None)


class OpenAICompatibleLLM:
    """Any server speaking the OpenAI chat-completions API (vLLM, Ollama, llama.cpp server, OpenAI)."""

    def __init__(self, base_url: str, api_key: str, model: str) -> None:
        from openai import OpenAI

        self.name = model
        self.base_url = base_url
        self.last_usage: TokenUsage | None = None
        self._ask_usage = True  # off for good once the server refuses the stream_options field
        self._client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    def warm_up(self) -> None:
        """Nothing to load locally."""

    def stream(self, messages: list[Message], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        import openai

        deadline = time.monotonic() + timeout_s
        self.last_usage = None
        try:
            response = self._create(messages, max_tokens, timeout_s, temperature)
            try:
                for chunk in response:
                    if chunk.usage is not None:
                        self.last_usage = TokenUsage(prompt_tokens=chunk.usage.prompt_tokens,
                                                     completion_tokens=chunk.usage.completion_tokens)
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
                    if time.monotonic() > deadline:
                        break
            finally:
                response.close()
        except openai.OpenAIError as e:
            raise LLMError(f"the LLM server at {self.base_url} failed: {e}") from e


    def _create(self, messages: list[Message], max_tokens: int, timeout_s: float, temperature: float) -> Any:
        """The streamed completion, asking for the last chunk's token usage; a server that refuses the
        ``stream_options`` field (400/422: not every OpenAI-compatible server knows it) but takes the request without
        it is not asked for usage again."""
        import openai

        args: dict[str, Any] = {"model": self.name, "messages": _openai_messages(messages), "max_tokens": max_tokens,
                                "temperature": temperature, "stream": True, "timeout": timeout_s}
        if not self._ask_usage:
            return self._client.chat.completions.create(**args)
        try:
            return self._client.chat.completions.create(**args, stream_options={"include_usage": True})
        except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
            refused = e
        response = self._client.chat.completions.create(**args)  # fails too when the request itself was bad
        log.warning("the LLM server at %s refused stream_options (%s); asking without token usage from now on",
                    self.base_url, refused)
        self._ask_usage = False
        return response


def _openai_messages(messages: list[Message]) -> list[ChatCompletionMessageParam]:
    """The chat in the OpenAI client's message types (the prompts use the system, user and assistant roles)."""
    out: list[ChatCompletionMessageParam] = []
    for m in messages:
        role, content = m["role"], m["content"]
        if role == "system":
            out.append({"role": "system", "content": content})
        elif role == "user":
            out.append({"role": "user", "content": content})
        elif role == "assistant":
            out.append({"role": "assistant", "content": content})
        else:
            raise ValueError(f"unsupported chat role {role!r}")
    return out
