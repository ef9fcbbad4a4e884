"""Acceptance (1.3): records, rectification that moves the end date, re-acceptance, rights."""

from datetime import date

import pytest

from yiyun.contracts.acceptance import (
    RECTIFICATION_RULE,
    acceptance_conclude,
    acceptance_criterion_add,
    acceptance_criterion_record,
    acceptance_record_create,
    acceptance_rectification_complete,
    acceptance_rectification_set,
)
from yiyun.contracts.choices import AcceptanceResult, AcceptanceStage, CriterionSource, RightCode
from yiyun.contracts.models import Right, ServicePeriodShift
from yiyun.contracts.tests.acceptance_helpers import acceptance_round
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        return seed_contract(world)


def test_clause_1_3_criteria_come_from_the_contract(contract, world):
    with at(2024, 3, 1, 10):
        record = acceptance_record_create(
            contract=contract,
            held_at=bj(2024, 3, 1, 9),
            place="柯坪县人民医院",
            customer_participants="信息科",
            provider_participants="客户经理",
            by=world.admin_a,
        )
    criteria = list(record.criteria.all())
    # 1.2: four resources of the entitlement and the four 100 Mbit/s circuits.
    assert [c.source for c in criteria] == [CriterionSource.ENTITLEMENT] * 4 + [
        CriterionSource.CIRCUIT
    ] * 4
    assert criteria[0].key == "vcpu" and criteria[0].expected_quantity == 212
    assert "CPU合计212核" in criteria[0].standard
    assert "盖孜力克镇卫生院" in criteria[4].item and "100 Mbit/s" in criteria[4].standard
    with at(2024, 3, 1, 10, 5):
        added = acceptance_criterion_add(
            record=record, item="HIS 系统登录", standard="各乡镇卫生院可登录", by=world.admin_a
        )
    assert added.position == 9 and added.source == CriterionSource.ADDED
    assert record.round == 1 and not record.is_reacceptance


def test_clause_1_3_problems_must_be_recorded_and_every_criterion_judged(contract, world):
    with at(2024, 3, 1, 10):
        record = acceptance_record_create(
            contract=contract,
            held_at=bj(2024, 3, 1, 9),
            place="机房",
            customer_participants="信息科",
            provider_participants="客户经理",
            by=world.admin_a,
        )
        first = record.criteria.first()
        with pytest.raises(DomainError) as refused:
            acceptance_criterion_record(
                criterion=first, measured="只分配了 200 核", passed=False, by=world.admin_a
            )
        assert refused.value.field == "problems"
        with pytest.raises(DomainError) as refused:
            acceptance_conclude(record=record, by=world.admin_a)
        assert refused.value.code == "criteria_open"


def test_clause_1_3_failing_then_passing_after_10_day_rectification_moves_end_by_10_days(
    contract, world
):
    assert contract.end == date(2026, 12, 31)
    first = acceptance_round(contract, world, day=(2024, 3, 1), failing={5})
    assert first.stage == AcceptanceStage.SIGNED
    assert first.result == AcceptanceResult.FAILED
    assert first.pdf_sha256  # kept with both signatures

    # The customer sets the deadline: 24:00 of 2024-03-16 (an obligation on the provider).
    with at(2024, 3, 1, 14):
        acceptance_rectification_set(record=first, due_at=bj(2024, 3, 17), by=world.admin_a)
    first.refresh_from_db()
    obligation = first.rectification_obligation
    assert obligation.rule == RECTIFICATION_RULE and obligation.clause == "1.3"
    assert obligation.bound_party == "provider" and obligation.due_at == bj(2024, 3, 17)
    assert InboxMessage.objects.filter(
        recipient=world.provider_admin.person, source=f"acceptance:{first.pk}:rectification"
    ).exists()

    # The provider is done on 2024-03-11: 03-02 .. 03-11 is 10 days (the day it started,
    # 03-01, is not counted — Civil Code art. 201).
    with at(2024, 3, 11, 16):
        acceptance_rectification_complete(record=first, by=world.provider_admin)
    first.refresh_from_db()
    contract.refresh_from_db()
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.MET
    # 2026-12-31 + 10 days = 2027-01-10, visibly, with the reason.
    assert contract.end == date(2027, 1, 10)
    assert contract.original_end == date(2026, 12, 31)
    shift = ServicePeriodShift.objects.get(contract=contract)
    assert first.shift == shift
    assert (shift.days, shift.clause) == (10, "1.3")
    assert (shift.previous_end, shift.new_end) == (date(2026, 12, 31), date(2027, 1, 10))
    assert "2024-03-01 至 2024-03-11 共 10 天不计入服务期" in shift.reason
    # 11.1 follows the end: the expiry is now 24:00 of 2027-01-10, and the non-renewal
    # notice is due a month before it (by 24:00 of 2026-12-10 instead of 2026-11-30).
    expiry = Obligation.objects.get(contract=contract, rule="11.1.expiry")
    assert expiry.due_at == bj(2027, 1, 11)
    notice = Obligation.objects.get(contract=contract, rule="11.1")
    assert notice.due_at == bj(2026, 12, 11)

    second = acceptance_round(contract, world, day=(2024, 3, 12))
    assert second.round == 2 and second.is_reacceptance
    assert second.result == AcceptanceResult.PASSED and second.stage == AcceptanceStage.SIGNED
    contract.refresh_from_db()
    assert contract.end == date(2027, 1, 10)
    assert not Right.objects.filter(contract=contract).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "contract.acceptance_signed",
        "contract.acceptance_rectification_set",
        "contract.acceptance_rectification_completed",
        "contract.period_shifted",
    } <= actions


def test_clause_1_3_failed_reacceptance_grants_termination_and_losses(contract, world):
    first = acceptance_round(contract, world, day=(2024, 3, 1), failing={5})
    with at(2024, 3, 1, 14):
        acceptance_rectification_set(record=first, due_at=bj(2024, 3, 17), by=world.admin_a)
    with at(2024, 3, 11, 16):
        acceptance_rectification_complete(record=first, by=world.provider_admin)
    # No right from a failed *first* acceptance: it only calls for rectification.
    assert not Right.objects.filter(contract=contract).exists()

    second = acceptance_round(contract, world, day=(2024, 3, 12), failing={6})
    assert second.result == AcceptanceResult.FAILED
    rights = Right.objects.filter(contract=contract).order_by("pk")
    assert [(r.clause, r.code, r.holder) for r in rights] == [
        ("1.3", RightCode.CUSTOMER_MAY_TERMINATE, "customer"),
        ("1.3", RightCode.CUSTOMER_MAY_CLAIM_LOSSES, "customer"),
    ]
    assert rights[0].granted_at == bj(2024, 3, 12, 11, 30)
    entry = AuditEntry.objects.get(
        action="contract.acceptance_signed_by_both", object_id=str(second.pk)
    )
    assert entry.data["rights"] == ["customer_may_terminate", "customer_may_claim_losses"]


def test_clause_1_3_reacceptance_waits_for_the_rectification(contract, world):
    acceptance_round(contract, world, day=(2024, 3, 1), failing={1})
    with at(2024, 3, 2, 10), pytest.raises(DomainError) as refused:
        acceptance_record_create(
            contract=contract,
            held_at=bj(2024, 3, 2, 9),
            place="机房",
            customer_participants="信息科",
            provider_participants="客户经理",
            by=world.admin_a,
        )
    assert refused.value.code == "rectification_open"


def test_clause_1_3_rectification_deadline_missed_is_a_breach(contract, world):
    from yiyun.obligations.services import tick

    first = acceptance_round(contract, world, day=(2024, 3, 1), failing={5})
    with at(2024, 3, 1, 14):
        acceptance_rectification_set(record=first, due_at=bj(2024, 3, 17), by=world.admin_a)
    tick(now=bj(2024, 3, 17, 0, 1))
    first.refresh_from_db()
    assert first.rectification_obligation.state == ObligationState.BREACHED
    # 2.1's consequence: the customer may terminate; 5.1 on each candidate base.
    assert Right.objects.filter(contract=contract, clause="1.3").count() == 1
    assert sorted(contract.penalties.values_list("amount", flat=True)) == [24600, 24900]
    # Completed late: still recorded, and the period (03-01 → 03-20: 19 days) still shifts.
    with at(2024, 3, 20, 9):
        acceptance_rectification_complete(record=first, by=world.provider_admin)
    contract.refresh_from_db()
    assert contract.end == date(2027, 1, 19)
