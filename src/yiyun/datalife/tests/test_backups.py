"""Backups with the real restic binary (2.11, 6.4): backup, retention, restore drills."""

import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from yiyun.core.errors import DomainError
from yiyun.datalife import conf
from yiyun.datalife.backups import (
    backup_policy_create,
    backup_policy_update,
    backups_run_due,
    data_set_create,
    data_set_directory,
    data_set_item_delete,
    repository_checks_due,
    restore_drill_request,
    restore_drills_run_pending,
)
from yiyun.datalife.choices import DataSetKind, DrillState, PolicyOrigin, RunResult
from yiyun.datalife.models import BackupRun
from yiyun.datalife.restic import Restic
from yiyun.datalife.tests.fixtures import datalife_dirs  # noqa: F401
from yiyun.notices.models import InboxMessage

pytestmark = pytest.mark.usefixtures("datalife_dirs")

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _write(directory, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


@pytest.fixture
def his(world):
    """Customer A's HIS export directory with a few files, and a daily policy over it."""
    with time_machine.travel(START, tick=False):
        data_set = data_set_create(
            organisation=world.customer_a, name="HIS", path="his/exports", by=world.admin_a
        )
        _write(
            data_set_directory(data_set),
            {
                "2026-03-01.csv": "病人,科室\n张三,内科\n".encode(),
                "img/ct-001.dcm": bytes(range(256)) * 64,
            },
        )
        policy = backup_policy_create(
            organisation=world.customer_a,
            name="每日",
            data_sets=[data_set],
            keep_daily=3,
            keep_weekly=0,
            keep_monthly=0,
            by=world.admin_a,
        )
    return data_set, policy


def test_clause_2_11_backup_and_restore_drill_compare_checksums(world, his):
    data_set, policy = his
    with time_machine.travel(START, tick=False):
        (run,) = backups_run_due()
    assert run.result == RunResult.OK, run.error
    assert (
        len(run.snapshot_id) == 64
        and run.files == 2
        and run.size == 16384 + len("病人,科室\n张三,内科\n".encode())
    )
    snapshots = Restic(world.customer_a.pk).snapshots()
    assert [s["id"] for s in snapshots] == [run.snapshot_id]
    assert snapshots[0]["time"].startswith("2026-03-02T02:00:00")  # our clock, not the host's
    # Only the customer's own repository holds it.
    assert conf.repository_for(world.customer_a.pk).endswith(f"org-{world.customer_a.pk}")

    # A drill restores into scratch space and compares every SHA-256 with the manifest.
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        drill = restore_drill_request(run=run, by=world.admin_a)
        (drill,) = restore_drills_run_pending()
    assert drill.state == DrillState.OK, (drill.error, drill.mismatches)
    assert drill.files_compared == 2

    # The drill is a real comparison: the same restore, checked against a tampered
    # manifest, fails.
    manifest_file = (
        conf.work_dir() / "manifests" / f"org-{world.customer_a.pk}" / f"run-{run.pk}.json"
    )
    manifest = json.loads(manifest_file.read_bytes())
    manifest["2026-03-01.csv"]["sha256"] = "0" * 64
    tampered = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode()
    manifest_file.write_bytes(tampered)
    BackupRun.objects.filter(pk=run.pk).update(manifest_sha256=hashlib.sha256(tampered).hexdigest())
    run.refresh_from_db()
    drill = restore_drill_request(run=run, by=world.admin_a)
    (drill,) = restore_drills_run_pending()
    assert drill.state == DrillState.MISMATCH
    assert drill.mismatches == [{"path": "2026-03-01.csv", "problem": "checksum"}]
    assert InboxMessage.objects.filter(
        recipient=world.admin_a.person, source=f"datalife:drill_failed:{drill.pk}"
    ).exists()

    # restic check runs on its schedule.
    with time_machine.travel(START + timedelta(days=2), tick=False):
        (check,) = repository_checks_due()
    assert check.ok


def test_clause_6_4_retention_forgets_old_snapshots(world, his):
    data_set, policy = his
    runs = []
    for day in range(4):
        with time_machine.travel(START + timedelta(days=day), tick=False):
            _write(data_set_directory(data_set), {f"day-{day}.csv": f"{day}\n".encode()})
            runs += backups_run_due()
    assert [run.result for run in runs] == [RunResult.OK] * 4
    # keep-daily 3: the oldest snapshot went, the three newest stay.
    remaining = {s["id"] for s in Restic(world.customer_a.pk).snapshots()}
    assert remaining == {run.snapshot_id for run in runs[1:]}
    forgotten = set(
        BackupRun.objects.filter(forgotten_at__isnull=False).values_list("snapshot_id", flat=True)
    )
    assert forgotten == {runs[0].snapshot_id}
    with pytest.raises(DomainError):
        restore_drill_request(run=BackupRun.objects.get(pk=runs[0].pk), by=world.admin_a)


def test_clause_6_4_a_customer_sets_its_own_rules(world, his):
    _data_set, policy = his
    assert policy.origin == PolicyOrigin.CUSTOMER
    default = backup_policy_create(
        organisation=world.customer_a, name="默认", data_sets=[], by=world.provider_admin
    )
    assert default.origin == PolicyOrigin.PROVIDER_DEFAULT
    assert (default.keep_daily, default.keep_weekly, default.keep_monthly) == (7, 4, 6)
    backup_policy_update(policy=default, keep_monthly=12, by=world.admin_a)
    assert default.origin == PolicyOrigin.CUSTOMER
    with pytest.raises(DomainError):
        backup_policy_update(
            policy=default, keep_daily=0, keep_weekly=0, keep_monthly=0, by=world.admin_a
        )


def test_clause_6_4_deletion_is_immediate_and_shows_when_the_last_copy_expires(world, his):
    data_set, policy = his
    with time_machine.travel(START, tick=False):
        backups_run_due()
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        item = data_set_item_delete(data_set=data_set, path="2026-03-01.csv", by=world.admin_a)
    assert not (data_set_directory(data_set) / "2026-03-01.csv").exists()
    assert len(item.snapshots) == 1
    # keep-daily 3: the copy taken at START lives at most three more days.
    assert item.last_copy_expires_at == START + timedelta(days=3)
    with pytest.raises(DomainError):
        data_set_item_delete(data_set=data_set, path="../../etc/passwd", by=world.admin_a)


def test_data_sets_stay_inside_their_organisations_directory(world):
    for path in ("../org-2/his", "/etc", "a/../../b", ""):
        with pytest.raises(DomainError):
            data_set_create(
                organisation=world.customer_a, name=f"x{path}", path=path, by=world.admin_a
            )
    with pytest.raises(DomainError):
        data_set_create(
            organisation=world.customer_a,
            name="db",
            kind=DataSetKind.PLATFORM_DATABASE,
            by=world.admin_a,
        )


def test_a_failed_backup_is_recorded_and_the_customer_told(world, his):
    data_set, policy = his
    data_set_directory(data_set).rename(data_set_directory(data_set).with_name("moved"))
    with time_machine.travel(START, tick=False):
        (run,) = backups_run_due()
    assert run.result == RunResult.FAILED and run.error
    assert InboxMessage.objects.filter(
        recipient=world.admin_a.person, source=f"datalife:backup_failed:{run.pk}"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_the_platform_database_is_backed_up_consistently(world, tmp_path):
    # Outside a test transaction: the worker copies the database between transactions.
    with time_machine.travel(START, tick=False):
        data_set = data_set_create(
            organisation=world.provider,
            name="平台数据库",
            kind=DataSetKind.PLATFORM_DATABASE,
            by=world.provider_admin,
        )
        backup_policy_create(
            organisation=world.provider, name="平台", data_sets=[data_set], by=world.provider_admin
        )
        (run,) = backups_run_due()
    assert run.result == RunResult.OK, run.error
    target = tmp_path / "restored"
    Restic(world.provider.pk).restore(run.snapshot_id, target)
    restored = list(target.iterdir())
    assert len(restored) == 1
    if restored[0].suffix == ".sqlite3":
        tables = subprocess.run(
            ["sqlite3", str(restored[0]), ".tables"], capture_output=True, text=True, check=False
        )
        import sqlite3

        with sqlite3.connect(restored[0]) as db:
            names = {
                row[0] for row in db.execute("select name from sqlite_master where type='table'")
            }
        assert "tenancy_organisation" in names, tables.stdout
    else:
        assert "CREATE TABLE public.tenancy_organisation" in restored[0].read_text()
