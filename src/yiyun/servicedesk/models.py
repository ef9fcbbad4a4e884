"""The service desk: tickets with contract clocks, contact-list changes (2.3), complaints
(2.10), violation notices and measures (3.3, 3.6), the duty roster and SLA reports.

No clock lives here: every deadline is an `obligations.Obligation` opened through
`obligation_open`, whose subject is the row it is about.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.servicedesk.choices import (
    Channel,
    ComplaintStatus,
    ContactAction,
    ContactChangeStatus,
    DutyRole,
    EventKind,
    MeasureKind,
    TicketKind,
    TicketPriority,
    TicketStatus,
    ViolationStatus,
)
from yiyun.tenancy.choices import Role

__all__ = [
    "Attachment",
    "Complaint",
    "ContactChange",
    "DutyShift",
    "Escalation",
    "EscalationCursor",
    "Measure",
    "SlaReport",
    "Ticket",
    "TicketEvent",
    "ViolationNotice",
]


class Ticket(models.Model):
    """A request to the provider: a fault (2.2), a support request through the hotline
    (4.2), a complex or special problem (4.2), or a rectification demand (2.1).

    `reported_at` is when the clock starts: the moment the request reached the provider
    (the time of the phone call for the hotline desk), not when it was typed
    (`entered_at`). `obligation` is the contract clock the ticket carries now; every
    clock it ever carried is an obligation whose subject is this ticket.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("客户单位"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    site = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("站点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    reporter = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("报告人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets_reported",
    )
    reporter_name = models.CharField(verbose_name=_("报告人姓名"), max_length=100, blank=True)
    reporter_phone = models.CharField(verbose_name=_("报告人电话"), max_length=40, blank=True)
    kind = models.CharField(verbose_name=_("类型"), max_length=20, choices=TicketKind.choices)
    priority = models.CharField(
        verbose_name=_("优先级"),
        max_length=10,
        choices=TicketPriority.choices,
        default=TicketPriority.NORMAL,
    )
    title = models.CharField(verbose_name=_("标题"), max_length=200)
    description = models.TextField(verbose_name=_("描述"), blank=True)
    affected_system = models.CharField(
        verbose_name=_("受影响的业务系统"), max_length=200, blank=True
    )
    affected_circuit = models.CharField(verbose_name=_("受影响的电路"), max_length=200, blank=True)
    assignee = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("处理人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets_assigned",
    )
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=TicketStatus.choices,
        default=TicketStatus.NEW,
    )
    channel = models.CharField(verbose_name=_("来源渠道"), max_length=10, choices=Channel.choices)
    reported_at = models.DateTimeField(verbose_name=_("报告时间"))
    entered_at = models.DateTimeField(verbose_name=_("录入时间"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_by_label = models.CharField(verbose_name=_("录入人账号"), max_length=150)
    # 2.1: the deadline the customer set for a rectification.
    rectification_due_at = models.DateTimeField(verbose_name=_("整改期限"), null=True, blank=True)
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("当前合同期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.TextField(verbose_name=_("处理结果"), blank=True)
    resolved_at = models.DateTimeField(verbose_name=_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(verbose_name=_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(fields=["organisation", "status"], name="ticket_org_status"),
            models.Index(fields=["contract", "reported_at"], name="ticket_contract_reported"),
            models.Index(fields=["status", "kind"], name="ticket_status_kind"),
            # Lists show the newest first.
            models.Index(fields=["-reported_at"], name="ticket_reported_desc"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"{self.pk:06d}" if self.pk else ""

    @property
    def status_colour(self) -> str:
        return TicketStatus(self.status).colour

    @property
    def priority_colour(self) -> str:
        return TicketPriority(self.priority).colour


class Attachment(models.Model):
    """A file uploaded to a ticket, a contact change, a complaint or a violation notice.

    Stored under MEDIA_ROOT with a random name (never the uploaded one); served only by
    the scoped download view. `internal` files (of an internal note) are the
    provider's: the customer never sees them.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("客户单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "servicedesk.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    contact_change = models.ForeignKey(
        "servicedesk.ContactChange",
        verbose_name=_("联系人变更"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    complaint = models.ForeignKey(
        "servicedesk.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    violation = models.ForeignKey(
        "servicedesk.ViolationNotice",
        verbose_name=_("违约通知"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    purpose = models.CharField(verbose_name=_("用途"), max_length=40, blank=True)
    internal = models.BooleanField(verbose_name=_("仅乙方可见"), default=False)
    file = models.FileField(verbose_name=_("文件"), upload_to="servicedesk/", max_length=300)
    name = models.CharField(verbose_name=_("文件名"), max_length=200)
    content_type = models.CharField(verbose_name=_("类型"), max_length=120)
    size = models.PositiveBigIntegerField(verbose_name=_("大小（字节）"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_by_label = models.CharField(verbose_name=_("上传人账号"), max_length=150)
    uploaded_at = models.DateTimeField(verbose_name=_("上传时间"))

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def storage_name(organisation_id: int, extension: str, moment) -> str:
        """Where a new file goes: per customer and month, under a random name."""
        return str(
            PurePosixPath("servicedesk")
            / f"org-{organisation_id}"
            / f"{moment:%Y/%m}"
            / f"{uuid.uuid4().hex}.{extension}"
        )


class TicketEvent(models.Model):
    """One entry of a ticket's timeline: comment, internal note, attachment, change of
    status/kind/assignee, clock paused or resumed, reminder or escalation sent."""

    ticket = models.ForeignKey(
        "servicedesk.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(verbose_name=_("事件"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(verbose_name=_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(verbose_name=_("操作人账号"), max_length=150)
    text = models.TextField(verbose_name=_("内容"), blank=True)
    # Internal notes and what only the provider should see.
    internal = models.BooleanField(verbose_name=_("内部"), default=False)
    attachment = models.ForeignKey(
        "servicedesk.Attachment",
        verbose_name=_("附件"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(verbose_name=_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("工单事件")
        verbose_name_plural = _("工单事件")
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_event_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class ContactChange(models.Model):
    """2.3: the customer's written notice of a change to its contact/administrator list.

    The list is the customer organisation's people (tenancy.Person). The change applies
    only when the provider confirms it (within 2 working days of receipt, the
    obligation); until then the old list stays valid and the pending change shows
    beside it.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="contact_changes",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("客户单位"),
        on_delete=models.PROTECT,
        related_name="contact_changes",
    )
    action = models.CharField(verbose_name=_("变更"), max_length=10, choices=ContactAction.choices)
    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("人员"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_changes",
    )
    name = models.CharField(verbose_name=_("姓名"), max_length=100, blank=True)
    title = models.CharField(verbose_name=_("职务"), max_length=100, blank=True)
    phone = models.CharField(verbose_name=_("电话"), max_length=40, blank=True)
    email = models.EmailField(verbose_name=_("电子邮箱"), blank=True)
    role = models.CharField(
        verbose_name=_("联系人角色"), max_length=30, choices=Role.choices, blank=True
    )
    site = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("站点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(verbose_name=_("说明"), blank=True)
    notified_by = models.CharField(verbose_name=_("通知人（甲方）"), max_length=100)
    # 2.3: the provider's 2 working days run from receipt of the written notice.
    received_at = models.DateTimeField(verbose_name=_("乙方收到时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by_label = models.CharField(verbose_name=_("提交人账号"), max_length=150)
    submitted_at = models.DateTimeField(verbose_name=_("提交时间"))
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=ContactChangeStatus.choices,
        default=ContactChangeStatus.PENDING,
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("确认期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_label = models.CharField(verbose_name=_("确认/撤回人"), max_length=150, blank=True)
    decided_at = models.DateTimeField(verbose_name=_("确认/撤回时间"), null=True, blank=True)
    decision_note = models.TextField(verbose_name=_("确认说明"), blank=True)
    # The person's details before the change was applied, for the record.
    before = models.JSONField(verbose_name=_("变更前"), default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("联系人变更")
        verbose_name_plural = _("联系人变更")
        indexes = [
            models.Index(fields=["organisation", "status"], name="contact_change_org_status")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.name or self.person}"

    @property
    def status_colour(self) -> str:
        return ContactChangeStatus(self.status).colour

    def proposed(self) -> dict:
        """The contact details the change proposes (empty ones left out)."""
        fields = {
            "name": self.name,
            "title": self.title,
            "phone": self.phone,
            "email": self.email,
            "role": self.role,
        }
        result = {key: value for key, value in fields.items() if value}
        if self.site_id:
            result["site"] = self.site
        return result


class Complaint(models.Model):
    """2.10: a third party's complaint about the customer's content.

    The provider records it and notifies the customer at once (`notified_at`); the
    customer answers with evidence within 7 working days (the obligation). Only after
    that deadline, unanswered (or the answer not accepted), may the provider record the
    measures of 2.10.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("客户单位"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    complainant = models.CharField(verbose_name=_("投诉人（第三方）"), max_length=200)
    complainant_contact = models.CharField(
        verbose_name=_("投诉人联系方式"), max_length=200, blank=True
    )
    received_at = models.DateTimeField(verbose_name=_("乙方收到投诉时间"))
    content = models.TextField(verbose_name=_("被投诉内容"))
    location = models.CharField(verbose_name=_("内容位置（网址/系统）"), max_length=300, blank=True)
    notified_at = models.DateTimeField(verbose_name=_("通知甲方时间"))
    recorded_by_label = models.CharField(verbose_name=_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(verbose_name=_("登记时间"))
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.AWAITING_ANSWER,
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("答复期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answer = models.TextField(verbose_name=_("甲方说明"), blank=True)
    answered_at = models.DateTimeField(verbose_name=_("说明时间"), null=True, blank=True)
    answered_by_label = models.CharField(verbose_name=_("说明人"), max_length=150, blank=True)
    review_note = models.TextField(verbose_name=_("乙方审查意见"), blank=True)
    reviewed_at = models.DateTimeField(verbose_name=_("审查时间"), null=True, blank=True)
    reviewed_by_label = models.CharField(verbose_name=_("审查人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-notified_at", "-pk"]
        verbose_name = _("投诉（2.10）")
        verbose_name_plural = _("投诉（2.10）")

    def __str__(self) -> str:
        return f"{self.complainant}：{self.content[:40]}"

    @property
    def status_colour(self) -> str:
        return ComplaintStatus(self.status).colour


class ViolationNotice(models.Model):
    """3.6: the provider's written notice that the customer breached clause 2.

    The customer has 30 days from delivery to rectify (the obligation); a measure of 3.3
    may be recorded only after that period, or once the customer's rectification was
    rejected.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="violation_notices",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("客户单位"),
        on_delete=models.PROTECT,
        related_name="violation_notices",
    )
    clause_breached = models.CharField(verbose_name=_("违反的条款"), max_length=20)
    description = models.TextField(verbose_name=_("违约事实"))
    delivered_at = models.DateTimeField(verbose_name=_("书面通知送达时间"))
    recorded_by_label = models.CharField(verbose_name=_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(verbose_name=_("登记时间"))
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=ViolationStatus.choices,
        default=ViolationStatus.RECTIFYING,
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("整改期"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rectification = models.TextField(verbose_name=_("甲方整改情况"), blank=True)
    reported_at = models.DateTimeField(verbose_name=_("整改报告时间"), null=True, blank=True)
    reported_by_label = models.CharField(verbose_name=_("报告人"), max_length=150, blank=True)
    review_note = models.TextField(verbose_name=_("乙方审查意见"), blank=True)
    reviewed_at = models.DateTimeField(verbose_name=_("审查时间"), null=True, blank=True)
    reviewed_by_label = models.CharField(verbose_name=_("审查人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-pk"]
        verbose_name = _("违约通知（3.6）")
        verbose_name_plural = _("违约通知（3.6）")

    def __str__(self) -> str:
        return f"{self.clause_breached} {self.delivered_at:%Y-%m-%d}"

    @property
    def status_colour(self) -> str:
        return ViolationStatus(self.status).colour


class Measure(models.Model):
    """A measure the provider took against the customer, with its legal ground: 2.10
    (complaint unanswered) or 3.3 after 3.6's rectification period."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="measures",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("客户单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    complaint = models.ForeignKey(
        "servicedesk.Complaint",
        verbose_name=_("投诉"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
    )
    violation = models.ForeignKey(
        "servicedesk.ViolationNotice",
        verbose_name=_("违约通知"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
    )
    kind = models.CharField(verbose_name=_("措施"), max_length=30, choices=MeasureKind.choices)
    legal_ground = models.CharField(verbose_name=_("依据"), max_length=300)
    allowed_since = models.DateTimeField(verbose_name=_("可采取措施起始时间"))
    description = models.TextField(verbose_name=_("说明"), blank=True)
    taken_at = models.DateTimeField(verbose_name=_("采取时间"))
    recorded_by_label = models.CharField(verbose_name=_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("处理措施")
        verbose_name_plural = _("处理措施")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(complaint__isnull=False, violation__isnull=True)
                    | models.Q(complaint__isnull=True, violation__isnull=False)
                ),
                name="measure_one_ground",
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class DutyShift(models.Model):
    """Who of the provider is on duty when: escalations go only to people on duty.

    The 24×7 desk (role DESK) is always on duty: its shift has no end.
    """

    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    role = models.CharField(verbose_name=_("值班角色"), max_length=10, choices=DutyRole.choices)
    starts_at = models.DateTimeField(verbose_name=_("开始时间"))
    ends_at = models.DateTimeField(verbose_name=_("结束时间"), null=True, blank=True)
    note = models.CharField(verbose_name=_("备注"), max_length=200, blank=True)
    created_by_label = models.CharField(verbose_name=_("登记人"), max_length=150)
    created_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("值班")
        verbose_name_plural = _("值班表")
        indexes = [models.Index(fields=["role", "starts_at"], name="duty_role_start")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_role_display()}"


class Escalation(models.Model):
    """A reminder or breach escalation the desk passed on for one obligation event, to
    one person: so each is sent once however often the dispatcher runs."""

    event = models.ForeignKey(
        "obligations.ObligationEvent",
        verbose_name=_("期限事件"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "servicedesk.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalations",
    )
    kind = models.CharField(verbose_name=_("类型"), max_length=20)
    sent_at = models.DateTimeField(verbose_name=_("发送时间"))
    emailed = models.BooleanField(verbose_name=_("已发邮件"), default=False)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("提醒与升级")
        verbose_name_plural = _("提醒与升级")
        constraints = [models.UniqueConstraint(fields=["event", "person"], name="escalation_once")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.person}"


class EscalationCursor(models.Model):
    """One row: the last obligation event the escalation dispatcher has looked at."""

    last_event_id = models.BigIntegerField(verbose_name=_("最后处理的事件"), default=0)

    class Meta:
        verbose_name = _("升级进度")
        verbose_name_plural = _("升级进度")

    def __str__(self) -> str:
        return f"escalations after event {self.last_event_id}"


class SlaReport(models.Model):
    """A monthly SLA report issued as PDF: its SHA-256 is kept so a copy can be verified."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="sla_reports",
    )
    month = models.DateField(verbose_name=_("月份"))
    language = models.CharField(verbose_name=_("语言"), max_length=10)
    sha256 = models.CharField(verbose_name=_("PDF SHA-256"), max_length=64, db_index=True)
    content_sha256 = models.CharField(verbose_name=_("内容摘要"), max_length=64)
    size = models.PositiveBigIntegerField(verbose_name=_("大小（字节）"))
    figures = models.JSONField(verbose_name=_("统计数据"), default=dict)
    generated_at = models.DateTimeField(verbose_name=_("生成时间"))
    generated_by_label = models.CharField(verbose_name=_("生成人"), max_length=150)

    class Meta:
        ordering = ["-generated_at", "-pk"]
        verbose_name = _("SLA 报告")
        verbose_name_plural = _("SLA 报告")

    def __str__(self) -> str:
        return f"{self.contract.number} {self.month:%Y-%m}"
