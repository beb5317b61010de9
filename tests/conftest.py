"""Shared pytest fixtures."""

from __future__ import annotations

from typing import Iterator

import pytest

from . import pg

# === Databases: SQLite files and a throwaway PostgreSQL server (machinery in tests/pg.py) ===
#
#   pg_server     session: a running server; .url(name), .create_database(), .drop_database()
#   pg_url        a fresh empty PostgreSQL database for one test (URL; dropped afterwards)
#   database_url  parametrized [sqlite] / [postgres]: a fresh empty database for one test
#
# Tests that use pg_server (directly or through pg_url) get the `postgres` marker, so
# `-m "not postgres"` leaves them out. Missing PostgreSQL binaries fail those tests unless
# PORTPLUS_SKIP_POSTGRES=1 (and neither CI=true nor PORTPLUS_REQUIRE_POSTGRES=1) is set.


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pg.skip_reason()
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        if skip and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason=skip))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PgServer]:
    problem = None
    try:
        with pg.running_server() as server:
            yield server
    except pg.PgError as exc:  # raised only while setting up; teardown never raises it
        problem = str(exc)
    if problem:
        pytest.fail(f"throwaway PostgreSQL server: {problem}", pytrace=False)


@pytest.fixture
def pg_url(pg_server: pg.PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    with pg_server.fresh_database(request.node.name) as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"  # absolute path: sqlite:////tmp/...
    return request.getfixturevalue("pg_url")


# === end of databases ===
