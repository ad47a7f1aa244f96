"""`kindmap analyse` computes the costliest defaults (England-wide /priorities at each level) and
the first request after it is answered from what it kept, while the data it was computed on holds."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from analysis import answers, gap_index
from app.main import create_app
from app.routers.priorities import PRECOMPUTED
from store.db import make_engine
from tests.test_cli import kindmap


@pytest.fixture(scope="module")
def analysed(sample_loaded, database_url):
    with sample_loaded.begin() as conn:  # as if the step had never run
        conn.execute(text("DELETE FROM analysis_answers"))
        conn.execute(text("DELETE FROM analysis_steps WHERE step = 'answers'"))
    kindmap("analyse", database_url=database_url)
    return sample_loaded


@pytest.fixture
def client(analysed, database_url):
    with TestClient(create_app(make_engine(database_url))) as client:  # a fresh worker: nothing in memory
        yield client


@pytest.mark.parametrize("params", [{"level": "lsoa"}, {"level": "authority"}, {}], ids=["lsoa", "authority", "default"])
def test_after_analyse_the_first_default_priorities_is_the_kept_answer(analysed, client, params):
    with analysed.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM analysis_answers")).scalar()
    assert kept == len(answers.LEVELS)
    response = client.get("/priorities", params=params)
    assert response.status_code == 200, response.text
    assert response.headers[PRECOMPUTED] == "analysis_answers"
    assert response.headers["content-type"] == "application/geo+json"
    query = gap_index.default_query(params.get("level", "authority"))
    with analysed.connect() as conn:  # the same bytes the route computes
        assert response.text == gap_index.feature_collection(gap_index.ranked(conn, query), query,
                                                             gap_index.meta(query, gap_index.require_coverage(conn, query)))
    assert response.json()["numberReturned"] > 0


def test_other_choices_and_changed_data_are_computed(analysed, client, database_url):
    for params in ({"level": "lsoa", "limit": 5}, {"level": "lsoa", "f": "csv"}, {"level": "lsoa", "radius": 900}):
        response = client.get("/priorities", params=params)
        assert response.status_code == 200, response.text
        assert PRECOMPUTED not in response.headers
    with analysed.begin() as conn:  # any write to an input moves its data version
        conn.execute(text("UPDATE places SET name = name WHERE id = (SELECT min(id) FROM places)"))
    try:
        response = client.get("/priorities", params={"level": "lsoa"})
        assert response.status_code == 200 and PRECOMPUTED not in response.headers
    finally:
        kindmap("analyse", database_url=database_url)
    # (this worker answers from the copy it keeps in memory, app/costs.py: the same bytes)
    with TestClient(create_app(make_engine(database_url))) as fresh:
        assert fresh.get("/priorities", params={"level": "lsoa"}).headers[PRECOMPUTED] == "analysis_answers"
