import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.core.choices import CalendarDayKind, CalendarOrigin

__all__ = ["AuditEntry", "CalendarDay", "CalendarYear"]


class AuditEntry(models.Model):
    """One link of the append-only, hash-chained audit log.

    `hash` is SHA-256 over the entry's canonical content and the previous entry's hash,
    so changing, removing or reordering any entry breaks the chain from that point on.
    The content has the SHA-256 of a random salt and the data (`data_sha256`), not the
    data: at the end of service the data of a customer's entries is deleted with the
    salt (`redacted_at`, 6.5) and the chain still holds.
    """

    seq = models.PositiveBigIntegerField(verbose_name=_("序号"), unique=True)
    at = models.DateTimeField(verbose_name=_("时间"), db_index=True)
    # The actor is kept as text and id, not as a foreign key: deleting a user must not
    # rewrite history.
    actor_id = models.BigIntegerField(verbose_name=_("操作人ID"), null=True, blank=True)
    actor = models.CharField(verbose_name=_("操作人"), max_length=150)
    action = models.CharField(verbose_name=_("动作"), max_length=80, db_index=True)
    object_type = models.CharField(verbose_name=_("对象类型"), max_length=80, blank=True)
    object_id = models.CharField(verbose_name=_("对象ID"), max_length=64, blank=True)
    organisation_id = models.BigIntegerField(
        verbose_name=_("所属单位ID"), null=True, blank=True, db_index=True
    )
    data = models.JSONField(verbose_name=_("数据"), default=dict)
    # Random per entry, deleted with the data: see core.audit.data_digest.
    data_salt = models.CharField(verbose_name=_("数据盐值"), max_length=32, blank=True)
    data_sha256 = models.CharField(verbose_name=_("数据哈希"), max_length=64, blank=True)
    redacted_at = models.DateTimeField(verbose_name=_("数据删除时间"), null=True, blank=True)
    prev_hash = models.CharField(verbose_name=_("前一哈希"), max_length=64)
    hash = models.CharField(verbose_name=_("哈希"), max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        # Append-only: an entry is written once by core.audit.audit_record.
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit entries are append-only")


class CalendarYear(models.Model):
    """One year's holiday schedule (节假日安排) as the State Council published it.

    A year without a row is computed on weekends alone, and every deadline that depends on
    it is flagged unconfirmed. A row that is not `official` (an administrator's provisional
    entry, before the notice is out) is used, but still flagged. `revision` changes on
    every import or correction, so caches and recomputations can tell versions apart.
    Written only through `yiyun.core.services` (audited, hooks run).
    """

    year = models.PositiveSmallIntegerField(verbose_name=_("年份"), unique=True)
    source = models.TextField(
        verbose_name=_("来源"),
        help_text=_("通知的标题、文号和发布日期，例如“国务院办公厅关于2027年部分节假日安排的通知”"),
    )
    official = models.BooleanField(
        verbose_name=_("官方安排"),
        default=True,
        help_text=_("国务院已发布的正式安排；未勾选时计算结果仍标记为待确认"),
    )
    origin = models.CharField(
        verbose_name=_("录入方式"),
        max_length=20,
        choices=CalendarOrigin.choices,
        default=CalendarOrigin.ADMIN,
    )
    imported_at = models.DateTimeField(verbose_name=_("导入时间"))
    imported_by = models.CharField(verbose_name=_("导入人"), max_length=150, blank=True)
    revision = models.UUIDField(verbose_name=_("版本"), default=uuid.uuid4)

    class Meta:
        ordering = ["year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        constraints = [
            models.CheckConstraint(
                # The range yiyun.core.workcalendar.CalendarIndex covers.
                condition=models.Q(year__gte=2000, year__lte=2199),
                name="core_calendaryear_year_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A date the schedule changes: a holiday (放假) or a make-up working day (调休上班).

    Every other date follows the week: Monday to Friday working, weekends off.
    """

    calendar_year = models.ForeignKey(
        "core.CalendarYear",
        verbose_name=_("年份"),
        on_delete=models.CASCADE,
        related_name="days",
    )
    date = models.DateField(verbose_name=_("日期"), unique=True)
    kind = models.CharField(
        verbose_name=_("类型"),
        max_length=20,
        choices=CalendarDayKind.choices,
    )
    name = models.CharField(
        verbose_name=_("节日"),
        max_length=100,
        blank=True,
        help_text=_("放假所属的节日；调休上班日可写其所补的节日"),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("安排日期")
        verbose_name_plural = _("安排日期")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "makeup_workday"]),
                name="core_calendarday_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
