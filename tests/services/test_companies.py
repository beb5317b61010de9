"""Companies (R-TEN-1, R-TEN-4, R-ACC-6): ``set_company`` writes only what changes, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from portplus_tui.services import companies
from portplus_tui.store import models as m

MEMBER = "M97-00339"


def rows() -> dict:
    """Every row ``set_company`` may touch, for "nothing was written" checks."""
    return {model.__name__: list(model.select().order_by(model.id).tuples())
            for model in (m.Company, m.CompanyOption, m.AuditLog)}


@pytest.fixture
def company(ctx):
    return companies.add_company(ctx, MEMBER, name="NTT BizLink", address="東京都文京区小石川1-4-1",
                                 ports=30, two_factor=True)


@pytest.mark.parametrize("changes", [
    dict(name="NTT BizLink"),
    dict(name="  NTT BizLink  "),  # the same after normalisation
    dict(address="東京都文京区小石川1-4-1", ports="30"),
    dict(ports="３０"),  # full-width digits
    dict(two_factor=True),
    dict(note=""),
    dict(name="NTT BizLink", address="東京都文京区小石川1-4-1", ports=30, two_factor=True, note=""),
])
def test_a_set_that_changes_nothing_writes_nothing(ctx, company, clock, changes):
    before = rows()
    clock.advance(minutes=5)
    info = companies.set_company(ctx, "m97-00339", **changes)
    assert info == company
    assert rows() == before  # no version bump, no updated_at, no option upsert, no audit


def test_a_set_writes_only_what_differs(ctx, company, clock):
    row = m.Company.get(m.Company.member_no == MEMBER)
    option_before = list(m.CompanyOption.select().tuples())
    clock.advance(minutes=5)
    info = companies.set_company(ctx, MEMBER, name="NTT BizLink", ports=40, two_factor=True)
    assert info.ports == 40 and info.name == "NTT BizLink" and info.two_factor
    after = m.Company.get_by_id(row.id)
    assert after.version == row.version + 1 and after.updated_at != row.updated_at
    assert list(m.CompanyOption.select().tuples()) == option_before  # two_factor unchanged
    entries = list(m.AuditLog.select().where(m.AuditLog.action == "company.set"))
    assert len(entries) == 1
    assert '"ports": 30' in entries[0].before and '"ports": 40' in entries[0].after


def test_switching_only_the_option_keeps_the_company_row(ctx, company, clock):
    row_before = list(m.Company.select().tuples())
    clock.advance(minutes=5)
    info = companies.set_company(ctx, MEMBER, two_factor=False)
    assert not info.two_factor
    assert list(m.Company.select().tuples()) == row_before
    assert m.AuditLog.select().where(m.AuditLog.action == "company.set").count() == 1
    # and back: a second identical call writes nothing
    before = rows()
    assert companies.set_company(ctx, MEMBER, two_factor=False) == info
    assert rows() == before
