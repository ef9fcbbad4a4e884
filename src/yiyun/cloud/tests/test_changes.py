"""1.3: changes priced from the catalogue in force; 3.7: the provider's change needs the
customer's recorded consent before it can be applied."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from yiyun.cloud.choices import ChangeKind, ChangeState
from yiyun.cloud.models import PriceEntry
from yiyun.cloud.services import (
    change_request_apply,
    change_request_approve,
    change_request_create,
    change_request_reject,
    change_request_withdraw,
    price_catalogue_ensure,
    price_entry_add,
)
from yiyun.cloud.tests.factories import (
    a_catalogue,
    a_host,
    a_server,
    contract_for,
    libvirt_test_fixture,  # noqa: F401 — the `libvirt_test` fixture
)
from yiyun.core.audit import audit_verify
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.obligations.choices import ObligationState

NOW = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def contract(world):
    return contract_for(world.customer_a, world.provider)


def _proposal(world, contract, **extra):
    return change_request_create(
        contract=contract,
        kind=ChangeKind.PROVIDER_3_7,
        title="数据库由 MySQL 5.7 升级到 8.0",
        description="原版本停止维护",
        planned_at=NOW + timedelta(days=10),
        by=world.provider_admin,
        **extra,
    )


@time_machine.travel(NOW, tick=False)
def test_clause_3_7_provider_change_refused_without_consent(world, contract):
    change = _proposal(world, contract)
    obligation = change.obligation
    assert (obligation.clause, obligation.bound_party) == ("3.7", "provider")
    assert obligation.due_at == NOW + timedelta(days=10)

    with pytest.raises(DomainError) as refused:
        change_request_apply(change=change, by=world.provider_admin)
    assert refused.value.code == "consent_required"
    # The provider cannot consent for the customer, nor a member or an auditor.
    for user in (world.provider_admin, world.engineer, world.member_a, world.auditor_a):
        with pytest.raises(PermissionDenied):
            change_request_approve(change=change, by=user)

    change = change_request_approve(change=change, by=world.admin_a, note="同意，请在周末进行")
    assert change.state == ChangeState.APPROVED
    assert change.consent_by == "a-admin" and change.consent_at == NOW
    obligation.refresh_from_db()
    assert obligation.state == ObligationState.MET
    # Only the provider applies its own change.
    with pytest.raises(PermissionDenied):
        change_request_apply(change=change, by=world.admin_a)
    change = change_request_apply(change=change, by=world.provider_admin)
    assert change.state == ChangeState.APPLIED
    actions = list(
        AuditEntry.objects.filter(object_id=str(change.pk), object_type="cloud.changerequest")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["cloud.change_requested", "cloud.change_consented", "cloud.change_applied"]
    assert audit_verify().ok


@time_machine.travel(NOW, tick=False)
def test_clause_3_7_refused_consent_ends_the_clock_and_the_change_cannot_be_applied(
    world, contract
):
    change = _proposal(world, contract)
    change = change_request_reject(change=change, by=world.admin_a, note="影响门诊高峰，不同意")
    change.obligation.refresh_from_db()
    assert change.state == ChangeState.REJECTED
    assert change.obligation.state == ObligationState.WAIVED
    with pytest.raises(DomainError) as refused:
        change_request_apply(change=change, by=world.provider_admin)
    assert refused.value.code == "consent_required"


@time_machine.travel(NOW, tick=False)
def test_clause_3_7_a_consented_change_resizes_through_the_driver(world, contract, libvirt_test):
    server = a_server(contract, a_host(world.provider), vcpu=4, memory_gib=8)
    a_catalogue(world.provider)
    # The provider proposes to give back 2 cores of an oversized server.
    change = _proposal(
        world, contract, items=[{"resource": "vcpu", "quantity": -2, "server": server}]
    )
    assert change.quote["annual"] == "0.00"  # resources given back are not charged
    change_request_approve(change=change, by=world.admin_a)
    change_request_apply(change=change, by=world.provider_admin)
    assert libvirt_test.lookupByUUIDString(server.domain_uuid).info()[3] == 2


def test_clause_1_3_quote_uses_the_price_valid_on_the_request_day_and_is_kept(world, contract):
    catalogue = price_catalogue_ensure(provider=world.provider, name="政府定价目录", by="test")
    price_entry_add(
        catalogue=catalogue,
        resource="memory",
        unit_price="30",
        valid_from=date(2024, 1, 1),
        by="test",
    )
    # A revision from 2026-07-01 closes the old price the day before.
    price_entry_add(
        catalogue=catalogue,
        resource="memory",
        unit_price="20",
        valid_from=date(2026, 7, 1),
        by="test",
    )
    old = PriceEntry.objects.get(unit_price=30)
    assert old.valid_until == date(2026, 6, 30)
    with pytest.raises(DomainError):
        price_entry_add(
            catalogue=catalogue,
            resource="memory",
            unit_price="25",
            valid_from=date(2026, 3, 1),
            valid_until=date(2026, 8, 1),
            by="test",
        )
    with pytest.raises(PermissionDenied):
        price_entry_add(
            catalogue=catalogue,
            resource="vcpu",
            unit_price="1",
            valid_from=date(2026, 1, 1),
            by=world.admin_a,
        )

    def request(on):
        with time_machine.travel(on, tick=False):
            return change_request_create(
                contract=contract,
                kind=ChangeKind.CUSTOMER_1_3,
                title="PACS 内存",
                items=[{"resource": "memory", "quantity": 64}],
                by=world.admin_a,
            )

    before = request(datetime(2026, 6, 30, 23, 0, tzinfo=SHANGHAI))
    after = request(datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI))
    assert before.quote["lines"][0]["unit_price"] == "30.0000"
    assert before.quote_annual == Decimal("23040.00")  # 64 GiB × 30 × 12
    assert after.quote["lines"][0]["valid_from"] == "2026-07-01"
    assert after.quote_annual == Decimal("15360.00")
    # No price for vCPU in this catalogue: a 1.3 request for it cannot be priced.
    with pytest.raises(DomainError) as refused:
        change_request_create(
            contract=contract,
            kind=ChangeKind.CUSTOMER_1_3,
            title="vCPU",
            items=[{"resource": "vcpu", "quantity": 1}],
            by=world.admin_a,
        )
    assert refused.value.code == "no_price"
    # The stored quote does not follow later catalogue changes.
    PriceEntry.objects.filter(catalogue=catalogue).update(unit_price=99)
    before.refresh_from_db()
    assert before.quote_annual == Decimal("23040.00")


def test_only_an_approved_change_is_applied_and_the_asker_may_withdraw(world, contract):
    a_catalogue(world.provider)
    change = change_request_create(
        contract=contract,
        kind=ChangeKind.CUSTOMER_1_3,
        title="存储扩容",
        items=[{"resource": "storage", "quantity": 1024}],
        by=world.admin_a,
    )
    with pytest.raises(DomainError) as refused:
        change_request_apply(change=change, by=world.provider_admin)
    assert refused.value.code == "not_approved"
    with pytest.raises(PermissionDenied):
        change_request_approve(change=change, by=world.admin_a)  # not its own request
    change = change_request_withdraw(change=change, by=world.admin_a, reason="预算未批")
    assert change.state == ChangeState.WITHDRAWN
    with pytest.raises(PermissionDenied):
        change_request_create(
            contract=contract,
            kind=ChangeKind.PROVIDER_3_7,
            title="x",
            planned_at=datetime(2030, 1, 1, tzinfo=SHANGHAI),
            by=world.admin_a,
        )
