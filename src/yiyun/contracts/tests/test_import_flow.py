"""Contract import, from draft to contract (issue 11): the check as a dry run, the
reviewer's corrections, acknowledgement of flags, approval through the loader, and the
`yiyun contract import` command."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from yiyun.contracts.importer.choices import DraftStatus
from yiyun.contracts.importer.draft import IMPORT_KEY, contract_data
from yiyun.contracts.importer.services import (
    contract_draft_approve,
    contract_draft_check,
    contract_draft_create,
    contract_draft_reject,
    contract_draft_update,
)
from yiyun.contracts.models import Contract, ContractDraft
from yiyun.contracts.tests.import_samples import (
    assert_seed_fields,
    fault_limit_text,
    no_schedule_text,
    seed_text,
    with_provider,
)
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.tenancy.models import Organisation


def _draft(text: str, *, by="test", name="seed.txt") -> ContractDraft:
    return contract_draft_create(name=name, content=text.encode("utf-8"), by=by)


@pytest.mark.django_db
def test_check_on_the_seed_reports_492000_vs_498000_and_registers_nothing():
    draft = _draft(seed_text())
    assert draft.status == DraftStatus.DRAFT
    assert_seed_fields(draft.data)
    result = contract_draft_check(draft=draft, by="test")
    assert result["errors"] == [] and result["conflict"] == ""
    (totals,) = [f for f in result["findings"] if f["code"] == "totals_disagree"]
    assert totals["severity"] == "error"
    assert totals["data"]["table_total"] == "492000.00"
    assert totals["data"]["annual_total"] == "498000.00"
    codes = {finding["code"] for finding in result["findings"]}
    assert {"schedule_short", "recurring_vs_period", "signing_date_missing"} <= codes
    # A dry run: no contract, no new organisation.
    assert Contract.objects.count() == 0
    assert not Organisation.objects.filter(name="中国联合网络通信有限公司阿克苏地区分公司").exists()


@pytest.mark.django_db
def test_approval_loads_the_reviewed_data_through_the_loader():
    draft = _draft(seed_text())
    with pytest.raises(DomainError) as refused:
        contract_draft_approve(draft=draft, by="test", acknowledged=True)
    assert refused.value.code == "not_checked"
    contract_draft_check(draft=draft, by="test")
    # 签订日期 is blank: a flag the reviewer must acknowledge.
    with pytest.raises(DomainError) as refused:
        contract_draft_approve(draft=draft, by="test")
    assert refused.value.code == "flags_unacknowledged"
    contract = contract_draft_approve(draft=draft, by="test", acknowledged=True)
    assert contract.number == "11N4580043372024116202"
    assert contract.table_total == 492000 and contract.annual_total == 498000
    assert contract.customer.name == "柯坪县人民医院"
    assert contract.provider.bank_account == "65001690200052500195"
    assert contract.payment_schedule.count() == 2
    assert contract.entitlements.get(resource="storage").unit == "TiB"
    assert contract.source_name == "seed.txt"
    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPROVED and draft.contract == contract
    entry = AuditEntry.objects.get(action="contract.draft_approved")
    assert entry.data["contract"] == contract.number
    assert entry.data["acknowledged"] == ["signed_on"]
    # An approved draft is closed.
    with pytest.raises(DomainError):
        contract_draft_update(draft=draft, data=draft.data, by="test")


@pytest.mark.django_db
def test_corrections_are_checked_field_by_field():
    draft = _draft(seed_text())
    contract_draft_check(draft=draft, by="test")
    data = contract_data(draft.data)
    data["table_total"] = "四十九万"
    data["service_period"]["end"] = "2026-13-01"
    draft = contract_draft_update(draft=draft, data=data, by="test")
    assert draft.checked_digest == ""  # the earlier check no longer applies
    result = contract_draft_check(draft=draft, by="test")
    paths = {error["path"] for error in result["errors"]}
    assert paths == {"table_total", "service_period.end"}
    with pytest.raises(DomainError) as refused:
        contract_draft_approve(draft=draft, by="test", acknowledged=True)
    assert refused.value.code == "check_failed"
    data["table_total"] = "492000.00"
    data["service_period"]["end"] = "2026-12-31"
    data["signed_on"] = "2023-12-28"
    draft = contract_draft_update(draft=draft, data=data, by="test")
    assert contract_draft_check(draft=draft, by="test")["errors"] == []
    contract = contract_draft_approve(draft=draft, by="test", acknowledged=True)
    assert str(contract.signed_on) == "2023-12-28"
    entry = AuditEntry.objects.filter(action="contract.draft_corrected").order_by("-seq").first()
    assert "signed_on" in entry.data["fields"]


@pytest.mark.django_db
def test_clause_12h_fault_limit_needs_acknowledging_and_is_recorded():
    draft = _draft(fault_limit_text("12"))
    assert draft.review["clauses"]["2.2"]["n"] == 12
    assert draft.review["clauses"]["2.2"]["flag"] == "differs"
    contract_draft_check(draft=draft, by="test")
    with pytest.raises(DomainError):
        contract_draft_approve(draft=draft, by="test")
    contract_draft_approve(draft=draft, by="test", acknowledged=True)
    entry = AuditEntry.objects.get(action="contract.draft_approved")
    assert entry.data["clauses_differing"]["2.2"]["n"] == 12
    assert "clauses.2.2" in entry.data["acknowledged"]


@pytest.mark.django_db
def test_missing_schedule_is_found_by_the_check_and_filled_in_by_the_reviewer():
    draft = _draft(no_schedule_text())
    assert draft.data["payment_schedule"] == []
    assert {"path": "payment_schedule", "flag": "missing"}.items() <= draft.review["flags"][
        [f["path"] for f in draft.review["flags"]].index("payment_schedule")
    ].items()
    result = contract_draft_check(draft=draft, by="test")
    (short,) = [f for f in result["findings"] if f["code"] == "schedule_short"]
    assert short["data"]["scheduled"] == "0"
    data = contract_data(draft.data)
    data["payment_schedule"] = [
        {
            "label": "云服务器费用",
            "due": "2024-12-31",
            "amount": "492000.00",
            "component": "云服务器费用",
        }
    ]
    draft = contract_draft_update(draft=draft, data=data, by="test")
    result = contract_draft_check(draft=draft, by="test")
    (short,) = [f for f in result["findings"] if f["code"] == "schedule_short"]
    assert short["data"]["scheduled"] == "492000.00"


@pytest.mark.django_db
def test_a_number_already_registered_is_a_conflict():
    first = _draft(seed_text())
    contract_draft_check(draft=first, by="test")
    contract_draft_approve(draft=first, by="test", acknowledged=True)
    second = _draft(seed_text())
    result = contract_draft_check(draft=second, by="test")
    assert "11N4580043372024116202" in result["conflict"]
    with pytest.raises(DomainError):
        contract_draft_approve(draft=second, by="test", acknowledged=True)
    contract_draft_reject(draft=second, by="test", reason="重复导入")
    second.refresh_from_db()
    assert (second.status, second.note) == (DraftStatus.REJECTED, "重复导入")


@pytest.mark.django_db
def test_who_may_import_and_approve(world):
    text = with_provider(seed_text(), world.provider.name)
    with pytest.raises(PermissionDenied):
        _draft(text, by=world.auditor_a)
    with pytest.raises(PermissionDenied):
        _draft(text, by=world.member_a)
    draft = _draft(text, by=world.admin_a)
    assert (draft.owner, draft.customer, draft.provider) == (
        world.customer_a,
        world.customer_a,
        world.provider,
    )
    contract_draft_check(draft=draft, by=world.admin_a)
    # Another provider's admin cannot make itself the contract's provider.
    with pytest.raises(PermissionDenied):
        contract_draft_approve(draft=draft, by=world.other_provider_admin, acknowledged=True)
    # The named provider's admin may.
    contract = contract_draft_approve(draft=draft, by=world.provider_admin, acknowledged=True)
    assert contract.provider == world.provider and contract.customer == world.customer_a


@pytest.mark.django_db
def test_cli_import_json_is_what_contract_load_reads(tmp_path, capsys):
    source = tmp_path / "合同.txt"
    source.write_bytes(seed_text().encode("gb18030"))
    call_command("contract", "import", str(source), "--json")
    document = json.loads(capsys.readouterr().out)
    assert document[IMPORT_KEY]["source"]["encoding"] == "gb18030"
    assert document[IMPORT_KEY]["fields"]["annual_total"]["span"]
    assert document[IMPORT_KEY]["clauses"]["2.2"]["n"] == 24
    assert_seed_fields(contract_data(document))
    # --data-only: the same data without `import`, straight into the loader.
    call_command("contract", "import", str(source), "--json", "--data-only")
    data_only = json.loads(capsys.readouterr().out)
    assert data_only == contract_data(document)
    # import → load is one round trip: the loader skips `import`.
    loadable = tmp_path / "draft.json"
    loadable.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    call_command("contract", "load", str(loadable))
    assert "11N4580043372024116202: loaded" in capsys.readouterr().out
    contract = Contract.objects.get(number="11N4580043372024116202")
    assert contract.annual_total == 498000
    assert contract.circuits[3]["z_end"] == "启浪乡卫生院"


@pytest.mark.django_db
def test_cli_import_report_shows_fields_flags_and_the_check(tmp_path, capsys):
    source = tmp_path / "variant.txt"
    source.write_text(fault_limit_text("12"), encoding="utf-8")
    call_command("contract", "import", str(source))
    out = capsys.readouterr().out
    assert "number = 11N4580043372024116202" in out
    assert "2.2: 12 hours / 24 hours differs" in out
    assert "[differs] clauses.2.2" in out
    assert "[error] 一, 二.1" in out  # 492,000 vs 498,000
    assert Contract.objects.count() == 0
