"""The database fixtures do what conftest says: fresh, separate, working databases."""

from __future__ import annotations

import os
import pwd
from urllib.parse import urlparse

import peewee
import psycopg
import pytest
from playhouse.db_url import connect

from . import pg


def test_database_url_works_with_peewee(database_url: str) -> None:
    db = connect(database_url)
    with db.connection_context():
        assert db.execute_sql("select 1").fetchone() == (1,)
        assert db.get_tables() == []  # fresh and empty

        class Thing(peewee.Model):
            name = peewee.TextField()

            class Meta:
                database = db

        db.create_tables([Thing])
        Thing.create(name="ポートプラス")
        assert [t.name for t in Thing.select()] == ["ポートプラス"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_url_is_a_file_in_tmp_path(database_url: str, tmp_path) -> None:
    assert database_url == f"sqlite:////{str(tmp_path).lstrip('/')}/test.db"
    db = connect(database_url)
    with db.connection_context():
        db.execute_sql("create table t (x integer)")
    assert (tmp_path / "test.db").is_file()


@pytest.mark.postgres
def test_postgresql_scheme_uses_psycopg3(pg_url: str) -> None:
    # peewee 4.5: postgresql:// picks psycopg 3 when psycopg2 is not importable.
    db = connect(pg_url)
    assert isinstance(db._adapter, peewee.Psycopg3Adapter)
    with db.connection_context():
        assert isinstance(db.connection(), psycopg.Connection)
        assert db.server_version >= 130000


@pytest.mark.postgres
def test_psycopg_connects_to_the_fresh_database(pg_url: str, pg_server: pg.PgServer) -> None:
    dbname = urlparse(pg_url).path.lstrip("/")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.execute("select current_database()").fetchone() == (dbname,)
        assert conn.execute("show server_encoding").fetchone() == ("UTF8",)
        assert conn.info.server_version // 10000 == pg_server.major_version
        count = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
        assert count == (0,)


_seen_databases: set[str] = set()


@pytest.mark.postgres
@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_gets_its_own_database(pg_url: str, turn: int) -> None:
    # Whichever of the two runs second would find the first one's name and table.
    dbname = urlparse(pg_url).path.lstrip("/")
    assert dbname not in _seen_databases
    _seen_databases.add(dbname)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("select to_regclass('public.leftover')").fetchone() == (None,)
        conn.execute("create table leftover (turn integer)")


def test_server_runs_as_postgres_under_root(pg_server: pg.PgServer) -> None:
    expected = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    with pg_server.connect() as conn:
        data_dir = conn.execute("show data_directory").fetchone()[0]
        pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        # while the connection is open: its backend process ends with it
        owner = os.stat(f"/proc/{pid}").st_uid
    assert data_dir == str(pg_server.data_dir)
    assert owner == expected


def test_create_from_template_and_drop_with_open_connections(pg_server: pg.PgServer) -> None:
    template = pg.unique_database_name("template")
    copy = pg.unique_database_name("copy")
    pg_server.create_database(template)
    try:
        with psycopg.connect(pg_server.url(template), autocommit=True) as conn:
            conn.execute("create table kept (x integer)")
        pg_server.create_database(copy, template=template)
        lingering = psycopg.connect(pg_server.url(copy))
        assert lingering.execute("select to_regclass('public.kept')").fetchone() == ("kept",)
        pg_server.drop_database(copy)  # must end the lingering session, not wait for it
        lingering.close()
    finally:
        pg_server.drop_database(template)
        pg_server.drop_database(copy)
    with pg_server.connect() as conn:
        left = conn.execute(
            "select datname from pg_database where datname in (%s, %s)", (template, copy)
        ).fetchall()
    assert left == []


def test_binaries_are_found_in_the_newest_glob_directory(tmp_path, monkeypatch) -> None:
    for version in ("9.6", "15", "13"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        for name in ("initdb", "pg_ctl"):
            (bindir / name).write_text("#!/bin/sh\n")
            (bindir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv(pg.BIN_GLOB_ENV, str(tmp_path / "*" / "bin"))
    assert pg.find_binaries() == pg.PgBinaries(
        str(tmp_path / "15" / "bin" / "initdb"), str(tmp_path / "15" / "bin" / "pg_ctl")
    )


@pytest.mark.parametrize(
    ("env", "skipped", "says"),
    [
        ({}, False, "PORTPLUS_SKIP_POSTGRES=1"),
        ({"PORTPLUS_SKIP_POSTGRES": "1"}, True, "PORTPLUS_SKIP_POSTGRES=1"),
        ({"PORTPLUS_SKIP_POSTGRES": "1", "CI": "true"}, False, "required"),
        ({"PORTPLUS_SKIP_POSTGRES": "1", "PORTPLUS_REQUIRE_POSTGRES": "1"}, False, "required"),
    ],
    ids=["default-fails", "skip-asked", "ci-fails", "required-fails"],
)
def test_missing_binaries(tmp_path, monkeypatch, env, skipped, says) -> None:
    for key in ("CI", "PORTPLUS_SKIP_POSTGRES", "PORTPLUS_REQUIRE_POSTGRES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(pg.BIN_GLOB_ENV, str(tmp_path / "*" / "bin"))
    assert pg.find_binaries() is None
    assert (pg.skip_reason() is not None) is skipped
    assert says in pg.missing_message()
    assert pg.TEST_COMMAND in pg.missing_message()
    with pytest.raises(pg.PgError, match="not found"):
        with pg.running_server():
            pass
