"""Audit log (R-ACC-6): who, when (UTC), what, before/after.

``record`` is called inside the transaction of the change it describes, so the log
and the change land together or not at all. Secrets never go in: callers pass plain
field values, and ``_scrub`` drops any key that looks like a secret as a last guard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from portplus_tui.services.context import AppContext, Session, authorize
from portplus_tui.store import models as m
from portplus_tui.store.db import from_db, to_db

_SECRET_WORDS = ("password", "hash", "code", "token", "secret")


def _scrub(values: Mapping[str, Any] | None) -> str | None:
    if values is None:
        return None
    clean = {
        key: (value.isoformat() if isinstance(value, (date, datetime)) else value)
        for key, value in values.items()
        if not any(word in key.lower() for word in _SECRET_WORDS)
    }
    return json.dumps(clean, ensure_ascii=False, sort_keys=True)


def record(
    ctx: AppContext,
    action: str,
    *,
    session: Session | None = None,
    company_id: int | None = None,
    account_id: int | None = None,
    actor: str | None = None,
    target: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    if session is not None:
        company_id = session.company_id if company_id is None else company_id
        account_id = session.account_id if account_id is None else account_id
        actor = session.actor if actor is None else actor
    m.AuditLog.create(
        at=to_db(ctx.now()),
        company=company_id,
        account=account_id,
        actor=(actor or "anonymous")[:254],
        action=action,
        target=target[:254],
        before=_scrub(before),
        after=_scrub(after),
    )


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict | None
    after: dict | None


def _entry(row: m.AuditLog) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=from_db(row.at),
        actor=row.actor,
        action=row.action,
        target=row.target,
        before=json.loads(row.before) if row.before else None,
        after=json.loads(row.after) if row.after else None,
    )


def list_entries(ctx: AppContext, session: Session, *, last: int = 50,
                 before_id: int | None = None) -> list[AuditEntry]:
    """The company's newest entries, newest first (admins and the provider only)."""
    authorize(ctx, session, admin=True)
    query = m.AuditLog.select().where(m.AuditLog.company == session.company_id)
    if before_id is not None:
        query = query.where(m.AuditLog.id < before_id)
    rows = query.order_by(m.AuditLog.id.desc()).limit(max(1, min(last, 1000)))
    return [_entry(row) for row in rows]
