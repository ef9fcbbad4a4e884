"""Data lifecycle: the disclosure register (6.3), backups (2.11, 6.4), end of service (6.5)
and deletion records (6.6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.datalife.choices import (
    DataSetKind,
    DisclosureBasis,
    DrillState,
    ExportState,
    PolicyOrigin,
    RunResult,
    ServiceEndReason,
    ServiceEndState,
)

__all__ = [
    "BackupPolicy",
    "BackupRun",
    "DataSet",
    "DeletedItem",
    "DeletionRecord",
    "Disclosure",
    "DisclosureAnnotation",
    "ExportArchive",
    "RepositoryCheck",
    "RestoreDrill",
    "ServiceEnd",
]


class AppendOnly(models.Model):
    """A row written once: it can be read and annotated, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.label} rows are append-only")


class Disclosure(AppendOnly):
    """One use or disclosure of a customer's data outside the service (6.3).

    Written once by `services.disclosure_record`; the customer sees its own register.
    `content_hash` is SHA-256 over the canonical content, so a change made behind the
    application's back shows on the entry's page.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("数据所属单位"),
        on_delete=models.PROTECT,
        related_name="disclosures",
    )
    basis = models.CharField(
        verbose_name=_("依据类型"),
        max_length=10,
        choices=DisclosureBasis.choices,
    )
    authority = models.CharField(
        verbose_name=_("调取机关或接收方"),
        max_length=200,
    )
    document_number = models.CharField(
        verbose_name=_("文书编号"),
        max_length=120,
        blank=True,
    )
    legal_basis = models.TextField(
        verbose_name=_("法律依据或约定"),
    )
    # {"data_sets": [...], "from": iso, "to": iso, ...}: what was asked for and given.
    scope = models.JSONField(
        verbose_name=_("范围"),
        default=dict,
    )
    approved_by = models.CharField(
        verbose_name=_("批准人"),
        max_length=150,
    )
    approved_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handed_over_at = models.DateTimeField(
        verbose_name=_("移交时间"),
    )
    # [{"name": ..., "sha256": ..., "size": ...}]: exactly what left.
    files = models.JSONField(
        verbose_name=_("移交文件"),
        default=list,
    )
    # What produced the entry, e.g. "websites:export:42" or "manual".
    source = models.CharField(
        verbose_name=_("来源"),
        max_length=120,
        db_index=True,
    )
    recorded_at = models.DateTimeField(
        verbose_name=_("登记时间"),
        db_index=True,
    )
    recorded_by = models.CharField(
        verbose_name=_("登记人"),
        max_length=150,
    )
    content_hash = models.CharField(
        verbose_name=_("内容哈希"),
        max_length=64,
    )

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("数据披露登记")
        verbose_name_plural = _("数据披露登记")

    def __str__(self) -> str:
        return f"{self.get_basis_display()} · {self.authority} · {self.document_number}"


class DisclosureAnnotation(AppendOnly):
    """A remark added to a register entry later (the entry itself never changes)."""

    disclosure = models.ForeignKey(
        "datalife.Disclosure",
        verbose_name=_("登记"),
        on_delete=models.PROTECT,
        related_name="annotations",
    )
    text = models.TextField(
        verbose_name=_("批注"),
    )
    by = models.CharField(
        verbose_name=_("批注人"),
        max_length=150,
    )
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批注人账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(
        verbose_name=_("时间"),
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("披露登记批注")
        verbose_name_plural = _("披露登记批注")

    def __str__(self) -> str:
        return self.text[:50]


class DataSet(models.Model):
    """Something of an organisation's that is backed up (2.11): a directory of the
    customer's online data, or (provider only) the platform's own database.

    `path` is relative to the organisation's data directory (`conf.organisation_data_dir`):
    nobody can point a backup, an export or a restore at another tenant's files.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="data_sets",
    )
    name = models.CharField(
        verbose_name=_("名称"),
        max_length=100,
    )
    kind = models.CharField(
        verbose_name=_("类型"),
        max_length=20,
        choices=DataSetKind.choices,
        default=DataSetKind.PATH,
    )
    path = models.CharField(
        verbose_name=_("目录"),
        max_length=300,
        blank=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("创建时间"),
    )
    purged_at = models.DateTimeField(
        verbose_name=_("删除时间"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("数据集")
        verbose_name_plural = _("数据集")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="dataset_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tag(self) -> str:
        """The restic tag its snapshots carry."""
        return f"dataset-{self.pk}"


class BackupPolicy(models.Model):
    """When and how long an organisation's data sets are backed up (2.11, 6.4).

    Retention is restic's keep-daily / keep-weekly / keep-monthly, applied per data set
    after every run (`restic forget --prune`). The provider's default applies until the
    customer sets its own rules (`origin`).
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="backup_policies",
    )
    name = models.CharField(
        verbose_name=_("名称"),
        max_length=100,
    )
    origin = models.CharField(
        verbose_name=_("设定方"),
        max_length=20,
        choices=PolicyOrigin.choices,
        default=PolicyOrigin.PROVIDER_DEFAULT,
    )
    data_sets = models.ManyToManyField(
        "datalife.DataSet",
        verbose_name=_("数据集"),
        related_name="policies",
    )
    interval_hours = models.PositiveIntegerField(
        verbose_name=_("备份间隔（小时）"),
        default=24,
    )
    keep_daily = models.PositiveSmallIntegerField(
        verbose_name=_("保留每日备份（份）"),
        default=7,
    )
    keep_weekly = models.PositiveSmallIntegerField(
        verbose_name=_("保留每周备份（份）"),
        default=4,
    )
    keep_monthly = models.PositiveSmallIntegerField(
        verbose_name=_("保留每月备份（份）"),
        default=6,
    )
    enabled = models.BooleanField(
        verbose_name=_("启用"),
        default=True,
    )
    next_run_at = models.DateTimeField(
        verbose_name=_("下次备份"),
        null=True,
        blank=True,
        db_index=True,
    )
    check_interval_hours = models.PositiveIntegerField(
        verbose_name=_("仓库校验间隔（小时）"),
        default=24 * 7,
    )
    next_check_at = models.DateTimeField(
        verbose_name=_("下次校验"),
        null=True,
        blank=True,
        db_index=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("创建时间"),
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("备份策略")
        verbose_name_plural = _("备份策略")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="backup_policy_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def retention(self) -> str:
        return f"{self.keep_daily}d / {self.keep_weekly}w / {self.keep_monthly}m"


class BackupRun(models.Model):
    """One backup of one data set: the snapshot it made, or why it failed."""

    policy = models.ForeignKey(
        "datalife.BackupPolicy",
        verbose_name=_("备份策略"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    data_set = models.ForeignKey(
        "datalife.DataSet",
        verbose_name=_("数据集"),
        on_delete=models.CASCADE,
        related_name="runs",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="backup_runs",
    )
    started_at = models.DateTimeField(
        verbose_name=_("开始时间"),
        db_index=True,
    )
    finished_at = models.DateTimeField(
        verbose_name=_("结束时间"),
        null=True,
        blank=True,
    )
    result = models.CharField(
        verbose_name=_("结果"),
        max_length=10,
        choices=RunResult.choices,
        default=RunResult.RUNNING,
    )
    snapshot_id = models.CharField(
        verbose_name=_("快照ID"),
        max_length=64,
        blank=True,
        db_index=True,
    )
    files = models.PositiveBigIntegerField(
        verbose_name=_("文件数"),
        default=0,
    )
    size = models.PositiveBigIntegerField(
        verbose_name=_("字节数"),
        default=0,
    )
    data_added = models.PositiveBigIntegerField(
        verbose_name=_("新增数据（字节）"),
        default=0,
    )
    duration = models.FloatField(
        verbose_name=_("耗时（秒）"),
        default=0.0,
    )
    error = models.TextField(
        verbose_name=_("错误"),
        blank=True,
    )
    # SHA-256 of the manifest file (relative path → SHA-256, size) written at backup time.
    manifest_sha256 = models.CharField(
        verbose_name=_("清单哈希"),
        max_length=64,
        blank=True,
    )
    # When retention (or a purge) removed the snapshot from the repository.
    forgotten_at = models.DateTimeField(
        verbose_name=_("快照删除时间"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("备份记录")
        verbose_name_plural = _("备份记录")
        indexes = [
            models.Index(fields=["data_set", "result", "started_at"], name="backuprun_last_good")
        ]

    def __str__(self) -> str:
        return f"{self.data_set} {self.started_at:%Y-%m-%d %H:%M} {self.result}"

    @property
    def result_colour(self) -> str:
        return RunResult(self.result).colour

    @property
    def short_id(self) -> str:
        return self.snapshot_id[:8]


class RestoreDrill(models.Model):
    """A restore of a snapshot to scratch space, its files' SHA-256 compared with the
    manifest taken at backup time."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="restore_drills",
    )
    run = models.ForeignKey(
        "datalife.BackupRun",
        verbose_name=_("备份记录"),
        on_delete=models.CASCADE,
        related_name="drills",
    )
    requested_at = models.DateTimeField(
        verbose_name=_("申请时间"),
    )
    requested_by = models.CharField(
        verbose_name=_("申请人"),
        max_length=150,
    )
    finished_at = models.DateTimeField(
        verbose_name=_("完成时间"),
        null=True,
        blank=True,
    )
    state = models.CharField(
        verbose_name=_("结果"),
        max_length=10,
        choices=DrillState.choices,
        default=DrillState.PENDING,
        db_index=True,
    )
    files_compared = models.PositiveIntegerField(
        verbose_name=_("比对文件数"),
        default=0,
    )
    # [{"path": …, "problem": "missing" | "extra" | "checksum"}], at most 100.
    mismatches = models.JSONField(
        verbose_name=_("不一致项"),
        default=list,
    )
    error = models.TextField(
        verbose_name=_("错误"),
        blank=True,
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("恢复演练")
        verbose_name_plural = _("恢复演练")

    def __str__(self) -> str:
        return f"{self.run} → {self.state}"


class RepositoryCheck(models.Model):
    """One `restic check` of an organisation's repository."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="repository_checks",
    )
    at = models.DateTimeField(
        verbose_name=_("时间"),
    )
    ok = models.BooleanField(
        verbose_name=_("通过"),
    )
    output = models.TextField(
        verbose_name=_("输出"),
        blank=True,
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("仓库校验")
        verbose_name_plural = _("仓库校验")

    def __str__(self) -> str:
        return f"{self.organisation} {self.at:%Y-%m-%d} {'ok' if self.ok else 'failed'}"


class DeletedItem(models.Model):
    """A file the customer deleted from its online data (6.4): gone at once online; its
    backup copies expire by the retention rules, the last one at `last_copy_expires_at`."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="deleted_items",
    )
    data_set = models.ForeignKey(
        "datalife.DataSet",
        verbose_name=_("数据集"),
        on_delete=models.CASCADE,
        related_name="deleted_items",
    )
    path = models.CharField(
        verbose_name=_("文件"),
        max_length=500,
    )
    deleted_at = models.DateTimeField(
        verbose_name=_("删除时间"),
    )
    deleted_by = models.CharField(
        verbose_name=_("删除人"),
        max_length=150,
    )
    # Snapshot ids that still held the file when it was deleted.
    snapshots = models.JSONField(
        verbose_name=_("仍含该文件的快照"),
        default=list,
    )
    last_copy_expires_at = models.DateTimeField(
        verbose_name=_("最后备份副本到期"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-deleted_at", "-pk"]
        verbose_name = _("已删除文件")
        verbose_name_plural = _("已删除文件")

    def __str__(self) -> str:
        return self.path


class ServiceEnd(models.Model):
    """The end of service for a contract's customer (6.5): a buffer period with an
    export service, then the purge of everything the platform holds for it.

    `buffer_n`/`buffer_clock` is the length the parties set (the contract's open
    parameter for 6.5, or given when the end of service starts); `buffer_ends_at` is
    computed by `core.periods.deadline`. The purge is obligation `obligation_id` (6.5).
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="service_ends",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="service_ends",
    )
    reason = models.CharField(
        verbose_name=_("终止原因"),
        max_length=20,
        choices=ServiceEndReason.choices,
    )
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=10,
        choices=ServiceEndState.choices,
        default=ServiceEndState.BUFFER,
        db_index=True,
    )
    started_at = models.DateTimeField(
        verbose_name=_("服务终止时间"),
    )
    started_by = models.CharField(
        verbose_name=_("操作人"),
        max_length=150,
    )
    buffer_n = models.PositiveIntegerField(
        verbose_name=_("缓冲期长度"),
    )
    buffer_clock = models.CharField(
        verbose_name=_("缓冲期单位"),
        max_length=10,
        choices=[("days", _("日")), ("months", _("月"))],
        default="days",
    )
    buffer_ends_at = models.DateTimeField(
        verbose_name=_("缓冲期届满"),
        db_index=True,
    )
    obligation_id = models.BigIntegerField(
        verbose_name=_("删除义务"),
        null=True,
        blank=True,
    )
    purged_at = models.DateTimeField(
        verbose_name=_("删除完成时间"),
        null=True,
        blank=True,
    )
    # A worker purging it now (claimed with a conditional UPDATE); stale after an hour.
    purge_claimed_at = models.DateTimeField(
        verbose_name=_("删除开始时间"),
        null=True,
        blank=True,
    )
    # What the last purge attempt could not do (retried on the next worker pass).
    purge_error = models.TextField(
        verbose_name=_("删除失败原因"),
        blank=True,
    )
    note = models.TextField(
        verbose_name=_("备注"),
        blank=True,
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("服务终止")
        verbose_name_plural = _("服务终止")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(state="buffer"),
                name="service_end_one_buffer_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_reason_display()}"

    @property
    def in_buffer(self) -> bool:
        return self.state == ServiceEndState.BUFFER


class ExportArchive(models.Model):
    """A downloadable archive of an organisation's data with a manifest of SHA-256s (6.5)."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="export_archives",
    )
    service_end = models.ForeignKey(
        "datalife.ServiceEnd",
        verbose_name=_("服务终止"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exports",
    )
    requested_at = models.DateTimeField(
        verbose_name=_("申请时间"),
    )
    requested_by = models.CharField(
        verbose_name=_("申请人"),
        max_length=150,
    )
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=10,
        choices=ExportState.choices,
        default=ExportState.PENDING,
        db_index=True,
    )
    ready_at = models.DateTimeField(
        verbose_name=_("生成时间"),
        null=True,
        blank=True,
    )
    file_name = models.CharField(
        verbose_name=_("文件名"),
        max_length=200,
        blank=True,
    )
    size = models.PositiveBigIntegerField(
        verbose_name=_("字节数"),
        default=0,
    )
    sha256 = models.CharField(
        verbose_name=_("SHA-256"),
        max_length=64,
        blank=True,
    )
    # [{"name", "sha256", "size"}] of every file inside the archive.
    manifest = models.JSONField(
        verbose_name=_("清单"),
        default=list,
    )
    error = models.TextField(
        verbose_name=_("错误"),
        blank=True,
    )
    purged_at = models.DateTimeField(
        verbose_name=_("删除时间"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("数据导出")
        verbose_name_plural = _("数据导出")

    def __str__(self) -> str:
        return self.file_name or f"export {self.pk}"


class DeletionRecord(AppendOnly):
    """The deletion record (6.6): what was deleted, where, when, by whom, how verified.

    `items` is [{"what", "where", "when", "by", "verified"}]; `content_hash` is SHA-256 over
    the record as issued, printed on its PDF.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="deletion_records",
    )
    service_end = models.OneToOneField(
        "datalife.ServiceEnd",
        verbose_name=_("服务终止"),
        on_delete=models.PROTECT,
        related_name="deletion_record",
    )
    issued_at = models.DateTimeField(
        verbose_name=_("出具时间"),
    )
    issued_by = models.CharField(
        verbose_name=_("出具人"),
        max_length=150,
    )
    items = models.JSONField(
        verbose_name=_("删除项"),
        default=list,
    )
    content_hash = models.CharField(
        verbose_name=_("内容哈希"),
        max_length=64,
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("数据删除记录")
        verbose_name_plural = _("数据删除记录")

    def __str__(self) -> str:
        return f"{self.organisation} {self.issued_at:%Y-%m-%d}"
