"""Each clause with a clock, opened as an obligation: its due time, by hand."""

from datetime import timedelta

import pytest

from yiyun.contracts.choices import RightCode
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import EventKind, ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import (
    obligation_meet,
    obligation_open,
    obligation_pause,
    obligation_resume,
    tick,
)
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 1, 5, 9):
        return seed_contract(world)


def test_clause_2_2_24_hours_across_midnight(contract):
    # 2.2: a fault at 22:30 must be handled by 22:30 the next day, weekends or not.
    with at(2026, 3, 10, 22, 30):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 10, 22, 30))
    assert fault.due_at == bj(2026, 3, 11, 22, 30)
    with at(2026, 3, 11, 22, 29, 59):
        tick(now=bj(2026, 3, 11, 22, 29, 59))
    fault.refresh_from_db()
    assert fault.state == ObligationState.OPEN
    with at(2026, 3, 11, 22, 30):
        tick(now=bj(2026, 3, 11, 22, 30))
    fault.refresh_from_db()
    assert fault.state == ObligationState.BREACHED
    assert fault.breached_at == bj(2026, 3, 11, 22, 30)
    # 2.2: the customer may terminate; 5.1 on both candidate bases.
    assert list(fault.rights.values_list("code", "holder")) == [
        (RightCode.CUSTOMER_MAY_TERMINATE, "customer")
    ]
    assert sorted(str(p.amount) for p in fault.penalties.all()) == ["24600.00", "24900.00"]


def test_clause_2_2_met_just_before_24_hours(contract):
    with at(2026, 3, 10, 22, 30):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 10, 22, 30))
    with at(2026, 3, 11, 22, 29):
        obligation_meet(obligation=fault, by="engineer", evidence="故障已排除")
        tick(now=bj(2026, 3, 11, 23))
    fault.refresh_from_db()
    assert fault.state == ObligationState.MET
    assert fault.met_at == bj(2026, 3, 11, 22, 29)
    assert not fault.penalties.exists()


def test_clause_2_2_met_late_stays_breached(contract):
    with at(2026, 3, 10, 22, 30):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 10, 22, 30))
    # Performed at 22:30 exactly, before any tick noticed: that is already too late.
    with at(2026, 3, 11, 23):
        obligation_meet(obligation=fault, at=bj(2026, 3, 11, 22, 30), by="engineer")
    fault.refresh_from_db()
    assert fault.state == ObligationState.BREACHED
    assert fault.met_at == bj(2026, 3, 11, 22, 30)
    assert fault.penalties.count() == 2
    kinds = list(fault.events.values_list("kind", flat=True))
    assert kinds == [EventKind.OPENED, EventKind.BREACHED, EventKind.MET_LATE]


def test_clause_2_2_cannot_be_paused(contract):
    with at(2026, 3, 10, 22, 30):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 10, 22, 30))
        with pytest.raises(DomainError) as refused:
            obligation_pause(obligation=fault, by="engineer", reason="等待甲方")
    assert refused.value.code == "not_pausable"


def test_clause_2_3_two_working_days_over_a_makeup_sunday(contract):
    # Received Friday 2026-09-18: Sunday 09-20 is a make-up working day (调休), so the
    # two working days are 09-20 and 09-21; due at 24:00 of 09-21.
    with at(2026, 9, 18, 16):
        change = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 9, 18, 16))
    assert change.due_at == bj(2026, 9, 22, 0, 0)
    assert not change.due_unconfirmed


def test_clause_2_10_seven_working_days_over_national_day(contract):
    # 2026-09-25 is Mid-Autumn; 10-01..10-07 National Day; Saturday 10-10 is worked.
    with at(2026, 9, 25, 10):
        complaint = obligation_open(
            contract=contract, clause="2.10", trigger_at=bj(2026, 9, 25, 10)
        )
    # 09-28, 09-29, 09-30, 10-08, 10-09, 10-10, 10-12 → 24:00 of 10-12.
    assert complaint.due_at == bj(2026, 10, 13, 0, 0)
    assert complaint.bound_party == "customer"
    assert complaint.penalty_rule == ""
    assert complaint.right == RightCode.PROVIDER_MAY_REMOVE_CONTENT


def test_clause_3_6_thirty_days_ending_on_a_holiday_move_on(contract):
    # 30 days from 09-01 end on 10-01 (National Day): Civil Code art. 203 moves the end
    # to the first working day after the holiday, 10-08.
    with at(2026, 9, 1, 10):
        notice = obligation_open(contract=contract, clause="3.6", trigger_at=bj(2026, 9, 1, 10))
    assert notice.due_at == bj(2026, 10, 9, 0, 0)
    assert notice.right == RightCode.PROVIDER_MAY_TAKE_MEASURES


def test_clause_2_1_deadline_is_set_by_the_customer(contract):
    with at(2026, 4, 1, 9):
        with pytest.raises(DomainError) as missing:
            obligation_open(contract=contract, clause="2.1", trigger_at=bj(2026, 4, 1, 9))
        assert missing.value.field == "due_at"
        rectify = obligation_open(
            contract=contract,
            clause="2.1",
            trigger_at=bj(2026, 4, 1, 9),
            due_at=bj(2026, 4, 15, 18),
            note="整改虚拟机备份策略",
        )
    assert rectify.due_at == bj(2026, 4, 15, 18)
    assert rectify.right == RightCode.CUSTOMER_MAY_TERMINATE


def test_clause_2_2_refuses_a_due_time_override(contract):
    with at(2026, 4, 1, 9), pytest.raises(DomainError) as refused:
        obligation_open(
            contract=contract, clause="2.2", trigger_at=bj(2026, 4, 1, 9), due_at=bj(2026, 4, 9)
        )
    assert refused.value.field == "due_at"


def test_clause_3_7_consent_before_the_planned_change(contract):
    with at(2026, 5, 1, 9):
        change = obligation_open(
            contract=contract,
            clause="3.7",
            trigger_at=bj(2026, 5, 1, 9),
            due_at=bj(2026, 5, 20, 22),
        )
    with at(2026, 5, 20, 22):
        tick(now=bj(2026, 5, 20, 22))
    change.refresh_from_db()
    assert change.state == ObligationState.BREACHED


def test_clause_4_2_complex_problem_pauses_while_waiting_for_the_customer(contract):
    with at(2026, 6, 1, 9):
        problem = obligation_open(
            contract=contract, clause="4.2.complex", trigger_at=bj(2026, 6, 1, 9)
        )
    assert problem.due_at == bj(2026, 6, 3, 9)
    with at(2026, 6, 1, 12):
        obligation_pause(obligation=problem, by="engineer", reason="等待甲方提供日志")
        # Paused: nothing can come due.
        tick(now=bj(2026, 6, 1, 12))
    with at(2026, 6, 3, 10):
        tick(now=bj(2026, 6, 3, 10))
        problem.refresh_from_db()
        assert problem.state == ObligationState.OPEN
        assert problem.due_at is None
        obligation_resume(obligation=problem, by="engineer", reason="日志已收到")
    problem.refresh_from_db()
    # Paused 46 hours: due 46 hours later than 06-03 09:00.
    assert problem.paused_for == timedelta(hours=46)
    assert problem.due_at == bj(2026, 6, 5, 7)


def test_clause_4_2_special_problem_solution_within_48_hours(contract):
    with at(2026, 6, 1, 9):
        problem = obligation_open(
            contract=contract, clause="4.2.special", trigger_at=bj(2026, 6, 1, 9)
        )
    assert problem.clause == "4.2"
    assert problem.due_at == bj(2026, 6, 3, 9)


def test_clause_4_4_notice_at_least_24_hours_before_maintenance(contract):
    with at(2026, 6, 5, 9):
        maintenance = obligation_open(
            contract=contract, clause="4.4", trigger_at=bj(2026, 6, 10, 2)
        )
    assert maintenance.due_at == bj(2026, 6, 9, 2)
    assert maintenance.before


def test_clause_11_2_twenty_working_days_over_national_day(contract):
    # From Monday 2026-09-14: 09-20 is worked, 09-25 and 10-01..10-07 are holidays,
    # 10-10 is worked: the 20th working day is 10-16 → due at 24:00 of 10-16.
    with at(2026, 9, 14, 10):
        period = obligation_open(contract=contract, clause="11.2", trigger_at=bj(2026, 9, 14, 10))
    assert period.due_at == bj(2026, 10, 17, 0, 0)


def test_clause_8_1_1_fifteen_days_ending_on_a_saturday(contract):
    # 15 days from 2026-02-20 end on Saturday 03-07: art. 203 moves it to Monday 03-09.
    with at(2026, 2, 20, 10):
        period = obligation_open(contract=contract, clause="8.1.1", trigger_at=bj(2026, 2, 20, 10))
    assert period.due_at == bj(2026, 3, 10, 0, 0)


def test_every_change_is_an_event_and_an_audit_entry(contract):
    from yiyun.core.audit import audit_verify
    from yiyun.core.models import AuditEntry

    with at(2026, 6, 1, 9):
        problem = obligation_open(
            contract=contract, clause="4.2.complex", trigger_at=bj(2026, 6, 1, 9)
        )
        obligation_pause(obligation=problem, by="engineer", reason="等待")
        obligation_resume(obligation=problem, by="engineer")
        obligation_meet(obligation=problem, by="engineer", evidence="ok")
    kinds = list(problem.events.values_list("kind", flat=True))
    assert kinds == ["opened", "paused", "resumed", "met"]
    actions = list(
        AuditEntry.objects.filter(object_type="obligations.obligation", object_id=str(problem.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "obligation.opened",
        "obligation.paused",
        "obligation.resumed",
        "obligation.met",
    ]
    assert audit_verify().ok


def test_obligations_for_a_subject(contract):
    from yiyun.obligations.selectors import obligations_for

    with at(2026, 6, 1, 9):
        mine = obligation_open(
            contract=contract, clause="2.2", subject=contract.customer, trigger_at=bj(2026, 6, 1, 9)
        )
        obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 6, 1, 9))
    assert list(obligations_for(contract.customer)) == [mine]
    assert mine.subject == contract.customer
    assert Obligation.objects.filter(rule="2.2").count() == 2
