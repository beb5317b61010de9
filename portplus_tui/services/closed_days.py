"""Provider-defined closed days (R-CAL-1), managed with `portplus calendar closed-day`."""

from __future__ import annotations

from datetime import date

from portplus_tui.core.calendar import parse_date
from portplus_tui.core.errors import ValidationError
from portplus_tui.core.messages import texts
from portplus_tui.services import audit, live
from portplus_tui.services.context import AppContext
from portplus_tui.store import models as m
from portplus_tui.store.db import to_db


def add(ctx: AppContext, day: date | str) -> date:
    value = day if isinstance(day, date) else parse_date(day, field="date")
    with ctx.db.atomic():
        if m.ClosedDay.get_or_none(m.ClosedDay.day == value) is not None:
            raise ValidationError(*texts('closed_days.add', isoformat=value.isoformat()), field="date")
        m.ClosedDay.create(day=value, created_at=to_db(ctx.now()))
        audit.record(ctx, "calendar.closed_day.add", actor="provider", target=value.isoformat())
        live.record(ctx, None, live.CLOSED_DAY)
    return value


def remove(ctx: AppContext, day: date | str) -> date:
    value = day if isinstance(day, date) else parse_date(day, field="date")
    with ctx.db.atomic():
        deleted = m.ClosedDay.delete().where(m.ClosedDay.day == value).execute()
        if not deleted:
            raise ValidationError(*texts('closed_days.remove', isoformat=value.isoformat()), field="date")
        audit.record(ctx, "calendar.closed_day.remove", actor="provider", target=value.isoformat())
        live.record(ctx, None, live.CLOSED_DAY)
    return value


def list_days(ctx: AppContext) -> list[date]:
    return [row.day for row in m.ClosedDay.select().order_by(m.ClosedDay.day)]
