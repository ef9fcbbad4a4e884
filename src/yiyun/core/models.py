from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One link of the append-only, hash-chained audit log.

    `hash` is SHA-256 over the entry's canonical content and the previous entry's hash,
    so changing, removing or reordering any entry breaks the chain from that point on.
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
