"""The assistant's exceptions, one short hierarchy.

    AssistantError                 base; every message says what happened and what to do
    ├── ConfigError                a setting is missing or unsafe
    ├── IndexUnusable              the index directory or store cannot be used
    │   ├── EmbeddingModelMismatch the index was built with another embedding model
    │   └── IndexDamaged           Chroma cannot read a collection's files (a writer was killed mid-write)
    ├── ModelError                 a model file is missing, corrupt or fails to load
    │   └── EmbeddingServerError   the embeddings server is down, refuses, or sends unusable vectors
    ├── LLMError                   the LLM backend failed or timed out
    │   └── LLMBusy                too many requests already wait for the LLM
    └── InputError                 a document or request cannot be used as given

"Not in the sources" is a normal answer (answerable=False), never an exception.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the message says what happened and what to do."""


class ConfigError(AssistantError):
    """A setting is missing, inconsistent or unsafe."""


class IndexUnusable(AssistantError):
    """The index directory or vector store cannot be used."""


class EmbeddingModelMismatch(IndexUnusable):
    """The index was built with a different embedding model than the one configured."""


class IndexDamaged(IndexUnusable):
    """Chroma cannot read the stored vectors of a collection: its files were cut off (a writer was killed)."""


class ModelError(AssistantError):
    """A model file is missing, corrupt or cannot be loaded."""


class EmbeddingServerError(ModelError):
    """The OpenAI-compatible embeddings server cannot be reached, refuses, or sends unusable vectors."""


class LLMError(AssistantError):
    """The LLM backend failed or exceeded its time budget."""


class LLMBusy(LLMError):
    """Too many requests are already waiting for the LLM; retry later."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InputError(AssistantError):
    """A document or a request cannot be used as given."""
