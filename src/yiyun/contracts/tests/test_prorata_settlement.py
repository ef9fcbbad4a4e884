"""5.3: the contract page's pro-rata amount is the settlement's, also when a priced cloud
change (1.3) was applied in the middle of the term — charged from the day it was applied,
never as if it had run since the service start."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from yiyun.contracts.billing import settlement_compute
from yiyun.contracts.tests.factories import (
    seed_contract,
    terminated_under_5_3,
    vcpu_upgrade_applied,
)
from yiyun.core.models import AuditEntry
from yiyun.core.money import in_capitals, in_figures
from yiyun.obligations.tests.helpers import at


@pytest.fixture
def terminated_after_upgrade(world):
    """The seed contract (service from 2024-01-01), 4 cores at 600.00 a year each added
    on 2024-07-16 (1.3), terminated by the customer under 5.3 on 2025-03-15 10:00."""
    with at(2024, 1, 5, 9):
        contract = seed_contract(world)
    vcpu_upgrade_applied(world, contract)
    return terminated_under_5_3(world, contract)


def test_clause_5_3_contract_page_shows_the_settlements_prorata_with_a_mid_term_change(
    terminated_after_upgrade, world, login
):
    contract = terminated_after_upgrade
    settlement = settlement_compute(contract)
    # By hand, service 2024-01-01 .. 2025-03-15 (the last day served):
    #   cloud 492,000.00 a contract year: 2024 in full 492,000.00; 2025-01-01..03-15 =
    #     74 of 365 days: 492,000 × 74 / 365 = 99,747.945… → 99,747.95;
    #   circuits 500.00 a month: 14 whole months 7,000.00; 15 of March's 31 days:
    #     500 × 15 / 31 = 241.935… → 241.94;
    #   the change, 4 × 600.00 = 2,400.00 a year, from the day applied (2024-07-16):
    #     2024-07-16..12-31 = 169 of 366 days: 2,400 × 169 / 366 = 1,108.196… → 1,108.20;
    #     2025-01-01..03-15 = 74 of 365 days: 2,400 × 74 / 365 = 486.575… → 486.58.
    #   492,000 + 99,747.95 + 7,000 + 241.94 + 1,108.20 + 486.58 = 600,584.67.
    # (Charging the change from the service start, as the page did, gave 2,400 + 486.58
    # for it and 601,876.47 in all.)
    expected = Decimal("600584.67")
    assert settlement.fees == expected

    page = login(world.admin_a).get(reverse("contracts:detail", kwargs={"pk": contract.pk}))
    assert page.status_code == 200
    prorata = page.context["prorata"]
    assert prorata.total == settlement.fees
    assert prorata.until == settlement.last_day == date(2025, 3, 15)
    html = page.content.decode()
    section = html[html.index("5.3 提前终止：应付服务费") :]
    assert in_figures(expected) in section  # ¥600,584.67
    assert in_capitals(expected) in section  # 陆拾万零伍佰捌拾肆元陆角柒分
    # The change is named on the page with what it was charged: 1,108.20 + 486.58.
    (upgrade,) = [line for line in prorata.lines if "HIS 扩容 4 核" in line.component]
    assert upgrade.amount == Decimal("1594.78")

    # The other readers of the same figure agree: the termination's audit entry and the API.
    entry = AuditEntry.objects.get(action="contract.terminated")
    assert entry.data["prorata"]["total"] == str(expected)
    api = login(world.admin_a).get(f"/api/contracts/{contract.pk}/prorata", {"until": "2025-03-15"})
    assert api.json()["total"] == str(expected)
