"""Access control: API keys on every /api route, an open but harmless health route, the UI behind the key,
the warning for an exposed server without a key, and CORS closed unless configured."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import statistics
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from tests.reliability.conftest import KEY, OTHER_KEY, QUESTION, Built
from ui.auth import Guards

PROTECTED_CALLS = [
    ("GET", "/api/documents", None),
    ("GET", "/api/documents/some-id", None),
    ("POST", "/api/search", {"query": "Nissan"}),
    ("POST", "/api/ask", {"question": QUESTION}),
]


@pytest.fixture
def protected(make_app: Callable[..., Built]) -> Built:
    return make_app(api_key=f"{KEY}, {OTHER_KEY}")


def test_every_api_route_except_health_is_protected(protected: Built) -> None:
    """Guards against a new route that forgets the key dependency: every /api and /v1 route but health."""
    paths = protected.app.openapi()["paths"]
    routes = [(m.upper(), p) for p, ops in paths.items() if p.startswith(("/api", "/v1")) for m in ops]
    assert {p for _, p in routes} >= {"/api/health", "/api/documents", "/api/search", "/api/ask"}
    client = TestClient(protected.app)
    for method, route in routes:
        status = client.request(method, re.sub(r"\{[^}]+\}", "x", route), json={}).status_code
        if route == "/api/health":
            assert status == 200
        else:
            assert status == 401, f"{method} {route} answered {status} without a key"


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED_CALLS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": "Bearer "},
        {"X-API-Key": KEY[:-1]},
        {"X-API-Key": KEY + "x"},
        {"X-API-Key": f"{KEY},{OTHER_KEY}"},
        {"Cookie": f"assistant_key={KEY}"},  # the UI cookie opens the UI, not the API (no CSRF on the API)
    ],
    ids=[
        "none",
        "bearer-wrong",
        "header-wrong",
        "basic",
        "bearer-empty",
        "prefix",
        "longer",
        "list",
        "cookie",
    ],
)
def test_wrong_or_missing_key_is_401_without_detail(
    protected: Built, method: str, path: str, body: dict | None, headers: dict[str, str]
) -> None:
    r = TestClient(protected.app).request(method, path, json=body, headers=headers)
    assert r.status_code == 401
    assert r.json() == {
        "detail": "missing or invalid API key"
    }  # the same for every failure: nothing to learn
    assert r.headers["www-authenticate"] == "Bearer"
    assert KEY not in r.text and OTHER_KEY not in r.text


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED_CALLS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"authorization": f"bearer {OTHER_KEY}"},
        {"X-API-Key": KEY},
        {"x-api-key": OTHER_KEY},
    ],
    ids=["bearer", "bearer-lower-second-key", "x-api-key", "x-api-key-second-key"],
)
def test_any_configured_key_opens_every_route(
    protected: Built, method: str, path: str, body: dict | None, headers: dict[str, str]
) -> None:
    r = TestClient(protected.app).request(method, path, json=body, headers=headers)
    assert r.status_code == (404 if path.endswith("some-id") else 200), r.text


def test_unauthenticated_request_with_bad_body_gets_401_not_a_schema_hint(protected: Built) -> None:
    r = TestClient(protected.app).post("/api/ask", json={"nonsense": 1})
    assert r.status_code == 401


def test_health_is_open_and_reveals_nothing_sensitive(protected: Built) -> None:
    r = TestClient(protected.app).get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    text = json.dumps(body)
    assert KEY not in text and OTHER_KEY not in text
    assert str(protected.settings.storage.index_dir) not in text and "/" not in text  # no file system paths
    assert set(body) == {
        "status",
        "documents",
        "chunks",
        "embedding_model",
        "llm",
        "llm_bundled",
        "llm_backend",
        "llm_waiting",
    }


def test_without_keys_the_api_is_open(make_app: Callable[..., Built]) -> None:
    r = TestClient(make_app().app).post("/api/search", json={"query": "Nissan"})
    assert r.status_code == 200 and r.json()["results"]


def test_key_list_setting_is_comma_separated_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_API_KEY", f" {KEY} ,, {OTHER_KEY},")
    assert Settings().server.api_keys == [KEY, OTHER_KEY]


def test_key_comparison_hashes_first_so_time_does_not_depend_on_the_guess() -> None:
    """Timing check on the comparison itself: a guess sharing a long prefix with the key takes no longer
    than one that differs in the first character (a naive ``==`` would stop early on the latter)."""
    key = "k" * 4096
    guards = Guards(Settings(api_key=key))

    def cost(guess: str) -> int:
        t = time.perf_counter_ns()
        for _ in range(2000):
            guards.key_ok(guess)
        return time.perf_counter_ns() - t

    assert guards.key_ok(key) and not guards.key_ok(key[:-1] + "x") and not guards.key_ok("")
    # the two guesses alternate, round by round, so that other load on the machine slows both alike
    ratios = [cost(key[:-1] + "x") / cost("x" + key[1:]) for _ in range(15)]
    assert 0.5 < statistics.median(ratios) < 2.0, ratios
    assert all(len(k) == hashlib.sha256().digest_size for k in guards.keys)  # only digests are kept


# --- the chat UI ----------------------------------------------------------------------------------------
@pytest.fixture
def ui_protected(make_app: Callable[..., Built]) -> Built:
    return make_app(with_ui=True, api_key=KEY)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/config",
        "/gradio_api/info",
        "/gradio_api/queue/status",
        "/gradio_api/queue/data?session_hash=abc",
    ],
)
def test_ui_without_key_is_401(ui_protected: Built, path: str) -> None:
    r = TestClient(ui_protected.app).get(path, follow_redirects=False)
    assert r.status_code == 401, (path, r.status_code)


@pytest.mark.parametrize("how", ["header", "bearer", "cookie", "query"])
def test_ui_accepts_the_key_by_header_cookie_or_query(ui_protected: Built, how: str) -> None:
    client = TestClient(ui_protected.app)
    headers = {"header": {"X-API-Key": KEY}, "bearer": {"Authorization": f"Bearer {KEY}"}}.get(how, {})
    if how == "cookie":
        client.cookies.set("assistant_key", KEY)
    r = client.get("/?key=" + KEY if how == "query" else "/", headers=headers)
    assert r.status_code == 200 and "<html" in r.text.lower()


def test_ui_rejects_a_wrong_cookie_or_query_key(ui_protected: Built) -> None:
    client = TestClient(ui_protected.app)
    assert client.get("/?key=wrong").status_code == 401
    client.cookies.set("assistant_key", "wrong")
    assert client.get("/config").status_code == 401


def test_ui_login_by_query_key_sets_a_cookie_so_the_page_s_own_requests_work(ui_protected: Built) -> None:
    """A browser opening /?key=KEY must be able to use the chat: its later requests (/config, the queue)
    carry no ?key=, so the key has to become an HttpOnly cookie, and should leave the URL."""
    client = TestClient(ui_protected.app)
    r = client.get(f"/?key={KEY}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "assistant_key=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/config").status_code == 200  # same client, cookie only
    assert client.get("/api/documents").status_code == 401  # the cookie opens the UI, not the API
    r = TestClient(ui_protected.app).get(f"/?key={KEY}&lang=de", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?lang=de"  # other parameters stay
    assert TestClient(ui_protected.app).get("/?key=wrong", follow_redirects=False).status_code == 401


# --- exposure warning and CORS --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "key", "warned"),
    [
        ("0.0.0.0", None, True),
        ("192.168.1.20", None, True),
        ("::", None, True),
        ("0.0.0.0", KEY, False),
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
    ],
)
def test_warning_once_when_exposed_without_key(
    make_app: Callable[..., Built], caplog: pytest.LogCaptureFixture, host: str, key: str | None, warned: bool
) -> None:
    with caplog.at_level(logging.WARNING):
        make_app(host=host, api_key=key)
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "ASSISTANT_API_KEY" in r.getMessage()
    ]
    assert len(warnings) == (1 if warned else 0)


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    r = client.options(
        "/api/search",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )
    return {k.lower(): v for k, v in r.headers.items()}


def test_cors_closed_by_default(make_app: Callable[..., Built]) -> None:
    client = TestClient(make_app().app)
    assert "access-control-allow-origin" not in _preflight(client, "https://evil.example")
    r = client.post("/api/search", json={"query": "Nissan"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}


def test_cors_origins_from_environment_json_list(
    make_app: Callable[..., Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_CORS_ORIGINS", '["https://intranet.example"]')
    origins = Settings().server.cors_origins
    assert origins == ["https://intranet.example"]
    client = TestClient(make_app(cors_origins=origins, api_key=KEY).app)
    allowed = _preflight(client, "https://intranet.example")
    assert allowed["access-control-allow-origin"] == "https://intranet.example"
    assert "x-api-key" in allowed["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in _preflight(client, "https://evil.example")
    r = client.post(
        "/api/search",
        json={"query": "Nissan"},
        headers={"Origin": "https://intranet.example", "X-API-Key": KEY},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://intranet.example"


def test_v1_errors_come_in_openai_s_shape_with_their_headers(make_app: Callable[..., Built]) -> None:
    """OpenAI clients read ``{"error": {...}}`` whatever the status: a missing key, an unknown route, a body past
    the limit and the rate limit on ``/v1``, while ``/api`` keeps ``{"detail"}``."""
    built = make_app(api_key=KEY, rate_limit_per_minute=2, max_body_bytes=2048)
    client = TestClient(built.app)
    chat = {"messages": [{"role": "user", "content": QUESTION}]}

    r = client.post("/v1/chat/completions", json=chat)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "invalid_api_key" and r.json()["error"]["type"] == "invalid_request_error"
    native = client.post("/api/ask", json={"question": QUESTION})
    assert native.status_code == 401 and "detail" in native.json()

    auth = {"Authorization": f"Bearer {KEY}"}
    assert client.get("/v1/nothing-here", headers=auth).json()["error"]["code"] == "not_found"
    with_chat = TestClient(make_app(api_key=KEY, with_ui=True).app)  # the chat UI, mounted at /, answers the rest
    missing = with_chat.get("/v1/nothing-here", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    big = client.post("/v1/chat/completions", headers={**auth, "Content-Type": "application/json"},
                      content=json.dumps({"messages": [{"role": "user", "content": "x" * 4096}]}))
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"

    statuses = [client.post("/v1/chat/completions", json=chat, headers=auth) for _ in range(4)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert limited[0].json()["error"]["code"] == "rate_limit_exceeded" and int(limited[0].headers["retry-after"]) > 0
