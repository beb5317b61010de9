"""Hypothesis through the services: whatever text reaches a write call, it is accepted
or refused with a clear ValidationError naming a field — and after a refusal the
database is exactly as before (SQLite and PostgreSQL)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portplus_tui.core.errors import PortPlusError, ValidationError
from portplus_tui.services import accounts, applications, companies
from portplus_tui.store import models as m

NASTY = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["", " ", "\x00", "\x1b[2J", "a\nb", "😀", "ＡＢＣ１２３", "１２", "x" * 10_000,
                     "2026-03-06", "２０２６－０３－０６", "0", "999", "1000", "admin", "user",
                     "new@example.com", "9999-12-31", "\u202e", "\ud800"]),
)
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def state() -> tuple:
    return tuple(sorted(model.select().tuples()) for model in
                 (m.Company, m.CompanyOption, m.Account, m.Application, m.ApplicationRevision,
                  m.DayCount, m.AuditLog))


def check_refusal(exc: PortPlusError) -> None:
    assert isinstance(exc, ValidationError), repr(exc)
    assert exc.ja.strip() and exc.en.strip() and exc.field


@FUZZ
@given(apply_date=NASTY, ports=NASTY, applicant=NASTY)
def test_new_application(ctx, tenant, apply_date, ports, applicant):
    before = state()
    try:
        view = applications.create(ctx, tenant.user_session, apply_date=apply_date, ports=ports,
                                   applicant=applicant)
    except PortPlusError as exc:
        if not isinstance(exc, ValidationError):  # e.g. a real date past its deadline
            assert exc.code == "deadline", repr(exc)
        else:
            check_refusal(exc)
        assert state() == before
    else:
        assert 1 <= view.ports <= 999 and view.applicant.strip()


@FUZZ
@given(name=NASTY, role=NASTY, login_id=NASTY, password=NASTY, department=NASTY, phone=NASTY,
       expires=NASTY)
def test_new_account(ctx, tenant, name, role, login_id, password, department, phone, expires):
    before = state()
    try:
        accounts.create_account(ctx, tenant.admin_session, name=name, role=role, login_id=login_id,
                                password=password, password_confirm=password,
                                department=department, phone=phone, expires=expires)
    except PortPlusError as exc:
        check_refusal(exc)
        assert state() == before


@FUZZ
@given(name=NASTY, address=NASTY, ports=NASTY, note=NASTY)
def test_company_settings(ctx, tenant, name, address, ports, note):
    before = state()
    try:
        companies.set_company(ctx, tenant.company.member_no, name=name, address=address,
                              ports=ports, note=note)
    except PortPlusError as exc:
        check_refusal(exc)
        assert state() == before
