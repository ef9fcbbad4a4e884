"""The disclosure register (6.3): recorded once, seen by its customer only, annotated."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from yiyun.core import clock
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.datalife.models import Disclosure, DisclosureAnnotation
from yiyun.datalife.services import (
    disclosure_annotate,
    disclosure_content_hash,
    disclosure_record,
)
from yiyun.datalife.tests.factories import a_disclosure
from yiyun.notices.models import InboxMessage


def _entry(organisation, **overrides):
    fields = {
        "organisation": organisation,
        "basis": "6.3.2",
        "authority": "阿克苏地区卫生健康委员会",
        "document_number": "",
        "legal_basis": "双方书面约定：医共体统计报送",
        "scope": {"data_sets": ["his"], "from": "2026-01-01", "to": "2026-06-30"},
        "approved_by": "张主任",
        "handed_over_at": clock.now(),
        "files": [{"name": "stats.xlsx", "sha256": "a" * 64, "size": 1024}],
        "source": "manual",
    }
    return disclosure_record(**{**fields, **overrides})


def test_clause_6_3_an_export_records_an_entry_the_customer_sees_and_no_one_else(world, login):
    # What an exporting app (the access-log archive) does: one service call.
    exported = b"client_ip,time\n10.1.2.3,2026-11-01T10:00:00+08:00\n"
    entry = disclosure_record(
        organisation=world.customer_a,
        basis="6.3.1",
        authority="柯坪县公安局",
        document_number="柯公(网)调证字〔2026〕17号",
        legal_basis="《网络安全法》第二十八条；《互联网信息服务管理办法》第十四条",
        scope={"data_sets": ["access_logs"], "from": "2026-11-01", "to": "2026-11-02"},
        approved_by=world.admin_a,
        handed_over_at=clock.now(),
        files=[
            {
                "name": "access.csv",
                "sha256": hashlib.sha256(exported).hexdigest(),
                "size": len(exported),
            }
        ],
        source="websites:export:42",
    )
    assert entry.approved_by == "a-admin" and entry.approved_by_user == world.admin_a
    assert entry.content_hash == disclosure_content_hash(entry)
    assert AuditEntry.objects.filter(action="disclosure.recorded", object_id=str(entry.pk)).exists()
    # The customer's admin is told.
    assert InboxMessage.objects.filter(
        recipient=world.admin_a.person, source=f"datalife:disclosure:{entry.pk}"
    ).exists()

    page_a = login(world.admin_a).get(reverse("datalife:disclosures")).content.decode()
    assert "柯坪县公安局" in page_a
    page_b = login(world.admin_b).get(reverse("datalife:disclosures")).content.decode()
    assert "柯坪县公安局" not in page_b
    assert (
        login(world.admin_b).get(reverse("datalife:disclosure", args=[entry.pk])).status_code == 404
    )

    api_a = login(world.admin_a).get("/api/datalife/disclosures").json()
    assert [row["source"] for row in api_a] == ["websites:export:42"]
    assert api_a[0]["files"][0]["sha256"] == hashlib.sha256(exported).hexdigest()
    assert login(world.admin_b).get("/api/datalife/disclosures").json() == []
    assert login(world.auditor_a).get(f"/api/datalife/disclosures/{entry.pk}").status_code == 200


def test_clause_6_3_entries_cannot_be_changed_or_deleted(world):
    entry = a_disclosure(world.customer_a)
    entry.authority = "别的机关"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert Disclosure.objects.get(pk=entry.pk).authority == "柯坪县公安局"


def test_clause_6_3_a_change_behind_the_platforms_back_shows(world, login):
    entry = a_disclosure(world.customer_a)
    url = reverse("datalife:disclosure", args=[entry.pk])
    assert "内容完整" in login(world.admin_a).get(url).content.decode()
    Disclosure.objects.filter(pk=entry.pk).update(authority="别的机关")
    assert "内容与登记时不一致" in login(world.admin_a).get(url).content.decode()


def test_clause_6_3_annotations_add_without_changing_the_entry(world, login):
    entry = a_disclosure(world.customer_a)
    before = entry.content_hash
    response = login(world.admin_a).post(
        reverse("datalife:disclosure_annotate", args=[entry.pk]), {"text": "已与公安局核对"}
    )
    assert response.status_code == 302
    response = login(world.provider_admin).post(
        f"/api/datalife/disclosures/{entry.pk}/annotations",
        data=json.dumps({"text": "移交光盘已签收"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    texts = list(
        DisclosureAnnotation.objects.filter(disclosure=entry).values_list("text", flat=True)
    )
    assert texts == ["已与公安局核对", "移交光盘已签收"]
    entry.refresh_from_db()
    assert entry.content_hash == before == disclosure_content_hash(entry)
    with pytest.raises(ValueError, match="append-only"):
        DisclosureAnnotation.objects.first().delete()
    # An auditor reads but does not annotate; customer B cannot reach it at all.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        disclosure_annotate(disclosure=entry, text="x", by=world.auditor_a)
    with pytest.raises(PermissionDenied):
        disclosure_annotate(disclosure=entry, text="x", by=world.admin_b)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"basis": "6.3.3"}, "basis"),
        ({"basis": "6.3.1", "document_number": ""}, "document_number"),
        ({"authority": " "}, "authority"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"scope": ["his"]}, "scope"),
        ({"files": [{"name": "x", "sha256": "not-a-hash", "size": 1}]}, "files"),
        ({"files": [{"name": "x", "sha256": "b" * 64, "size": -1}]}, "files"),
        ({"files": [{"sha256": "b" * 64, "size": 1}]}, "files"),
        ({"handed_over_at": clock.now() + timedelta(days=3650)}, "handed_over_at"),
        ({"source": ""}, "source"),
    ],
)
def test_clause_6_3_incomplete_entries_are_refused(world, overrides, field):
    with pytest.raises(DomainError) as refused:
        _entry(world.customer_a, **overrides)
    assert refused.value.field == field
    assert not Disclosure.objects.exists()


def test_clause_6_3_2_an_agreed_disclosure_needs_no_document_number(world):
    entry = _entry(world.customer_a)
    assert entry.basis == "6.3.2" and entry.document_number == ""
