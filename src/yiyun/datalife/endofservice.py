"""End of service (6.5) and deletion records (6.6).

When a contract ends (expiry, early termination) or the provider ends the service for
arrears, `service_end_start` opens the buffer period whose length the parties set (the
contract's open parameter `buffer_period_days`, 6.5). During it the customer can
download an archive of its data with a manifest of SHA-256s. When it is over, the
worker's `purges_due` deletes the customer's data everywhere the platform holds it —
online data sets, the restic repository (forget + prune), export archives, manifests,
staging and scratch copies, restic's cache, and whatever other apps register through
`purge_hooks` (see hooks.py) — verifies each, and issues the deletion record (6.6).

Three obligations track it: "6.5.buffer" (the buffer period, a term), "6.5" (the purge,
due 24 h after the buffer ends) and "6.6" (the deletion record, same limit).
"""

import hashlib
import io
import json
import logging
import shutil
import zipfile
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_entries_with_data, audit_record, audit_redact
from yiyun.core.errors import Conflict, DomainError
from yiyun.core.periods import Clock, deadline
from yiyun.datalife import conf
from yiyun.datalife.backups import (
    _require_manage,
    _require_write,
    backup_policy_run,
    data_set_directory,
)
from yiyun.datalife.choices import (
    DataSetKind,
    ExportState,
    RunResult,
    ServiceEndReason,
    ServiceEndState,
)
from yiyun.datalife.hooks import export_hooks, purge_descriptions, purge_hooks
from yiyun.datalife.models import (
    BackupPolicy,
    BackupRun,
    DataSet,
    DeletedItem,
    DeletionRecord,
    Disclosure,
    ExportArchive,
    RestoreDrill,
    ServiceEnd,
)
from yiyun.datalife.restic import Restic, ResticError
from yiyun.datalife.services import actor_label, customer_contacts
from yiyun.tenancy.models import Organisation

log = logging.getLogger("yiyun.datalife")

# The contract's open parameter for 6.5's buffer period (contracts/data/*.yaml).
BUFFER_PARAMETER_KEY = "buffer_period_days"
# 6.5 / 6.6: the purge and the deletion record are due this long after the buffer ends.
PURGE_WITHIN_HOURS = 24
STALE_CLAIM = timedelta(hours=1)


# -- the buffer period --------------------------------------------------------------------


def buffer_days_for(contract) -> int | None:
    """The buffer length (days) the parties set for `contract` (6.5), or None if unset."""
    parameter = contract.open_parameters.filter(key=BUFFER_PARAMETER_KEY).first()
    if parameter is None or not parameter.is_set:
        return None
    try:
        days = int(str(parameter.value).strip())
    except ValueError:
        raise DomainError(
            _("合同约定的数据缓冲期不是天数：%(value)s") % {"value": parameter.value},
            code="bad_buffer",
        ) from None
    if days < 1:
        raise DomainError(_("数据缓冲期至少 1 天"), code="bad_buffer")
    return days


def _open_obligations(service_end: ServiceEnd, *, by) -> None:
    from yiyun.obligations.services import obligation_open

    contract = service_end.contract
    obligation_open(
        contract=contract,
        clause="6.5.buffer",
        subject=service_end,
        trigger_at=service_end.started_at,
        due_at=service_end.buffer_ends_at,
        by=by,
    )
    purge = obligation_open(
        contract=contract,
        clause="6.5",
        subject=service_end,
        trigger_at=service_end.buffer_ends_at,
        by=by,
    )
    obligation_open(
        contract=contract,
        clause="6.6",
        subject=service_end,
        trigger_at=service_end.buffer_ends_at,
        by=by,
    )
    service_end.obligation_id = purge.pk
    service_end.save(update_fields=["obligation_id"])


@transaction.atomic
def service_end_start(
    *,
    contract,
    reason: str,
    by,
    at: datetime | None = None,
    buffer_days: int | None = None,
) -> ServiceEnd:
    """Start the end of service for `contract`'s customer (6.5): the buffer period begins.

    `at` is when the service ended (default now); `buffer_days` the length the parties
    agreed, when not (yet) recorded as the contract's open parameter — one of the two is
    required. The buffer ends by `core.periods.deadline` (calendar days, Civil Code
    arts. 201/203). Opens the obligations 6.5.buffer, 6.5 (purge) and 6.6 (record), tells
    the customer's contacts how to export. Raises Conflict when a buffer is already running.
    """
    organisation = contract.customer
    _require_manage(by, contract.provider)
    if reason not in ServiceEndReason.values:
        raise DomainError(f"unknown reason {reason!r}", field="reason")
    agreed = buffer_days_for(contract)
    days = buffer_days if buffer_days is not None else agreed
    if days is None:
        raise DomainError(
            _("合同未约定数据缓冲期（6.5），请先在合同的待约定事项中填写缓冲期天数"),
            code="buffer_not_set",
            field="buffer_days",
        )
    if not isinstance(days, int) or days < 1:
        raise DomainError(_("数据缓冲期至少 1 天"), field="buffer_days")
    if ServiceEnd.objects.filter(organisation=organisation, state=ServiceEndState.BUFFER).exists():
        raise Conflict(_("该单位的数据缓冲期已在进行中"), code="already_in_buffer")
    started = at or clock.now()
    ends = deadline(started, clock=Clock.DAYS, n=days).due_at
    label, _user = actor_label(by)
    service_end = ServiceEnd.objects.create(
        contract=contract,
        organisation=organisation,
        reason=reason,
        started_at=started,
        started_by=label[:150],
        buffer_n=days,
        buffer_ends_at=ends,
        note="" if buffer_days is None else _("缓冲期由操作人输入"),
    )
    _open_obligations(service_end, by=by)
    audit_record(
        actor=by,
        action="service_end.started",
        obj=service_end,
        organisation=organisation,
        data={
            "contract": contract.pk,
            "reason": reason,
            "buffer_days": days,
            "buffer_from_contract": buffer_days is None,
            "buffer_ends_at": ends,
        },
    )
    from yiyun.notices.services import inbox_send

    inbox_send(
        recipients=customer_contacts(organisation),
        subject=_("服务终止：数据缓冲期至 %(end)s")
        % {"end": f"{clock.local(ends):%Y-%m-%d %H:%M}"},
        body=_(
            "合同 %(number)s 的服务已终止（%(reason)s）。缓冲期内可随时导出全部数据；"
            "缓冲期届满后，平台将删除贵单位的全部数据、缓存和备份，并出具数据删除记录（6.5、6.6）。"
        )
        % {"number": contract.number, "reason": service_end.get_reason_display()},
        link=reverse("datalife:service_end", args=[service_end.pk]),
        source=f"datalife:service_end:{service_end.pk}",
    )
    return service_end


def service_ends_start_for_ended_contracts() -> list[ServiceEnd]:
    """The worker's job: every contract that expired or was terminated gets its buffer
    period, from the moment it ended. A contract whose buffer length is not agreed yet is
    skipped (and its parties told once) until it is."""
    from yiyun.contracts.choices import ContractStatus
    from yiyun.contracts.models import Contract

    started = []
    ended = Contract.objects.exclude(status=ContractStatus.ACTIVE).filter(
        ended_at__isnull=False, service_ends__isnull=True
    )
    for contract in ended.select_related("customer", "provider"):
        reason = (
            ServiceEndReason.EXPIRY
            if contract.status == ContractStatus.EXPIRED
            else ServiceEndReason.EARLY_TERMINATION
        )
        try:
            started.append(
                service_end_start(
                    contract=contract, reason=reason, by="worker", at=contract.ended_at
                )
            )
        except DomainError as error:
            if error.code != "buffer_not_set":
                raise
            from yiyun.notices.services import inbox_send

            inbox_send(
                recipients=list(contract.provider.people.all())
                + customer_contacts(contract.customer),
                subject=_("合同 %(number)s 已终止，但未约定数据缓冲期（6.5）")
                % {"number": contract.number},
                body=error.message,
                link=reverse("contracts:detail", kwargs={"pk": contract.pk}),
                source=f"datalife:buffer_missing:{contract.pk}",
            )
    return started


# -- export -------------------------------------------------------------------------------


def _export_dir(organisation_id: int) -> Path:
    return conf.work_dir() / "exports" / f"org-{organisation_id}"


def export_file(export: ExportArchive) -> Path:
    return _export_dir(export.organisation_id) / export.file_name


@transaction.atomic
def export_request(*, organisation: Organisation, by) -> ExportArchive:
    """Ask for an archive of `organisation`'s data; the worker builds it (`exports_build_pending`)."""
    _require_write(by, organisation)
    if ServiceEnd.objects.filter(
        organisation=organisation, state=ServiceEndState.PURGED
    ).exists() and not (
        ServiceEnd.objects.filter(organisation=organisation, state=ServiceEndState.BUFFER).exists()
    ):
        raise DomainError(_("数据已删除，无可导出的内容"), code="purged")
    label, _user = actor_label(by)
    export = ExportArchive.objects.create(
        organisation=organisation,
        service_end=ServiceEnd.objects.filter(
            organisation=organisation, state=ServiceEndState.BUFFER
        ).first(),
        requested_at=clock.now(),
        requested_by=label[:150],
    )
    audit_record(actor=by, action="export.requested", obj=export, organisation=organisation)
    return export


def export_own_records(organisation: Organisation) -> list[tuple[str, bytes]]:
    """datalife's export hook: the register, backups and deletions, as JSON."""

    def dump(rows) -> bytes:
        return json.dumps(list(rows), ensure_ascii=False, indent=1, default=str).encode()

    return [
        (
            "disclosures.json",
            dump(
                Disclosure.objects.filter(organisation=organisation).values(
                    "id",
                    "basis",
                    "authority",
                    "document_number",
                    "legal_basis",
                    "scope",
                    "approved_by",
                    "handed_over_at",
                    "files",
                    "source",
                    "recorded_at",
                    "content_hash",
                )
            ),
        ),
        (
            "backup_runs.json",
            dump(
                BackupRun.objects.filter(organisation=organisation).values(
                    "id",
                    "data_set__name",
                    "started_at",
                    "finished_at",
                    "result",
                    "snapshot_id",
                    "files",
                    "size",
                    "duration",
                    "forgotten_at",
                )
            ),
        ),
        (
            "deleted_items.json",
            dump(
                DeletedItem.objects.filter(organisation=organisation).values(
                    "data_set__name", "path", "deleted_at", "deleted_by", "last_copy_expires_at"
                )
            ),
        ),
    ]


def _archive_members(organisation: Organisation):
    """(name in the archive, file path or bytes) of everything the export holds."""
    for data_set in DataSet.objects.filter(
        organisation=organisation, kind=DataSetKind.PATH, purged_at__isnull=True
    ):
        directory = data_set_directory(data_set)
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield f"data/{data_set.name}/{path.relative_to(directory).as_posix()}", path
    for label, hook in export_hooks():
        for name, content in hook(organisation):
            source = content if isinstance(content, Path) else bytes(content)
            yield f"records/{label}/{name.lstrip('/')}", source


def _zip_entry(member: str, source: Path | bytes) -> str | zipfile.ZipInfo:
    """The member as a name (deflated, the archive's default) or, when its first 64 KiB
    do not shrink by a tenth (images, archives, random data), a ZipInfo stored as is:
    deflating what does not compress costs most of an export's time for nothing."""
    if isinstance(source, bytes):
        sample = source[:65536]
    else:
        with source.open("rb") as handle:
            sample = handle.read(65536)
    if len(sample) < 1024 or len(zlib.compress(sample, 1)) < 0.9 * len(sample):
        return member
    entry = zipfile.ZipInfo(member, date_time=clock.local(clock.now()).timetuple()[:6])
    entry.compress_type = zipfile.ZIP_STORED
    return entry


def export_build(*, export: ExportArchive) -> ExportArchive:
    """Write the archive (zip): the data sets' files under data/, other apps' records under
    records/, and manifest.json listing every member's SHA-256 and size."""
    organisation = export.organisation
    directory = _export_dir(organisation.pk)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = clock.local(clock.now()).strftime("%Y%m%d-%H%M%S")
    name = f"export-org{organisation.pk}-{export.pk}-{stamp}.zip"
    target = directory / name
    manifest = []
    try:
        # Deflate level 1: text shrinks well, images and archives are not worth more CPU.
        with zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
        ) as archive:
            for member, source in _archive_members(organisation):
                digest, size = hashlib.sha256(), 0
                with archive.open(_zip_entry(member, source), "w", force_zip64=True) as out:
                    if isinstance(source, bytes):
                        digest.update(source)
                        out.write(source)
                        size = len(source)
                    else:
                        with source.open("rb") as handle:
                            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                                digest.update(block)
                                out.write(block)
                                size += len(block)
                manifest.append({"name": member, "sha256": digest.hexdigest(), "size": size})
            document = {
                "organisation": organisation.name,
                "generated_at": clock.now().isoformat(),
                "files": manifest,
            }
            archive.writestr(
                "manifest.json", json.dumps(document, ensure_ascii=False, indent=1).encode()
            )
    except (OSError, DomainError, ValueError) as error:
        target.unlink(missing_ok=True)
        export.state, export.error = ExportState.FAILED, str(error)[-2000:]
        export.save()
        return export
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    export.state, export.ready_at, export.file_name = ExportState.READY, clock.now(), name
    export.size, export.sha256, export.manifest = (
        target.stat().st_size,
        digest.hexdigest(),
        manifest,
    )
    export.save()
    audit_record(
        actor="worker",
        action="export.ready",
        obj=export,
        organisation=organisation,
        data={"files": len(manifest), "bytes": export.size, "sha256": export.sha256},
    )
    from yiyun.notices.services import inbox_send

    inbox_send(
        recipients=customer_contacts(organisation),
        subject=_("数据导出已生成"),
        body=_("共 %(count)d 个文件，SHA-256 %(sha)s。")
        % {"count": len(manifest), "sha": export.sha256},
        link=reverse("datalife:exports"),
        source=f"datalife:export_ready:{export.pk}",
    )
    return export


def exports_build_pending() -> list[ExportArchive]:
    """The worker's job: build the requested archives (each claimed by one worker)."""
    built = []
    for export in ExportArchive.objects.filter(state=ExportState.PENDING).select_related(
        "organisation"
    ):
        if ExportArchive.objects.filter(
            pk=export.pk, state=ExportState.PENDING, ready_at__isnull=True
        ).update(ready_at=clock.now()):
            built.append(export_build(export=export))
    return built


# -- the purge (6.5) and the deletion record (6.6) ----------------------------------------


def _files_under(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()] if path.exists() else []
    return len(files), sum(p.stat().st_size for p in files)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        raise OSError(f"{path} still exists after deletion")


class _Purge:
    """One purge attempt: each step deletes, verifies, and adds a line to the record."""

    def __init__(self, service_end: ServiceEnd, by):
        self.service_end = service_end
        self.organisation = service_end.organisation
        self.by_label = actor_label(by)[0]
        self.items: list[dict] = []

    def add(
        self, *, what: str, where: str, verified: str, app: str = "datalife", count=None
    ) -> None:
        item = {
            "app": app,
            "what": what,
            "where": where,
            "when": clock.now().isoformat(),
            "by": self.by_label,
            "verified": verified,
        }
        if count is not None:
            item["count"] = count
        self.items.append(item)

    def online_data(self) -> None:
        org_dir = conf.organisation_data_dir(self.organisation.pk)
        for data_set in DataSet.objects.filter(
            organisation=self.organisation, kind=DataSetKind.PATH
        ):
            directory = data_set_directory(data_set)
            count, size = _files_under(directory)
            _remove_tree(directory)
            DataSet.objects.filter(pk=data_set.pk, purged_at__isnull=True).update(
                purged_at=clock.now()
            )
            self.add(
                what=_("在线数据集“%(name)s”：%(count)d 个文件，%(size)d 字节")
                % {"name": data_set.name, "count": count, "size": size},
                where=str(directory),
                verified=_("目录已不存在"),
                count=count,
            )
        count, size = _files_under(org_dir)
        _remove_tree(org_dir)
        self.add(
            what=_("单位数据目录中的其余文件：%(count)d 个") % {"count": count},
            where=str(org_dir),
            verified=_("目录已不存在"),
            count=count,
        )

    def backups(self) -> None:
        restic = Restic(self.organisation.pk)
        if not (restic.exists()):
            self.add(what=_("备份仓库"), where=restic.repository, verified=_("仓库不存在，无备份"))
            return
        before = restic.snapshots()
        ids = [snapshot["id"] for snapshot in before]
        restic.forget_ids(ids, prune=True)
        after = restic.snapshots()
        if after:
            raise ResticError("forget", 0, f"{len(after)} snapshots remain")
        stats = restic.stats_raw()
        if stats.get("total_size", 0) != 0:
            raise ResticError("prune", 0, f"{stats.get('total_size')} bytes of data remain")
        restic.check()
        refusal = ""
        if ids:
            probe = conf.work_dir() / "scratch" / f"org-{self.organisation.pk}" / "purge-probe"
            try:
                restic.restore(ids[-1], probe)
            except ResticError as error:
                refusal = error.stderr.splitlines()[-1] if error.stderr else str(error)
            else:
                raise ResticError("restore", 0, f"snapshot {ids[-1]} could still be restored")
            finally:
                _remove_tree(probe)
        now = clock.now()
        BackupRun.objects.filter(organisation=self.organisation, forgotten_at__isnull=True).exclude(
            snapshot_id=""
        ).update(forgotten_at=now)
        BackupPolicy.objects.filter(organisation=self.organisation).update(
            enabled=False, next_run_at=None
        )
        self.add(
            what=_("restic 备份快照 %(count)d 个（forget + prune）") % {"count": len(ids)},
            where=restic.repository,
            verified=_(
                "快照列表为空；仓库数据量 %(size)s 字节；restic check 通过；恢复删除前快照被拒绝：%(refusal)s"
            )
            % {"size": stats.get("total_size", 0), "refusal": refusal or "—"},
            count=len(ids),
        )

    def exports(self) -> None:
        directory = _export_dir(self.organisation.pk)
        count, _size = _files_under(directory)
        _remove_tree(directory)
        ExportArchive.objects.filter(organisation=self.organisation).exclude(
            state=ExportState.PURGED
        ).update(state=ExportState.PURGED, purged_at=clock.now(), manifest=[])
        self.add(
            what=_("数据导出文件 %(count)d 个") % {"count": count},
            where=str(directory),
            verified=_("目录已不存在"),
            count=count,
        )

    def work_files(self) -> None:
        work = conf.work_dir()
        org = f"org-{self.organisation.pk}"
        for label, path in (
            (_("备份清单"), work / "manifests" / org),
            (_("暂存副本"), work / "staging" / org),
            (_("恢复演练临时目录"), work / "scratch" / org),
            (_("restic 缓存"), work / "cache" / org),
        ):
            count, _size = _files_under(path)
            _remove_tree(path)
            self.add(
                what=f"{label}：{count}", where=str(path), verified=_("目录已不存在"), count=count
            )
        # Rows that name files (file names can be personal data) lose those names.
        RestoreDrill.objects.filter(organisation=self.organisation).update(mismatches=[])
        BackupRun.objects.filter(organisation=self.organisation).update(error="")
        deleted, _detail = DeletedItem.objects.filter(organisation=self.organisation).delete()
        self.add(
            what=_("已删除文件清单（含文件名）%(count)d 条") % {"count": deleted},
            where="datalife_deleteditem",
            verified=_("按单位查询结果为 0 条"),
            count=deleted,
        )

    def other_apps(self) -> None:
        for label, hook in purge_hooks():
            for item in purge_descriptions(label, hook(self.organisation)):
                self.add(
                    app=item["app"],
                    what=str(item["what"]),
                    where=str(item.get("where", "")),
                    verified=str(item.get("verified", "")),
                    count=item.get("count"),
                )

    def audit_log(self) -> None:
        """The audit log stays as evidence of the contract's performance, but the data of
        the customer's entries (titles, contact details, subjects) goes: the entries keep
        who did what and when, and the hash chain still verifies (core.audit)."""
        count = audit_redact(organisation=self.organisation, actor=self.by_label)
        if audit_entries_with_data(organisation=self.organisation):
            raise DomainError(_("审计日志中仍有本单位条目的数据"), code="audit_not_redacted")
        self.add(
            what=_("审计日志中本单位条目的数据内容 %(count)d 条（保留时间、操作人、动作与哈希链）")
            % {"count": count},
            where="core_auditentry",
            verified=_("按单位查询仍有数据的条目为 0 条"),
            count=count,
        )

    def platform_database_backups(self) -> None:
        """The provider's platform-database snapshots taken before the purge still hold
        the customer's rows: take a fresh one now (rows already gone), then forget and
        prune every older one of that data set."""
        for data_set in DataSet.objects.filter(
            kind=DataSetKind.PLATFORM_DATABASE, purged_at__isnull=True
        ):
            restic = Restic(data_set.organisation_id)
            older = (
                [s["id"] for s in restic.snapshots(tags=[data_set.tag])] if restic.exists() else []
            )
            policy = data_set.policies.filter(enabled=True).first()
            if policy is None:
                continue
            runs = [
                run
                for run in backup_policy_run(policy=policy, by=self.by_label)
                if run.data_set_id == data_set.pk
            ]
            if not runs or runs[0].result != RunResult.OK:
                raise DomainError(_("平台数据库未能重新备份"), code="platform_backup_failed")
            restic.forget_ids(older, prune=True)
            BackupRun.objects.filter(data_set=data_set, snapshot_id__in=older).update(
                forgotten_at=clock.now()
            )
            self.add(
                what=_(
                    "平台数据库中含本单位数据的旧备份 %(count)d 个（已先行生成不含本单位数据的新备份）"
                )
                % {"count": len(older)},
                where=restic.repository,
                verified=_("仅保留快照 %(id)s") % {"id": runs[0].snapshot_id[:8]},
                count=len(older),
            )


def deletion_record_content_hash(record: DeletionRecord) -> str:
    content = {
        "organisation": record.organisation_id,
        "service_end": record.service_end_id,
        "issued_at": record.issued_at.isoformat(timespec="microseconds"),
        "issued_by": record.issued_by,
        "items": record.items,
    }
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def service_end_purge(*, service_end: ServiceEnd, by="worker") -> DeletionRecord | None:
    """Delete everything of the customer's data the platform holds (6.5), verify each
    deletion, and issue the deletion record (6.6); meets obligations 6.5 and 6.6.

    Refused before the buffer period is over. When a step fails nothing is recorded as
    done: the error is kept on the service end, the provider told, and the next worker
    pass tries again (every step is idempotent). Returns the record, or None on failure.
    """
    if service_end.state != ServiceEndState.BUFFER:
        raise DomainError(_("该服务终止不在缓冲期"), code="not_in_buffer")
    now = clock.now()
    if now < service_end.buffer_ends_at:
        raise DomainError(_("缓冲期尚未届满，不能删除数据"), code="buffer_running")
    purge = _Purge(service_end, by)
    try:
        purge.online_data()
        purge.exports()
        purge.other_apps()
        purge.audit_log()
        purge.backups()
        purge.platform_database_backups()
        # Last: restic recreates its cache while it works.
        purge.work_files()
    except Exception as error:  # noqa: BLE001 — any failure leaves the purge to retry
        message = f"{type(error).__name__}: {error}"[-2000:]
        ServiceEnd.objects.filter(pk=service_end.pk).update(
            purge_error=message, purge_claimed_at=None
        )
        log.warning(
            "purge of organisation %s failed: %s", service_end.organisation_id, message[-300:]
        )
        audit_record(
            actor=by,
            action="service_end.purge_failed",
            obj=service_end,
            organisation=service_end.organisation_id,
            data={"error": message[-500:]},
        )
        from yiyun.notices.services import inbox_send

        inbox_send(
            recipients=list(service_end.contract.provider.people.all()),
            subject=_("数据删除未完成：%(org)s") % {"org": service_end.organisation},
            body=message,
            link=reverse("datalife:service_end", args=[service_end.pk]),
            source=f"datalife:purge_failed:{service_end.pk}:{clock.local(now):%Y%m%d%H}",
        )
        return None
    return _issue_record(service_end, purge, by=by)


@transaction.atomic
def _issue_record(service_end: ServiceEnd, purge: _Purge, *, by) -> DeletionRecord:
    from yiyun.obligations.selectors import obligations_for
    from yiyun.obligations.services import obligation_meet

    now = clock.now()
    record = DeletionRecord(
        organisation=service_end.organisation,
        service_end=service_end,
        issued_at=now,
        issued_by=purge.by_label[:150],
        items=json.loads(json.dumps(purge.items, default=str)),
    )
    record.content_hash = deletion_record_content_hash(record)
    record.save()
    ServiceEnd.objects.filter(pk=service_end.pk).update(
        state=ServiceEndState.PURGED, purged_at=now, purge_error="", purge_claimed_at=None
    )
    service_end.refresh_from_db()
    evidence = reverse("datalife:deletion_record", args=[record.pk])
    for obligation in obligations_for(service_end).filter(rule__in=["6.5", "6.6"], state="open"):
        obligation_meet(
            obligation=obligation,
            at=now,
            by=by,
            evidence=f"{evidence} sha256:{record.content_hash}",
        )
    audit_record(
        actor=by,
        action="service_end.purged",
        obj=service_end,
        organisation=service_end.organisation_id,
        data={
            "deletion_record": record.pk,
            "items": len(record.items),
            "content_hash": record.content_hash,
        },
    )
    from yiyun.notices.services import inbox_send

    inbox_send(
        recipients=customer_contacts(service_end.organisation)
        + list(service_end.contract.provider.people.all()),
        subject=_("数据删除记录已出具"),
        body=_("贵单位的数据已于 %(at)s 全部删除，删除记录见链接（6.6）。")
        % {"at": f"{clock.local(now):%Y-%m-%d %H:%M}"},
        link=evidence,
        source=f"datalife:deletion_record:{record.pk}",
    )
    return record


def purges_due(*, now: datetime | None = None) -> list[DeletionRecord]:
    """The worker's job: purge every customer whose buffer period is over."""
    now = now or clock.now()
    records = []
    due = ServiceEnd.objects.filter(
        state=ServiceEndState.BUFFER, buffer_ends_at__lte=now
    ).select_related("organisation", "contract", "contract__provider")
    for service_end in due:
        claimed = (
            ServiceEnd.objects.filter(pk=service_end.pk, state=ServiceEndState.BUFFER)
            .filter(Q(purge_claimed_at__isnull=True) | Q(purge_claimed_at__lt=now - STALE_CLAIM))
            .update(purge_claimed_at=now)
        )
        if not claimed:
            continue
        record = service_end_purge(service_end=service_end)
        if record is not None:
            records.append(record)
    return records


def deletion_record_pdf(record: DeletionRecord) -> bytes:
    """The deletion record as a PDF (WeasyPrint, Noto CJK), in Chinese whatever the reader's language."""
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(
            "datalife/deletion_record_pdf.html",
            {
                "record": record,
                "service_end": record.service_end,
                "intact": deletion_record_content_hash(record) == record.content_hash,
            },
        )
    buffer = io.BytesIO()
    HTML(string=html).write_pdf(buffer)
    return buffer.getvalue()
