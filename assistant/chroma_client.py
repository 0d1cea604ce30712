"""Opening a Chroma client (a persistent folder or a server) with errors that say what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import IndexUnusable


def open_client(index_dir: Path, host: str | None = None, port: int = 8001) -> Any:
    """A Chroma client: a server when ``host`` is set, else a persistent store under ``index_dir``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if host:
        try:
            return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        except Exception as e:  # chromadb raises plain Exception/ValueError when the server is down
            raise IndexUnusable(
                f"cannot reach the Chroma server at {host}:{port} ({e}); start it or unset ASSISTANT_CHROMA_HOST"
            ) from e
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexUnusable(
            f"cannot create the index directory {index_dir} ({e.strerror}); "
            "set ASSISTANT_INDEX_DIR to a writable folder"
        ) from e
    try:
        return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)
    except Exception as e:  # corrupt sqlite, permissions: chromadb wraps them in generic errors
        if "readonly" in str(e).lower().replace("-", "").replace(" ", ""):
            raise IndexUnusable(
                f"the index at {index_dir} is read-only ({e}); Chroma needs write access even to search: "
                "make it writable for this user, or copy it and set ASSISTANT_INDEX_DIR to the copy"
            ) from e
        raise IndexUnusable(
            f"cannot open the index at {index_dir / 'chroma'} ({type(e).__name__}: {e}). If it is corrupt, "
            f"move it away (mv {index_dir} {index_dir}.broken) and build it again: `assistant ingest PATH`."
        ) from e
