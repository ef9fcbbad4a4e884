"""The breach ledger: 5.1 on both candidate bases until settled; 5.2 and 3.5 by rule."""

from decimal import Decimal

import pytest

from yiyun.contracts.choices import PenaltyStatus, RightCode
from yiyun.contracts.ledger import penalty_record
from yiyun.contracts.services import open_parameter_set
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.obligations.services import obligation_open, tick
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 1, 5, 9):
        return seed_contract(world)


def _breach_2_2(contract, day=10):
    with at(2026, 3, day, 9):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, day, 9))
    with at(2026, 3, day + 1, 9):
        tick(now=bj(2026, 3, day + 1, 9))
    return fault


def test_clause_5_1_breach_records_both_bases(contract):
    fault = _breach_2_2(contract)
    penalties = {p.base_key: p for p in fault.penalties.all()}
    assert penalties["table_total"].amount == Decimal("24600.00")
    assert penalties["annual_total"].amount == Decimal("24900.00")
    assert {p.status for p in penalties.values()} == {PenaltyStatus.CANDIDATE}
    assert {p.rule for p in penalties.values()} == {"5.1"}
    assert {p.liable_party for p in penalties.values()} == {"provider"}
    assert {p.clause for p in penalties.values()} == {"2.2"}


def test_clause_2_2_breach_grants_the_customer_the_right_to_terminate(contract):
    fault = _breach_2_2(contract)
    (right,) = contract.rights.all()
    assert right.obligation == fault
    assert (right.code, right.holder, right.clause) == (
        RightCode.CUSTOMER_MAY_TERMINATE,
        "customer",
        "2.2",
    )
    assert right.granted_at == bj(2026, 3, 11, 9)


def test_clause_5_1_once_the_base_is_settled_only_that_base(contract, world):
    _breach_2_2(contract)
    base = contract.open_parameters.get(key="penalty_base")
    with at(2026, 3, 20, 9):
        open_parameter_set(parameter=base, value="annual_total", by=world.admin_a)
    statuses = dict(contract.penalties.values_list("base_key", "status"))
    assert statuses == {"table_total": PenaltyStatus.VOID, "annual_total": PenaltyStatus.APPLICABLE}
    _breach_2_2(contract, day=21)
    latest = contract.penalties.order_by("-pk").first()
    assert (latest.base_key, latest.amount, latest.status) == (
        "annual_total",
        Decimal("24900.00"),
        PenaltyStatus.APPLICABLE,
    )
    assert contract.penalties.filter(obligation=latest.obligation).count() == 1
    with at(2026, 3, 22, 9), pytest.raises(DomainError):
        open_parameter_set(parameter=base, value="table_total", by=world.admin_a)
    with at(2026, 3, 22, 9), pytest.raises(DomainError):
        open_parameter_set(
            parameter=contract.open_parameters.get(key="penalty_base"),
            value="nonsense",
            by=world.admin_a,
        )


def test_clause_5_2_termination_without_cause_20_percent(contract, world):
    with at(2026, 4, 1, 9):
        rows = penalty_record(
            contract=contract, rule="5.2", liable_party="customer", by=world.provider_admin
        )
    assert {row.base_key: row.amount for row in rows} == {
        "table_total": Decimal("98400.00"),
        "annual_total": Decimal("99600.00"),
    }


def test_clause_3_5_assignment_10_percent(contract, world):
    with at(2026, 4, 1, 9):
        rows = penalty_record(
            contract=contract, rule="3.5", liable_party="provider", by=world.admin_a
        )
    assert sorted(row.amount for row in rows) == [Decimal("49200.00"), Decimal("49800.00")]
    with at(2026, 4, 1, 9), pytest.raises(DomainError):
        penalty_record(contract=contract, rule="9.9", liable_party="provider", by=world.admin_a)


def test_clause_2_10_breach_grants_the_provider_measures_without_penalty(contract):
    with at(2026, 9, 25, 10):
        complaint = obligation_open(
            contract=contract, clause="2.10", trigger_at=bj(2026, 9, 25, 10)
        )
    with at(2026, 10, 13, 0, 0):
        tick(now=bj(2026, 10, 13, 0, 0))
    complaint.refresh_from_db()
    assert complaint.state == "breached"
    assert not complaint.penalties.exists()
    assert list(complaint.rights.values_list("code", "holder")) == [
        (RightCode.PROVIDER_MAY_REMOVE_CONTENT, "provider")
    ]
