"""Finding 2 of issue 11: the demo's well-known logins never reach real data. The demo
seeds an empty database or its own (marked) one, and refuses anything else."""

from __future__ import annotations

import pytest

from portplus_tui.core.errors import DemoRefused
from portplus_tui.services import companies, demo
from portplus_tui.store import models as m

from .conftest import make_tenant


def counts() -> dict[str, int]:
    return {model.__name__: model.select().count() for model in m.ALL_MODELS}


def test_an_empty_database_is_seeded_and_marked(ctx):
    result = demo.seed(ctx)
    assert result.created_companies == [demo.DEMO_COMPANY, demo.DEMO_2FA_COMPANY]
    marked = sorted(row.member_no for row in m.DemoMarker.select())
    assert marked == [demo.DEMO_COMPANY, demo.DEMO_2FA_COMPANY]


def test_seeding_a_demo_database_again_is_fine(ctx):
    demo.seed(ctx)
    before = counts()
    again = demo.seed(ctx)
    assert again.created_companies == [] and again.created_accounts == [] and again.applications == 0
    assert counts() == before


def test_a_database_with_real_companies_is_refused_and_left_alone(ctx):
    make_tenant(ctx, "M97-00999", name="Real Customer")
    before = counts()
    with pytest.raises(DemoRefused) as caught:
        demo.seed(ctx)
    assert "M97-00999" in caught.value.message("en") and "nothing was written" in caught.value.message("en")
    assert counts() == before
    assert [info.member_no for info in companies.list_companies(ctx)] == ["M97-00999"]


def test_a_company_added_to_the_demo_database_later_makes_it_real(ctx):
    demo.seed(ctx)
    companies.add_company(ctx, "M97-01000", name="Added later", address="東京都", ports=3)
    before = counts()
    with pytest.raises(DemoRefused):
        demo.seed(ctx)
    with pytest.raises(DemoRefused):
        demo.check_database(ctx)
    assert counts() == before


def test_a_database_with_the_demo_member_numbers_but_no_marker_is_refused(ctx):
    """Demo-like data from an older version (or a real company that happens to use the
    member number): not the demo's own."""
    make_tenant(ctx, demo.DEMO_COMPANY)
    with pytest.raises(DemoRefused):
        demo.seed(ctx)
