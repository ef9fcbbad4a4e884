"""Backups with restic (2.11, 6.4): data sets, policies, runs, retention, restore drills,
repository checks, and the customer's deletion of online data.

Long work (restic itself) never runs inside a database transaction: a run's row is
written first (RUNNING), restic runs, then the row is finished. `yiyun worker` calls the
`*_due` / `*_pending` functions (see apps.py); each claims its rows with a conditional
UPDATE so several workers never run the same thing twice.
"""

import hashlib
import json
import logging
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.core.periods import add_months
from yiyun.datalife import conf
from yiyun.datalife.choices import DataSetKind, DrillState, PolicyOrigin, RunResult
from yiyun.datalife.models import (
    BackupPolicy,
    BackupRun,
    DataSet,
    DeletedItem,
    RepositoryCheck,
    RestoreDrill,
)
from yiyun.datalife.restic import Restic, ResticError
from yiyun.datalife.services import actor_label, customer_contacts
from yiyun.tenancy.choices import OrganisationKind
from yiyun.tenancy.models import Organisation
from yiyun.tenancy.selectors import can_manage, is_read_only, person_of

log = logging.getLogger("yiyun.datalife")

# 6.4: the provider's default backup rules, until the customer sets its own.
DEFAULT_RETENTION = {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6}
DEFAULT_INTERVAL_HOURS = 24
MAX_MISMATCHES = 100


def default_retention() -> dict:
    return {**DEFAULT_RETENTION, **getattr(settings, "DATALIFE_DEFAULT_RETENTION", {})}


def _require_manage(by, organisation: Organisation) -> None:
    if by is None or isinstance(by, str):
        return  # the system, the worker
    if is_read_only(by) or not can_manage(by, organisation):
        raise PermissionDenied("you may not change this organisation's backups")


def _require_write(by, organisation: Organisation) -> None:
    """Customers' members and provider staff act on their own data; auditors never."""
    if by is None or isinstance(by, str):
        return
    from yiyun.tenancy.selectors import visible_organisations

    if is_read_only(by) or not visible_organisations(by).filter(pk=organisation.pk).exists():
        raise PermissionDenied("read-only account")


# -- data sets ----------------------------------------------------------------------------


def _clean_relative(path: str) -> str:
    """A path inside the organisation's data directory: relative, no "..", no surprises."""
    text = (path or "").strip()
    if text.startswith("/") or "\\" in text:
        raise DomainError(_("目录必须是单位数据目录下的相对路径"), field="path")
    pure = PurePosixPath(text.rstrip("/"))
    if not str(pure) or str(pure) == "." or any(part in ("..", "") for part in pure.parts):
        raise DomainError(_("目录必须是单位数据目录下的相对路径"), field="path")
    if "\x00" in str(pure):
        raise DomainError(_("目录含有非法字符"), field="path")
    return str(pure)


def data_set_directory(data_set: DataSet) -> Path:
    """The data set's directory, checked to lie inside its organisation's data directory."""
    base = conf.organisation_data_dir(data_set.organisation_id).resolve()
    directory = (base / data_set.path).resolve()
    if directory != base and base not in directory.parents:
        raise DomainError(_("目录超出本单位数据目录"), field="path")
    return directory


@transaction.atomic
def data_set_create(
    *, organisation: Organisation, name: str, kind: str = DataSetKind.PATH, path: str = "", by=None
) -> DataSet:
    """Register a data set to back up. A PATH is a directory under the organisation's data
    directory (created when missing); PLATFORM_DATABASE is the provider's alone, since the
    platform database holds every customer's rows."""
    _require_manage(by, organisation)
    if kind == DataSetKind.PLATFORM_DATABASE:
        if organisation.kind != OrganisationKind.PROVIDER:
            raise DomainError(_("平台数据库只能由服务方备份"), field="kind", code="not_provider")
        path = ""
    elif kind == DataSetKind.PATH:
        path = _clean_relative(path)
    else:
        raise DomainError(f"unknown kind {kind!r}", field="kind")
    if DataSet.objects.filter(organisation=organisation, name=name).exists():
        raise DomainError(_("同名数据集已存在"), field="name", code="duplicate")
    data_set = DataSet.objects.create(
        organisation=organisation, name=name, kind=kind, path=path, created_at=clock.now()
    )
    if kind == DataSetKind.PATH:
        data_set_directory(data_set).mkdir(parents=True, exist_ok=True)
    audit_record(
        actor=by,
        action="dataset.created",
        obj=data_set,
        organisation=organisation,
        data={"name": name, "kind": kind, "path": path},
    )
    return data_set


# -- policies -----------------------------------------------------------------------------


def _check_retention(values: dict) -> None:
    for key in ("keep_daily", "keep_weekly", "keep_monthly"):
        value = values.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
            raise DomainError(_("保留份数必须是 0–1000 的整数"), field=key)
    if not any(values[key] for key in ("keep_daily", "keep_weekly", "keep_monthly")):
        raise DomainError(_("至少保留一份备份"), field="keep_daily", code="keeps_nothing")
    interval = values.get("interval_hours")
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 24 * 31:
        raise DomainError(_("备份间隔必须是 1–744 小时"), field="interval_hours")


def _origin_of(by) -> str:
    person = person_of(by) if by is not None and not isinstance(by, str) else None
    if person is not None and person.organisation.kind == OrganisationKind.CUSTOMER:
        return PolicyOrigin.CUSTOMER
    return PolicyOrigin.PROVIDER_DEFAULT


@transaction.atomic
def backup_policy_create(
    *,
    organisation: Organisation,
    name: str,
    data_sets: list[DataSet],
    interval_hours: int = DEFAULT_INTERVAL_HOURS,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    keep_monthly: int | None = None,
    by=None,
) -> BackupPolicy:
    """A backup policy over `data_sets` of `organisation`; retention left out takes the
    provider's default (6.4). The first run is due at once."""
    _require_manage(by, organisation)
    defaults = default_retention()
    values = {
        "interval_hours": interval_hours,
        "keep_daily": defaults["keep_daily"] if keep_daily is None else keep_daily,
        "keep_weekly": defaults["keep_weekly"] if keep_weekly is None else keep_weekly,
        "keep_monthly": defaults["keep_monthly"] if keep_monthly is None else keep_monthly,
    }
    _check_retention(values)
    if any(data_set.organisation_id != organisation.pk for data_set in data_sets):
        raise DomainError(_("数据集属于其他单位"), field="data_sets")
    given = {
        k: v
        for k, v in (
            ("keep_daily", keep_daily),
            ("keep_weekly", keep_weekly),
            ("keep_monthly", keep_monthly),
        )
        if v is not None
    }
    now = clock.now()
    policy = BackupPolicy.objects.create(
        organisation=organisation,
        name=name,
        origin=_origin_of(by) if given else PolicyOrigin.PROVIDER_DEFAULT,
        next_run_at=now,
        next_check_at=now + timedelta(hours=24),
        created_at=now,
        **values,
    )
    policy.data_sets.set(data_sets)
    audit_record(
        actor=by,
        action="backup_policy.created",
        obj=policy,
        organisation=organisation,
        data={**values, "data_sets": [d.pk for d in data_sets], "origin": policy.origin},
    )
    return policy


@transaction.atomic
def backup_policy_update(*, policy: BackupPolicy, by=None, **changes) -> BackupPolicy:
    """Change when and how long a policy keeps backups (6.4: the customer's own rules).

    Accepts interval_hours, keep_daily, keep_weekly, keep_monthly, enabled. A customer's
    change makes the policy the customer's (`origin`).
    """
    _require_manage(by, policy.organisation)
    allowed = {"interval_hours", "keep_daily", "keep_weekly", "keep_monthly", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(f"cannot change {', '.join(sorted(unknown))}")
    before = {field: getattr(policy, field) for field in changes}
    for field, value in changes.items():
        setattr(policy, field, value)
    _check_retention(
        {
            f: getattr(policy, f)
            for f in ("interval_hours", "keep_daily", "keep_weekly", "keep_monthly")
        }
    )
    changed = {f: [before[f], v] for f, v in changes.items() if before[f] != v}
    if changed:
        if set(changed) & {"keep_daily", "keep_weekly", "keep_monthly", "interval_hours"}:
            policy.origin = _origin_of(by)
        policy.save()
        audit_record(
            actor=by,
            action="backup_policy.updated",
            obj=policy,
            organisation=policy.organisation,
            data={**changed, "origin": policy.origin},
        )
    return policy


@transaction.atomic
def backup_policy_run_now(*, policy: BackupPolicy, by) -> BackupPolicy:
    """Ask the worker to run the policy at its next pass."""
    _require_write(by, policy.organisation)
    policy.next_run_at = clock.now()
    policy.save(update_fields=["next_run_at"])
    audit_record(
        actor=by, action="backup_policy.run_requested", obj=policy, organisation=policy.organisation
    )
    return policy


# -- runs ---------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_manifest(directory: Path) -> dict[str, dict]:
    """{relative path: {"sha256", "size"}} of every regular file under `directory`."""
    manifest = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            manifest[path.relative_to(directory).as_posix()] = {
                "sha256": _sha256_file(path),
                "size": path.stat().st_size,
            }
    return manifest


def _manifest_path(run: BackupRun) -> Path:
    return conf.work_dir() / "manifests" / f"org-{run.organisation_id}" / f"run-{run.pk}.json"


def _staging_dir(data_set: DataSet) -> Path:
    return (
        conf.work_dir() / "staging" / f"org-{data_set.organisation_id}" / f"dataset-{data_set.pk}"
    )


def platform_database_copy(target: Path) -> Path:
    """A consistent copy of the platform's own database in `target`.

    SQLite: the sqlite3 online-backup API (a consistent copy while the web server and
    worker keep writing), then VACUUM of the copy so no deleted row survives in it. PostgreSQL: `pg_dump` (plain SQL, no owners) with the
    connection's own parameters; it must be installed (postgresql-client) and match the
    server's major version.
    """
    target.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        if connection.in_atomic_block:
            # The online-backup API waits forever for a transaction of its own connection.
            raise DomainError(
                "the platform database is copied outside a transaction", code="in_transaction"
            )
        connection.ensure_connection()
        copy = target / "yiyun.sqlite3"
        copy.unlink(missing_ok=True)
        destination = sqlite3.connect(copy)
        try:
            connection.connection.backup(destination)
            # The online-backup API copies free pages too, where deleted rows linger:
            # rebuilt, the copy holds live rows only (what a purge relies on, 6.5).
            destination.execute("VACUUM")
        finally:
            destination.close()
        return copy
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise DomainError(
                _("未安装 pg_dump（postgresql-client），无法备份平台数据库"), code="no_pg_dump"
            )
        dump = target / "yiyun.sql"
        env = {
            "PATH": "/usr/bin:/bin",
            "PGPASSWORD": params.get("PASSWORD") or "",
            "LC_ALL": "C.UTF-8",
        }
        command = [
            pg_dump,
            "--no-owner",
            "--no-privileges",
            "--file",
            str(dump),
            "--dbname",
            params["NAME"],
        ]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if params.get(key):
                command += [flag, str(params[key])]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise DomainError(
                f"pg_dump failed: {result.stderr.strip()[-500:]}", code="pg_dump_failed"
            )
        return dump
    raise DomainError(f"cannot back up a {connection.vendor} database", code="unsupported_database")


def _source_directory(data_set: DataSet) -> Path:
    if data_set.kind == DataSetKind.PLATFORM_DATABASE:
        staging = _staging_dir(data_set)
        shutil.rmtree(staging, ignore_errors=True)
        platform_database_copy(staging)
        return staging
    directory = data_set_directory(data_set)
    if not directory.is_dir():
        raise DomainError(
            _("数据目录不存在：%(path)s") % {"path": data_set.path}, code="no_directory"
        )
    return directory


def _notify_failure(organisation: Organisation, *, subject: str, body: str, source: str) -> None:
    from yiyun.notices.services import inbox_send

    inbox_send(
        recipients=customer_contacts(organisation),
        subject=subject,
        body=body,
        link=reverse("datalife:backups"),
        source=source,
    )


def _back_up_one(policy: BackupPolicy | None, data_set: DataSet, *, by) -> BackupRun:
    started = clock.now()
    run = BackupRun.objects.create(
        policy=policy,
        data_set=data_set,
        organisation_id=data_set.organisation_id,
        started_at=started,
    )
    restic = Restic(data_set.organisation_id)
    try:
        source = _source_directory(data_set)
        manifest = tree_manifest(source)
        manifest_file = _manifest_path(run)
        manifest_file.parent.mkdir(parents=True, exist_ok=True)
        manifest_bytes = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode()
        manifest_file.write_bytes(manifest_bytes)
        restic.init_once()
        summary = restic.backup(
            source, tags=[data_set.tag, f"org-{data_set.organisation_id}"], at=started
        )
    except (ResticError, DomainError, OSError, sqlite3.Error) as error:
        run.result, run.error, run.finished_at = RunResult.FAILED, str(error)[-4000:], clock.now()
        run.save()
        log.warning("backup of data set %s failed: %s", data_set.pk, str(error)[-300:])
        audit_record(
            actor=by,
            action="backup.failed",
            obj=run,
            organisation=data_set.organisation_id,
            data={"data_set": data_set.pk, "error": run.error[-500:]},
        )
        _notify_failure(
            data_set.organisation,
            subject=_("备份失败：%(name)s") % {"name": data_set.name},
            body=run.error[-1000:],
            source=f"datalife:backup_failed:{run.pk}",
        )
        return run
    finally:
        if data_set.kind == DataSetKind.PLATFORM_DATABASE:
            shutil.rmtree(_staging_dir(data_set), ignore_errors=True)
    run.result = RunResult.OK
    run.snapshot_id = summary.snapshot_id
    run.files, run.size, run.data_added = summary.files, summary.bytes, summary.data_added
    run.duration = summary.duration
    run.manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    run.finished_at = clock.now()
    run.save()
    audit_record(
        actor=by,
        action="backup.completed",
        obj=run,
        organisation=data_set.organisation_id,
        data={
            "data_set": data_set.pk,
            "snapshot": run.snapshot_id,
            "files": run.files,
            "bytes": run.size,
        },
    )
    return run


def retention_apply(*, policy: BackupPolicy, data_set: DataSet, by=None) -> list[str]:
    """`restic forget --prune` with the policy's keep-* rules for one data set (6.4);
    marks the runs whose snapshots went. Returns the removed snapshot ids."""
    restic = Restic(data_set.organisation_id)
    _kept, removed = restic.forget(
        tag=data_set.tag,
        keep_daily=policy.keep_daily,
        keep_weekly=policy.keep_weekly,
        keep_monthly=policy.keep_monthly,
    )
    if removed:
        BackupRun.objects.filter(data_set=data_set, snapshot_id__in=removed).update(
            forgotten_at=clock.now()
        )
        audit_record(
            actor=by,
            action="backup.retention_applied",
            obj=policy,
            organisation=policy.organisation,
            data={"data_set": data_set.pk, "removed": removed, "rules": policy.retention},
        )
    return removed


def backup_policy_run(*, policy: BackupPolicy, by="worker") -> list[BackupRun]:
    """Back up each data set of the policy now, then apply its retention.

    Records each run (snapshot id, files, bytes, duration, result); a failure is recorded
    and the customer's contacts are told. Schedules the next run.
    """
    runs = []
    for data_set in policy.data_sets.filter(purged_at__isnull=True).select_related("organisation"):
        run = _back_up_one(policy, data_set, by=by)
        runs.append(run)
        if run.result == RunResult.OK:
            try:
                retention_apply(policy=policy, data_set=data_set, by=by)
            except ResticError as error:
                log.warning(
                    "retention for data set %s failed: %s", data_set.pk, error.stderr[-300:]
                )
                _notify_failure(
                    policy.organisation,
                    subject=_("备份保留规则执行失败：%(name)s") % {"name": data_set.name},
                    body=error.stderr[-1000:],
                    source=f"datalife:retention_failed:{run.pk}",
                )
    BackupPolicy.objects.filter(pk=policy.pk).update(
        next_run_at=clock.now() + timedelta(hours=policy.interval_hours)
    )
    return runs


def _claim(row, field: str, value) -> bool:
    """Move `field` of `row` to `value` only if nobody else moved it since it was read: a
    conditional UPDATE, so of several workers exactly one claims each row."""
    current = getattr(row, field)
    return bool(type(row).objects.filter(pk=row.pk, **{field: current}).update(**{field: value}))


def backups_run_due(*, now: datetime | None = None) -> list[BackupRun]:
    """The worker's job: run every enabled policy whose next run is due."""
    now = now or clock.now()
    due = BackupPolicy.objects.filter(enabled=True, next_run_at__lte=now).select_related(
        "organisation"
    )
    # Claimed by pushing next_run_at an hour ahead; a finished run sets the real next time.
    runs = []
    for policy in due:
        if _claim(policy, "next_run_at", now + timedelta(hours=1)):
            runs += backup_policy_run(policy=policy)
    return runs


# -- restore drills and checks ------------------------------------------------------------


@transaction.atomic
def restore_drill_request(*, run: BackupRun, by) -> RestoreDrill:
    """Ask for a restore drill of a good run's snapshot; the worker performs it."""
    _require_write(by, run.organisation)
    if run.result != RunResult.OK or run.forgotten_at is not None:
        raise DomainError(_("只能演练仍在仓库中的成功备份"), code="no_snapshot")
    label, _user = actor_label(by)
    drill = RestoreDrill.objects.create(
        organisation_id=run.organisation_id,
        run=run,
        requested_at=clock.now(),
        requested_by=label[:150],
    )
    audit_record(
        actor=by, action="restore_drill.requested", obj=drill, organisation=run.organisation_id
    )
    return drill


def restore_drill_perform(*, drill: RestoreDrill) -> RestoreDrill:
    """Restore the drill's snapshot into scratch space and compare every file's SHA-256
    with the manifest taken at backup time; the scratch copy is removed afterwards."""
    run = drill.run
    scratch_root = conf.work_dir() / "scratch" / f"org-{run.organisation_id}"
    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"drill-{drill.pk}-", dir=scratch_root))
    try:
        expected_bytes = _manifest_path(run).read_bytes()
        if hashlib.sha256(expected_bytes).hexdigest() != run.manifest_sha256:
            raise DomainError(_("备份清单已被改动"), code="manifest_changed")
        expected = json.loads(expected_bytes)
        Restic(run.organisation_id).restore(run.snapshot_id, scratch)
        restored = tree_manifest(scratch)
        mismatches = [
            {"path": p, "problem": "missing"} for p in sorted(set(expected) - set(restored))
        ]
        mismatches += [
            {"path": p, "problem": "extra"} for p in sorted(set(restored) - set(expected))
        ]
        mismatches += [
            {"path": p, "problem": "checksum"}
            for p in sorted(set(expected) & set(restored))
            if expected[p]["sha256"] != restored[p]["sha256"]
        ]
        drill.files_compared = len(set(expected) & set(restored))
        drill.mismatches = mismatches[:MAX_MISMATCHES]
        drill.state = DrillState.MISMATCH if mismatches else DrillState.OK
    except (ResticError, DomainError, OSError, ValueError) as error:
        drill.state, drill.error = DrillState.FAILED, str(error)[-4000:]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    drill.finished_at = clock.now()
    drill.save()
    audit_record(
        actor="worker",
        action=f"restore_drill.{drill.state}",
        obj=drill,
        organisation=run.organisation_id,
        data={
            "snapshot": run.snapshot_id,
            "files": drill.files_compared,
            "mismatches": len(drill.mismatches),
        },
    )
    if drill.state != DrillState.OK:
        _notify_failure(
            run.organisation,
            subject=_("恢复演练未通过：%(name)s") % {"name": run.data_set.name},
            body=drill.error or json.dumps(drill.mismatches[:20], ensure_ascii=False),
            source=f"datalife:drill_failed:{drill.pk}",
        )
    return drill


def restore_drills_run_pending() -> list[RestoreDrill]:
    """The worker's job: perform the requested drills."""
    pending = RestoreDrill.objects.filter(state=DrillState.PENDING).select_related(
        "run", "run__data_set"
    )
    done = []
    for drill in pending:
        # Claim: only the worker that moves finished_at from NULL performs it.
        if RestoreDrill.objects.filter(pk=drill.pk, finished_at__isnull=True).update(
            finished_at=clock.now()
        ):
            done.append(restore_drill_perform(drill=drill))
    return done


def repository_check(*, organisation: Organisation) -> RepositoryCheck:
    """`restic check` of the organisation's repository; a failure tells its contacts."""
    restic = Restic(organisation.pk)
    try:
        output, ok = restic.check(), True
    except ResticError as error:
        output, ok = error.stderr, False
    row = RepositoryCheck.objects.create(
        organisation=organisation, at=clock.now(), ok=ok, output=output[-4000:]
    )
    audit_record(
        actor="worker",
        action="backup.repository_checked",
        obj=row,
        organisation=organisation,
        data={"ok": ok},
    )
    if not ok:
        _notify_failure(
            organisation,
            subject=_("备份仓库校验失败"),
            body=output[-1000:],
            source=f"datalife:check_failed:{row.pk}",
        )
    return row


def repository_checks_due(*, now: datetime | None = None) -> list[RepositoryCheck]:
    """The worker's job: `restic check` each repository whose policy asks for it now."""
    now = now or clock.now()
    due = BackupPolicy.objects.filter(enabled=True, next_check_at__lte=now).select_related(
        "organisation"
    )
    checks, seen = [], set()
    for policy in due:
        if not _claim(policy, "next_check_at", now + timedelta(hours=policy.check_interval_hours)):
            continue
        if (
            policy.organisation_id in seen
            or not BackupRun.objects.filter(
                organisation_id=policy.organisation_id, result=RunResult.OK
            ).exists()
        ):
            continue
        seen.add(policy.organisation_id)
        checks.append(repository_check(organisation=policy.organisation))
    return checks


# -- the customer's deletion of online data (6.4) -----------------------------------------


def snapshot_expiry_estimate(snapshot_time: datetime, policy: BackupPolicy) -> datetime:
    """The latest moment a snapshot taken at `snapshot_time` can survive `policy`'s keep-*
    rules while backups keep running at least daily: daily copies go after keep_daily
    days, weekly after keep_weekly weeks, monthly after keep_monthly months. Display only."""
    candidates = [
        snapshot_time + timedelta(days=policy.keep_daily),
        snapshot_time + timedelta(weeks=policy.keep_weekly),
    ]
    if policy.keep_monthly:
        local = clock.local(snapshot_time)
        moved = add_months(local.date(), policy.keep_monthly)
        candidates.append(local.replace(year=moved.year, month=moved.month, day=moved.day))
    return max(candidates)


def data_set_item_delete(*, data_set: DataSet, path: str, by) -> DeletedItem:
    """Delete one file of a data set at once (6.4) and record when its last backup copy
    will expire under the retention rules (the latest estimate over the snapshots that
    still hold it; none when no snapshot does). The audit entry names the file by its
    SHA-256 only: a file name can itself be personal data, and the audit log is forever."""
    _require_write(by, data_set.organisation)
    relative = _clean_relative(path)
    directory = data_set_directory(data_set)
    target = (directory / relative).resolve()
    if directory not in target.parents or not target.is_file():
        raise DomainError(_("文件不存在"), field="path", code="no_file")
    try:
        # Asked before the transaction: restic takes a moment.
        snapshots = Restic(data_set.organisation_id).find(relative, tag=data_set.tag)
    except ResticError:
        snapshots = []  # no repository yet: nothing was backed up
    target.unlink()
    expires = None
    runs = BackupRun.objects.filter(data_set=data_set, snapshot_id__in=snapshots)
    for run in runs.select_related("policy"):
        policy = run.policy or data_set.policies.first()
        if policy is not None:
            estimate = snapshot_expiry_estimate(run.started_at, policy)
            expires = estimate if expires is None or estimate > expires else expires
    label, _user = actor_label(by)
    with transaction.atomic():
        item = DeletedItem.objects.create(
            organisation_id=data_set.organisation_id,
            data_set=data_set,
            path=relative,
            deleted_at=clock.now(),
            deleted_by=label[:150],
            snapshots=snapshots,
            last_copy_expires_at=expires,
        )
        audit_record(
            actor=by,
            action="dataset.item_deleted",
            obj=item,
            organisation=data_set.organisation_id,
            data={
                "data_set": data_set.pk,
                "path_sha256": hashlib.sha256(relative.encode()).hexdigest(),
                "snapshots": len(snapshots),
                "last_copy_expires_at": expires,
            },
        )
    return item


def data_set_files(data_set: DataSet, *, limit: int = 500) -> list[dict]:
    """The first `limit` files of a data set's directory, for its page."""
    if data_set.kind != DataSetKind.PATH or data_set.purged_at is not None:
        return []
    directory = data_set_directory(data_set)
    if not directory.is_dir():
        return []
    files = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files.append(
                {"path": path.relative_to(directory).as_posix(), "size": path.stat().st_size}
            )
            if len(files) >= limit:
                break
    return files


__all__ = [
    "backup_policy_create",
    "backup_policy_run",
    "backup_policy_run_now",
    "backup_policy_update",
    "backups_run_due",
    "data_set_create",
    "data_set_item_delete",
    "platform_database_copy",
    "repository_check",
    "repository_checks_due",
    "restore_drill_perform",
    "restore_drill_request",
    "restore_drills_run_pending",
    "retention_apply",
    "tree_manifest",
]
