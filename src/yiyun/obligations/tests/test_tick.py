"""tick: idempotent, monotonic, reminders once, cost by what is due."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.notices.models import InboxMessage
from yiyun.obligations.models import Obligation, ObligationEvent, TickState
from yiyun.obligations.services import obligation_open, tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 1, 5, 9):
        return seed_contract(world)


def _state():
    return (
        sorted(Obligation.objects.values_list("pk", "state", "next_remind_at")),
        ObligationEvent.objects.count(),
        AuditEntry.objects.count(),
        InboxMessage.objects.count(),
    )


def test_tick_is_idempotent(contract):
    with at(2026, 3, 10, 9):
        obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 10, 9))
        obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 3, 10, 9))
    with at(2026, 3, 12, 1):
        first = tick(now=bj(2026, 3, 12, 1))
        after_first = _state()
        second = tick(now=bj(2026, 3, 12, 1))
    # 2.2 breached; 2.3 (due 24:00 of 03-12) reminded at half time and 24 h before.
    assert (first.breached, first.reminded) == (1, 2)
    assert (second.breached, second.reminded, second.lapsed, second.ran_out) == (0, 0, 0, 0)
    assert _state() == after_first


def test_tick_refuses_a_now_earlier_than_the_last_tick(contract):
    with at(2026, 3, 11, 12):
        tick(now=bj(2026, 3, 11, 12))
        with pytest.raises(DomainError) as refused:
            tick(now=bj(2026, 3, 11, 11, 59))
    assert refused.value.code == "tick_backwards"
    assert TickState.objects.get().last_tick_at == bj(2026, 3, 11, 12)
    # The same moment again is allowed (and changes nothing).
    with at(2026, 3, 11, 12):
        tick(now=bj(2026, 3, 11, 12))


def test_tick_sends_half_time_and_24h_reminders_once_to_the_bound_party(contract, world):
    # 2.3: received Monday 2026-03-09 10:00, due 24:00 of Wednesday 03-11.
    with at(2026, 3, 9, 10):
        change = obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 3, 9, 10))
    assert change.due_at == bj(2026, 3, 12, 0, 0)
    assert [entry["key"] for entry in change.reminder_plan] == ["half", "24h"]
    with at(2026, 3, 10, 16, 59):
        assert tick(now=bj(2026, 3, 10, 16, 59)).reminded == 0
    with at(2026, 3, 10, 17):
        assert tick(now=bj(2026, 3, 10, 17)).reminded == 1  # half of 62 h
    with at(2026, 3, 11, 0, 0):
        assert tick(now=bj(2026, 3, 11, 0, 0)).reminded == 1  # 24 h before
        assert tick(now=bj(2026, 3, 11, 0, 0)).reminded == 0
    messages = InboxMessage.objects.filter(source__startswith=f"obligation:{change.pk}:")
    # The provider is bound by 2.3: its admin hears, the customer does not.
    assert sorted(messages.values_list("source", flat=True)) == [
        f"obligation:{change.pk}:24h",
        f"obligation:{change.pk}:half",
    ]
    assert set(messages.values_list("recipient__organisation", flat=True)) == {world.provider.pk}
    change.refresh_from_db()
    assert change.next_remind_at is None


def test_tick_cost_does_not_grow_with_what_is_stored(contract):
    """The selections go through indexes: the same queries whatever is stored."""

    def queries_for_a_tick(now):
        with at(*now), CaptureQueriesContext(connection) as captured:
            tick(now=bj(*now))
        return len(captured)

    with at(2026, 3, 1, 9):
        obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 1, 9))
        tick(now=bj(2026, 3, 1, 9))  # the first tick also creates the tick state
    few = queries_for_a_tick((2026, 3, 2, 12))
    with at(2026, 3, 2, 13):
        for _ in range(40):
            obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 3, 2, 13))
        obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 2, 13))
    Obligation.objects.filter(rule="2.3").update(next_remind_at=None)
    many = queries_for_a_tick((2026, 3, 3, 14))
    assert few == many


def test_tick_uses_the_state_due_index(contract):
    if connection.vendor != "sqlite":
        pytest.skip("the query plan is checked on SQLite")
    query = Obligation.objects.filter(state="open", due_at__lte=bj(2026, 1, 1)).order_by("due_at")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "obligation_state_due" in plan


def test_worker_runs_the_tick_every_minute():
    from yiyun.core.apps_registry import periodic_jobs

    assert ("yiyun.obligations.services.tick_now", 60) in periodic_jobs()
