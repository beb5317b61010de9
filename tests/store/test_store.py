"""Store: URLs, pragmas, migrations (idempotent, concurrent), time conversion."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from portplus_tui.core.errors import ConfigurationError
from portplus_tui.store import db as store_db
from portplus_tui.store import migrations
from portplus_tui.store import models as m


def test_sqlite_url_needs_three_slashes_and_a_file(tmp_path):
    with pytest.raises(ConfigurationError):
        store_db.open_database("sqlite://relative.db")
    with pytest.raises(ConfigurationError):
        store_db.open_database("sqlite:///:memory:")
    with pytest.raises(ConfigurationError):
        store_db.open_database("mysql://x/y")
    with pytest.raises(ConfigurationError):
        store_db.open_database("postgresql://localhost/")


def test_sqlite_pragmas(tmp_path):
    db = store_db.open_database(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    db.connect()
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    db.close()
    assert (tmp_path / "nested" / "x.db").exists()


def test_password_is_redacted():
    assert store_db.redact_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"


def test_migrate_is_idempotent(database_url):
    db = store_db.open_database(database_url)
    assert migrations.current_version(db) == 0
    assert migrations.migrate(db) == [v for v, _, _ in migrations.MIGRATIONS]
    assert migrations.migrate(db) == []
    assert migrations.current_version(db) == migrations.LATEST
    for model in m.ALL_MODELS:
        assert db.table_exists(model._meta.table_name)
    db.close()


def test_concurrent_init_processes_apply_once(database_url, tmp_path):
    """Several `portplus init` at once (e.g. hosts starting together): one migrates."""
    env = {**os.environ, "PORTPLUS_DATABASE_URL": database_url,
           "PORTPLUS_DATA_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-m", "portplus_tui", "init"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    applied = [out for out, _ in outs if "applied migrations" in out]
    assert len(applied) == 1 and sum("up to date" in out for out, _ in outs) == 3


def test_time_round_trip():
    aware = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=9)))
    stored = store_db.to_db(aware)
    assert stored == datetime(2026, 3, 2, 1, 0) and stored.tzinfo is None
    assert store_db.from_db(stored) == aware
    assert store_db.from_db("2026-03-02 01:00:00") == aware
    assert store_db.to_db(None) is None and store_db.from_db(None) is None
