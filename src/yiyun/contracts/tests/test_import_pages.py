"""Contract import pages and API (issue 11): upload, the review page (source beside the
fields, each field linked to its span, flags highlighted), corrections, check, approval."""

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiyun.contracts.importer.choices import DraftStatus
from yiyun.contracts.models import Contract, ContractDraft
from yiyun.contracts.tests.import_samples import (
    docx_bytes,
    fault_limit_text,
    no_schedule_text,
    seed_text,
    with_provider,
)


@pytest.fixture
def provider_client(world, login):
    return login(world.provider_admin)


def _upload(client, name: str, content: bytes):
    return client.post(reverse("contracts:import_new"), {"file": SimpleUploadedFile(name, content)})


def _text(world, text=None) -> str:
    return with_provider(text or seed_text(), world.provider.name)


@pytest.mark.django_db
def test_upload_a_docx_and_review_it_beside_its_source(world, provider_client):
    response = _upload(provider_client, "合同.docx", docx_bytes(_text(world)))
    assert response.status_code == 302
    draft = ContractDraft.objects.get()
    assert response["Location"] == reverse("contracts:import_review", kwargs={"pk": draft.pk})
    assert draft.source_format == "docx" and draft.provider == world.provider
    page = provider_client.get(response["Location"]).content.decode()
    # The source text is on the page with a mark for each span, numbered; each field
    # links to its mark and each mark back to its field.
    number = re.search(r'<tr id="f-(\d+)" class="[^"]*"><th>合同编号', page).group(1)
    assert f'href="#src-{number}"' in page
    mark = re.search(rf'<mark id="src-{number}" class="src ?" title="number">(.*?)</mark>', page)
    assert mark is not None
    assert f'<a class="ref" href="#f-{number}">{number}</a>11N4580043372024116202' == mark.group(1)
    # Uncertain and missing fields are highlighted.
    assert re.search(r'<tr id="f-\d+" class="bad"><th>签订日期', page)
    assert re.search(
        r'<td id="f-\d+" class="warn"><input type="text" name="circuits\[0\]\.z_end"', page
    )
    # No inline script or style: the page works under the strict CSP.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page
    assert "contracts/import/import.css" in page


@pytest.mark.django_db
def test_review_correct_check_and_approve_in_the_browser_forms(world, provider_client):
    _upload(provider_client, "合同.txt", _text(world, no_schedule_text()).encode("gb18030"))
    draft = ContractDraft.objects.get()
    assert draft.source_encoding == "gb18030"
    review = reverse("contracts:import_review", kwargs={"pk": draft.pk})
    page = provider_client.get(review).content.decode()
    assert "未找到付款方式" in page  # the missing schedule is said, not invented
    # The reviewer fills in the blank schedule row, a signing date and a short name.
    form = {
        "groups": ["header", "payment_schedule", "provider"],
        "number": draft.data["number"],
        "title": "阿克苏医疗云服务合同",
        "procurement_project": draft.data["procurement_project"],
        "signed_on": "2023-12-28",
        "table_total": "492,000.00",
        "table_total_capitals": "肆拾玖万贰仟元整",
        "annual_total": "498000",
        "payment_schedule[0].label": "云服务器费用",
        "payment_schedule[0].due": "2024-12-31",
        "payment_schedule[0].amount": "492000",
        "payment_schedule[0].component": "云服务器费用",
        "parties.provider.name": world.provider.name,
        "parties.provider.short_name": "阿克苏联通",
        "parties.provider.bank_name": "中国建设银行股份有限公司阿克苏市迎宾路支行",
        "parties.provider.bank_account": "65001690200052500195",
    }
    response = provider_client.post(reverse("contracts:import_save", kwargs={"pk": draft.pk}), form)
    assert response.status_code == 302 and response["Location"].endswith("#check")
    draft.refresh_from_db()
    assert draft.data["signed_on"] == "2023-12-28"
    assert draft.data["table_total"] == "492000.00"
    assert draft.data["payment_schedule"] == [
        {
            "label": "云服务器费用",
            "due": "2024-12-31",
            "amount": "492000",
            "component": "云服务器费用",
        }
    ]
    assert draft.data["parties"]["provider"]["short_name"] == "阿克苏联通"
    # Groups not submitted are kept as they were.
    assert len(draft.data["circuits"]) == 4
    page = provider_client.get(review).content.decode()
    assert "合同金额前后不一致" in page  # the check's 492,000 vs 498,000, before activation
    assert "付款计划未覆盖整个服务期" in page
    assert Contract.objects.count() == 0
    # Flags not acknowledged: refused, nothing registered.
    approve = reverse("contracts:import_approve", kwargs={"pk": draft.pk})
    provider_client.post(approve, {})
    assert Contract.objects.count() == 0
    response = provider_client.post(approve, {"acknowledged": "1"})
    contract = Contract.objects.get()
    assert response["Location"] == reverse("contracts:detail", kwargs={"pk": contract.pk})
    assert contract.payment_schedule.get().amount == 492000
    assert contract.provider == world.provider and contract.customer == world.customer_a
    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPROVED and draft.reviewed_by == world.provider_admin


@pytest.mark.django_db
def test_a_bad_correction_is_named_on_its_field(world, provider_client):
    _upload(provider_client, "合同.txt", _text(world).encode())
    draft = ContractDraft.objects.get()
    data = {
        "groups": ["line_items"],
        "line_items[0].item": "云租赁服务",
        "line_items[0].quantity": "1",
        "line_items[0].unit": "年",
        "line_items[0].unit_price": "492000.00",
        "line_items[0].subtotal": "四十九万",
        "line_items[1].item": "",
    }
    provider_client.post(reverse("contracts:import_save", kwargs={"pk": draft.pk}), data)
    page = provider_client.get(reverse("contracts:import_review", kwargs={"pk": draft.pk}))
    page = page.content.decode()
    assert re.search(
        r'<td[^>]*class="bad"><input type="text" name="line_items\[0\]\.subtotal"', page
    )
    assert "not a number" in page


@pytest.mark.django_db
def test_the_12h_clause_is_shown_with_the_template_value(world, provider_client):
    _upload(provider_client, "合同.txt", _text(world, fault_limit_text("12")).encode())
    draft = ContractDraft.objects.get()
    page = provider_client.get(reverse("contracts:import_review", kwargs={"pk": draft.pk}))
    page = page.content.decode()
    row = re.search(r'<tr id="c-2\.2" class="bad">(.*?)</tr>', page, re.S).group(1)
    assert "故障发生后12小时之内" in row and "12 小时" in row and "24 小时" in row
    assert 'id="src-c-2.2"' in page


@pytest.mark.django_db
def test_reject_and_json_download(world, provider_client):
    _upload(provider_client, "合同.txt", _text(world).encode())
    draft = ContractDraft.objects.get()
    download = provider_client.get(reverse("contracts:import_json", kwargs={"pk": draft.pk}))
    assert download["Content-Disposition"] == 'attachment; filename="11N4580043372024116202.json"'
    assert download.json()["annual_total"] == "498000.00"
    assert "import" not in download.json()
    provider_client.post(
        reverse("contracts:import_reject", kwargs={"pk": draft.pk}), {"reason": "重复"}
    )
    draft.refresh_from_db()
    assert draft.status == DraftStatus.REJECTED
    listing = provider_client.get(reverse("contracts:import_list")).content.decode()
    assert "合同.txt" in listing and "已驳回" in listing


@pytest.mark.django_db
def test_api_round_trip(world, login):
    client = login(world.admin_a)
    content = base64.b64encode(docx_bytes(_text(world))).decode()
    response = client.post(
        "/api/contracts/import/drafts",
        {"filename": "合同.docx", "content_base64": content},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["number"] == "11N4580043372024116202" and draft["source_format"] == "docx"
    assert draft["review"]["fields"]["number"]["confidence"] >= 0.9
    url = f"/api/contracts/import/drafts/{draft['id']}"
    document = client.get(f"{url}/document").json()
    assert document["import"]["clauses"]["4.4"]["n"] == 24
    data = draft["data"]
    data["signed_on"] = "2023-12-28"
    response = client.put(url, {"data": data}, content_type="application/json")
    assert response.json()["data"]["signed_on"] == "2023-12-28"
    check = client.post(f"{url}/check").json()
    assert any(f["code"] == "totals_disagree" for f in check["findings"])
    response = client.post(f"{url}/approve", {}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "flags_unacknowledged"
    response = client.post(
        f"{url}/approve", {"acknowledged": True}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    contract = Contract.objects.get(pk=response.json()["contract_id"])
    assert str(contract.signed_on) == "2023-12-28"
    assert (
        client.get("/api/contracts/import/drafts?status=approved").json()[0]["contract_id"]
        == contract.pk
    )


@pytest.mark.django_db
def test_rows_are_removed_added_and_typed_from_the_form(world, provider_client):
    _upload(provider_client, "合同.txt", _text(world).encode())
    draft = ContractDraft.objects.get()
    form = {"groups": ["circuits", "price_components"]}
    for index, circuit in enumerate(draft.data["circuits"]):
        for key, value in circuit.items():
            form[f"circuits[{index}].{key}"] = str(value)
    form["circuits[3].remove"] = "1"  # 启浪乡 struck out
    form["circuits[4].a_end"] = "柯坪县人民医院"  # the blank row, filled in
    form["circuits[4].z_end"] = "县疾控中心"
    form["circuits[4].bandwidth_mbps"] = "50"
    form["circuits[4].monthly_fee"] = "¥1,000"
    form["price_components[0].name"] = "云服务器费用"
    form["price_components[0].amount"] = "492000"
    form["price_components[0].period"] = "year"
    form["price_components[0].quantity"] = "1"
    # price_components[0].tax_included left unticked: 不含税
    provider_client.post(reverse("contracts:import_save", kwargs={"pk": draft.pk}), form)
    draft.refresh_from_db()
    assert [c["z_end"] for c in draft.data["circuits"]] == [
        "盖孜力克镇卫生院",
        "阿恰勒镇卫生院",
        "玉尔其乡卫生院",
        "县疾控中心",
    ]
    assert draft.data["circuits"][3]["bandwidth_mbps"] == 50
    assert draft.data["circuits"][3]["monthly_fee"] == "1000"
    assert draft.data["price_components"] == [
        {
            "name": "云服务器费用",
            "amount": "492000",
            "period": "year",
            "quantity": "1",
            "tax_included": False,
        }
    ]
