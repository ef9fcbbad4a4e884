"""The seed contract is data: loaded from YAML (or JSON), checked field by field."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yiyun.contracts.dataformat import ContractDataError, contract_parse
from yiyun.contracts.models import Contract
from yiyun.contracts.services import SEED_CONTRACT, contract_load, contract_load_file
from yiyun.contracts.tests.factories import seed_data
from yiyun.core.errors import Conflict
from yiyun.obligations.models import Obligation
from yiyun.obligations.tests.helpers import at, bj
from yiyun.tenancy.models import Organisation


@pytest.fixture
def frozen():
    with at(2026, 1, 5, 9):
        yield


def test_seed_contract_loads_from_the_yaml(db, frozen):
    contract, created = contract_load_file(path=SEED_CONTRACT, by="test")
    assert created
    assert contract.number == "11N4580043372024116202"
    assert contract.customer.name == "柯坪县人民医院"
    assert contract.provider.name == "中国联合网络通信有限公司阿克苏地区分公司"
    assert contract.provider.bank_account == "65001690200052500195"
    assert contract.customer.served_by.filter(pk=contract.provider.pk).exists()
    assert contract.customer.sites.count() == 5
    assert contract.table_total == Decimal("492000.00")
    assert contract.annual_total == Decimal("498000.00")
    assert contract.table_total_capitals == "肆拾玖万贰仟元整"
    assert (contract.start.isoformat(), contract.end.isoformat()) == ("2024-01-01", "2026-12-31")
    assert contract.signed_on is None
    assert [c.annual_amount for c in contract.price_components.all()] == [
        Decimal("492000.00"),
        Decimal("6000.00"),
    ]
    assert [(p.due_on.isoformat(), p.amount) for p in contract.payment_schedule.all()] == [
        ("2024-12-31", Decimal("492000.00")),
        ("2025-12-31", Decimal("6000.00")),
    ]
    assert {e.resource: (e.quantity, e.unit) for e in contract.entitlements.all()} == {
        "vcpu": (Decimal("212"), "core"),
        "memory": (Decimal("716"), "GiB"),
        "storage": (Decimal("15.3"), "TiB"),
        "system_disk": (Decimal("2.96"), "TiB"),
    }
    assert len(contract.circuits) == 4
    assert contract.open_parameters.filter(key="penalty_base", value="").exists()
    # 11.1: the non-renewal notice deadline and the expiry are open from the start.
    assert sorted(Obligation.objects.filter(contract=contract).values_list("rule", flat=True)) == [
        "11.1",
        "11.1.expiry",
    ]


def test_loading_the_same_contract_again_changes_nothing(db, frozen):
    first, _ = contract_load_file(path=SEED_CONTRACT, by="test")
    again, created = contract_load_file(path=SEED_CONTRACT, by="test")
    assert (again.pk, created) == (first.pk, False)
    assert Contract.objects.count() == 1
    assert Obligation.objects.count() == 2


def test_different_data_for_a_registered_number_is_refused(db, frozen):
    contract_load(data=seed_data(), by="test")
    with pytest.raises(Conflict) as refused:
        contract_load(data=seed_data(annual_total="492000.00"), by="test")
    assert refused.value.field == "annual_total"
    assert "annual_total" in refused.value.message


def test_the_same_data_as_json_loads_too(db, frozen, tmp_path):
    path = tmp_path / "keping.json"
    path.write_text(json.dumps(seed_data(), default=str, ensure_ascii=False), encoding="utf-8")
    contract, created = contract_load_file(path=path, by="test")
    assert created and contract.source_name == "keping.json"
    # The JSON and the YAML are the same contract: loading the YAML now changes nothing.
    assert contract_load_file(path=SEED_CONTRACT, by="test")[1] is False


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["price_components"][1].update(amount="abc"),
            "price_components[1].amount: not a number",
        ),
        (lambda d: d.pop("number"), "number: required"),
        (lambda d: d["line_items"][0].update(colour="red"), "line_items[0].colour: unknown field"),
        (
            lambda d: d["service_period"].update(end="2026-13-01"),
            "service_period.end: not a date (YYYY-MM-DD)",
        ),
        (
            lambda d: d["price_components"][0].update(period="fortnight"),
            "price_components[0].period: must be one of",
        ),
        (
            lambda d: d["payment_schedule"][1].update(component="电费"),
            "payment_schedule[1].component: no price component named '电费'",
        ),
        (lambda d: d.update(table_total="492000.005"), "table_total: more than 2 decimal places"),
        (
            lambda d: d["entitlements"][0].update(quantity="-1"),
            "entitlements[0].quantity: must be greater than 0",
        ),
    ],
)
def test_validation_errors_name_the_field(change, expected):
    data = seed_data()
    change(data)
    with pytest.raises(ContractDataError) as refused:
        contract_parse(data)
    assert any(line.startswith(expected) for line in refused.value.errors), refused.value.errors


def test_all_problems_are_reported_at_once():
    data = seed_data()
    data["price_components"][1]["amount"] = "abc"
    data["line_items"][0]["unit_price"] = "x"
    with pytest.raises(ContractDataError) as refused:
        contract_parse(data)
    assert set(refused.value.errors) >= {
        "price_components[1].amount: not a number",
        "line_items[0].unit_price: not a number",
    }
    assert refused.value.field == "line_items[0].unit_price"


def test_a_party_of_the_wrong_kind_is_refused(db, frozen):
    data = seed_data()
    data["parties"]["customer"] = {"name": data["parties"]["provider"]["name"] + "（另）"}
    Organisation.objects.create(name=data["parties"]["customer"]["name"], kind="provider")
    with pytest.raises(Exception) as refused:
        contract_load(data=data, by="test")
    assert getattr(refused.value, "field", "") == "parties.customer.name"


def test_cli_contract_load_names_the_bad_field(db, frozen, tmp_path):
    data = seed_data()
    data["price_components"][1]["amount"] = "abc"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match=r"price_components\[1\]\.amount: not a number"):
        call_command("contract", "load", str(path), stdout=StringIO())
    assert not Contract.objects.exists()


def test_cli_contract_load_then_again(db, frozen):
    out = StringIO()
    call_command("contract", "load", str(SEED_CONTRACT), stdout=out)
    call_command("contract", "load", str(SEED_CONTRACT), stdout=out)
    text = out.getvalue()
    assert "11N4580043372024116202: loaded" in text
    assert "unchanged" in text
    assert "error finding(s)" in text


def test_cli_contract_check_json(db, frozen):
    contract_load_file(path=SEED_CONTRACT, by="test")
    out = StringIO()
    call_command("contract", "check", "11N4580043372024116202", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["contract"] == "11N4580043372024116202"
    codes = {finding["code"]: finding for finding in report["findings"]}
    assert codes["totals_disagree"]["severity"] == "error"
    assert codes["totals_disagree"]["data"]["table_total"] == "492000.00"
    assert codes["totals_disagree"]["data"]["annual_total"] == "498000.00"
    plain = StringIO()
    call_command("contract", "check", "11N4580043372024116202", stdout=plain)
    assert "[error]" in plain.getvalue()
    with pytest.raises(CommandError, match="no contract"):
        call_command("contract", "check", "NOPE", stdout=StringIO())


def test_the_seed_contract_opens_its_11_1_obligations_when_loaded(db, frozen):
    contract, _ = contract_load_file(path=SEED_CONTRACT, by="test")
    notice = Obligation.objects.get(contract=contract, rule="11.1")
    expiry = Obligation.objects.get(contract=contract, rule="11.1.expiry")
    assert notice.due_at == bj(2026, 12, 1, 0, 0)
    assert expiry.due_at == bj(2027, 1, 1, 0, 0)


def test_demo_loads_the_full_seed_contract(db, frozen):
    from yiyun.portal.demo import load_seed_contract

    contract = load_seed_contract()
    assert contract.number == "11N4580043372024116202"
    assert contract.obligations.get(rule="11.1").due_at == bj(2026, 12, 1, 0, 0)
    assert load_seed_contract().pk == contract.pk
    assert Obligation.objects.count() == 2
