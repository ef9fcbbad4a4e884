"""The verdicts a calendar correction gives closed duties (_flag_for_recheck)."""

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.services import calendar_year_import
from yiyun.obligations.choices import EventKind
from yiyun.obligations.services import (
    obligation_meet,
    obligation_open,
    obligation_pause,
    obligation_resume,
    tick,
)
from yiyun.obligations.tests.helpers import at, bj
from yiyun.obligations.tests.test_recompute import _document_2026


def _workday_duty(world, number: str):
    """4.2.complex counted in 2 working days (clause_limits), opened Thursday 2026-09-17
    16:00 under a schedule in which Sunday 09-20 is not a make-up working day."""
    with at(2026, 9, 15, 9):
        contract = seed_contract(
            world, number=number, clause_limits={"4.2.complex": {"clock": "workdays", "n": 2}}
        )
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    with at(2026, 9, 17, 16):
        return obligation_open(
            contract=contract, clause="4.2.complex", trigger_at=bj(2026, 9, 17, 16)
        )


def test_the_verdict_counts_the_time_the_clock_was_paused(world):
    """A pausable duty (4.2.complex, which this contract counts in working days) paused
    for a day and met in time. The correction moves its base due time a day earlier;
    with the day paused it is still met in time."""
    duty = _workday_duty(world, "X-42WD")
    assert duty.due_at == bj(2026, 9, 22)  # 09-18 and 09-21
    with at(2026, 9, 18, 10):
        obligation_pause(obligation=duty, by="provider", reason="waiting on the customer")
    with at(2026, 9, 19, 10):
        duty = obligation_resume(obligation=duty, by="provider")
    assert duty.due_at == bj(2026, 9, 23)  # a day paused
    with at(2026, 9, 21, 12):
        obligation_meet(obligation=duty, by="provider")
    with at(2026, 9, 22, 9):
        # Corrected: 09-20 is a make-up working day after all. Base due 09-21 00:00, plus
        # the day paused: 09-22 00:00. Met 09-21 12:00: in time still.
        calendar_year_import(data=_document_2026(), by="admin")
    event = duty.events.get(kind=EventKind.RECHECK)
    assert event.data["verdict"] == "due_moved", event.data
    assert event.data["corrected_due_at"] == bj(2026, 9, 22).isoformat()


def test_a_period_is_not_flagged_its_consequence_ran(world):
    """A period (11.2's 20 working days' notice) is not performed by anyone: a correction
    does not call it late or in time."""
    with at(2026, 9, 1, 9):
        contract = seed_contract(world, number="X-TERM")
        period = obligation_open(contract=contract, clause="11.2", trigger_at=bj(2026, 9, 1, 9))
    assert period.kind == "term"
    with at(2026, 12, 31, 9):
        tick(now=bj(2026, 12, 31, 9))
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    period.refresh_from_db()
    assert period.state == "met" and not period.events.filter(kind=EventKind.RECHECK).exists()


def test_a_customer_no_longer_served_is_not_written_to(world):
    """After the end of service (buffer over, data purged), a correction tells the
    provider only."""
    from datetime import timedelta

    from yiyun.datalife.choices import ServiceEndReason, ServiceEndState
    from yiyun.datalife.models import ServiceEnd
    from yiyun.notices.models import InboxMessage

    with at(2026, 9, 18, 16):
        contract = seed_contract(world, number="X-ENDED")
        duty = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 9, 18, 16))
        obligation_meet(obligation=duty, by="provider")
    ended = bj(2026, 10, 1)
    ServiceEnd.objects.create(
        contract=contract,
        organisation=world.customer_a,
        reason=ServiceEndReason.EXPIRY,
        state=ServiceEndState.PURGED,
        started_at=ended - timedelta(days=30),
        started_by="test",
        buffer_n=30,
        buffer_ends_at=ended,
        purged_at=ended,
    )
    with at(2026, 10, 2, 9):
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    told = InboxMessage.objects.filter(source__startswith=f"obligation:{duty.pk}:recheck:")
    assert told.filter(organisation=world.provider).exists()
    assert not told.filter(organisation=world.customer_a).exists()


def test_a_duty_met_while_its_clock_was_stopped_is_not_flagged(world):
    """Met during a pause, it has no due time: in time, whatever the calendar says."""
    duty = _workday_duty(world, "X-PAUSED")
    with at(2026, 9, 18, 10):
        obligation_pause(obligation=duty, by="provider", reason="waiting on the customer")
    with at(2026, 9, 18, 12):
        duty = obligation_meet(obligation=duty, by="provider")
    assert duty.state == "met" and duty.due_at is None
    with at(2026, 9, 22, 9):
        calendar_year_import(data=_document_2026(), by="admin")
    assert not duty.events.filter(kind=EventKind.RECHECK).exists()
