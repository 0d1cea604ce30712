"""Fixtures shared by the answer-path tests."""

import pytest

from assistant.verify import Verifier
from tests.fakes import HashEmbedding


@pytest.fixture
def lenient() -> Verifier:
    """Hash embedder with a low bar and no locality checks: these tests are about the rule-based checks."""
    return Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0)
