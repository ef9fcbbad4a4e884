"""Acceptance signatures (1.3): only the authorised representatives, signed in; the PDF and
its SHA-256; the cloud app's allocation as evidence."""

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiyun.contracts.acceptance import (
    acceptance_cloud_check,
    acceptance_conclude,
    acceptance_pdf_verify,
    acceptance_record_create,
    acceptance_sign,
)
from yiyun.contracts.choices import AcceptanceStage
from yiyun.contracts.models import AcceptanceCriterion, AcceptanceSignature
from yiyun.contracts.tests.acceptance_helpers import acceptance_round
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.obligations.tests.helpers import at, bj
from yiyun.tenancy.choices import Role
from yiyun.testing.fixtures import make_user


@pytest.fixture
def contract(world):
    with at(2024, 1, 5, 9):
        return seed_contract(world)


@pytest.fixture
def concluded(contract, world):
    return acceptance_round(contract, world, day=(2024, 3, 1), failing={5}, sign=False)


def test_clause_1_3_signature_by_unauthorised_users_refused(concluded, world, login):
    assert concluded.stage == AcceptanceStage.CONCLUDED
    refused = [
        (world.provider_admin, "customer"),  # manages the customer, but is not the customer
        (world.admin_a, "provider"),
        (world.engineer, "provider"),  # provider staff, not its admin nor designated
        (world.member_a, "customer"),
        (world.auditor_a, "customer"),
        (world.admin_b, "customer"),  # another customer's admin
        (world.other_provider_admin, "provider"),
    ]
    with at(2024, 3, 1, 12):
        for user, party in refused:
            with pytest.raises(PermissionDenied):
                acceptance_sign(record=concluded, party=party, by=user)
    assert not AcceptanceSignature.objects.exists()
    assert not AuditEntry.objects.filter(action="contract.acceptance_signed").exists()

    # The API says 403; the page says why.
    url = f"/api/contracts/acceptance/{concluded.pk}/sign"
    with at(2024, 3, 1, 12):
        response = login(world.provider_admin).post(
            url, json.dumps({"party": "customer"}), content_type="application/json"
        )
        assert response.status_code == 403
        page = login(world.provider_admin).post(
            reverse("contracts:acceptance_sign", kwargs={"pk": concluded.pk}),
            {"party": "customer"},
            follow=True,
        )
    assert "只有甲方的授权代表本人登录后才能签字" in page.content.decode()
    assert not AcceptanceSignature.objects.exists()

    # The customer's admin signs for the customer, through the API: time and audit entry.
    with at(2024, 3, 1, 12, 5):
        response = login(world.admin_a).post(
            url, json.dumps({"party": "customer"}), content_type="application/json"
        )
    assert response.status_code == 201, response.content
    signature = AcceptanceSignature.objects.get()
    assert signature.signed_at == bj(2024, 3, 1, 12, 5)
    assert signature.person == world.admin_a.person
    assert signature.content_sha256 == concluded.content_sha256
    entry = AuditEntry.objects.get(action="contract.acceptance_signed")
    assert entry.actor == "a-admin" and entry.data["content_sha256"] == concluded.content_sha256
    with at(2024, 3, 1, 12, 6), pytest.raises(DomainError) as twice:
        acceptance_sign(record=concluded, party="customer", by=world.admin_a)
    assert twice.value.code == "already_signed"


def test_clause_1_3_designated_representative_signs_instead_of_the_admin(contract, world):
    finance = make_user(world.customer_a, Role.CUSTOMER_MEMBER, "a-rep")
    record = acceptance_round(
        contract,
        world,
        day=(2024, 3, 1),
        sign=False,
        customer_representative=finance.person,
    )
    with at(2024, 3, 1, 12):
        with pytest.raises(PermissionDenied):
            acceptance_sign(record=record, party="customer", by=world.admin_a)
        acceptance_sign(record=record, party="customer", by=finance)
        acceptance_sign(record=record, party="provider", by=world.provider_admin)
    record.refresh_from_db()
    assert record.stage == AcceptanceStage.SIGNED


def test_clause_1_3_changed_content_cannot_be_signed(concluded, world):
    # Someone edits a concluded record behind the platform's back: nobody can sign it.
    AcceptanceCriterion.objects.filter(record=concluded, position=5).update(passed=True)
    with at(2024, 3, 1, 12), pytest.raises(DomainError) as refused:
        acceptance_sign(record=concluded, party="customer", by=world.admin_a)
    assert refused.value.code == "content_changed"


def test_clause_1_3_signed_record_pdf_with_verifiable_sha256(concluded, world, login):
    with at(2024, 3, 1, 12):
        acceptance_sign(record=concluded, party="customer", by=world.admin_a)
        acceptance_sign(record=concluded, party="provider", by=world.provider_admin)
    concluded.refresh_from_db()
    pdf = bytes(concluded.pdf)
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == concluded.pdf_sha256
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "record.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    # Table cells wrap: compare without white space.
    text = "".join(text.split())
    for expected in (
        "验收记录单",
        "11N4580043372024116202",
        "柯坪县人民医院信息科机房",
        "不合格",
        "电路带宽未达到",
        "a-admin",
        "p-admin",
        "2024-03-0112:00:00",
    ):
        assert expected in text, expected
    assert "草稿" not in text

    check = acceptance_pdf_verify(record=concluded, data=pdf)
    assert check.matches and check.stored_intact
    tampered = pdf.replace(b"%PDF", b"%PDF ", 1)
    assert acceptance_pdf_verify(record=concluded, data=tampered).matches is False

    client = login(world.auditor_a)  # auditors may check (a read)
    response = client.get(reverse("contracts:acceptance_pdf", kwargs={"pk": concluded.pk}))
    assert response.status_code == 200 and response.content == pdf
    api = client.get(
        f"/api/contracts/acceptance/{concluded.pk}/verify", {"sha256": concluded.pdf_sha256}
    )
    assert api.json() == {
        "signed": True,
        "stored_intact": True,
        "matches": True,
        "sha256": concluded.pdf_sha256,
    }
    upload = SimpleUploadedFile("copy.pdf", tampered, content_type="application/pdf")
    page = client.post(
        reverse("contracts:acceptance_verify", kwargs={"pk": concluded.pk}),
        {"file": upload},
        follow=True,
    )
    assert "不一致" in page.content.decode()


@pytest.mark.usefixtures("libvirt_test")
def test_clause_1_3_entitlement_checked_against_the_cloud_allocation(world):
    from yiyun.cloud.tests.factories import a_host, a_server, contract_for, small_entitlement

    with at(2024, 1, 5, 9):
        contract = contract_for(
            world.customer_a, world.provider, entitlements=small_entitlement(storage="0.05")
        )
        host = a_host(world.provider, pool=False)
        # 8 cores and 16 GiB allocated in full; system disks 2 × 20 GiB of 102.4.
        for _ in range(2):
            a_server(contract, host, vcpu=4, memory_gib=8, system_disk_gib=20, data=(10,))
    with at(2024, 3, 1, 10):
        record = acceptance_record_create(
            contract=contract,
            held_at=bj(2024, 3, 1, 9),
            place="机房",
            customer_participants="信息科",
            provider_participants="客户经理",
            by=world.admin_a,
        )
        assert acceptance_cloud_check(record=record, by=world.provider_admin) == 4
    results = {c.key: c for c in record.criteria.filter(source="entitlement")}
    assert results["vcpu"].passed and "8 core" in results["vcpu"].measured
    assert results["memory"].passed
    # 0.1 TiB = 102.4 GiB of system disk entitled; 40 GiB allocated.
    assert results["system_disk"].passed is False
    assert "40" in results["system_disk"].problems and "102.4" in results["system_disk"].problems
    # Circuits are judged by the people testing them.
    assert not record.criteria.filter(source="circuit", passed__isnull=False).exists()
    with at(2024, 3, 1, 11), pytest.raises(DomainError):
        acceptance_conclude(record=record, by=world.admin_a)


from yiyun.cloud.tests.factories import libvirt_test_fixture  # noqa: E402, F401
