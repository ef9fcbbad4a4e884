"""Payments (二.2): against the schedule, reminders before due and on overdue to the
customer's finance contact, arrears and the date end of service (6.5) may start."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from yiyun.contracts.billing import (
    GRACE_KEY,
    PAYMENT_RULE,
    arrears_of,
    billing_payment_record,
    billing_setup,
    billing_sync,
    finance_contact_add,
    reminders_forward,
)
from yiyun.contracts.choices import PaymentStatus
from yiyun.contracts.models import Payment
from yiyun.contracts.selectors import payment_lines
from yiyun.contracts.services import open_parameter_set, payment_record
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.datalife.models import ServiceEnd
from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import tick
from yiyun.obligations.tests.helpers import at, bj
from yiyun.tenancy.services import person_create


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        return seed_contract(world)


@pytest.fixture
def finance(contract, world):
    person = person_create(
        organisation=world.customer_a, name="财务科 周会计", email="zhou@example.invalid"
    )
    with at(2024, 1, 5, 10):
        finance_contact_add(contract=contract, person=person, by=world.admin_a)
    return person


def _status(contract, today):
    return {line.item.position: line.status for line in payment_lines(contract, today=today)}


def test_clause_二_2_overdue_payment_and_its_reminders_with_time_moved(contract, world, finance):
    with at(2024, 1, 5, 10):
        opened = billing_setup(contract=contract)
    # One obligation of the customer per scheduled payment, due at 24:00 of its due day.
    assert [(o.clause, o.bound_party, o.due_at) for o in opened] == [
        (PAYMENT_RULE, "customer", bj(2025, 1, 1)),
        (PAYMENT_RULE, "customer", bj(2026, 1, 1)),
    ]
    assert contract.open_parameters.filter(key=GRACE_KEY, clause="6.5").exists()
    cloud_fee = opened[0]

    def inbox():
        return list(
            InboxMessage.objects.filter(recipient=finance)
            .order_by("pk")
            .values_list("subject", flat=True)
        )

    # 30 days before (2024-12-02 00:00) the tick reminds; the finance contact gets it too.
    tick(now=bj(2024, 12, 2, 9))
    with at(2024, 12, 2, 9, 1):
        assert reminders_forward(contract=contract) == 1
    assert inbox() == ["付款提醒：云服务器费用 492000.00 应于 2024-12-31 前支付（二.2）"]
    # A part payment on 2024-12-20, with its reference and invoice number.
    with at(2024, 12, 20, 15):
        payment = billing_payment_record(
            schedule_item=cloud_fee.subject,
            amount="200000.00",
            paid_on=date(2024, 12, 20),
            reference="CZ-2024-118",
            invoice_number="65001234",
            by=world.admin_a,
        )
    assert payment.invoice_number == "65001234"
    assert _status(contract, date(2024, 12, 20))[1] == PaymentStatus.PARTLY_PAID
    # 7 days before (2024-12-25 00:00): the second reminder; not sent twice.
    tick(now=bj(2024, 12, 25, 9))
    with at(2024, 12, 25, 9, 1):
        billing_sync()
        billing_sync()
    assert len(inbox()) == 2

    # 24:00 of 2024-12-31 passes with 292,000 open: overdue (a breach of 二.2).
    tick(now=bj(2025, 1, 1, 0, 0, 30))
    cloud_fee.refresh_from_db()
    assert cloud_fee.state == ObligationState.BREACHED
    assert cloud_fee.breached_at == bj(2025, 1, 1)
    assert inbox()[-1] == "逾期未付：云服务器费用 492000.00（应付日期 2024-12-31）"
    assert _status(contract, date(2025, 1, 1))[1] == PaymentStatus.OVERDUE
    # 5.1 as for any clause breached: a candidate on each base until the parties settle it.
    penalties = contract.penalties.filter(liable_party="customer", clause=PAYMENT_RULE)
    assert sorted(penalties.values_list("amount", flat=True)) == [
        Decimal("24600.00"),  # 5% of 492,000
        Decimal("24900.00"),  # 5% of 498,000
    ]

    # Paid in full on 2025-01-10: recorded as late, the arrears are gone.
    with at(2025, 1, 10, 11):
        billing_payment_record(
            schedule_item=cloud_fee.subject,
            amount="292000.00",
            paid_on=date(2025, 1, 10),
            by=world.admin_a,
        )
    cloud_fee.refresh_from_db()
    assert cloud_fee.state == ObligationState.BREACHED and cloud_fee.met_at is not None
    assert _status(contract, date(2025, 1, 10))[1] == PaymentStatus.PAID
    with at(2025, 1, 10, 12):
        assert arrears_of(contract).items == []


def test_clause_6_5_arrears_show_when_end_of_service_may_start_and_never_start_it(
    contract, world, finance
):
    with at(2024, 1, 5, 10):
        billing_setup(contract=contract)
    tick(now=bj(2025, 1, 1, 0, 1))
    with at(2025, 1, 2, 9):
        arrears = arrears_of(contract)
        # No grace agreed yet: overdue, but no date can be given.
        assert arrears.total == Decimal("492000.00")
        assert arrears.items[0].overdue_since == bj(2025, 1, 1)
        assert arrears.grace_days is None and arrears.earliest is None
        open_parameter_set(
            parameter=contract.open_parameters.get(key=GRACE_KEY), value="30", by=world.admin_a
        )
        arrears = arrears_of(contract)
    # 30 days counted from 2025-01-01 (the due day 12-31 not counted, art. 201) end on
    # 2025-01-30 — 正月初二, inside the Spring Festival holiday 01-28..02-04; a period
    # whose last day is a holiday ends on the first day after it (art. 203): 2025-02-05,
    # so the end of service may start from 24:00 of 02-05, i.e. 2025-02-06 00:00.
    assert arrears.grace_days == 30
    assert arrears.earliest == bj(2025, 2, 6)
    assert not arrears.may_start
    with at(2025, 2, 6, 0, 0, 1):
        assert arrears_of(contract).may_start
        tick(now=bj(2025, 2, 6, 0, 0, 1))
        billing_sync()
    # Shown, never started: the data lifecycle app starts it when a person decides.
    assert not ServiceEnd.objects.exists()
    assert "逾期未付" in InboxMessage.objects.filter(recipient=finance).last().subject


def test_payments_refused_beyond_what_is_open_and_met_from_any_path(contract, world):
    with at(2024, 1, 5, 10):
        billing_setup(contract=contract)
    item = contract.payment_schedule.get(position=2)  # circuits, 6,000, due 2025-12-31
    with at(2025, 6, 1, 10), pytest.raises(DomainError) as refused:
        billing_payment_record(
            schedule_item=item, amount="6000.01", paid_on=date(2025, 6, 1), by=world.admin_a
        )
    assert refused.value.field == "amount"
    with at(2025, 6, 1, 10), pytest.raises(PermissionDenied):
        billing_payment_record(
            schedule_item=item, amount="10", paid_on=date(2025, 6, 1), by=world.auditor_a
        )
    # Paid through the contract page's own form (contracts.services.payment_record): the
    # worker's sync meets the obligation all the same.
    with at(2025, 6, 1, 10):
        payment_record(
            schedule_item=item, amount="6000", paid_on=date(2025, 6, 1), by=world.admin_a
        )
        billing_sync()
    obligation = Obligation.objects.get(rule=PAYMENT_RULE, subject_id=str(item.pk))
    assert obligation.state == ObligationState.MET
    assert obligation.met_at == bj(2025, 6, 1, 10)  # now, earlier than the end of that day
    assert Payment.objects.filter(schedule_item=item).count() == 1
    assert AuditEntry.objects.filter(action="contract.payment_recorded").count() == 1


def test_billing_setup_is_idempotent_and_skips_what_is_already_due(world):
    with at(2025, 6, 1, 9):
        contract = seed_contract(world)
        first = billing_setup(contract=contract)
        again = billing_setup(contract=contract)
    # 2024-12-31 is past on 2025-06-01: only the 2025-12-31 payment gets an obligation.
    assert [o.due_at for o in first] == [bj(2026, 1, 1)] and again == []
    assert contract.open_parameters.filter(key=GRACE_KEY).count() == 1


def test_clauses_and_the_worker_job_are_registered_at_startup():
    from yiyun.contracts.acceptance import RECTIFICATION_RULE
    from yiyun.core.apps_registry import periodic_jobs
    from yiyun.obligations.registry import registered

    payment = registered(PAYMENT_RULE)
    assert payment is not None and payment.clock == "set" and payment.bound == "customer"
    assert payment.on_breach == "yiyun.contracts.billing.payment_overdue"
    rectification = registered(RECTIFICATION_RULE)
    assert rectification.clause == "1.3" and rectification.right == "customer_may_terminate"
    assert ("yiyun.contracts.billing.billing_sync", 60) in periodic_jobs()
