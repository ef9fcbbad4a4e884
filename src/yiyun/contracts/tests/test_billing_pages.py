"""The acceptance and billing pages and API render what the services compute."""

import json
from datetime import date

import pytest
from django.urls import reverse

from yiyun.contracts.billing import GRACE_KEY, billing_setup
from yiyun.contracts.services import open_parameter_set
from yiyun.contracts.tests.acceptance_helpers import acceptance_round
from yiyun.contracts.tests.factories import seed_contract
from yiyun.obligations.services import tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        contract = seed_contract(world)
        billing_setup(contract=contract)
        open_parameter_set(
            parameter=contract.open_parameters.get(key=GRACE_KEY), value="15", by=world.admin_a
        )
    return contract


def test_billing_page_shows_statement_schedule_and_arrears(contract, world, login):
    tick(now=bj(2025, 1, 1, 0, 1))
    with at(2025, 1, 20, 10):
        client = login(world.admin_a)
        page = client.get(reverse("contracts:billing", kwargs={"pk": contract.pk}), {"year": "1"})
        index = client.get(reverse("contracts:billing_index"))
    assert page.status_code == 200
    html = page.content.decode()
    # The statement of contract year 1, each line naming its source.
    assert "二.1 价款组成：云服务器费用" in html and "¥498,000.00" in html
    assert "肆拾玖万捌仟元整" in html
    # Arrears: 15 days counted from 2025-01-01 end on 01-15 (a Wednesday): end of service
    # may start from 2025-01-16 00:00 — shown, with a link, never started.
    assert "2025-01-16 00:00" in html and "已超过宽限期" in html
    assert reverse("datalife:service_ends") in html
    assert reverse("contracts:billing_export", kwargs={"pk": contract.pk}) in html
    assert "2025-01-16 00:00" in index.content.decode()


def test_auditor_reads_but_gets_no_forms(contract, world, login):
    client = login(world.auditor_a)
    html = client.get(reverse("contracts:billing", kwargs={"pk": contract.pk})).content.decode()
    assert "登记付款" not in html and "出具本期对账单" not in html
    refused = client.post(
        reverse("contracts:billing_statement_issue", kwargs={"pk": contract.pk}),
        {"start": "2024-01-01", "end": "2024-12-31"},
    )
    assert refused.status_code == 403


def test_acceptance_pages_and_api(contract, world, login):
    record = acceptance_round(contract, world, day=(2024, 3, 1), failing={5}, sign=False)
    client = login(world.admin_a)
    listing = client.get(reverse("contracts:acceptance_list", kwargs={"pk": contract.pk}))
    assert "初验（第1轮）" in listing.content.decode()
    detail = client.get(reverse("contracts:acceptance_detail", kwargs={"pk": record.pk}))
    html = detail.content.decode()
    assert "电路带宽未达到 100 Mbit/s" in html
    assert "以甲方授权代表身份签字确认" in html  # the customer's admin may sign
    assert "以乙方授权代表身份签字确认" not in html  # … but not for the provider
    draft = client.get(reverse("contracts:acceptance_pdf", kwargs={"pk": record.pk}))
    assert draft.status_code == 200 and draft.content.startswith(b"%PDF")

    api = client.get(f"/api/contracts/acceptance/{record.pk}").json()
    assert api["stage"] == "concluded" and api["result"] == "failed"
    assert len(api["criteria"]) == 8
    statement = client.get(
        f"/api/contracts/{contract.pk}/billing/statement",
        {"start": "2024-01-01", "end": "2024-12-31"},
    ).json()
    assert statement["total"] == "498000.00" and statement["total_capitals"] == "肆拾玖万捌仟元整"
    with at(2024, 12, 20, 10):
        paid = client.post(
            f"/api/contracts/{contract.pk}/billing/payments",
            json.dumps(
                {
                    "schedule_item": contract.payment_schedule.get(position=1).pk,
                    "amount": "492000.00",
                    "paid_on": date(2024, 12, 20).isoformat(),
                    "reference": "CZ-1",
                    "invoice_number": "65001234",
                }
            ),
            content_type="application/json",
        )
    assert paid.status_code == 201, paid.content
    assert paid.json()[0]["status"] == "paid"
    assert paid.json()[0]["payments"][0]["invoice_number"] == "65001234"


def test_acceptance_page_shows_the_rectification_and_the_moved_end(contract, world, login):
    from yiyun.contracts.acceptance import (
        acceptance_rectification_complete,
        acceptance_rectification_set,
    )

    record = acceptance_round(contract, world, day=(2024, 3, 1), failing={5})
    with at(2024, 3, 1, 14):
        acceptance_rectification_set(record=record, due_at=bj(2024, 3, 17), by=world.admin_a)
    with at(2024, 3, 11, 16):
        acceptance_rectification_complete(record=record, by=world.provider_admin)
        client = login(world.admin_a)
        html = client.get(
            reverse("contracts:acceptance_detail", kwargs={"pk": record.pk})
        ).content.decode()
        listing = client.get(
            reverse("contracts:acceptance_list", kwargs={"pk": contract.pk})
        ).content.decode()
    assert "2024-03-17 00:00" in html  # the deadline the customer set
    assert "2026-12-31 → 2027-01-10（10 天）" in html
    assert "2026-12-31 → 2027-01-10（10 天）" in listing
    assert record.pdf_sha256 in html and "平台保存的文件与摘要一致" in html
