"""Small pieces shared by the ポートプラス pane, its dialogs and the application form:
the formatting of dates, names and the キャンセル column in the current language (the
date field and the checkbox are widgets: ui/widgets/inputs.py).

Only Textual and ``core`` are imported here: no service, no database.
"""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text

from portplus_tui.core.calendar import format_en_date, format_jp_date, to_jst
from portplus_tui.ui.i18n import get_lang, t


# ------------------------------------------------------------------ formatting
def fmt_date(d: date) -> str:
    """``2021年3月17日(水)`` / ``Wed 17 Mar 2021``."""
    return format_jp_date(d) if get_lang() == "ja" else format_en_date(d)


def fmt_short_date(d: date) -> str:
    """``3/17(水)`` / ``Wed 3/17``: for narrow places."""
    if get_lang() == "ja":
        return f"{d.month}/{d.day}({format_jp_date(d)[-2]})"
    return f"{format_en_date(d)[:3]} {d.month}/{d.day}"


def fmt_datetime(dt: datetime) -> str:
    """Japan time, to the minute: ``2021-03-17 10:05``."""
    return to_jst(dt).strftime("%Y-%m-%d %H:%M")


def applied_day(dt: datetime) -> date:
    """申込日: the Japan calendar day of the instant the application was made."""
    return to_jst(dt).date()


def fmt_applicant(name: str) -> str:
    """申込者 as the list shows it: ``〈name〉 様``."""
    return t("pp.applicant_cell", name=name).strip()


def cancel_cell(view) -> Text:
    """The キャンセル column: the action, キャンセル済, or 期限切れ (never colour alone)."""
    if view.cancelled:
        return Text(t("pp.cell_cancelled"), style="italic")
    if not view.open:
        return Text(t("pp.cell_expired"), style="dim")
    return Text(t("pp.cell_cancel"), style="underline")


def status_text(view) -> str:
    if view.cancelled:
        return t("pp.status_cancelled")
    return t("pp.status_active")


def why_not_modifiable(view) -> str:
    """Why change / cancel is not possible for this row (names the deadline)."""
    if view.cancelled:
        return t("pp.already_cancelled", number=view.number)
    return t("pp.deadline_passed_row", number=view.number, deadline=fmt_date(view.deadline))


def describe_day(info, contracted: int | None = None) -> str:
    """The line under the grid: date, kind (with the holiday's name), deadline, counts."""
    parts = [fmt_date(info.day)]
    if info.holiday_name:
        parts.append(t("pp.cal.kind_holiday_named", name=info.holiday_name))
    if info.kind == "closed":
        parts.append(t("pp.cal.kind_closed"))
    elif info.kind == "year_end":
        parts.append(t("pp.cal.kind_year_end"))
    elif info.kind == "weekend":
        parts.append(t("pp.cal.kind_weekend"))
    elif info.kind == "business":
        parts.append(t("pp.cal.kind_business"))
    if info.open:
        parts.append(t("pp.cal.deadline_open", deadline=fmt_date(info.deadline)))
    else:
        parts.append(t("pp.cal.deadline_past", deadline=fmt_date(info.deadline)))
    parts.append(t("pp.cal.day_counts", active=info.active, cancelled=info.cancelled,
                   ports=info.ports, contracted=contracted if contracted is not None else "-"))
    sep = "  " if get_lang() == "ja" else "; "
    return sep.join(parts)
