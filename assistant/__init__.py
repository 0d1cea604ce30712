"""News-archive question answering with verified citations: the core service (no transport, no UI)."""
