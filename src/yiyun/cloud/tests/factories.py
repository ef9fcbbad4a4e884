"""Test data for the cloud app: a contract loaded through the contract register, a host
on libvirt's test driver, servers, prices."""

from __future__ import annotations

import copy
import functools
import uuid
from datetime import date

import libvirt
import pytest
import yaml

from yiyun.cloud.services import host_add, price_catalogue_ensure, price_entry_add, server_create
from yiyun.contracts.models import Contract
from yiyun.contracts.services import SEED_CONTRACT, contract_load

TEST_URI = "test:///default"


def contract_for(
    customer, provider, *, number: str = "YY-CLOUD-TEST", entitlements=None
) -> Contract:
    """The seed contract's data between `customer` and `provider` (loaded, or the one
    already loaded under `number`)."""
    data = copy.deepcopy(_seed())
    data["number"] = number
    data["parties"]["customer"]["name"] = customer.name
    data["parties"]["customer"].pop("short_name", None)
    data["parties"]["provider"] = {"name": provider.name}
    if entitlements is not None:
        data["entitlements"] = entitlements
    contract, _created = contract_load(data=data, by="test")
    return contract


@functools.cache
def _seed() -> dict:
    return yaml.safe_load(SEED_CONTRACT.read_text(encoding="utf-8"))


def small_entitlement(vcpu="8", memory="16", storage="0.1", system_disk="0.1"):
    """A small entitlement in the contract's own units (core, GiB, TiB, TiB)."""
    return [
        {"resource": "vcpu", "quantity": vcpu, "unit": "core", "stated": f"CPU合计{vcpu}核"},
        {"resource": "memory", "quantity": memory, "unit": "GiB", "stated": f"内存合计{memory}G"},
        {
            "resource": "storage",
            "quantity": storage,
            "unit": "TiB",
            "stated": f"存储合计{storage}T",
        },
        {
            "resource": "system_disk",
            "quantity": system_disk,
            "unit": "TiB",
            "stated": f"系统盘{system_disk}T",
        },
    ]


def keep_test_driver(holder) -> libvirt.virConnect:
    """Hold a connection to the test driver on `holder` (the `world`, a fixture) so its
    state lasts while `holder` lives: the driver drops it when the last connection closes."""
    connection = getattr(holder, "libvirt_keepalive", None)
    if connection is None:
        connection = libvirt.open(TEST_URI)
        holder.libvirt_keepalive = connection
    return connection


def a_host(provider, *, pool: bool = True, name: str | None = None):
    from yiyun.cloud.models import Host

    name = name or ("test-host-pool" if pool else "test-host")
    existing = Host.objects.filter(name=name).first()
    if existing is not None:
        return existing
    return host_add(
        provider=provider,
        name=name,
        uri=TEST_URI,
        storage_pool="default-pool" if pool else "",
        by="test",
    )


def unique_name(prefix: str = "vm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def a_server(contract, host, *, vcpu=2, memory_gib=4, system_disk_gib=20, data=(10,), **extra):
    return server_create(
        contract=contract,
        host=host,
        name=extra.pop("name", None) or unique_name(),
        vcpu=vcpu,
        memory_gib=memory_gib,
        system_disk_gib=system_disk_gib,
        data_disks_gib=list(data),
        by="test",
        **extra,
    )


def a_catalogue(provider, *, valid_from=date(2024, 1, 1)):
    catalogue = price_catalogue_ensure(
        provider=provider, name="新疆政务云政府定价目录", source="新发改价格〔2023〕1号", by="test"
    )
    if not catalogue.entries.exists():
        for resource, price in (
            ("vcpu", "60.00"),
            ("memory", "25.00"),
            ("storage", "0.50"),
            ("system_disk", "0.80"),
        ):
            price_entry_add(
                catalogue=catalogue,
                resource=resource,
                unit_price=price,
                period="month",
                valid_from=valid_from,
                by="test",
            )
    return catalogue


@pytest.fixture(name="libvirt_test")
def libvirt_test_fixture(world):
    """The test driver's state, kept for the test; closed (and so reset) after it."""
    connection = keep_test_driver(world)
    yield connection
    connection.close()
    del world.libvirt_keepalive
