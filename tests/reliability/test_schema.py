"""Schemathesis against the app's own OpenAPI schema, in process: generated requests (valid and invalid) never
get a 5xx, and every response conforms to the schema (status codes, content types, bodies, headers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance, status_code_conformance

from assistant.factory import build_assistant, build_embedder, build_store
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.conftest import CORPUS
from tests.fakes import ScriptedLLM
from tests.reliability.conftest import KEY, Built, SlowLLM

AUTH = {"Authorization": f"Bearer {KEY}"}
OPERATIONS = {
    ("GET", "/api/health"),
    ("GET", "/api/documents"),
    ("GET", "/api/documents/{doc_id}"),
    ("POST", "/api/search"),
    ("POST", "/api/ask"),
}
WITH_INPUT = OPERATIONS - {
    ("GET", "/api/health"),
    ("GET", "/api/documents"),
}  # the ones invalid input exists for


def fuzz(
    schema: Any, mode: GenerationMode, examples: int, check: Callable[[schemathesis.Case], None]
) -> set[tuple[str, str]]:
    """Run ``check`` on ``examples`` generated cases per operation (schemathesis' pytest plugin does not
    load with this pytest, so the operations are driven through hypothesis directly)."""
    seen = set()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case: schemathesis.Case) -> None:
            check(case)

        try:
            run()
        except Unsatisfiable:  # no invalid input exists (health has no parameters): callers check coverage
            continue
        seen.add((operation.method.upper(), operation.path))
    return seen


def _validate(case: schemathesis.Case, strict: bool) -> None:
    """Every default check when ``strict``. Otherwise no 5xx and conforming responses (bodies, content types,
    headers), while a schema-valid request may still be refused by a rule the schema does not state and an
    undocumented 4xx is tolerated: the strict test below names those mismatches."""
    excluded = [] if strict else [positive_data_acceptance, status_code_conformance]
    case.call_and_validate(headers=AUTH, excluded_checks=excluded)


@pytest.fixture
def fake_schema(make_app: Callable[..., Built]) -> Any:
    """The API over the fake index with a fake LLM, protected by a key."""
    return schemathesis.openapi.from_asgi("/openapi.json", make_app(SlowLLM(delay_s=0), api_key=KEY).app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_api_conforms_to_its_schema_with_fake_models(fake_schema: Any, mode: GenerationMode) -> None:
    seen = fuzz(fake_schema, mode, 30, lambda case: _validate(case, strict=False))
    assert seen >= (OPERATIONS if mode == GenerationMode.POSITIVE else WITH_INPUT)


@pytest.mark.xfail(
    strict=True,
    reason="needs lead patch: ui/schemas.py + assistant/models.py state 'not blank' "
    "and the ISO date format; ui/api.py documents 400 and 413",
)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_api_schema_states_what_the_api_accepts_and_answers(fake_schema: Any, mode: GenerationMode) -> None:
    """Found: a blank question ('\u00a0') and a date like 'gestern' were schema-valid but refused (422);
    a body that is not UTF-8 JSON got an undocumented 400."""
    api = fake_schema.include(path_regex="^/api/")
    seen = fuzz(api, mode, 40, lambda case: _validate(case, strict=True))
    assert seen >= (OPERATIONS if mode == GenerationMode.POSITIVE else WITH_INPUT)


def test_api_without_key_answers_401_everywhere_but_health(fake_schema: Any) -> None:
    def check(case: schemathesis.Case) -> None:
        status = case.call().status_code
        assert status == (200 if case.path == "/api/health" else 401), (case.method, case.path, status)

    fuzz(fake_schema, GenerationMode.POSITIVE, 10, check)


@pytest.fixture(scope="module")
def real_embedder_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("schema-real") / "index"
    settings_ = Settings(index_dir=index)
    embedder = build_embedder(settings_)
    ingest([CORPUS], build_store(settings_, embedder), embedder)
    return index


@pytest.mark.integration
def test_api_conforms_to_its_schema_with_the_real_embedder(real_embedder_index: Path) -> None:
    """A short run with the real embedder (retrieval and verification) and a scripted LLM."""
    from ui.server import create_app

    settings_ = Settings(index_dir=real_embedder_index, rate_limit_per_minute=0, api_key=KEY)
    llm = ScriptedLLM("Nissan sucht Partner außerhalb der Autoindustrie [1].")
    app = create_app(build_assistant(settings_, llm=llm), settings_, with_ui=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        seen = fuzz(schema, mode, 8, lambda case: _validate(case, strict=False))
        assert seen >= (OPERATIONS if mode == GenerationMode.POSITIVE else WITH_INPUT)
