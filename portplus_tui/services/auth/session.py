"""Sessions: activity, the periodic check and logout."""

from __future__ import annotations

import logging

from portplus_tui.services import audit
from portplus_tui.services.context import AppContext, Session, authorize
from portplus_tui.store import models as m

log = logging.getLogger(__name__)


def touch(ctx: AppContext, session: Session) -> Session:
    """User activity: check the session (idle timeout, account state, role) and extend it."""
    authorize(ctx, session)
    return session


def check_session(ctx: AppContext, session: Session) -> Session:
    """Check the session like ``touch`` without counting it as activity."""
    last = session.last_activity
    try:
        authorize(ctx, session)
    finally:
        session.last_activity = last
    return session


def logout(ctx: AppContext, session: Session) -> None:
    """ログアウト: record it. Never fails for an ended or revoked session."""
    if session.is_provider:
        return
    with ctx.db.atomic():
        exists = (
            m.Account.select()
            .where((m.Account.id == session.account_id) & (m.Account.company == session.company_id))
            .exists()
        )
        audit.record(ctx, "logout", session=session,
                     account_id=session.account_id if exists else None,
                     target=session.login_id)
