"""Issue 13, point 12: the audit log says every field and value in the operator's
language. The company's ``name`` is its 会員名 (not 担当者名), applications' fields and
states are named (適用日, 申込者, 受付 -> キャンセル済), and a deletion reads
「削除: いいえ -> はい」, not 「(なし) -> はい」. Real entries written by the services."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portplus_tui.services import applications as apps
from portplus_tui.services import audit, auth, companies
from portplus_tui.ui.i18n import set_lang
from portplus_tui.ui.screens.audit_log import change_lines, describe_changes

from .support import ADMIN

RAW = re.compile(r"\b(apply_date|applicant|status|active|cancelled|member_no|revision|"
                 r"two_factor|deleted)\b")


def _session(ctx):
    return auth.login(ctx, *ADMIN).session


@pytest.fixture
def entries(ctx):
    session = _session(ctx)
    view = apps.create(ctx, session, apply_date=ctx.today() + timedelta(days=20), ports=3,
                       applicant="監査 花子")
    changed = apps.change(ctx, session, view.id, version=view.version,
                          apply_date=view.apply_date, ports=4, applicant="監査 太郎")
    apps.cancel(ctx, session, view.id, version=changed.version)
    companies.set_company(ctx, ADMIN[0], name="監査テスト株式会社", note="メモ")
    return {entry.action: entry for entry in reversed(audit.list_entries(ctx, session, last=50))}


def test_every_field_and_value_is_named_in_japanese(entries):
    set_lang("ja")
    cancel = describe_changes(entries["application.cancel"])
    assert "状態: 受付 -> キャンセル済" in cancel, cancel
    change = describe_changes(entries["application.change"])
    assert "追加ポート数: 3 -> 4" in change and "申込者: 監査 花子 -> 監査 太郎" in change, change
    new = describe_changes(entries["application.new"])
    assert "適用日: " in new and "状態: 受付" in new, new
    company = describe_changes(entries["company.set"])
    assert "会員名: " in company and "担当者名" not in company, company
    for entry in entries.values():
        text = describe_changes(entry)
        assert not RAW.search(text), (entry.action, text)


def test_english_too(entries):
    set_lang("en")
    try:
        assert "Status: Accepted -> Cancelled" in describe_changes(entries["application.cancel"])
        assert "Company name: " in describe_changes(entries["company.set"])
    finally:
        set_lang("ja")


def test_a_deletion_reads_no_then_yes():
    set_lang("ja")
    assert change_lines({"login_id": "a@example.com"}, {"login_id": "a@example.com",
                                                         "deleted": True},
                        "account.delete") == ["削除: いいえ -> はい"]
