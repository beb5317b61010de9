"""Versioned schema migrations, run by ``portplus init`` and ``portplus migrate``.

Each migration has a number and runs once, inside a transaction, under a lock that
keeps two processes from migrating at the same time. Running ``migrate`` again is a
no-op. Later migrations must be additive and check what exists (``playhouse.migrate``)
because migration 1 creates the tables from the current models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import peewee

from portplus_tui.store import models as m
from portplus_tui.store.db import bind, is_postgres

Migration = tuple[int, str, Callable[[peewee.Database], None]]

_ADVISORY_LOCK_KEY = 7_700_339  # arbitrary, constant


# Tables that later migrations add: migration 1 leaves them out (it creates the tables
# of the current models, so an upgraded database and a new one end up the same).
_LATER = (m.SchemaVersion, m.DemoMarker, m.ChangeLog)


def _initial(db: peewee.Database) -> None:
    db.create_tables([model for model in m.ALL_MODELS if model not in _LATER], safe=True)


def _demo_marker(db: peewee.Database) -> None:
    db.create_tables([m.DemoMarker], safe=True)


def _change_log(db: peewee.Database) -> None:
    db.create_tables([m.ChangeLog], safe=True)


MIGRATIONS: list[Migration] = [
    (1, "initial schema", _initial),
    (2, "demo marker", _demo_marker),
    (3, "change feed", _change_log),
]

LATEST = MIGRATIONS[-1][0]


def current_version(db: peewee.Database) -> int:
    if not db.table_exists(m.SchemaVersion._meta.table_name):
        return 0
    cursor = db.execute_sql(f'SELECT MAX("version") FROM "{m.SchemaVersion._meta.table_name}"')
    return int(cursor.fetchone()[0] or 0)


def migrate(db: peewee.Database) -> list[int]:
    """Apply pending migrations; return the versions applied (empty when up to date).

    Binds the models to ``db`` (the process-wide proxy): ``bind_ctx`` is not
    thread-safe, and a process works with one database anyway."""
    applied: list[int] = []
    bind(db)
    # One transaction, taken with the write lock (SQLite: BEGIN IMMEDIATE) or an
    # advisory lock (PostgreSQL) before anything is read, so concurrent runs queue.
    with db.atomic():
        if is_postgres(db):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_KEY,))
        db.create_tables([m.SchemaVersion], safe=True)
        done = {row.version for row in m.SchemaVersion.select(m.SchemaVersion.version)}
        for version, name, step in MIGRATIONS:
            if version in done:
                continue
            step(db)
            m.SchemaVersion.create(
                version=version, name=name,
                applied_at=datetime.now(timezone.utc).replace(tzinfo=None),
            )
            applied.append(version)
    return applied
