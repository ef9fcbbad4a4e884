"""Filings and permits (2.6): expiry reminders through the obligations engine; a website
without a filing is flagged on the dashboard."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.notices.models import InboxMessage
from yiyun.obligations.services import tick
from yiyun.websites.choices import FilingState
from yiyun.websites.selectors import filing_state, websites_visible, websites_without_filing
from yiyun.websites.services import filing_add, filing_renew, website_create
from yiyun.websites.tests.factories import archive_in

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def contracted(world, settings, tmp_path):
    archive_in(settings, tmp_path)
    with time_machine.travel(NOW, tick=False):
        contract = seed_contract(world)
        website = website_create(
            organisation=world.customer_a, domain="www.kpxyy.cn", name="门户", by=world.admin_a
        )
    return contract, website


@pytest.mark.django_db
def test_clause_2_6_permit_expiry_is_an_obligation_with_a_reminder(world, contracted):
    contract, website = contracted
    assert website.contract == contract
    with time_machine.travel(NOW, tick=False):
        permit = filing_add(
            website=website,
            kind="health_permit",
            number="新卫网审字〔2025〕第12号",
            authority="新疆维吾尔自治区卫生健康委员会",
            valid_until=date(2026, 6, 30),
            by=world.admin_a,
        )
    obligation = permit.obligation
    assert obligation.clause == "2.6" and obligation.state == "open"
    assert obligation.bound_party == "customer"
    # Valid through 30 June: due at 24:00 of that day (Civil Code art. 203).
    assert obligation.due_at == datetime.combine(date(2026, 7, 1), time(0), tzinfo=SHANGHAI)
    assert filing_state(permit, today=date(2026, 6, 1)) == FilingState.EXPIRING
    assert filing_state(permit, today=date(2026, 7, 1)) == FilingState.EXPIRED
    # Thirty days before, the customer's people are reminded.
    with time_machine.travel(datetime(2026, 5, 31, 23, 0, tzinfo=SHANGHAI), tick=False):
        tick(now=datetime(2026, 5, 31, 23, 0, tzinfo=SHANGHAI))
    assert not InboxMessage.objects.filter(
        source__startswith=f"obligation:{obligation.pk}:"
    ).exists()
    with time_machine.travel(datetime(2026, 6, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        tick(now=datetime(2026, 6, 1, 0, 30, tzinfo=SHANGHAI))
    reminded = InboxMessage.objects.filter(source=f"obligation:{obligation.pk}:30d")
    assert reminded.exists()
    assert {m.organisation_id for m in reminded} == {world.customer_a.pk}
    # Renewed in time: the duty is met, the new permit gets its own.
    with time_machine.travel(datetime(2026, 6, 10, tzinfo=SHANGHAI), tick=False):
        renewed = filing_renew(
            filing=permit,
            number="新卫网审字〔2026〕第3号",
            valid_until=date(2029, 6, 30),
            by=world.admin_a,
        )
    obligation.refresh_from_db()
    assert obligation.state == "met"
    assert renewed.obligation.state == "open" and renewed.obligation.due_at.year == 2029


@pytest.mark.django_db
def test_clause_2_6_website_without_a_filing_is_flagged_on_the_dashboard(world, contracted, login):
    _contract, website = contracted
    visible = websites_visible(world.admin_a)
    assert list(websites_without_filing(visible)) == [website]
    dashboard = login(world.admin_a).get("/").content.decode()
    assert "www.kpxyy.cn" in dashboard and "未备案" in dashboard
    assert "www.kpxyy.cn" not in login(world.admin_b).get("/").content.decode()
    filing_add(website=website, kind="icp_filing", number="新ICP备2024000001号-1", by=world.admin_a)
    assert list(websites_without_filing(visible)) == []
    assert "未备案" not in login(world.admin_a).get("/").content.decode()
    # An ICP licence that lapsed counts as no filing.
    other = website_create(
        organisation=world.customer_a, domain="m.kpxyy.cn", name="移动版", by=world.admin_a
    )
    filing_add(
        website=other,
        kind="icp_license",
        number="新B2-20200001",
        valid_until=clock.local(clock.now()).date() - timedelta(days=1),
        by=world.admin_a,
    )
    assert list(websites_without_filing(visible)) == [other]
