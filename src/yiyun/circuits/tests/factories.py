"""Test data for the circuits app: the seed contract's four circuits for customer A."""

from yiyun.circuits.models import Circuit
from yiyun.circuits.services import circuits_from_contract
from yiyun.cloud.tests.factories import contract_for


def circuits_for(world) -> list[Circuit]:
    contract = contract_for(world.customer_a, world.provider, number="YY-CIRCUITS-TEST")
    return circuits_from_contract(contract, by="test")


def a_circuit(world) -> Circuit:
    return circuits_for(world)[0]
