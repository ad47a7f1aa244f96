"""Hostile and odd requests get a clear 4xx, every GET answers HEAD and OPTIONS, browsers on other
origins can read the API, and a database that hangs gives a 503 instead of a hang."""
from __future__ import annotations

import gc
import json
import select
import socket
import threading
import time

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.main import create_app
from store import keys
from store.db import make_engine
from store.settings import ApiSettings
from tests.conftest import serving
from tests.test_api import assert_problem


@pytest.fixture(scope="module")
def client(sample_loaded, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:
        yield client


@pytest.mark.parametrize("params, parameter", [
    ({"offset": str(2**63)}, "offset"),
    ({"offset": "1_000"}, "offset"),
    ({"limit": "1_000"}, "limit"),
    ({"limit": "١٢"}, "limit"),           # Arabic-Indic digits
    ({"limit": " 12"}, "limit"),
    ({"limit": "12.0"}, "limit"),
    ({"source": "dcms\x00"}, "source"),
    ({"category": "library\x01"}, "category"),
    ({"bbox": "-1_0,52,0,53"}, "bbox"),
    ({"bbox": "-1,٥٢,0,53"}, "bbox"),
])
def test_bad_numbers_and_control_characters_are_400_naming_the_parameter(client, params, parameter):
    assert_problem(client.get("/collections/places/items", params=params), 400, parameter)


@pytest.mark.parametrize("field", ["code", "vintage"])
def test_nul_in_area_filters_is_400(client, field):
    assert_problem(client.get(f"/collections/areas/items?{field}=E06%00"), 400, field)


@pytest.mark.parametrize("query, parameter", [("year=2_016", "year"), ("limit=%EF%BC%95", "limit")])
def test_analysis_routes_take_the_same_strict_integers(client, query, parameter):
    assert_problem(client.get(f"/priorities?{query}"), 400, parameter)


def test_a_feature_id_beyond_bigint_is_400_not_500(client):
    assert_problem(client.get(f"/collections/places/items/{2**63}"), 400, "feature_id")


def test_a_repeated_parameter_is_refused_not_silently_overwritten(client):
    assert_problem(client.get("/collections/places/items?limit=1&limit=2"), 400, "limit")


def test_an_overlong_url_is_414(client):
    response = client.get("/collections/places/items", params={"source": "x" * 20000})
    assert_problem(response, 414)


def test_a_body_over_the_limit_is_413_whether_its_length_is_stated_or_not(client):
    square = {"type": "Polygon", "coordinates": [[[-0.75, 52.62], [-0.68, 52.62], [-0.68, 52.69], [-0.75, 52.62]]]}
    padded = b'{"geometry": %s, "pad": "%s"}' % (json.dumps(square).encode(), b"x" * 1_100_000)
    stated = client.post("/areas/summary", content=padded, headers={"Content-Type": "application/json"})
    assert_problem(stated, 413, "body")
    chunked = client.post("/areas/summary", content=iter([padded[:600_000], padded[600_000:]]),
                          headers={"Content-Type": "application/json"})  # no Content-Length: chunked
    assert "content-length" not in chunked.request.headers
    assert_problem(chunked, 413, "body")
    # under the limit, the same body (without the padding) reaches the route
    assert client.post("/areas/summary", json={"geometry": square}).status_code == 200


def test_a_polygon_over_the_vertex_cap_is_400(client):
    ring = [[-0.75 + i * 1e-6, 52.62] for i in range(10_001)] + [[-0.75, 52.69], [-0.75, 52.62]]
    response = client.post("/areas/summary", json={"geometry": {"type": "Polygon", "coordinates": [ring]}})
    assert_problem(response, 400, "geometry")
    assert "vertices" in response.json()["detail"]


def test_an_unknown_host_is_refused_and_links_use_the_allowed_host(client):
    assert_problem(client.get("/", headers={"Host": "evil.example"}), 400, "Host")
    links = client.get("/", headers={"Host": "localhost:8000"}).json()["links"]
    # the API's own links; a `license` link names a licence's page, wherever its publisher keeps it
    assert all(link["href"].startswith("http://localhost:8000/") for link in links if link["rel"] != "license")
    assert all(link["href"].startswith("https://") for link in links if link["rel"] == "license")


def test_head_answers_every_get_without_a_body(client):
    get = client.get("/collections/places/items?limit=2")
    head = client.head("/collections/places/items?limit=2")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert client.head("/collections/nowhere").status_code == 404


def test_options_lists_the_methods_allowed(client):
    response = client.options("/collections/places/items")
    assert response.status_code == 204 and response.headers["allow"] == "GET, HEAD, POST, OPTIONS"  # POST: edits
    assert client.options("/nowhere").headers["allow"] == "OPTIONS"


def test_cors_simple_request_and_preflight(client):
    origin = {"Origin": "https://maps.example.org"}
    assert client.get("/collections", headers=origin).headers["access-control-allow-origin"] == "*"
    preflight = client.options("/collections/places/items",
                               headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]
    # refusals carry CORS headers too, so a browser can read the problem
    refused = client.get("/collections/places/items?limit=0", headers=origin)
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == "*"


def test_security_headers(client):
    headers = client.get("/collections").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in headers["content-security-policy"]
    page = client.get("/docs").headers["content-security-policy"]  # HTML pages: this server's assets only
    assert "script-src 'self';" in page and "http" not in page and "*" not in page


def test_an_unexpected_error_is_a_short_problem_and_a_compact_log(database_url, capsys):
    app = create_app(make_engine(database_url))

    def boom(secret: str = "x" * 5000):
        big_local = "y" * 100_000  # a traceback with locals would carry this
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    body = assert_problem(response, 500)
    assert "boom" not in body["detail"] and "Traceback" not in response.text
    logged = capsys.readouterr().err
    assert "RuntimeError: boom" in logged and "y" * 1000 not in logged


class FreezableProxy:
    """A TCP proxy to PostgreSQL that can stop relaying without closing anything: to its clients
    the database looks hung (connections open, no answer), as when the server is SIGSTOPped."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.frozen = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket):
        peers = {a: b, b: a}
        while not self.closed:
            if self.frozen.is_set():
                time.sleep(0.05)
                continue
            try:
                ready, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionResetError
                    peers[sock].sendall(data)
            except OSError:  # either side went away: so does the relay
                a.close(), b.close()
                return

    def close(self):
        self.closed = True
        self.listener.close()


def test_a_hung_database_gives_503_within_the_deadline_and_recovers(sample_loaded, database_url):
    url = make_url(database_url)
    proxy = FreezableProxy(url.host, url.port)
    engine = make_engine(url.set(port=proxy.port).render_as_string(hide_password=False))
    settings = ApiSettings(allowed_hosts="*", request_timeout_s=2, health_timeout_s=1)
    try:
        with TestClient(create_app(engine, settings)) as client:
            assert client.get("/health").status_code == 200
            proxy.frozen.set()
            assert_problem(client.get("/health"), 503)
            assert_problem(client.get("/collections/places/items?limit=1"), 503)
            proxy.frozen.clear()
            time.sleep(0.2)
            assert client.get("/health").status_code == 200
            assert client.get("/collections/places/items?limit=1").status_code == 200
    finally:
        proxy.close()
        engine.dispose()


def test_what_lives_as_long_as_a_worker_is_kept_out_of_full_collections(database_url):
    """The app's long-lived objects are frozen while it serves (a full collection walking them all
    stopped every request in the worker for 200-600 ms under load), and unfrozen when it stops."""
    with TestClient(create_app(make_engine(database_url))) as client:
        assert gc.get_freeze_count() > 50_000  # FastAPI, SQLAlchemy, the registry and their imports
        assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == 0


PROPOSAL = b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.35, 53.39]}, ' \
           b'"properties": {"category": "library", %s}}'


@pytest.mark.parametrize("member, member_path", [
    (b'"name": "lone \\ud800 surrogate"', "properties.name"),
    (b'"name": "nul \\u0000 inside"', "properties.name"),
    (b'"attributes": {"\\udc00": 1}', "properties.attributes.\ufffd"),
    (b'"attributes": {"big": 1' + b"0" * 4400 + b"}", "properties.attributes.big"),
    (b'"attributes": {"x": NaN}', "properties.attributes.x"),
    (b'"attributes": {"x": [1, -Infinity]}', "properties.attributes.x[1]"),
    (b'"attributes": {"x": 1e999}', "properties.attributes.x"),
    (b'"attributes": ' + b'{"a": ' * 40 + b"1" + b"}" * 40, "properties.attributes" + ".a" * 31),
    (b'"attributes": ' + b"[" * 1500 + b"]" * 1500, "body"),
], ids=["surrogate", "nul", "surrogate-key", "4400-digits", "nan", "infinity", "1e999", "depth-40", "depth-1500"])
def test_an_unsafe_json_body_is_422_naming_the_member_on_every_write_route(client, member, member_path):
    """Each of these was a 500 on the (keyless) proposal route before app/safe_json.py."""
    body = PROPOSAL % member
    for path in ("/collections/places/proposals", "/collections/places/items"):
        response = client.post(path, content=body, headers={"Content-Type": "application/geo+json"})
        assert_problem(response, 422, member_path)
    # the same reader guards the analysis routes that take a body
    assert_problem(client.post("/areas/summary", content=b'{"geometry": {"type": "Polygon", "coordinates": '
                               b'[[[-0.75, NaN]]]}}', headers={"Content-Type": "application/json"}), 422,
                   "geometry.coordinates[0][0][1]")


@pytest.mark.parametrize("query, parameter", [
    ("gravity_alpha=1e10", "gravity_alpha"), ("gravity_alpha=1e999", "gravity_alpha"),
    ("radius=1e999", "radius"), ("steps=400:1e300", "steps")])
def test_numeric_parameters_of_the_analyses_are_bounded(client, query, parameter):
    assert_problem(client.get(f"/gaps?area=E06000017&{query}"), 400, parameter)


@pytest.fixture(scope="module")
def served_with_defaults(sample_loaded, database_url, api_database_url, tmp_path_factory):
    """(url, log file) of `kindmap serve` with the default settings (2 proposals per client)."""
    log = tmp_path_factory.mktemp("served") / "server.log"
    with serving(database_url, api_database_url, log, proposals_per_client=2) as (url, _):
        yield url, log


def test_a_client_cannot_choose_its_address_unless_its_proxy_is_trusted(served_with_defaults, database_url):
    """`kindmap serve` used to believe X-Forwarded-For from 127.0.0.1 (uvicorn's default), so a
    client on the host escaped the proposal rate limit by naming a new address each time."""
    url, _ = served_with_defaults
    feature = json.loads(PROPOSAL % b'"name": "Forwarded"')
    statuses = [httpx.post(f"{url}/collections/places/proposals", json=feature,
                           headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(4)]
    assert statuses.count(202) <= 2 and statuses[-1] == 429, statuses
    # a listed proxy is believed: each forwarded address is a client of its own
    settings = ApiSettings(allowed_hosts="*", trusted_proxies="testclient", proposals_per_client=1)
    with TestClient(create_app(make_engine(database_url), settings)) as trusted:
        assert [trusted.post("/collections/places/proposals", json=feature,
                             headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)] == [202] * 3


def test_keys_are_redacted_wherever_a_log_would_hold_them(served_with_defaults, sample_loaded, database_url, capsys):
    """A key in a query string went to the log in full (uvicorn's access line is the whole URL);
    in a header or an error message it must not either. The key's prefix (its name) stays."""
    url, log = served_with_defaults
    with sample_loaded.begin() as conn:
        key, token = keys.create(conn, "redaction test", ["read"], [])
    httpx.get(f"{url}/collections/places/items?limit=1&api_key={token}")
    httpx.get(f"{url}/collections/places/items?limit=1&key={token}&token=secret-value-1")
    httpx.get(f"{url}/collections/nowhere", headers={"Authorization": f"Bearer {token}", "X-API-Key": token})
    time.sleep(0.5)  # the access lines are written after the answers
    logged = log.read_text()
    assert "/collections/places/items" in logged
    assert token.split("_")[2] not in logged and "secret-value-1" not in logged
    assert f"km_{key.prefix}_[redacted]" in logged or "api_key=[redacted]" in logged
    # an error whose message carries a key (a bug echoing a header) is logged redacted
    app = create_app(make_engine(database_url))

    def echo(request: Request):
        raise RuntimeError(f"unexpected {request.headers['authorization']} from postgresql://u:pw123@h/db")

    app.add_api_route("/echo", echo)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/echo", headers={"Authorization": f"Bearer {token}"}).status_code == 500
    err = capsys.readouterr().err
    assert "RuntimeError: unexpected Bearer [redacted]" in err and token not in err and "pw123" not in err


def test_analyses_run_under_a_budget_and_health_stays_answered(database_url):
    """One analysis at a time, one waiting, one per client: the rest are refused at once with
    Retry-After — 429 to a client over its share, 503 when the queue is full — while /health
    answers (before, ten concurrent analyses took every connection and thread, /health too)."""
    settings = ApiSettings(allowed_hosts="*", trusted_proxies="testclient", analysis_concurrency=1,
                           analysis_queue=1, analysis_per_client=1)
    app = create_app(make_engine(database_url), settings)
    release = threading.Event()

    def slow(n: int):  # an analysis (its path is one of app/costs.py's) that takes as long as the test says
        release.wait(10)
        return {"n": n}

    app.add_api_route("/closures/slow", slow)
    with TestClient(app) as client:
        def ask(client_address: str, n: int):
            return client.get(f"/closures/slow?n={n}", headers={"X-Forwarded-For": client_address})

        results = {}
        threads = [threading.Thread(target=lambda a=a, n=n: results.__setitem__((a, n), ask(a, n)))
                   for a, n in [("192.0.2.1", 1), ("192.0.2.2", 2)]]
        for thread in threads:
            thread.start()
            time.sleep(0.3)  # 1 is running, then 2 waits
        busy = ask("192.0.2.3", 3)
        again = ask("192.0.2.1", 4)
        started = time.monotonic()
        health = client.get("/health")
        health_s = time.monotonic() - started
        release.set()
        for thread in threads:
            thread.join()
    assert_problem(busy, 503) and int(busy.headers["retry-after"]) >= 1
    assert_problem(again, 429) and int(again.headers["retry-after"]) >= 1
    assert health.status_code == 200 and health_s < 2
    assert [results[k].json()["n"] for k in sorted(results)] == [1, 2]


def test_an_analysis_is_answered_again_from_the_same_data_version(client, sample_loaded, monkeypatch):
    """Identical requests on unchanged data are answered without the route; a write to a served
    table (a new data version) computes afresh."""
    from analysis import access
    computed = []
    real = access.gap_features
    monkeypatch.setattr(access, "gap_features", lambda *a, **k: computed.append(1) or real(*a, **k))
    url = "/gaps?area=E06000017&radius=1234"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert len(computed) == 1
    with sample_loaded.begin() as conn:
        conn.exec_driver_sql("UPDATE places SET name = name WHERE id = (SELECT min(id) FROM places)")
    assert client.get(url).content == first.content and len(computed) == 2
