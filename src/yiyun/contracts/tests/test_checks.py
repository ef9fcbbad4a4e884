"""The contract check (lint)."""

from decimal import Decimal

import pytest

from yiyun.contracts.checks import contract_findings
from yiyun.contracts.services import contract_load
from yiyun.contracts.tests.factories import seed_data
from yiyun.obligations.tests.helpers import at


def _load(**changes):
    with at(2026, 1, 5, 9):
        contract, _ = contract_load(data=seed_data(**changes), by="test")
    return contract


def _codes(contract) -> dict:
    found = {}
    for finding in contract_findings(contract):
        found.setdefault(finding.code, []).append(finding)
    return found


def test_check_finds_the_492000_vs_498000_disagreement(db):
    (finding,) = _codes(_load())["totals_disagree"]
    assert finding.severity == "error"
    assert finding.clause == "一, 二.1"
    assert "¥492,000.00" in finding.title and "¥498,000.00" in finding.title
    assert "¥6,000.00" in finding.explanation
    assert finding.data == {
        "line_items": "492000.00",
        "table_total": "492000.00",
        "annual_total": "498000.00",
        "price_components": "498000.00",
    }


def test_check_orders_errors_first(db):
    severities = [f.severity for f in contract_findings(_load())]
    assert severities == sorted(severities, key={"error": 0, "warning": 1, "info": 2}.get)


def test_check_figures_vs_capitals(db):
    found = _codes(_load(table_total_capitals="肆拾玖万捌仟元整"))
    (finding,) = found["capitals_disagree"]
    assert finding.data == {"expected": "肆拾玖万贰仟元整", "stated": "肆拾玖万捌仟元整"}
    assert "capitals_disagree" not in _codes(_load(number="N2"))


def test_check_payment_schedule_does_not_cover_the_service_period(db):
    (finding,) = _codes(_load())["schedule_short"]
    # 36 months at 498,000 a year vs 498,000 scheduled; 2026 has no payment.
    assert finding.data["period_value"] == "1494000.00"
    assert finding.data["scheduled"] == "498000.00"
    assert finding.data["uncovered_years"] == ["2026-01-01~2026-12-31"]


def test_check_recurring_prices_vs_a_multi_year_period(db):
    (finding,) = _codes(_load())["recurring_vs_period"]
    assert finding.data == {"annual": "498000.00", "months": 36, "whole_period": "1494000.00"}


def test_check_lists_open_parameters_not_yet_set(db):
    contract = _load()
    found = _codes(contract)["open_parameter"]
    assert {f.data["key"] for f in found} == set(
        contract.open_parameters.values_list("key", flat=True)
    )
    assert any(f.clause == "5.1" for f in found)


def test_check_of_a_consistent_contract_finds_no_error(db):
    data = seed_data(
        number="CLEAN-1",
        table_total="498000.00",
        table_total_capitals="肆拾玖万捌仟元整",
        signed_on="2023-12-20",
        service_period={"start": "2024-01-01", "end": "2024-12-31"},
        open_parameters=[],
    )
    data["line_items"][0].update(unit_price="498000.00", subtotal="498000.00")
    data["payment_schedule"][1]["due"] = "2024-12-31"
    with at(2026, 1, 5, 9):
        contract, _ = contract_load(data=data, by="test")
    assert [f.code for f in contract_findings(contract)] == ["entitlement_units"]


def test_check_line_subtotal(db):
    data = seed_data(number="N3")
    data["line_items"][0]["quantity"] = "2"
    with at(2026, 1, 5, 9):
        contract, _ = contract_load(data=data, by="test")
    (finding,) = _codes(contract)["line_subtotal"]
    assert finding.data["expected"] == str(Decimal("984000.00"))


@pytest.mark.parametrize("code", ["signing_date_missing", "entitlement_units"])
def test_check_seed_header_and_units(db, code):
    assert code in _codes(_load())
