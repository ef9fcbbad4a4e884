"""Small builders for the data lifecycle tests and isolation cases."""

import hashlib

from yiyun.core import clock
from yiyun.datalife.services import disclosure_record


def a_disclosure(organisation, *, approved_by="张主任", authority="柯坪县公安局", source="manual"):
    content = b"2026-11-01 10.0.0.1 GET /index.html\n"
    return disclosure_record(
        organisation=organisation,
        basis="6.3.1",
        authority=authority,
        document_number="柯公(网)调证字〔2026〕17号",
        legal_basis="《网络安全法》第二十八条",
        scope={"data_sets": ["access_logs"], "from": "2026-11-01", "to": "2026-11-02"},
        approved_by=approved_by,
        handed_over_at=clock.now(),
        files=[
            {
                "name": "access-2026-11-01.csv",
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
            }
        ],
        source=source,
    )


def isolated_dirs() -> None:
    """Point the data lifecycle's directories at a temporary place when no test setting
    does (the tenant-isolation test runs with the project's settings): nothing in var/."""
    import atexit
    import os
    import shutil
    import tempfile

    if "YIYUN_DATALIFE_DIR" not in os.environ:
        base = tempfile.mkdtemp(prefix="yy-datalife-")
        atexit.register(shutil.rmtree, base, True)
        os.environ["YIYUN_DATALIFE_DIR"] = f"{base}/work"
        os.environ["YIYUN_CUSTOMER_DATA"] = f"{base}/customer-data"
        os.environ["YIYUN_BACKUP_REPOSITORY"] = f"{base}/backups"


def a_data_set(organisation, name="HIS"):
    from yiyun.datalife.models import DataSet

    # A row only: the isolation cases need no directory on disk.
    return DataSet.objects.create(
        organisation=organisation, name=name, path=name.lower(), created_at=clock.now()
    )


def a_policy(organisation, name="每日备份"):
    from yiyun.datalife.backups import backup_policy_create

    return backup_policy_create(
        organisation=organisation, name=name, data_sets=[a_data_set(organisation)], by="test"
    )


def a_run(organisation, snapshot_id="f" * 64):
    from yiyun.datalife.choices import RunResult
    from yiyun.datalife.models import BackupRun

    policy = a_policy(organisation)
    return BackupRun.objects.create(
        policy=policy,
        data_set=policy.data_sets.get(),
        organisation=organisation,
        started_at=clock.now(),
        finished_at=clock.now(),
        result=RunResult.OK,
        snapshot_id=snapshot_id,
        files=1,
        size=1,
    )


def a_service_end(world):
    from yiyun.contracts.tests.factories import seed_contract
    from yiyun.datalife.endofservice import service_end_start

    contract = seed_contract(world)
    return service_end_start(contract=contract, reason="arrears", by="test", buffer_days=30)


def a_ready_export(organisation):
    from yiyun.datalife.choices import ExportState
    from yiyun.datalife.endofservice import export_file, export_request

    isolated_dirs()
    export = export_request(organisation=organisation, by="test")
    export.state, export.file_name = ExportState.READY, f"export-{export.pk}.zip"
    path = export_file(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    export.size, export.sha256 = 22, hashlib.sha256(path.read_bytes()).hexdigest()
    export.save()
    return export


def a_deletion_record(world):
    from yiyun.datalife.endofservice import deletion_record_content_hash
    from yiyun.datalife.models import DeletionRecord

    service_end = a_service_end(world)
    record = DeletionRecord(
        organisation=service_end.organisation,
        service_end=service_end,
        issued_at=clock.now(),
        issued_by="test",
        items=[
            {
                "app": "datalife",
                "what": "在线数据集“HIS”：0 个文件",
                "where": "/srv/his",
                "when": clock.now().isoformat(),
                "by": "test",
                "verified": "目录已不存在",
            }
        ],
    )
    record.content_hash = deletion_record_content_hash(record)
    record.save()
    return record
