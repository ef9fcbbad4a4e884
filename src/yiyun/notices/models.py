from django.db import models
from django.utils.translation import gettext_lazy as _


class InboxMessage(models.Model):
    """An in-site message (站内信, 4.5) to one person, with its read receipt."""

    recipient = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="inbox",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    subject = models.CharField(verbose_name=_("主题"), max_length=200)
    body = models.TextField(verbose_name=_("正文"), blank=True)
    link = models.CharField(verbose_name=_("链接"), max_length=300, blank=True)
    # What caused the message, e.g. "obligation:42"; lets a sender avoid duplicates.
    source = models.CharField(verbose_name=_("来源"), max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(verbose_name=_("发送时间"), db_index=True)
    read_at = models.DateTimeField(verbose_name=_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "source"],
                condition=~models.Q(source=""),
                name="inbox_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.subject
