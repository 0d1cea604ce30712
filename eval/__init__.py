"""Offline evaluation of retrieval and cited answers on a gold question set."""
