"""1.2: allocation against the entitlement; 1.3: raised only by an approved change."""

from decimal import Decimal

import pytest

from yiyun.cloud.choices import ChangeKind, ChangeState, Resource, ServerState
from yiyun.cloud.models import EntitlementAdjustment
from yiyun.cloud.selectors import capacity, entitlement_of
from yiyun.cloud.services import (
    change_request_apply,
    change_request_approve,
    change_request_create,
    server_create,
    server_delete,
    server_resize,
)
from yiyun.cloud.tests.factories import (
    a_catalogue,
    a_host,
    a_server,
    contract_for,
    libvirt_test_fixture,  # noqa: F401 — the `libvirt_test` fixture
    small_entitlement,
)
from yiyun.core.errors import DomainError


def test_clause_1_2_seed_entitlement_is_read_as_gib_and_tib(world):
    contract = contract_for(world.customer_a, world.provider)
    lines = entitlement_of(contract)
    assert lines[Resource.VCPU].entitled == 212
    assert lines[Resource.MEMORY].entitled == 716
    assert lines[Resource.STORAGE].entitled == Decimal("15.3") * 1024  # 15,667.2 GiB
    assert lines[Resource.SYSTEM_DISK].entitled == Decimal("2.96") * 1024
    assert lines[Resource.STORAGE].stated == "存储合计15.3T"


def test_clause_1_2_allocation_beyond_entitlement_refused_until_an_approved_change_raises_it(
    world, libvirt_test
):
    contract = contract_for(
        world.customer_a, world.provider, entitlements=small_entitlement(vcpu="8", memory="16")
    )
    host = a_host(world.provider, pool=False)
    a_server(contract, host, vcpu=6, memory_gib=8)

    with pytest.raises(DomainError) as refused:
        a_server(contract, host, vcpu=4, memory_gib=4, name="his-db-01")
    assert refused.value.code == "over_entitlement"
    assert "超出配额 8 core" in refused.value.message
    assert not contract.servers.filter(name="his-db-01").exists()

    # 1.3: the customer asks for 4 more cores, priced from the catalogue in force today.
    a_catalogue(world.provider)
    change = change_request_create(
        contract=contract,
        kind=ChangeKind.CUSTOMER_1_3,
        title="HIS 数据库扩容",
        items=[{"resource": "vcpu", "quantity": 4}],
        by=world.admin_a,
    )
    assert change.quote["lines"][0]["unit_price"] == "60.0000"
    assert change.quote_annual == Decimal("2880.00")  # 4 cores × 60 × 12 months

    # Asked for, not yet approved and applied: still refused.
    with pytest.raises(DomainError):
        a_server(contract, host, vcpu=4, memory_gib=4, name="his-db-01")
    change_request_approve(change=change, by=world.provider_admin)
    with pytest.raises(DomainError):
        a_server(contract, host, vcpu=4, memory_gib=4, name="his-db-01")

    change = change_request_apply(change=change, by=world.provider_admin)
    assert change.state == ChangeState.APPLIED
    assert entitlement_of(contract)[Resource.VCPU].entitled == 12
    # 二.1 follows: the quote is now a price component of the contract.
    assert change.price_component.amount == Decimal("2880.00")
    assert change.price_component.period == "year"

    server = a_server(contract, host, vcpu=4, memory_gib=4, name="his-db-01")
    assert server.state == ServerState.RUNNING
    report = capacity(contract)
    assert report.line(Resource.VCPU).allocated == 10
    assert report.line(Resource.VCPU).remaining == 2


def test_resize_is_checked_and_deleting_frees_the_allocation(world, libvirt_test):
    contract = contract_for(
        world.customer_a, world.provider, entitlements=small_entitlement(vcpu="4", memory="8")
    )
    host = a_host(world.provider)
    server = a_server(contract, host, vcpu=2, memory_gib=4)
    other = a_server(contract, host, vcpu=2, memory_gib=4)
    with pytest.raises(DomainError) as refused:
        server_resize(server=server, vcpu=3, memory_gib=4, by=world.admin_a)
    assert refused.value.code == "over_entitlement"
    # Shrinking is always allowed (live, within the machine's maxima).
    server = server_resize(server=server, vcpu=1, memory_gib=2, by=world.admin_a)
    assert (server.vcpu, server.memory_gib) == (1, 2)
    server_delete(server=other, by=world.admin_a)
    assert capacity(contract).line(Resource.VCPU).allocated == 1
    # The freed cores can be allocated again.
    a_server(contract, host, vcpu=3, memory_gib=6)


def test_change_applied_resizes_the_named_server_through_the_driver(world, libvirt_test):
    contract = contract_for(
        world.customer_a, world.provider, entitlements=small_entitlement(vcpu="4", memory="8")
    )
    host = a_host(world.provider)
    a_catalogue(world.provider)
    server = a_server(contract, host, vcpu=4, memory_gib=8)
    # Stopped, the machine can grow beyond the maxima it was started with.
    from yiyun.cloud.services import server_power

    server_power(server=server, action="force_stop", by=world.engineer)
    change = change_request_create(
        contract=contract,
        kind=ChangeKind.CUSTOMER_1_3,
        title="PACS 扩容",
        items=[
            {"resource": "vcpu", "quantity": 2, "server": server},
            {"resource": "memory", "quantity": 4, "server": server},
        ],
        by=world.admin_a,
    )
    change_request_approve(change=change, by=world.provider_admin)
    change_request_apply(change=change, by=world.admin_a)
    server.refresh_from_db()
    assert (server.vcpu, server.memory_gib) == (6, 12)
    domain = libvirt_test.lookupByUUIDString(server.domain_uuid)
    assert domain.info()[3] == 6 and domain.maxMemory() == 12 * 1024 * 1024
    assert EntitlementAdjustment.objects.filter(change=change).count() == 2


def test_members_and_auditors_cannot_allocate(world, libvirt_test):
    from django.core.exceptions import PermissionDenied

    contract = contract_for(world.customer_a, world.provider)
    host = a_host(world.provider)
    for user in (world.member_a, world.auditor_a, world.admin_b):
        with pytest.raises(PermissionDenied):
            server_create(
                contract=contract,
                host=host,
                name="x",
                vcpu=1,
                memory_gib=1,
                system_disk_gib=10,
                by=user,
            )
