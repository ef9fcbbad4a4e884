"""End of service (6.5) and the deletion record (6.6), run through with time moved:
export during the buffer, purge at its end by the worker's job, nothing left after."""

import hashlib
import io
import json
import os
import subprocess
import zipfile

import pytest
from django.apps import apps

from yiyun.contracts.models import OpenParameter
from yiyun.contracts.services import open_parameter_set
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.audit import audit_record, audit_verify
from yiyun.core.errors import DomainError
from yiyun.core.models import AuditEntry
from yiyun.datalife import jobs
from yiyun.datalife.backups import backup_policy_create, data_set_create, data_set_directory
from yiyun.datalife.choices import ExportState, RunResult, ServiceEndReason, ServiceEndState
from yiyun.datalife.endofservice import (
    deletion_record_content_hash,
    export_request,
    service_end_purge,
    service_end_start,
)
from yiyun.datalife.models import DeletionRecord, ExportArchive, ServiceEnd
from yiyun.datalife.restic import Restic, ResticError
from yiyun.datalife.tests.fixtures import datalife_dirs  # noqa: F401
from yiyun.notices.models import InboxMessage
from yiyun.notices.services import inbox_send
from yiyun.obligations.selectors import obligations_for
from yiyun.obligations.services import tick
from yiyun.obligations.tests.helpers import at, bj

pytestmark = pytest.mark.usefixtures("datalife_dirs")

# Business data that must be nowhere after the purge: files, rows, archives, backups.
MARKER = "患者王某某-ID-7731"


@pytest.fixture
def hospital(world):
    """The seed contract with customer A, 30 days' buffer agreed, data backed up daily."""
    with at(2026, 10, 1, 9):
        contract = seed_contract(world)
        open_parameter_set(
            parameter=OpenParameter.objects.get(contract=contract, key="buffer_period_days"),
            value="30",
            by=world.provider_admin,
        )
        data_set = data_set_create(
            organisation=world.customer_a, name="HIS", path="his", by=world.admin_a
        )
        directory = data_set_directory(data_set)
        (directory / "visits.csv").write_text(f"姓名,诊断\n{MARKER},高血压\n", encoding="utf-8")
        (directory / "pacs").mkdir()
        (directory / "pacs" / "ct-001.dcm").write_bytes(MARKER.encode() + bytes(4096))
        (directory / "pacs" / "photo.jpg").write_bytes(os.urandom(70_000))  # incompressible
        backup_policy_create(
            organisation=world.customer_a,
            name="每日",
            data_sets=[data_set],
            keep_daily=7,
            by=world.admin_a,
        )
        inbox_send(recipients=[world.admin_a.person], subject=f"复诊提醒 {MARKER}")
    return contract, data_set


def _files_containing(root, needle: bytes) -> list[str]:
    return [str(path) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


def test_clause_6_5_end_of_service_export_purge_and_deletion_record(
    world, hospital, login, tmp_path
):
    contract, data_set = hospital
    with at(2026, 10, 1, 10):
        jobs.run_backups()
    with at(2026, 10, 2, 10):
        jobs.run_backups()
    (first, second) = data_set.runs.order_by("started_at")
    assert first.result == second.result == RunResult.OK
    pre_purge_snapshot = first.snapshot_id

    # The provider ends the service for arrears; the buffer is the contract's 30 days.
    with at(2026, 10, 10, 10):
        service_end = service_end_start(
            contract=contract, reason=ServiceEndReason.ARREARS, by=world.provider_admin
        )
    assert service_end.buffer_n == 30
    # Civil Code art. 201: counting starts 10-11; the 30th day is 11-09, ending at 24:00.
    assert service_end.buffer_ends_at == bj(2026, 11, 10, 0, 0)
    rules = {o.rule: o for o in obligations_for(service_end)}
    assert set(rules) == {"6.5.buffer", "6.5", "6.6"}
    assert rules["6.5"].due_at == bj(2026, 11, 11, 0, 0)  # 24 h after the buffer ends
    assert InboxMessage.objects.filter(
        recipient=world.admin_a.person, source=f"datalife:service_end:{service_end.pk}"
    ).exists()

    # The audit log holds customer data too (a changed phone number, say).
    audit_record(
        actor=world.admin_a, action="test.phone", organisation=world.customer_a, data={"p": MARKER}
    )
    other = audit_record(
        actor=world.admin_b, action="test.phone", organisation=world.customer_b, data={"p": "9"}
    )

    # During the buffer: the customer exports; the archive carries a manifest of hashes.
    with at(2026, 10, 20, 15):
        export = export_request(organisation=world.customer_a, by=world.admin_a)
        jobs.build_exports()
        # Too early to purge, by hand or by the worker.
        with pytest.raises(DomainError):
            service_end_purge(service_end=service_end)
        jobs.run_end_of_service()
    export.refresh_from_db()
    assert export.state == ExportState.READY and export.service_end == service_end
    response = login(world.admin_a).get(f"/datalife/exports/{export.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == export.sha256
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(archive.read("manifest.json"))
    names = {entry["name"]: entry for entry in manifest["files"]}
    assert {"data/HIS/visits.csv", "data/HIS/pacs/ct-001.dcm"} <= set(names)
    assert "records/datalife/backup_runs.json" in names
    # What does not compress is stored as is; the rest is deflated.
    assert archive.getinfo("data/HIS/pacs/photo.jpg").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("data/HIS/pacs/ct-001.dcm").compress_type == zipfile.ZIP_DEFLATED
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert MARKER in archive.read("data/HIS/visits.csv").decode()
    assert login(world.admin_b).get(f"/datalife/exports/{export.pk}/download/").status_code == 404
    assert ServiceEnd.objects.get(pk=service_end.pk).state == ServiceEndState.BUFFER

    # The buffer is over: the worker's pass purges and issues the deletion record.
    with at(2026, 11, 10, 0, 30):
        jobs.run_end_of_service()
        tick(now=bj(2026, 11, 10, 0, 30))
    service_end.refresh_from_db()
    assert service_end.state == ServiceEndState.PURGED, service_end.purge_error
    record = DeletionRecord.objects.get(service_end=service_end)
    assert record.content_hash == deletion_record_content_hash(record)
    whats = " ".join(item["what"] for item in record.items)
    assert "在线数据集“HIS”：3 个文件" in whats
    assert "restic 备份快照 2 个" in whats
    # The other apps' hooks ran: the marked inbox message went with the notices app's.
    assert any(item["app"] == "notices" and "站内信" in item["what"] for item in record.items)
    [audit_item] = [item for item in record.items if item["where"] == "core_auditentry"]
    assert audit_item["count"] >= 1
    restic_item = next(item for item in record.items if "restic" in item["what"])
    assert "no matching ID found" in restic_item["verified"]
    assert {o.rule: o.state for o in obligations_for(service_end)} == {
        "6.5.buffer": "met",
        "6.5": "met",
        "6.6": "met",
    }

    # Nothing of the customer's business data can be found any more ...
    assert not data_set_directory(data_set).exists()
    assert _files_containing(tmp_path, MARKER.encode()) == []
    assert not InboxMessage.objects.filter(subject__contains=MARKER).exists()
    assert _rows_containing(MARKER) == []
    # The audit log lost the customer's data, not the other customer's, and still holds.
    assert AuditEntry.objects.get(pk=other.pk).data == {"p": "9"}
    assert audit_verify().ok
    assert ExportArchive.objects.get(pk=export.pk).state == ExportState.PURGED
    assert login(world.admin_a).get(f"/datalife/exports/{export.pk}/download/").status_code == 404
    with pytest.raises(DomainError):
        export_request(organisation=world.customer_a, by=world.admin_a)
    # ... and no restore brings it back: restic no longer knows the snapshot.
    restic = Restic(world.customer_a.pk)
    assert restic.snapshots() == []
    with pytest.raises(ResticError, match="no matching ID found"):
        restic.restore(pre_purge_snapshot, tmp_path / "attempt")
    assert list((tmp_path / "attempt").rglob("*")) == []

    # The record, as a page and as a PDF, for the customer and not for anyone else.
    page = login(world.admin_a).get(f"/datalife/deletion-records/{record.pk}/")
    assert page.status_code == 200 and "内容完整" in page.content.decode()
    assert login(world.admin_b).get(f"/datalife/deletion-records/{record.pk}/").status_code == 404
    pdf = login(world.admin_a).get(f"/datalife/deletion-records/{record.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "数据删除记录" in text and world.customer_a.name in text
    assert record.content_hash in text.replace("\n", "")


def _rows_containing(needle: str) -> list[str]:
    """Every table of every app, every text and JSON column: where does `needle` occur?"""
    from django.db import models

    found = []
    for model in apps.get_models():
        columns = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if columns:
            for row in model.objects.values_list(*columns):
                if needle in json.dumps(row, ensure_ascii=False, default=str):
                    found.append(model._meta.label)
    return found


@pytest.mark.django_db(transaction=True)
def test_clause_6_5_the_purge_reaches_the_platform_database_backups(world, hospital, tmp_path):
    # Outside a test transaction, as the worker runs: the platform database is copied.
    contract, _data_set = hospital
    with at(2026, 10, 1, 9):
        platform = data_set_create(
            organisation=world.provider,
            name="平台数据库",
            kind="platform_database",
            by=world.provider_admin,
        )
        backup_policy_create(
            organisation=world.provider, name="平台", data_sets=[platform], by=world.provider_admin
        )
    with at(2026, 10, 1, 10):
        jobs.run_backups()
    (before,) = platform.runs.all()
    assert before.result == RunResult.OK, before.error
    provider_restic = Restic(world.provider.pk)
    provider_restic.restore(before.snapshot_id, tmp_path / "before")
    # The check can fail: the platform database backup holds the customer's rows.
    assert _files_containing(tmp_path / "before", MARKER.encode())
    assert _rows_containing(MARKER) == ["notices.InboxMessage"]

    with at(2026, 10, 13, 9):  # a Tuesday
        service_end = service_end_start(
            contract=contract, reason="arrears", by=world.provider_admin, buffer_days=1
        )
    with at(2026, 10, 15, 1):
        jobs.run_end_of_service()
    service_end.refresh_from_db()
    assert service_end.state == ServiceEndState.PURGED, service_end.purge_error
    assert _rows_containing(MARKER) == []
    # The old platform snapshot is gone; the one taken after the purge lacks the rows.
    with pytest.raises(ResticError, match="no matching ID found"):
        provider_restic.restore(before.snapshot_id, tmp_path / "again")
    (after,) = provider_restic.snapshots()
    provider_restic.restore(after["id"], tmp_path / "after")
    assert list((tmp_path / "after").iterdir())
    assert _files_containing(tmp_path / "after", MARKER.encode()) == []
    record = DeletionRecord.objects.get(service_end=service_end)
    assert any("平台数据库" in item["what"] for item in record.items)
