"""Statements (二.1, 1.3): charges from the price components and priced changes, by day
where a period is cut; every line names its source. Figures worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from yiyun.contracts.acceptance import (
    acceptance_rectification_complete,
    acceptance_rectification_set,
)
from yiyun.contracts.billing import (
    PricedChange,
    PricedChangeLine,
    statement_compute,
    statement_issue,
    statement_verify,
)
from yiyun.contracts.choices import ChargeSource
from yiyun.contracts.models import Statement
from yiyun.contracts.tests.acceptance_helpers import acceptance_round
from yiyun.contracts.tests.factories import seed_contract, vcpu_upgrade_applied
from yiyun.core.models import AuditEntry
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        return seed_contract(world)


def _by_source(statement, source):
    return [line for line in statement.lines if line.source == source]


def test_clause_二_1_a_full_contract_year(contract):
    statement = statement_compute(
        contract, start=date(2024, 1, 1), end=date(2024, 12, 31), changes=[]
    )
    cloud = [line for line in statement.lines if line.description == "云服务器费用"]
    circuits = [line for line in statement.lines if line.description == "点对点电路（100M）"]
    # The cloud fee per contract year: 2024 served in full (366 of 366 days) = 492,000.
    assert [(c.amount, c.days, c.unit_days) for c in cloud] == [(Decimal("492000.00"), 366, 366)]
    # The circuits per month: 4 × 125 = 500, twelve whole months.
    assert [c.amount for c in circuits] == [Decimal("500.00")] * 12
    assert circuits[1].period_start == date(2024, 2, 1) and circuits[1].unit_days == 29
    # 492,000 + 12 × 500 = 498,000: the stated annual total of 二.1.
    assert statement.total == Decimal("498000.00")
    assert statement.total_capitals == "肆拾玖万捌仟元整"
    for line in statement.lines:
        assert line.clause == "二.1" and line.source_label.startswith("二.1 价款组成：")


def test_clause_1_3_mid_year_upgrade_prorated_by_day(contract, world):
    """A resource upgrade priced from the catalogue and applied through the cloud app on
    2024-07-16 is charged from that day; its price component is not charged again."""
    change = vcpu_upgrade_applied(world, contract)

    statement = statement_compute(contract, start=date(2024, 1, 1), end=date(2024, 12, 31))
    upgrade = _by_source(statement, ChargeSource.CHANGE)
    # 4 cores × 600.00 a year = 2,400.00 a year, from 2024-07-16 to the end of the contract
    # year 2024-12-31: 16 + 31 + 30 + 31 + 30 + 31 = 169 of its 366 days:
    # 2,400 × 169 / 366 = 405,600 / 366 = 1,108.1967… → 1,108.20.
    assert len(upgrade) == 1
    line = upgrade[0]
    assert (line.period_start, line.period_end) == (date(2024, 7, 16), date(2024, 12, 31))
    assert (line.days, line.unit_days, line.unit_price) == (169, 366, Decimal("2400.00"))
    assert line.amount == Decimal("1108.20")
    assert line.clause == "1.3"
    assert line.source_label == f"1.3 变更申请 #{change.pk}：HIS 扩容 4 核"
    assert "政府定价目录 YJ-01" in line.description
    # The component the cloud app added is charged only through the change (from the day
    # applied), never as if it had run since 2024-01-01.
    components = _by_source(statement, ChargeSource.COMPONENT)
    assert {c.description for c in components} == {"云服务器费用", "点对点电路（100M）"}
    # 498,000 + 1,108.20
    assert statement.total == Decimal("499108.20")

    # The next contract year carries the upgrade in full: 2,400.00.
    year2 = statement_compute(contract, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert [c.amount for c in _by_source(year2, ChargeSource.CHANGE)] == [Decimal("2400.00")]


def test_clause_1_3_priced_changes_through_the_interface(contract):
    """Changes from any source: a monthly price and a one-off fee, applied 2025-02-10."""
    change = PricedChange(
        reference="外部变更 #7",
        title="增加备份存储",
        applied_on=date(2025, 2, 10),
        lines=(
            PricedChangeLine(
                description="备份存储 1 TiB", amount=Decimal("300.00"), period="month"
            ),
            PricedChangeLine(description="迁移服务", amount=Decimal("1000.00"), period="once"),
        ),
    )
    statement = statement_compute(
        contract, start=date(2025, 1, 1), end=date(2025, 3, 31), changes=[change]
    )
    # Cloud: 2025-01-01..03-31 = 31 + 28 + 31 = 90 of the 365 days of contract year 2025:
    # 492,000 × 90 / 365 = 44,280,000 / 365 = 121,315.068… → 121,315.07.
    (cloud,) = [line for line in statement.lines if line.description == "云服务器费用"]
    assert (cloud.days, cloud.unit_days, cloud.amount) == (90, 365, Decimal("121315.07"))
    # Circuits: three whole months × 500 = 1,500.
    circuits = [line for line in statement.lines if line.description == "点对点电路（100M）"]
    assert sum(line.amount for line in circuits) == Decimal("1500.00")
    # The change: February from the 10th = 19 of 28 days: 300 × 19 / 28 = 203.571… →
    # 203.57; March in full 300.00; the one-off 1,000.00 on the day applied.
    extra = [
        (line.description, line.days, line.amount)
        for line in statement.lines
        if line.clause == "1.3"
    ]
    assert extra == [
        ("备份存储 1 TiB", 19, Decimal("203.57")),
        ("备份存储 1 TiB", 31, Decimal("300.00")),
        ("迁移服务", 1, Decimal("1000.00")),
    ]
    # 121,315.07 + 1,500 + 203.57 + 300 + 1,000 = 124,318.64
    assert statement.total == Decimal("124318.64")


def test_clause_1_3_rectification_days_are_not_charged(contract, world):
    first = acceptance_round(contract, world, day=(2024, 3, 1), failing={5})
    with at(2024, 3, 1, 14):
        acceptance_rectification_set(record=first, due_at=bj(2024, 3, 17), by=world.admin_a)
    with at(2024, 3, 11, 16):
        acceptance_rectification_complete(record=first, by=world.provider_admin)
    contract.refresh_from_db()
    year1 = statement_compute(contract, start=date(2024, 1, 1), end=date(2024, 12, 31), changes=[])
    # 2024-03-02..03-11 (10 days) are not part of the service period:
    # cloud 492,000 × 356 / 366 = 175,152,000 / 366 = 478,557.377… → 478,557.38;
    # circuits in March 500 × 21 / 31 = 338.709… → 338.71, the other 11 months 5,500.
    (cloud,) = [line for line in year1.lines if line.description == "云服务器费用"]
    assert (cloud.days, cloud.amount) == (356, Decimal("478557.38"))
    assert "扣除整改期 10 天" in cloud.explanation
    march = [line for line in year1.lines if line.period_start == date(2024, 3, 1)][-1]
    assert (march.days, march.amount) == (21, Decimal("338.71"))
    # 478,557.38 + 5,500 + 338.71 = 484,396.09
    assert year1.total == Decimal("484396.09")
    # The 10 days the end moved by, 2027-01-01..01-10, are served and charged:
    # 492,000 × 10 / 365 = 13,479.45; 500 × 10 / 31 = 161.29.
    tail = statement_compute(contract, start=date(2027, 1, 1), end=date(2027, 12, 31), changes=[])
    assert [(line.days, line.amount) for line in tail.lines] == [
        (10, Decimal("13479.45")),
        (10, Decimal("161.29")),
    ]


def test_statement_issued_is_kept_as_issued(contract, world):
    with at(2025, 1, 3, 10):
        statement = statement_issue(
            contract=contract, start=date(2024, 1, 1), end=date(2024, 12, 31), by=world.admin_a
        )
    assert statement.number == "11N4580043372024116202-DZ001"
    assert statement.total == Decimal("498000.00") and len(statement.lines) == 13
    assert statement_verify(statement)
    entry = AuditEntry.objects.get(action="contract.statement_issued")
    assert entry.data["sha256"] == statement.sha256 and entry.data["total"] == "498000.00"
    # A change behind the platform's back shows.
    Statement.objects.filter(pk=statement.pk).update(total=Decimal("1.00"))
    statement.refresh_from_db()
    assert not statement_verify(statement)
