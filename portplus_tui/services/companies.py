"""Companies (会員), their options and Note.

Provider calls (``add_company``, ``set_company``, ``find_company``, ``list_companies``,
``provider_session``) are for the command line; ``company_info`` and ``list_options``
serve a logged-in account and see only its own company.
"""

from __future__ import annotations

from dataclasses import dataclass

from portplus_tui.core import validation as v
from portplus_tui.core.errors import ValidationError, not_found
from portplus_tui.core.messages import texts
from portplus_tui.services import audit, live
from portplus_tui.services.context import ROLE_PROVIDER, AppContext, Session, authorize
from portplus_tui.store import models as m
from portplus_tui.store.db import to_db

# Known options: code -> (Japanese label, English label)
OPTIONS: dict[str, tuple[str, str]] = {
    m.OPTION_TWO_FACTOR: ("二段階認証", "Two-step login"),
}


@dataclass(frozen=True)
class CompanyInfo:
    id: int
    member_no: str
    name: str
    address: str
    ports: int
    note: str
    two_factor: bool
    account_count: int = 0


@dataclass(frozen=True)
class OptionInfo:
    code: str
    label_ja: str
    label_en: str
    enabled: bool


def options_of(company_id: int) -> dict[str, bool]:
    """The company's options (code: enabled), e.g. ``m.OPTION_TWO_FACTOR``."""
    rows = m.CompanyOption.select().where(m.CompanyOption.company == company_id)
    return {row.code: bool(row.enabled) for row in rows}


def _info(row: m.Company, *, count_accounts: bool = False) -> CompanyInfo:
    options = options_of(row.id)
    accounts = 0
    if count_accounts:
        accounts = (
            m.Account.select()
            .where((m.Account.company == row.id) & (m.Account.deleted == False))  # noqa: E712
            .count()
        )
    return CompanyInfo(
        id=row.id,
        member_no=row.member_no,
        name=row.name,
        address=row.address,
        ports=row.ports,
        note=row.note or "",
        two_factor=options.get(m.OPTION_TWO_FACTOR, False),
        account_count=accounts,
    )


def _get_row(member_no: str) -> m.Company:
    key = v.normalize_member_no(member_no)
    row = m.Company.get_or_none(m.Company.member_no == key)
    if row is None:
        raise not_found(*texts('companies.get_row', key=key), field="member_no")
    return row


def _set_option(ctx: AppContext, company_id: int, code: str, enabled: bool) -> None:
    now = to_db(ctx.now())
    (
        m.CompanyOption.insert(company=company_id, code=code, enabled=enabled, updated_at=now)
        .on_conflict(
            conflict_target=[m.CompanyOption.company, m.CompanyOption.code],
            update={m.CompanyOption.enabled: enabled, m.CompanyOption.updated_at: now},
        )
        .execute()
    )


def add_company(ctx: AppContext, member_no: str, *, name: str, address: str, ports: str | int,
                two_factor: bool = False) -> CompanyInfo:
    key = v.normalize_member_no(member_no)
    clean_name = v.normalize_name(name, field="member_name", max_len=100)
    clean_address = v.normalize_address(address)
    clean_ports = v.parse_contract_ports(str(ports))
    with ctx.db.atomic():
        if m.Company.select().where(m.Company.member_no == key).exists():
            raise ValidationError(
                *texts('companies.add_company', key=key),
                field="member_no",
            )
        now = to_db(ctx.now())
        row = m.Company.create(member_no=key, name=clean_name, address=clean_address,
                               ports=clean_ports, note="", created_at=now, updated_at=now)
        _set_option(ctx, row.id, m.OPTION_TWO_FACTOR, two_factor)
        info = _info(row)
        audit.record(ctx, "company.add", company_id=row.id, actor="provider", target=key,
                     after=_public(info))
    return info


def _public(info: CompanyInfo) -> dict:
    return {"member_no": info.member_no, "name": info.name, "address": info.address,
            "ports": info.ports, "note": info.note, "two_factor": info.two_factor}


def set_company(ctx: AppContext, member_no: str, *, name: str | None = None,
                address: str | None = None, ports: str | int | None = None,
                two_factor: bool | None = None, note: str | None = None) -> CompanyInfo:
    """Provider (``portplus company set``): change the given fields. Only fields whose
    value differs are written; when nothing differs nothing is written (no version or
    ``updated_at`` bump, no audit entry) and the unchanged view is returned."""
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = v.normalize_name(name, field="member_name", max_len=100)
    if address is not None:
        changes["address"] = v.normalize_address(address)
    if ports is not None:
        changes["ports"] = v.parse_contract_ports(str(ports))
    if note is not None:
        changes["note"] = v.normalize_note(note)
    with ctx.db.atomic():
        row = _get_row(member_no)
        before = _info(row)
        current = _public(before)
        # Only what differs is written: a call that changes nothing writes nothing (no
        # UPDATE, no new version or updated_at, no audit entry) and returns the view.
        changes = {key: value for key, value in changes.items() if current[key] != value}
        set_two_factor = two_factor is not None and bool(two_factor) != before.two_factor
        if not changes and not set_two_factor:
            return before
        if changes:
            changes["updated_at"] = to_db(ctx.now())
            changes["version"] = m.Company.version + 1
            m.Company.update(changes).where(m.Company.id == row.id).execute()
        if set_two_factor:
            _set_option(ctx, row.id, m.OPTION_TWO_FACTOR, bool(two_factor))
        after = _info(m.Company.get_by_id(row.id))
        if after != before:
            audit.record(ctx, "company.set", company_id=row.id, actor="provider",
                         target=after.member_no, before=_public(before), after=_public(after))
            live.record(ctx, row.id, live.COMPANY)
    return after


def find_company(ctx: AppContext, member_no: str) -> CompanyInfo:
    return _info(_get_row(member_no), count_accounts=True)


def list_companies(ctx: AppContext) -> list[CompanyInfo]:
    return [_info(row, count_accounts=True) for row in m.Company.select().order_by(m.Company.member_no)]


def provider_session(ctx: AppContext, member_no: str) -> Session:
    row = _get_row(member_no)
    return Session(company_id=row.id, member_no=row.member_no, role=ROLE_PROVIDER)


def company_info(ctx: AppContext, session: Session) -> CompanyInfo:
    """会社情報 / ご契約情報 / Note of the acting account's own company (R-INF-2)."""
    authorize(ctx, session)
    return _info(m.Company.get_by_id(session.company_id))


def list_options(ctx: AppContext, session: Session) -> list[OptionInfo]:
    """オプション: every known option and whether the company uses it (R-INF-3)."""
    authorize(ctx, session)
    enabled = options_of(session.company_id)
    return [OptionInfo(code, ja, en, enabled.get(code, False)) for code, (ja, en) in OPTIONS.items()]
