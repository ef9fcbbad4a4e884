"""11.1: notice of non-renewal at least one month before the end, else one more year."""

from datetime import date

import pytest

from yiyun.contracts.choices import ContractStatus, NoticeKind
from yiyun.contracts.models import Renewal
from yiyun.contracts.services import notice_record, service_period_shift
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core import clock
from yiyun.core.models import AuditEntry
from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 1, 5, 9):
        return seed_contract(world)


def _notice(contract, rule="11.1"):
    return Obligation.objects.filter(contract=contract, rule=rule).order_by("-pk").first()


def _tick(*moment):
    with at(*moment):
        return tick(now=bj(*moment))


def test_clause_11_1_notice_deadline_is_2026_11_30_2400(contract):
    notice = _notice(contract)
    # "at least one month before 2026-12-31": by 24:00 of 2026-11-30 (+08:00).
    assert notice.due_at == bj(2026, 12, 1, 0, 0)
    assert clock.local(notice.due_at).isoformat() == "2026-12-01T00:00:00+08:00"
    assert notice.bound_party == "either" and notice.kind == "option"


def test_clause_11_1_expiry_on_the_31st_after_a_30_day_month(world):
    # The service period ends 2025-05-31; April has 30 days: notice by 24:00 of 04-30.
    with at(2024, 1, 5, 9):
        contract = seed_contract(world, service_period={"start": "2024-06-01", "end": "2025-05-31"})
    assert _notice(contract).due_at == bj(2025, 5, 1, 0, 0)
    assert _notice(contract, "11.1.expiry").due_at == bj(2025, 6, 1, 0, 0)


def test_clause_11_1_renewal_at_expiry_without_notice(contract, world):
    _tick(2026, 11, 30, 23, 59)
    assert _notice(contract).state == ObligationState.OPEN
    _tick(2026, 12, 1, 0, 0)
    lapsed = _notice(contract)
    assert lapsed.state == ObligationState.WAIVED
    assert lapsed.events.filter(kind="lapsed").exists()
    # Lapsing is not yet renewing: that happens at expiry, 24:00 of 12-31.
    _tick(2026, 12, 31, 23, 59)
    contract.refresh_from_db()
    assert contract.end == date(2026, 12, 31) and not Renewal.objects.exists()
    _tick(2027, 1, 1, 0, 0)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert contract.end == date(2027, 12, 31)
    assert contract.original_end == date(2026, 12, 31)
    (renewal,) = Renewal.objects.all()
    assert (renewal.previous_end, renewal.new_end) == (date(2026, 12, 31), date(2027, 12, 31))
    entry = AuditEntry.objects.get(action="contract.renewed")
    assert entry.data == {"clause": "11.1", "previous_end": "2026-12-31", "new_end": "2027-12-31"}
    # Both parties are told.
    told = InboxMessage.objects.filter(source=f"contract:{contract.pk}:renewed:2027-12-31")
    assert set(told.values_list("organisation", flat=True)) == {
        world.customer_a.pk,
        world.provider.pk,
    }
    # The next term has its own 11.1 deadline: 24:00 of 2027-11-30.
    assert _notice(contract).due_at == bj(2027, 12, 1, 0, 0)
    assert _notice(contract).state == ObligationState.OPEN


def test_clause_11_1_no_renewal_when_notice_was_given(contract, world):
    with at(2026, 11, 20, 10):
        notice = notice_record(
            contract=contract,
            kind=NoticeKind.NON_RENEWAL,
            from_party="customer",
            sender="柯坪县人民医院 信息科",
            recipient="阿克苏联通 客户经理",
            delivered_at=bj(2026, 11, 20, 9, 30),
            by=world.admin_a,
        )
    assert notice.timely and notice.term_end == date(2026, 12, 31)
    option = _notice(contract)
    assert option.state == ObligationState.MET
    assert option.met_at == bj(2026, 11, 20, 9, 30)
    _tick(2027, 1, 1, 0, 0)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    assert contract.end == date(2026, 12, 31)
    assert contract.ended_at == bj(2027, 1, 1, 0, 0)
    assert not Renewal.objects.exists()
    assert AuditEntry.objects.filter(action="contract.expired").exists()
    # Nothing of the old term is left open, and no new term was opened.
    assert not Obligation.objects.filter(contract=contract, state="open").exists()


def test_clause_11_1_late_notice_does_not_stop_the_renewal(contract, world):
    with at(2026, 12, 5, 10):
        notice = notice_record(
            contract=contract,
            kind=NoticeKind.NON_RENEWAL,
            from_party="provider",
            sender="乙方",
            recipient="甲方",
            delivered_at=bj(2026, 12, 1, 0, 0),  # 24:00 of 11-30 is already too late
            by=world.provider_admin,
        )
    assert not notice.timely
    _tick(2027, 1, 1, 0, 0)
    contract.refresh_from_db()
    assert contract.end == date(2027, 12, 31)


def test_clause_11_1_a_late_tick_catches_up_every_renewal(contract):
    _tick(2028, 6, 1, 12)
    contract.refresh_from_db()
    assert contract.end == date(2028, 12, 31)
    assert Renewal.objects.count() == 2
    assert _notice(contract).due_at == bj(2028, 12, 1, 0, 0)


def test_clause_1_3_rectification_period_moves_the_end_and_11_1(contract, world):
    with at(2026, 3, 1, 10):
        shift = service_period_shift(
            contract=contract, days=30, reason="初验不合格，整改 30 天", by=world.admin_a
        )
    contract.refresh_from_db()
    assert (shift.previous_end, shift.new_end) == (date(2026, 12, 31), date(2027, 1, 30))
    assert contract.end == date(2027, 1, 30)
    # One month before 2027-01-30: by 24:00 of 2026-12-30; expiry 24:00 of 2027-01-30.
    assert _notice(contract).due_at == bj(2026, 12, 31, 0, 0)
    assert _notice(contract, "11.1.expiry").due_at == bj(2027, 1, 31, 0, 0)
    assert _notice(contract).events.filter(kind="retriggered").exists()
    _tick(2027, 1, 31, 0, 0)
    contract.refresh_from_db()
    assert contract.end == date(2028, 1, 30)


def test_clause_1_3_shift_after_a_timely_notice_still_ends_the_contract(contract, world):
    with at(2026, 10, 20, 10):
        notice_record(
            contract=contract,
            kind=NoticeKind.NON_RENEWAL,
            from_party="provider",
            sender="乙方",
            recipient="甲方",
            delivered_at=bj(2026, 10, 20, 9),
            by=world.provider_admin,
        )
        service_period_shift(contract=contract, days=10, reason="整改期", by=world.admin_a)
    _tick(2027, 1, 11, 0, 0)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    assert contract.end == date(2027, 1, 10)
    assert not Renewal.objects.exists()
