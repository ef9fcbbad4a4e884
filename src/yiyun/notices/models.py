"""Notices and how they reached people: channels, the outbox and its delivery proof (4.5)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.notices.choices import (
    AttemptOutcome,
    ChannelKind,
    DeliveryState,
    LetterKind,
    NoticeKind,
    SmsGateway,
)

__all__ = [
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "InboxMessage",
    "MaintenanceWindow",
    "Notice",
    "NoticeLetter",
    "NoticeRecipient",
]


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


class Channel(models.Model):
    """A configured way out of the platform for one organisation.

    Its mail sender, its SMS gateway, or a WeCom / DingTalk group robot. Secrets (robot
    keys, signing secrets, gateway tokens) are kept encrypted in `secrets_encrypted`
    (Fernet, key derived from SECRET_KEY) or named as environment variables in
    `secrets_env`; they are never shown back anywhere.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="notice_channels",
    )
    kind = models.CharField(verbose_name=_("渠道"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(verbose_name=_("名称"), max_length=100)
    enabled = models.BooleanField(verbose_name=_("启用"), default=True)
    sms_gateway = models.CharField(
        verbose_name=_("短信网关"),
        max_length=20,
        choices=SmsGateway.choices,
        blank=True,
    )
    endpoint = models.URLField(
        verbose_name=_("接口地址"),
        max_length=300,
        blank=True,
        help_text=_("留空则使用服务商的默认地址"),
    )
    # Settings that are not secret: from address, access key id, SMS sign name, template.
    options = models.JSONField(verbose_name=_("参数"), default=dict, blank=True)
    secrets_encrypted = models.TextField(verbose_name=_("密钥（加密）"), blank=True)
    # {"secret name": "ENVIRONMENT_VARIABLE"}: secrets that live in the environment.
    secrets_env = models.JSONField(verbose_name=_("密钥环境变量"), default=dict, blank=True)
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(verbose_name=_("修改时间"))

    class Meta:
        ordering = ["organisation", "kind", "name"]
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "name"], name="notice_channel_unique_name"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["email", "sms", "wecom", "dingtalk"]),
                name="notice_channel_kind_configurable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


class Notice(models.Model):
    """A notice from one organisation to an audience: maintenance (4.4), an announcement, or a
    written contract notice (a letter, delivered as a PDF).

    `sent_at` is NULL while it is a draft. `parties` are every organisation the notice
    concerns (sender, audience, the contract's parties): once sent, their people may see
    it; a draft is seen only by the sender's side.
    """

    # Makes idempotency keys unique beyond this database (a test and a production
    # installation may share one SMS gateway account).
    uid = models.UUIDField(
        verbose_name=_("唯一标识"), default=uuid.uuid4, unique=True, editable=False
    )
    kind = models.CharField(verbose_name=_("类型"), max_length=30, choices=NoticeKind.choices)
    letter_kind = models.CharField(
        verbose_name=_("书面通知类型"),
        max_length=30,
        choices=LetterKind.choices,
        blank=True,
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("发出单位"),
        on_delete=models.PROTECT,
        related_name="notices_sent",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(verbose_name=_("标题"), max_length=200)
    body = models.TextField(verbose_name=_("正文"))
    channels = models.JSONField(verbose_name=_("发送渠道"), default=list)
    # The audience as the author chose it; resolved to people (NoticeRecipient) at send time.
    audience_organisations = models.ManyToManyField(
        "tenancy.Organisation",
        verbose_name=_("接收单位"),
        blank=True,
        related_name="+",
    )
    audience_sites = models.ManyToManyField(
        "tenancy.Site",
        verbose_name=_("接收站点"),
        blank=True,
        related_name="+",
    )
    audience_roles = models.JSONField(verbose_name=_("接收角色"), default=list, blank=True)
    # 2.3: the contract's contact list.
    audience_contacts = models.BooleanField(verbose_name=_("合同联系人"), default=False)
    parties = models.ManyToManyField(
        "tenancy.Organisation",
        verbose_name=_("相关单位"),
        related_name="notices",
    )
    # Letters: the reason given (5.3 needs one), and since when force majeure (8.1.1).
    reason = models.TextField(verbose_name=_("理由"), blank=True)
    force_majeure_since = models.DateField(
        verbose_name=_("不可抗力开始日期"), null=True, blank=True
    )
    # 4.4: the latest moment a routine maintenance notice may go out.
    latest_send_at = models.DateTimeField(verbose_name=_("最迟发送时间"), null=True, blank=True)
    # The clocks this notice started (4.4 for each contract; 3.6 / 2.10 for the other side).
    obligations = models.ManyToManyField(
        "obligations.Obligation",
        verbose_name=_("相关期限"),
        blank=True,
        related_name="+",
    )
    # An obligation this notice's delivery meets (e.g. 2.3's confirmation).
    fulfils = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("履行的义务"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撰写人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField(verbose_name=_("撰写人姓名"), max_length=150, blank=True)
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    sent_at = models.DateTimeField(verbose_name=_("发送时间"), null=True, blank=True)
    sent_by = models.CharField(verbose_name=_("发送人"), max_length=150, blank=True)
    # 4.5: a notice is delivered when sent; the first delivery that went out.
    delivered_at = models.DateTimeField(verbose_name=_("送达时间"), null=True, blank=True)
    # On the public announcements page and feed since (the web channel).
    published_at = models.DateTimeField(
        verbose_name=_("公告发布时间"), null=True, blank=True, db_index=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["organisation", "sent_at"], name="notice_org_sent")]

    def __str__(self) -> str:
        return self.subject

    @property
    def kind_colour(self) -> str:
        return NoticeKind(self.kind).colour

    @property
    def is_draft(self) -> bool:
        return self.sent_at is None

    @property
    def is_public(self) -> bool:
        return self.published_at is not None


class MaintenanceWindow(models.Model):
    """When a maintenance runs, what it touches and what users will notice (4.4)."""

    notice = models.OneToOneField(
        "notices.Notice",
        verbose_name=_("通知"),
        on_delete=models.CASCADE,
        related_name="window",
    )
    starts_at = models.DateTimeField(verbose_name=_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(verbose_name=_("结束时间"), db_index=True)
    affected_systems = models.JSONField(verbose_name=_("受影响业务系统"), default=list, blank=True)
    affected_circuits = models.JSONField(verbose_name=_("受影响电路"), default=list, blank=True)
    affected_sites = models.ManyToManyField(
        "tenancy.Site",
        verbose_name=_("受影响站点"),
        blank=True,
        related_name="maintenance_windows",
    )
    impact = models.TextField(verbose_name=_("预计影响"), blank=True)
    # 4.4: emergency (non-routine) maintenance: notify as soon as possible and record why.
    emergency_reason = models.TextField(verbose_name=_("紧急维护原因"), blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("维护窗口")
        verbose_name_plural = _("维护窗口")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_window_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class NoticeLetter(models.Model):
    """The PDF letter of a written contract notice, exactly as it was sent."""

    notice = models.OneToOneField(
        "notices.Notice",
        verbose_name=_("通知"),
        on_delete=models.CASCADE,
        related_name="letter",
    )
    reference = models.CharField(verbose_name=_("文号"), max_length=60, unique=True)
    addressee = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("致"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    pdf = models.BinaryField(verbose_name=_("PDF"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    generated_at = models.DateTimeField(verbose_name=_("生成时间"))

    class Meta:
        verbose_name = _("书面通知函")
        verbose_name_plural = _("书面通知函")

    def __str__(self) -> str:
        return self.reference


class NoticeRecipient(models.Model):
    """One person the audience resolved to at send time, with the addresses used then."""

    notice = models.ForeignKey(
        "notices.Notice",
        verbose_name=_("通知"),
        on_delete=models.CASCADE,
        related_name="recipients",
    )
    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("人员"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(verbose_name=_("姓名"), max_length=100)
    role = models.CharField(verbose_name=_("角色"), max_length=30, blank=True)
    site = models.CharField(verbose_name=_("站点"), max_length=200, blank=True)
    email = models.EmailField(verbose_name=_("电子邮箱"), blank=True)
    phone = models.CharField(verbose_name=_("电话"), max_length=40, blank=True)

    class Meta:
        ordering = ["notice", "organisation", "name", "pk"]
        verbose_name = _("通知对象")
        verbose_name_plural = _("通知对象")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "person"], name="notice_recipient_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One recipient on one channel: the outbox row and, once sent, the proof (4.5).

    `idempotency_key` is unique: enqueueing twice, or a worker retrying after a crash,
    never makes a second row, and the key travels with the message (Message-ID, the
    gateway's Idempotency-Key / OutId) so a receiver can drop a repeat. `payload` is
    exactly what was (or will be) sent; `sha256` is its hash once sent.
    A worker claims a row by setting `state=sending`, `claimed_by` and `lease_until`;
    a row whose lease ran out (or whose worker died) is claimed again.
    """

    notice = models.ForeignKey(
        "notices.Notice",
        verbose_name=_("通知"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.ForeignKey(
        "notices.NoticeRecipient",
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    channel = models.ForeignKey(
        "notices.Channel",
        verbose_name=_("渠道配置"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    kind = models.CharField(verbose_name=_("渠道"), max_length=20, choices=ChannelKind.choices)
    # Whose delivery this is (the recipient's organisation; a group robot's owner; the
    # sender for the web): the organisation that may see it.
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(verbose_name=_("地址"), max_length=300)
    idempotency_key = models.CharField(verbose_name=_("幂等键"), max_length=100, unique=True)
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
    )
    attempts = models.PositiveIntegerField(verbose_name=_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(verbose_name=_("下次尝试"), null=True, blank=True)
    claimed_by = models.CharField(verbose_name=_("处理进程"), max_length=200, blank=True)
    lease_until = models.DateTimeField(verbose_name=_("租约到期"), null=True, blank=True)
    payload = models.BinaryField(verbose_name=_("发送内容"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    sent_at = models.DateTimeField(verbose_name=_("发送时间"), null=True, blank=True)
    response_status = models.CharField(verbose_name=_("应答状态"), max_length=40, blank=True)
    response_id = models.CharField(verbose_name=_("应答消息ID"), max_length=200, blank=True)
    response_text = models.TextField(verbose_name=_("应答内容"), blank=True)
    last_error = models.TextField(verbose_name=_("最近错误"), blank=True)

    class Meta:
        ordering = ["notice", "kind", "pk"]
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        indexes = [
            # The worker's two selections: what is due, and whose lease ran out.
            models.Index(fields=["state", "next_attempt_at"], name="delivery_state_next"),
            models.Index(fields=["state", "lease_until"], name="delivery_state_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.address}"

    @property
    def state_colour(self) -> str:
        return DeliveryState(self.state).colour


class DeliveryAttempt(models.Model):
    """One try of a delivery: who tried, when, what the channel answered."""

    delivery = models.ForeignKey(
        "notices.Delivery",
        verbose_name=_("送达记录"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveIntegerField(verbose_name=_("次序"))
    worker = models.CharField(verbose_name=_("处理进程"), max_length=200)
    started_at = models.DateTimeField(verbose_name=_("开始时间"))
    finished_at = models.DateTimeField(verbose_name=_("结束时间"), null=True, blank=True)
    outcome = models.CharField(
        verbose_name=_("结果"),
        max_length=10,
        choices=AttemptOutcome.choices,
        blank=True,
    )
    status = models.CharField(verbose_name=_("应答状态"), max_length=40, blank=True)
    response = models.TextField(verbose_name=_("应答内容"), blank=True)
    error = models.TextField(verbose_name=_("错误"), blank=True)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("发送尝试")
        verbose_name_plural = _("发送尝试")
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="delivery_attempt_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"
