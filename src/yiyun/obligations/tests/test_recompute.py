"""After a holiday schedule is imported or corrected, open obligations move with it."""

import pytest

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.models import AuditEntry
from yiyun.core.services import calendar_year_import
from yiyun.core.workcalendar import package_schedules
from yiyun.obligations.choices import EventKind
from yiyun.obligations.services import obligation_open
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 1, 5, 9):
        return seed_contract(world)


def _document_2026(*, without_makeup=None) -> dict:
    holidays: dict[str, list[str]] = {}
    makeups = []
    for day in package_schedules()[2026]:
        if day.kind == "holiday":
            holidays.setdefault(day.name, []).append(day.date.isoformat())
        elif day.date.isoformat() != without_makeup:
            makeups.append(day.date.isoformat())
    return {
        "year": 2026,
        "source": "国务院办公厅关于2026年部分节假日安排的通知（更正）",
        "holidays": [{"name": name, "dates": dates} for name, dates in holidays.items()],
        "makeup_workdays": makeups,
    }


def test_recompute_after_importing_a_corrected_year(contract):
    with at(2026, 9, 18, 16):
        # 2.3 over the make-up Sunday 09-20: due 24:00 of 09-21.
        change = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 9, 18, 16))
        # 2.2 runs on hours: no calendar, never recomputed.
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 9, 18, 16))
        assert change.due_at == bj(2026, 9, 22, 0, 0)
        # A correction: 09-20 is not a working day after all.
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    change.refresh_from_db()
    fault.refresh_from_db()
    assert change.due_at == bj(2026, 9, 23, 0, 0)
    assert fault.due_at == bj(2026, 9, 19, 16)
    event = change.events.get(kind=EventKind.RECOMPUTED)
    assert event.data["old_due_at"] == bj(2026, 9, 22).isoformat()
    assert event.data["due_at"] == bj(2026, 9, 23).isoformat()
    entry = AuditEntry.objects.get(action="obligations.recomputed")
    assert entry.data["years"] == [2026]
    (moved,) = entry.data["moved"]
    assert moved["obligation"] == change.pk
    assert moved["old_due_at"] == bj(2026, 9, 22).isoformat()
    assert moved["due_at"] == bj(2026, 9, 23).isoformat()


def test_recompute_confirms_a_year_imported_when_announced(contract):
    # 2027 has no official schedule yet: computed on weekends alone, flagged.
    with at(2027, 9, 30, 10):
        change = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2027, 9, 30, 10))
        assert change.due_at == bj(2027, 10, 5, 0, 0)
        assert change.due_unconfirmed and change.unconfirmed_years == [2027]
        calendar_year_import(
            data={
                "year": 2027,
                "source": "国务院办公厅关于2027年部分节假日安排的通知",
                "holidays": [
                    {"name": "国庆节", "dates": [f"2027-10-0{d}" for d in range(1, 8)]},
                ],
                "makeup_workdays": ["2027-09-26", "2027-10-09"],
            },
            by="admin",
        )
    change.refresh_from_db()
    # 10-01..10-07 off; 10-08 (Fri) and Saturday 10-09 (worked) are the two days.
    assert change.due_at == bj(2027, 10, 10, 0, 0)
    assert not change.due_unconfirmed and change.unconfirmed_years == []


def test_recompute_leaves_closed_obligations_due_times_alone(contract):
    from yiyun.obligations.services import obligation_meet

    with at(2026, 9, 18, 16):
        change = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 9, 18, 16))
        obligation_meet(obligation=change, by="provider")
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    change.refresh_from_db()
    assert change.due_at == bj(2026, 9, 22, 0, 0)
    assert not change.events.filter(kind=EventKind.RECOMPUTED).exists()
    assert not AuditEntry.objects.filter(action="obligations.recomputed").exists()


def test_a_correction_flags_closed_obligations_for_review_without_changing_them(contract):
    from yiyun.notices.models import InboxMessage
    from yiyun.obligations.services import obligation_meet, tick

    with at(2026, 9, 18, 16):
        # Due 24:00 of 09-21 under the schedule in force (Sunday 09-20 a make-up day).
        late = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 9, 18, 16))
        timely = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 9, 18, 16))
    with at(2026, 9, 21, 20):
        obligation_meet(obligation=timely, by="provider")
    with at(2026, 9, 22, 0, 1):
        tick(now=bj(2026, 9, 22, 0, 1))
    with at(2026, 9, 22, 10):
        obligation_meet(obligation=late, by="provider")  # a day late, as things stood
        # 09-20 was not a working day after all: the due time was 24:00 of 09-22.
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    late.refresh_from_db()
    timely.refresh_from_db()
    # What was recorded stays: the breach (and its penalty) is for the parties to revisit.
    assert (late.state, late.due_at) == ("breached", bj(2026, 9, 22, 0, 0))
    assert timely.state == "met"
    [event] = late.events.filter(kind=EventKind.RECHECK)
    assert event.data["verdict"] == "in_time_after_all"
    assert event.data["corrected_due_at"] == bj(2026, 9, 23).isoformat()
    assert timely.events.get(kind=EventKind.RECHECK).data["verdict"] == "due_moved"
    entry = AuditEntry.objects.get(action="obligations.recheck")
    assert {row["obligation"] for row in entry.data["flagged"]} == {late.pk, timely.pk}
    told = InboxMessage.objects.filter(source__startswith=f"obligation:{late.pk}:recheck:")
    assert told.exists() and "待复核" in told.first().subject
    # The same correction again flags nothing twice.
    with at(2026, 9, 22, 11):
        calendar_year_import(data=_document_2026(without_makeup="2026-09-20"), by="admin")
    assert late.events.filter(kind=EventKind.RECHECK).count() == 1
