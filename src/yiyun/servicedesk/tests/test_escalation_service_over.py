"""The escalation stops for an ended contract only (datalife.selectors.service_over)."""

from datetime import timedelta

import pytest
import time_machine

from yiyun.contracts.choices import ContractStatus
from yiyun.contracts.models import Contract
from yiyun.contracts.tests.factories import seed_contract
from yiyun.datalife.choices import ServiceEndReason, ServiceEndState
from yiyun.datalife.models import ServiceEnd
from yiyun.obligations.services import tick
from yiyun.servicedesk.choices import TicketKind
from yiyun.servicedesk.escalation import escalations_dispatch
from yiyun.servicedesk.models import Escalation
from yiyun.servicedesk.services import ticket_create
from yiyun.servicedesk.tests.fixtures import at, contract, media, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("media")


@pytest.mark.parametrize("old_service_end", [False, True], ids=["control", "old-contract-purged"])
def test_clause_6_5_a_customer_with_a_running_contract_is_still_escalated(
    world,
    contract,  # noqa: F811
    old_service_end,
):
    """Customer A's earlier contract ended and its buffer is long over (purged); the
    seed contract with it is active. A 2.2 fault on the running contract breaches, and
    the desk is never called out: service_over() looks at the organisation only."""
    with time_machine.travel(at("2026-10-12T08:00"), tick=False) as traveller:
        old = seed_contract(world, number="OLD-2023")
        Contract.objects.filter(pk=old.pk).update(
            status=ContractStatus.EXPIRED, ended_at=at("2025-01-01T00:00")
        )
        old_service_end and ServiceEnd.objects.create(
            contract=old,
            organisation=world.customer_a,
            reason=ServiceEndReason.EXPIRY,
            state=ServiceEndState.PURGED,
            started_at=at("2025-01-01T00:00"),
            started_by="worker",
            buffer_n=30,
            buffer_ends_at=at("2025-01-31T00:00"),
            purged_at=at("2025-01-31T01:00"),
        )
        roster(world, starts_at=at("2026-10-12T08:00"), ends_at=at("2026-10-14T08:00"))
        traveller.move_to(at("2026-10-12T09:00"))
        ticket = ticket_create(
            by=world.member_a,
            organisation=world.customer_a,
            contract=contract,
            title="检验系统中断",
            kind=TicketKind.FAULT,
        )
        due = at("2026-10-13T09:00")
        traveller.move_to(due + timedelta(minutes=1))
        tick(now=due + timedelta(minutes=1))
        escalations_dispatch(now=due + timedelta(minutes=1))
    assert ticket.contract_id == contract.pk
    assert Escalation.objects.filter(ticket=ticket, kind="breach").exists()
