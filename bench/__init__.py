"""Benchmarks: ingest, re-ingest, search and ask, against the model's own speed and a naive llama-index
pipeline."""
