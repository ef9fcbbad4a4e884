"""Every duty with a clock is a row; `services.tick` evaluates them."""

from datetime import timedelta

from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import Party
from yiyun.obligations.choices import EventKind, ObligationClock, ObligationKind, ObligationState

__all__ = ["Obligation", "ObligationEvent", "TickState"]


class Obligation(models.Model):
    """One clocked duty of a contract: who must do what by when, and what happens if not.

    `base_due_at` is what the clock gives from `trigger_at`; `due_at` adds the time spent
    paused and is NULL while paused (a paused obligation cannot come due). `rule` is the
    registry key ("4.2.complex"), `clause` the contract's own number ("4.2").
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="obligations",
    )
    rule = models.CharField(verbose_name=_("规则"), max_length=40)
    clause = models.CharField(verbose_name=_("条款"), max_length=20)
    title = models.CharField(verbose_name=_("名称"), max_length=200)
    kind = models.CharField(
        verbose_name=_("类型"),
        max_length=10,
        choices=ObligationKind.choices,
        default=ObligationKind.DUTY,
    )
    bound_party = models.CharField(verbose_name=_("义务方"), max_length=10, choices=Party.choices)
    subject_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("事由类型"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    subject_id = models.CharField(verbose_name=_("事由ID"), max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    trigger_at = models.DateTimeField(verbose_name=_("起算时间"))
    clock = models.CharField(
        verbose_name=_("计时方式"), max_length=10, choices=ObligationClock.choices
    )
    limit = models.PositiveIntegerField(verbose_name=_("期限"), null=True, blank=True)
    before = models.BooleanField(verbose_name=_("提前期"), default=False)
    base_due_at = models.DateTimeField(verbose_name=_("计算截止时间"))
    due_at = models.DateTimeField(verbose_name=_("截止时间"), null=True, blank=True)
    due_unconfirmed = models.BooleanField(verbose_name=_("截止时间待确认"), default=False)
    unconfirmed_years = models.JSONField(verbose_name=_("无官方安排的年份"), default=list)
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=10,
        choices=ObligationState.choices,
        default=ObligationState.OPEN,
    )
    pausable = models.BooleanField(verbose_name=_("可暂停"), default=False)
    paused_at = models.DateTimeField(verbose_name=_("暂停时间"), null=True, blank=True)
    paused_for = models.DurationField(verbose_name=_("累计暂停"), default=timedelta)
    penalty_rule = models.CharField(verbose_name=_("违约金条款"), max_length=10, blank=True)
    right = models.CharField(verbose_name=_("违约产生的权利"), max_length=40, blank=True)
    consequence = models.CharField(verbose_name=_("后果"), max_length=300, blank=True)
    # [{"key": "half", "at": iso, "sent": bool}]; next_remind_at is the earliest unsent.
    reminder_plan = models.JSONField(verbose_name=_("提醒计划"), default=list)
    next_remind_at = models.DateTimeField(verbose_name=_("下次提醒"), null=True, blank=True)
    opened_at = models.DateTimeField(verbose_name=_("创建时间"))
    met_at = models.DateTimeField(verbose_name=_("履行时间"), null=True, blank=True)
    breached_at = models.DateTimeField(verbose_name=_("违约时间"), null=True, blank=True)
    closed_at = models.DateTimeField(verbose_name=_("结束时间"), null=True, blank=True)
    evidence = models.TextField(verbose_name=_("履行证明"), blank=True)
    note = models.TextField(verbose_name=_("备注"), blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("履约义务")
        verbose_name_plural = _("履约义务")
        indexes = [
            # tick: open obligations due by now, and reminders due by now — by index,
            # so a tick costs what is due, not what is stored.
            models.Index(fields=["state", "due_at"], name="obligation_state_due"),
            models.Index(fields=["state", "next_remind_at"], name="obligation_state_remind"),
            models.Index(fields=["subject_type", "subject_id"], name="obligation_subject"),
            models.Index(fields=["contract", "clause"], name="obligation_contract_clause"),
        ]

    def __str__(self) -> str:
        return f"{self.clause} {self.title}"

    @property
    def label(self) -> str:
        """The title in the reader's language (the rule's), else as stored."""
        from yiyun.obligations.registry import registered

        rule = registered(self.rule)
        return str(rule.title) if rule is not None else self.title

    @property
    def consequence_label(self) -> str:
        from yiyun.obligations.registry import registered

        rule = registered(self.rule)
        return str(rule.consequence) if rule is not None else self.consequence

    @property
    def state_colour(self) -> str:
        return ObligationState(self.state).colour

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class ObligationEvent(models.Model):
    """Something that happened to an obligation; each one is also an audit entry."""

    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("履约义务"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(verbose_name=_("事件"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(verbose_name=_("时间"))
    actor = models.CharField(verbose_name=_("操作人"), max_length=150)
    data = models.JSONField(verbose_name=_("数据"), default=dict)
    note = models.TextField(verbose_name=_("说明"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("履约事件")
        verbose_name_plural = _("履约事件")
        indexes = [models.Index(fields=["obligation", "at"], name="obligation_event_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class TickState(models.Model):
    """One row: when `tick` last ran. A tick never goes back before it."""

    last_tick_at = models.DateTimeField(verbose_name=_("上次运行时间"), null=True, blank=True)
    ticks = models.PositiveBigIntegerField(verbose_name=_("运行次数"), default=0)

    class Meta:
        verbose_name = _("期限检查状态")
        verbose_name_plural = _("期限检查状态")

    def __str__(self) -> str:
        return f"tick @ {self.last_tick_at}"
