"""Termination: 5.3 (for cause, on delivery, pro rata), 8.1.1 (force majeure), 11.2."""

from datetime import date
from decimal import Decimal

import pytest

from yiyun.contracts.choices import ContractStatus, NoticeKind
from yiyun.contracts.models import PaymentScheduleItem
from yiyun.contracts.selectors import prorata_owed
from yiyun.contracts.services import notice_consent_record, notice_record, payment_record
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        return seed_contract(world)


def _record(contract, kind, by, *, at_moment, **fields):
    defaults = {"from_party": "customer", "sender": "甲方", "recipient": "乙方"}
    with at(*at_moment):
        return notice_record(contract=contract, kind=kind, by=by, **{**defaults, **fields})


def test_clause_5_3_prorata_by_hand(contract, world):
    with at(2024, 12, 20, 10):
        payment_record(
            schedule_item=PaymentScheduleItem.objects.get(contract=contract, position=1),
            amount="492000.00",
            paid_on=date(2024, 12, 20),
            by=world.admin_a,
        )
    owed = prorata_owed(contract, until=date(2025, 3, 15))
    cloud, circuits = owed.lines
    # Cloud, 492,000 a contract year: 2024 in full, then 2025-01-01..03-15 = 74 of 365
    # days: 492,000 × 74 / 365 = 36,408,000 / 365 = 99,747.945 → 99,747.95;
    # 492,000 + 99,747.95 = 591,747.95.
    assert cloud.amount == Decimal("591747.95")
    # Circuits, 4 × 125 = 500 a month: 14 whole months (2024-01 .. 2025-02) = 7,000, then
    # 15 of March's 31 days: 500 × 15 / 31 = 241.9355 → 7,241.94.
    assert circuits.amount == Decimal("7241.94")
    assert owed.total == Decimal("598989.89")  # 591,747.95 + 7,241.94
    assert owed.paid == Decimal("492000.00")
    assert owed.balance == Decimal("106989.89")


def test_clause_5_3_customer_terminates_on_delivery(contract, world):
    notice = _record(
        contract,
        NoticeKind.TERMINATION_5_3,
        world.admin_a,
        at_moment=(2025, 3, 15, 11),
        delivered_at=bj(2025, 3, 15, 10),
        reason="乙方多次未按4.2时限解决问题（附记录）",
    )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    assert contract.ended_at == bj(2025, 3, 15, 10)
    assert contract.end_clause == "5.3"
    assert notice.effective_at == bj(2025, 3, 15, 10)
    # 11.1's deadline and expiry no longer apply.
    assert set(Obligation.objects.filter(contract=contract).values_list("state", flat=True)) == {
        "waived"
    }
    entry = AuditEntry.objects.get(action="contract.terminated")
    assert entry.data["prorata"] == {"total": "598989.89", "paid": "0.00", "balance": "598989.89"}


def test_clause_5_3_is_the_customers_right_with_a_reason(contract, world):
    with pytest.raises(DomainError) as refused:
        _record(
            contract,
            NoticeKind.TERMINATION_5_3,
            world.provider_admin,
            at_moment=(2025, 3, 15, 11),
            from_party="provider",
            delivered_at=bj(2025, 3, 15, 10),
            reason="x",
        )
    assert refused.value.field == "from_party"
    with pytest.raises(DomainError) as refused:
        _record(
            contract,
            NoticeKind.TERMINATION_5_3,
            world.admin_a,
            at_moment=(2025, 3, 15, 11),
            delivered_at=bj(2025, 3, 15, 10),
        )
    assert refused.value.field == "reason"


def test_clause_8_1_1_force_majeure_terminates_15_days_after_notice(contract, world):
    notice = _record(
        contract,
        NoticeKind.TERMINATION_8_1_1,
        world.provider_admin,
        at_moment=(2026, 2, 20, 11),
        from_party="provider",
        delivered_at=bj(2026, 2, 20, 10),
        force_majeure_since=date(2026, 1, 10),
        reason="地震致机房损毁",
    )
    # 15 days end on Saturday 03-07; art. 203: Monday 03-09, 24:00.
    assert notice.obligation.due_at == bj(2026, 3, 10, 0, 0)
    with at(2026, 3, 9, 23, 59):
        tick(now=bj(2026, 3, 9, 23, 59))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    with at(2026, 3, 10, 0, 0):
        tick(now=bj(2026, 3, 10, 0, 0))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    assert contract.ended_at == bj(2026, 3, 10, 0, 0)
    assert contract.end_clause == "8.1.1"
    # No penalty under 8.1.1.
    assert not contract.penalties.exists()


def test_clause_8_1_1_needs_over_a_month_of_force_majeure(contract, world):
    with pytest.raises(DomainError) as refused:
        _record(
            contract,
            NoticeKind.TERMINATION_8_1_1,
            world.provider_admin,
            at_moment=(2026, 2, 20, 11),
            delivered_at=bj(2026, 2, 20, 10),
            force_majeure_since=date(2026, 1, 25),
        )
    assert refused.value.field == "force_majeure_since"


def test_clause_11_2_terminates_after_20_working_days_with_consent(contract, world):
    notice = _record(
        contract,
        NoticeKind.TERMINATION_11_2,
        world.admin_a,
        at_moment=(2026, 9, 14, 11),
        delivered_at=bj(2026, 9, 14, 10),
        consent_at=bj(2026, 9, 14, 10, 30),
        consent_by="乙方法定代表人",
    )
    assert notice.obligation.due_at == bj(2026, 10, 17, 0, 0)
    with at(2026, 10, 17, 0, 0):
        tick(now=bj(2026, 10, 17, 0, 0))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    assert contract.ended_at == bj(2026, 10, 17, 0, 0)
    assert contract.end_clause == "11.2"


def test_clause_11_2_without_consent_the_contract_continues_until_consent(contract, world):
    notice = _record(
        contract,
        NoticeKind.TERMINATION_11_2,
        world.admin_a,
        at_moment=(2026, 9, 14, 11),
        delivered_at=bj(2026, 9, 14, 10),
    )
    with at(2026, 10, 20, 9):
        tick(now=bj(2026, 10, 20, 9))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert AuditEntry.objects.filter(action="contract.termination_awaiting_consent").exists()
    with at(2026, 10, 21, 9):
        notice_consent_record(
            notice=notice,
            consent_at=bj(2026, 10, 21, 8),
            consent_by="乙方",
            by=world.provider_admin,
        )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    assert contract.ended_at == bj(2026, 10, 21, 8)


def test_a_terminated_contract_takes_no_more_notices(contract, world):
    _record(
        contract,
        NoticeKind.TERMINATION_5_3,
        world.admin_a,
        at_moment=(2025, 3, 15, 11),
        delivered_at=bj(2025, 3, 15, 10),
        reason="原因",
    )
    with pytest.raises(DomainError) as refused:
        _record(
            contract,
            NoticeKind.NON_RENEWAL,
            world.admin_a,
            at_moment=(2025, 3, 16, 11),
            delivered_at=bj(2025, 3, 16, 10),
        )
    assert refused.value.code == "contract_ended"
