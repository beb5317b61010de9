"""List paging (R-LST-1, R-LST-4, R-LST-5): totals, 「全 N 件中 A ~ B 件」, page jumps,
keyset next/previous, last page, page sizes and the cancelled toggle, checked against
a plain sorted list of every row — at every boundary, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from portplus_tui.core.errors import ValidationError
from portplus_tui.services import applications as apps
from portplus_tui.services import demo

FIRST = date(2026, 3, 10)


@pytest.fixture
def loaded(ctx, tenant):
    """47 applications over 12 days (several per day), 5 of them cancelled."""
    demo.load_applications(ctx, tenant.company.id, 47, FIRST, FIRST + timedelta(days=11),
                           random.Random(7), cancelled_share=0.1, changed_share=0.1)
    return tenant


def oracle(ctx, session, query):
    every = list(apps.export_rows(ctx, session, query.start, query.end))
    if not query.include_cancelled:
        every = [row for row in every if row[5] != "キャンセル済"]
    return [row[0] for row in every]  # numbers, in list order


def numbers(page):
    return [row.number for row in page.rows]


@pytest.mark.parametrize("size", [10, 20, 50, 100])
@pytest.mark.parametrize("include_cancelled", [True, False])
def test_every_page_matches_the_oracle(ctx, loaded, size, include_cancelled):
    session = loaded.user_session
    query = apps.period_query(FIRST, FIRST + timedelta(days=11), page_size=size,
                              include_cancelled=include_cancelled)
    expected = oracle(ctx, session, query)
    assert len(expected) == (47 if include_cancelled else 47 - sum(
        1 for r in apps.export_rows(ctx, session) if r[5] == "キャンセル済"))
    pages = math.ceil(len(expected) / size)
    collected = []
    page = apps.list_page(ctx, session, query, 1)
    for k in range(1, pages + 1):
        jumped = apps.list_page(ctx, session, query, k)
        assert numbers(jumped) == expected[(k - 1) * size:k * size]
        assert numbers(page) == numbers(jumped), f"keyset next differs on page {k}"
        assert (page.total, page.page, page.page_count) == (len(expected), k, pages)
        assert page.first_index == (k - 1) * size + 1
        assert page.last_index == min(k * size, len(expected))
        assert page.has_prev == (k > 1) and page.has_next == (k < pages)
        collected += numbers(page)
        if k < pages:
            page = apps.next_page(ctx, session, page)
    assert collected == expected
    # …and back again with keyset previous.
    for k in range(pages - 1, 0, -1):
        page = apps.prev_page(ctx, session, page)
        assert page.page == k and numbers(page) == expected[(k - 1) * size:k * size]
    last = apps.last_page(ctx, session, query)
    assert numbers(last) == numbers(apps.list_page(ctx, session, query, -1))
    assert last.page == pages and numbers(last) == expected[(pages - 1) * size:]


def test_page_numbers_past_the_ends_are_clamped(ctx, loaded):
    query = apps.period_query(FIRST, FIRST + timedelta(days=11))
    assert apps.list_page(ctx, loaded.user_session, query, 0).page == 1
    assert apps.list_page(ctx, loaded.user_session, query, 999).page == 5
    first = apps.list_page(ctx, loaded.user_session, query, 1)
    assert apps.prev_page(ctx, loaded.user_session, first).page == 1
    last = apps.last_page(ctx, loaded.user_session, query)
    assert apps.next_page(ctx, loaded.user_session, last).page == 5


def test_empty_search_is_page_one_of_one(ctx, loaded):
    query = apps.period_query("2030-01-01", "2030-01-31")
    page = apps.list_page(ctx, loaded.user_session, query, 3)
    assert (page.total, page.page, page.page_count, page.first_index, page.last_index) == (0, 1, 1, 0, 0)
    assert not page.has_next and not page.has_prev
    assert apps.last_page(ctx, loaded.user_session, query).rows == []


def test_period_bounds_are_inclusive(ctx, loaded):
    day = FIRST + timedelta(days=3)
    query = apps.period_query(day, day, page_size=100)
    page = apps.list_page(ctx, loaded.user_session, query)
    assert page.rows and {row.apply_date for row in page.rows} == {day}


def test_month_search_uses_the_billing_period(ctx, loaded):
    query = apps.month_query(ctx, "2026-02")
    assert (query.start, query.end) == (date(2026, 2, 21), date(2026, 3, 20))
    assert apps.month_query(ctx, "２０２６－０２").start == date(2026, 2, 21)
    opening = apps.current_month_query(ctx)  # clock: 2026-03-02 → billing month 2026-02
    assert (opening.start, opening.end) == (date(2026, 2, 21), date(2026, 3, 20))
    assert opening.page_size == 10


def test_page_size_and_period_validation(ctx):
    for bad in (0, 5, 25, 1000, "x"):
        with pytest.raises(ValidationError) as err:
            apps.period_query("2026-01-01", "2026-01-31", page_size=bad)
        assert err.value.field == "page_size"
    with pytest.raises(ValidationError) as err:
        apps.period_query("2026-02-01", "2026-01-31")
    assert err.value.field == "end"
    with pytest.raises(ValidationError):
        apps.month_query(ctx, "2026-13")


def test_page_size_change_keeps_the_search(ctx, loaded):
    query = apps.period_query(FIRST, FIRST + timedelta(days=11))
    bigger = query.with_page_size(20)
    assert (bigger.start, bigger.end, bigger.page_size) == (query.start, query.end, 20)
    assert apps.list_page(ctx, loaded.user_session, bigger, 3).page_count == 3


@hsettings(max_examples=60, deadline=None)
@given(total=st.integers(0, 10_000), size=st.sampled_from(apps.PAGE_SIZES), data=st.data())
def test_page_arithmetic_at_every_boundary(total, size, data):
    """A ~ B and page counts from Page's own arithmetic, against first principles."""
    pages = max(1, -(-total // size))
    page_no = data.draw(st.integers(1, pages))
    on_page = max(0, min(size, total - (page_no - 1) * size))
    query = apps.ListQuery(date(2026, 1, 1), date(2026, 1, 31), size)
    page = apps.Page(query, [object()] * on_page, total, page_no, pages)  # rows: only counted
    if total == 0:
        assert (page.first_index, page.last_index) == (0, 0)
    else:
        assert page.first_index == (page_no - 1) * size + 1
        assert page.last_index == min(page_no * size, total)
        assert page.last_index - page.first_index + 1 == on_page
    assert page.has_next == (page_no < pages) and page.has_prev == (page_no > 1)
