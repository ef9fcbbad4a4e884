"""Websites, their filings and permits (2.6), and the access-log archive (2.4)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.datalife.choices import DisclosureBasis
from yiyun.websites.choices import (
    FilingKind,
    ManifestAction,
    RemoveReason,
    WebsiteStatus,
)
from yiyun.websites.conf import DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS

__all__ = [
    "ArchiveFile",
    "CompactedSegment",
    "DailyCoverage",
    "Filing",
    "LegalHold",
    "LogExport",
    "ManifestEntry",
    "Website",
]

RETENTION_FLOOR_MESSAGE = _(
    "访问日志保存期限不得少于 %(limit_value)s 日（《互联网信息服务管理办法》第十四条）。"
)


class Website(models.Model):
    """A website of a customer: its domain, where it runs, and how its access log is kept.

    The access log itself lives in the Parquet archive (ArchiveFile); this row holds
    its settings: log format, retention, and the ingest token (only its digest).
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="websites",
    )
    site = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("站点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="websites",
    )
    # The contract under which the site runs: filing reminders (2.6) are its obligations.
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="websites",
    )
    domain = models.CharField(verbose_name=_("域名"), max_length=253, unique=True)
    name = models.CharField(verbose_name=_("网站名称"), max_length=200)
    business_system = models.CharField(verbose_name=_("业务系统"), max_length=200, blank=True)
    server = models.CharField(verbose_name=_("服务器"), max_length=200, blank=True)
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=WebsiteStatus.choices,
        default=WebsiteStatus.ONLINE,
    )
    # Hours without a line count as gaps only from this moment on (coverage report).
    online_since = models.DateTimeField(verbose_name=_("上线时间"))
    offline_since = models.DateTimeField(verbose_name=_("停止服务时间"), null=True, blank=True)
    # 2.4: 网络安全法 art. 21 (six months) by default; 互联网信息服务管理办法 art. 14 floor.
    retention_days = models.PositiveIntegerField(
        verbose_name=_("日志保存天数"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(MIN_RETENTION_DAYS, message=RETENTION_FLOOR_MESSAGE)],
    )
    # nginx `log_format` syntax; empty: `combined` followed by ` "$host"`.
    log_format = models.TextField(verbose_name=_("日志格式"), blank=True)
    ingest_token_prefix = models.CharField(
        verbose_name=_("接入令牌前缀"), max_length=12, blank=True
    )
    ingest_token_digest = models.CharField(
        verbose_name=_("接入令牌摘要"), max_length=64, blank=True, db_index=True
    )
    # Row ids in the archive are unique per website; blocks are reserved from here.
    next_row_id = models.PositiveBigIntegerField(verbose_name=_("下一行号"), default=1)
    created_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["organisation", "domain"]
        verbose_name = _("网站")
        verbose_name_plural = _("网站")

    def __str__(self) -> str:
        return self.domain


class Filing(models.Model):
    """An ICP filing (备案) or a permit of a website, with its validity (2.6)."""

    website = models.ForeignKey(
        "websites.Website",
        verbose_name=_("网站"),
        on_delete=models.CASCADE,
        related_name="filings",
    )
    kind = models.CharField(verbose_name=_("类别"), max_length=20, choices=FilingKind.choices)
    number = models.CharField(verbose_name=_("备案号/许可证号"), max_length=100)
    authority = models.CharField(verbose_name=_("发证机关"), max_length=200, blank=True)
    issued_on = models.DateField(verbose_name=_("发证日期"), null=True, blank=True)
    # An ICP filing has no end date; permits do.
    valid_until = models.DateField(verbose_name=_("有效期至"), null=True, blank=True)
    note = models.TextField(verbose_name=_("备注"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("登记时间"))
    # The duty to renew before expiry, with its reminders, in the obligations engine (2.6).
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("续期义务"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    replaced_at = models.DateTimeField(verbose_name=_("换发时间"), null=True, blank=True)

    class Meta:
        ordering = ["website", "kind", "-valid_until"]
        verbose_name = _("备案与许可")
        verbose_name_plural = _("备案与许可")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class LegalHold(models.Model):
    """A hold that suspends deletion of a website's logs, for all days or a date range."""

    website = models.ForeignKey(
        "websites.Website",
        verbose_name=_("网站"),
        on_delete=models.CASCADE,
        related_name="holds",
    )
    # Both empty: the whole log; otherwise the days from..to (Asia/Shanghai), inclusive.
    starts_on = models.DateField(verbose_name=_("起始日期"), null=True, blank=True)
    ends_on = models.DateField(verbose_name=_("截止日期"), null=True, blank=True)
    reason = models.CharField(verbose_name=_("原因"), max_length=300)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    placed_at = models.DateTimeField(verbose_name=_("设置时间"))
    released_at = models.DateTimeField(verbose_name=_("解除时间"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("保全")
        verbose_name_plural = _("保全")

    def __str__(self) -> str:
        return f"{self.website}: {self.starts_on or '…'}–{self.ends_on or '…'}"

    def covers(self, day) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


class CompactedSegment(models.Model):
    """A spool segment (or imported file) already in the archive: compaction's exactly-once key."""

    segment_id = models.CharField(verbose_name=_("分段标识"), max_length=200, unique=True)
    batch = models.CharField(verbose_name=_("归档批次"), max_length=100)
    compacted_at = models.DateTimeField(verbose_name=_("归档时间"))

    class Meta:
        verbose_name = _("已归档分段")
        verbose_name_plural = _("已归档分段")

    def __str__(self) -> str:
        return self.segment_id


class ArchiveFile(models.Model):
    """One Parquet file of a website's month partition: live until merged or expired.

    A compaction writes its lines as they came (`ip_sorted` false); the worker then merges
    a month's files into one sorted by client IP, which an IP lookup reads in a few row
    groups. Either kind holds the days `first_day`..`last_day` of one calendar month.
    """

    website = models.ForeignKey(
        "websites.Website",
        verbose_name=_("网站"),
        on_delete=models.PROTECT,
        related_name="archive_files",
    )
    first_day = models.DateField(verbose_name=_("首日"))
    last_day = models.DateField(verbose_name=_("末日"))
    ip_sorted = models.BooleanField(verbose_name=_("按 IP 排序"))
    # Relative to the archive root: "<website id>/<YYYY-MM>/<name>.parquet".
    path = models.CharField(verbose_name=_("路径"), max_length=300, unique=True)
    rows = models.PositiveBigIntegerField(verbose_name=_("行数"))
    bytes = models.PositiveBigIntegerField(verbose_name=_("字节数"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    # A Bloom filter of the file's client IPs: an IP lookup opens only the files it names.
    ip_bloom = models.BinaryField(verbose_name=_("IP 布隆过滤器"))
    added_at = models.DateTimeField(verbose_name=_("写入时间"))
    removed_at = models.DateTimeField(verbose_name=_("删除时间"), null=True, blank=True)
    removed_reason = models.CharField(
        verbose_name=_("删除原因"), max_length=20, choices=RemoveReason.choices, blank=True
    )

    class Meta:
        ordering = ["website", "first_day", "path"]
        verbose_name = _("归档文件")
        verbose_name_plural = _("归档文件")
        indexes = [
            models.Index(fields=["website", "last_day"], name="archivefile_website_last_day")
        ]

    def __str__(self) -> str:
        return self.path


class ManifestEntry(models.Model):
    """One link of a website's archive manifest: a file added or removed, hash-chained.

    `hash` is SHA-256 over the entry's content and the previous entry's hash (per
    website), like the audit log: a changed, dropped or reordered entry breaks the chain,
    and the chain's replay must equal the files on disk (`yiyun logs verify`).
    """

    website = models.ForeignKey(
        "websites.Website",
        verbose_name=_("网站"),
        on_delete=models.PROTECT,
        related_name="manifest",
    )
    seq = models.PositiveBigIntegerField(verbose_name=_("序号"))
    at = models.DateTimeField(verbose_name=_("时间"))
    action = models.CharField(verbose_name=_("动作"), max_length=10, choices=ManifestAction.choices)
    reason = models.CharField(
        verbose_name=_("原因"), max_length=20, choices=RemoveReason.choices, blank=True
    )
    first_day = models.DateField(verbose_name=_("首日"))
    last_day = models.DateField(verbose_name=_("末日"))
    path = models.CharField(verbose_name=_("路径"), max_length=300)
    rows = models.PositiveBigIntegerField(verbose_name=_("行数"))
    bytes = models.PositiveBigIntegerField(verbose_name=_("字节数"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    bloom_sha256 = models.CharField(verbose_name=_("布隆过滤器 SHA-256"), max_length=64)
    segments = models.JSONField(verbose_name=_("来源分段"), default=list)
    prev_hash = models.CharField(verbose_name=_("前一哈希"), max_length=64)
    hash = models.CharField(verbose_name=_("哈希"), max_length=64, unique=True)

    class Meta:
        ordering = ["website", "seq"]
        verbose_name = _("归档清单")
        verbose_name_plural = _("归档清单")
        constraints = [
            models.UniqueConstraint(fields=["website", "seq"], name="manifest_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.website_id}#{self.seq} {self.action} {self.path}"


class DailyCoverage(models.Model):
    """Lines received per hour of one day of one website: the coverage report (2.4)."""

    website = models.ForeignKey(
        "websites.Website",
        verbose_name=_("网站"),
        on_delete=models.CASCADE,
        related_name="coverage",
    )
    day = models.DateField(verbose_name=_("日期"))
    lines = models.PositiveBigIntegerField(verbose_name=_("行数"), default=0)
    parse_errors = models.PositiveBigIntegerField(verbose_name=_("解析失败行数"), default=0)
    # 24 counts, hour 0..23 in Asia/Shanghai.
    hours = models.JSONField(verbose_name=_("分时行数"), default=list)

    class Meta:
        ordering = ["website", "day"]
        verbose_name = _("日志覆盖")
        verbose_name_plural = _("日志覆盖")
        constraints = [
            models.UniqueConstraint(fields=["website", "day"], name="coverage_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.website_id} {self.day}: {self.lines}"


class LogExport(models.Model):
    """Files of a lawful export (6.3): the query, the files and their hashes.

    The disclosure itself is recorded in the data-lifecycle register (`disclosure`).
    """

    website = models.ForeignKey(
        "websites.Website",
        verbose_name=_("网站"),
        on_delete=models.PROTECT,
        related_name="exports",
    )
    basis = models.CharField(verbose_name=_("依据"), max_length=10, choices=DisclosureBasis.choices)
    authority = models.CharField(verbose_name=_("调取机关"), max_length=200)
    document_number = models.CharField(verbose_name=_("文书编号"), max_length=100)
    query = models.JSONField(verbose_name=_("查询条件"), default=dict)
    rows = models.PositiveBigIntegerField(verbose_name=_("行数"))
    files = models.JSONField(verbose_name=_("文件"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("导出时间"))
    # 6.3: every export is a disclosure in the data-lifecycle register; never without one.
    disclosure = models.ForeignKey(
        "datalife.Disclosure",
        verbose_name=_("披露登记"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("日志导出")
        verbose_name_plural = _("日志导出")

    def __str__(self) -> str:
        return f"{self.website} {self.document_number}"
