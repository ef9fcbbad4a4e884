"""Contracts for tests: the seed contract, optionally between the `world` fixture's parties."""

import copy
from datetime import date
from functools import cache

import yaml

from yiyun.contracts.services import SEED_CONTRACT, contract_load


@cache
def _seed() -> dict:
    return yaml.safe_load(SEED_CONTRACT.read_text(encoding="utf-8"))


def seed_data(**changes) -> dict:
    """The seed contract's data (a fresh copy), with top-level `changes` applied."""
    data = copy.deepcopy(_seed())
    data.update(changes)
    return data


def seed_contract(world=None, *, customer=None, number=None, **changes):
    """Load the seed contract. With `world`: between world.provider and customer A (or
    `customer`), so tenant-isolation cases find it where they look."""
    data = seed_data(**changes)
    if world is not None:
        customer = customer or world.customer_a
        data["parties"]["provider"] = {"name": world.provider.name}
        data["parties"]["customer"] = {"name": customer.name}
    if number is not None:
        data["number"] = number
    contract, _created = contract_load(data=data, by="test", source_name="keping-2024.yaml")
    return contract


def vcpu_upgrade_applied(world, contract):
    """A 1.3 change of 4 vCPU at 600.00 a year each (2,400.00 a year), priced from the
    catalogue, requested on 2024-07-10 and applied through the cloud app on 2024-07-16."""
    from yiyun.cloud.services import (
        change_request_apply,
        change_request_approve,
        change_request_create,
        price_catalogue_ensure,
        price_entry_add,
    )
    from yiyun.obligations.tests.helpers import at

    with at(2024, 1, 5, 10):
        catalogue = price_catalogue_ensure(
            provider=world.provider, name="政府定价目录", source="新发改价格〔2023〕1号", by="test"
        )
        price_entry_add(
            catalogue=catalogue,
            resource="vcpu",
            unit_price="600.00",
            period="year",
            valid_from=date(2024, 1, 1),
            code="YJ-01",
            by="test",
        )
    with at(2024, 7, 10, 10):
        change = change_request_create(
            contract=contract,
            kind="customer_1_3",
            title="HIS 扩容 4 核",
            items=[{"resource": "vcpu", "quantity": "4"}],
            by=world.admin_a,
        )
        change_request_approve(change=change, by=world.provider_admin)
    with at(2024, 7, 16, 15):
        change = change_request_apply(change=change, by=world.provider_admin)
    assert change.price_component is not None  # the cloud app adds it to 二.1
    return change


def terminated_under_5_3(world, contract):
    """The customer's 5.3 termination notice, delivered 2025-03-15 10:00 (effective then)."""
    from yiyun.contracts.choices import ContractStatus, NoticeKind
    from yiyun.contracts.services import notice_record
    from yiyun.obligations.tests.helpers import at, bj

    with at(2025, 3, 15, 11):
        notice_record(
            contract=contract,
            kind=NoticeKind.TERMINATION_5_3,
            from_party="customer",
            sender="柯坪县人民医院",
            recipient="阿克苏联通",
            delivered_at=bj(2025, 3, 15, 10),
            reason="乙方未按2.2时限处理故障（附记录）",
            by=world.admin_a,
        )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    return contract
