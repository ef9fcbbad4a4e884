"""The contracts and obligations API."""

import json
from datetime import datetime

import pytest

from yiyun.contracts.tests.factories import seed_contract
from yiyun.obligations.services import obligation_open
from yiyun.obligations.tests.helpers import at, bj


@pytest.fixture
def contract(world):
    with at(2026, 3, 1, 9):
        return seed_contract(world)


def test_findings_endpoint(contract, world, login):
    response = login(world.admin_a).get(f"/api/contracts/{contract.pk}/findings")
    assert response.status_code == 200
    codes = [finding["code"] for finding in response.json()]
    assert codes[0] == "totals_disagree"
    errors = (
        login(world.admin_a).get(f"/api/contracts/{contract.pk}/findings?severity=error").json()
    )
    assert {finding["severity"] for finding in errors} == {"error"}
    assert login(world.admin_b).get(f"/api/contracts/{contract.pk}/findings").status_code == 404


def test_contract_get_and_ledger(contract, world, login):
    client = login(world.provider_admin)
    body = client.get(f"/api/contracts/{contract.pk}").json()
    assert body["number"] == "11N4580043372024116202"
    assert body["table_total_figures"] == "¥492,000.00"
    assert body["table_total_capitals"] == "肆拾玖万贰仟元整"
    ledger = client.get(f"/api/contracts/{contract.pk}/ledger").json()
    assert ledger == {"base_settled": False, "penalties": [], "rights": []}


def test_obligation_filters(contract, world, login):
    with at(2026, 3, 1, 9):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 1, 9))
        obligation_open(contract=contract, clause="2.3", trigger_at=bj(2026, 3, 1, 9))
    client = login(world.admin_a)
    by_clause = client.get("/api/obligations", {"clause": "2.2"}).json()
    assert [row["id"] for row in by_clause] == [fault.pk]
    assert datetime.fromisoformat(by_clause[0]["due_at"]) == bj(2026, 3, 2, 9)
    assert by_clause[0]["contract_number"] == contract.number
    soon = client.get("/api/obligations", {"due_before": "2026-03-04T00:00:00+08:00"}).json()
    assert [row["rule"] for row in soon] == ["2.2"]
    # 2.3 from Sunday 03-01: working days 03-02 and 03-03, due 24:00 of 03-03.
    soon = client.get(
        "/api/obligations", {"due_before": "2026-03-04T00:00:01+08:00", "state": "open"}
    ).json()
    assert [row["rule"] for row in soon] == ["2.2", "2.3"]
    provider_bound = client.get("/api/obligations", {"bound_party": "either"}).json()
    assert sorted(row["rule"] for row in provider_bound) == ["11.1", "11.1.expiry"]
    assert client.get("/api/obligations", {"contract": contract.pk + 1}).json() == []
    assert login(world.admin_b).get("/api/obligations").json() == []


def test_obligation_events_and_meet(contract, world, login):
    with at(2026, 3, 1, 9):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 1, 9))
    client = login(world.engineer)
    with at(2026, 3, 1, 15):
        met = client.post(
            f"/api/obligations/{fault.pk}/meet",
            json.dumps({"evidence": "已恢复"}),
            content_type="application/json",
        )
        assert met.status_code == 200 and met.json()["state"] == "met"
        again = client.post(
            f"/api/obligations/{fault.pk}/meet", "{}", content_type="application/json"
        )
    assert again.status_code == 400 and again.json()["code"] == "already_closed"
    events = client.get(f"/api/obligations/{fault.pk}/events").json()
    assert [event["kind"] for event in events] == ["opened", "met"]
    assert events[1]["actor"] == "p-eng"


def test_pause_is_refused_for_2_2(contract, world, login):
    with at(2026, 3, 1, 9):
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 1, 9))
        response = login(world.engineer).post(
            f"/api/obligations/{fault.pk}/pause",
            json.dumps({"reason": "等待"}),
            content_type="application/json",
        )
    assert response.status_code == 400 and response.json()["code"] == "not_pausable"


def test_rules_endpoint(world, login):
    rules = {
        rule["key"]: rule for rule in login(world.admin_a).get("/api/obligations/rules").json()
    }
    assert rules["2.2"]["clock"] == "hours" and rules["2.2"]["n"] == 24
    assert rules["11.1"]["before"] is True


def test_notice_and_parameter_via_api(contract, world, login):
    client = login(world.admin_a)
    with at(2026, 11, 2, 10):
        created = client.post(
            f"/api/contracts/{contract.pk}/notices",
            json.dumps(
                {
                    "kind": "non_renewal",
                    "from_party": "customer",
                    "sender": "信息科",
                    "recipient": "客户经理",
                    "delivered_at": "2026-11-02T09:00:00+08:00",
                }
            ),
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    assert created.json()["timely"] is True
    base = client.put(
        f"/api/contracts/{contract.pk}/parameters/penalty_base",
        json.dumps({"value": "both"}),
        content_type="application/json",
    )
    assert base.status_code == 400 and base.json()["field"] == "value"
    prorata = client.get(f"/api/contracts/{contract.pk}/prorata", {"until": "2025-03-15"}).json()
    assert prorata["total"] == "598989.89"
