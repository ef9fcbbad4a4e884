"""Contracts for tests: the seed contract, optionally between the `world` fixture's parties."""

import copy
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
