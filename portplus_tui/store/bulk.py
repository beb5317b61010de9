"""Bulk loading for demo data and benchmarks: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

from typing import Iterable, Sequence

import peewee

from portplus_tui.store.db import is_postgres


def insert_rows(db: peewee.Database, table: str, columns: Sequence[str],
                rows: Iterable[Sequence], batch: int = 50_000) -> int:
    """Insert many rows fast; call inside ``db.atomic()``. Returns the count.

    Values must already be what the driver takes as is: numbers, text (dates and
    timestamps as ISO text), None."""
    count = 0
    if is_postgres(db):
        cursor = db.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'
    conn = db.connection()
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            conn.executemany(sql, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        conn.executemany(sql, chunk)
        count += len(chunk)
    return count


def reset_sequence(db: peewee.Database, table: str, column: str = "id") -> None:
    """After inserting explicit ids on PostgreSQL, move the serial past them."""
    if is_postgres(db):
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f"COALESCE((SELECT MAX(\"{column}\") FROM \"{table}\"), 1))"
        )


def rebuild_day_counts(db: peewee.Database, company_id: int) -> None:
    """Recount a company's per-day totals from its applications."""
    db.execute_sql('DELETE FROM "day_count" WHERE "company_id" = %s' % int(company_id))
    db.execute_sql(
        'INSERT INTO "day_count" ("company_id", "day", "active", "cancelled", "active_ports") '
        'SELECT "company_id", "apply_date", '
        "SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'active' THEN ports ELSE 0 END) "
        'FROM "application" WHERE "company_id" = %s GROUP BY "company_id", "apply_date"'
        % int(company_id)
    )


def max_id(db: peewee.Database, table: str) -> int:
    cursor = db.execute_sql(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')
    return int(cursor.fetchone()[0])
