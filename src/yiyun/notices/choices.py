from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    """What a notice is, which decides its rules (4.4 for maintenance, a letter for 4.5)."""

    ROUTINE_MAINTENANCE = "routine_maintenance", _("例行维护通知")
    EMERGENCY_MAINTENANCE = "emergency_maintenance", _("紧急维护通知")
    ANNOUNCEMENT = "announcement", _("公告")
    LETTER = "letter", _("书面合同通知")

    @property
    def colour(self) -> str:
        return {
            "routine_maintenance": "",
            "emergency_maintenance": "bad",
            "announcement": "ok",
            "letter": "warn",
        }[self.value]


MAINTENANCE_KINDS = (NoticeKind.ROUTINE_MAINTENANCE, NoticeKind.EMERGENCY_MAINTENANCE)


class LetterKind(models.TextChoices):
    """Written contract notices: the clause each one serves."""

    NON_RENEWAL = "non_renewal", _("不再续签通知（11.1）")
    TERMINATION_11_2 = "termination_11_2", _("无故解除通知（11.2）")
    TERMINATION_5_3 = "termination_5_3", _("甲方提前终止通知（5.3）")
    TERMINATION_8_1_1 = "termination_8_1_1", _("不可抗力解除通知（8.1.1）")
    VIOLATION = "violation", _("违约整改通知（3.6）")
    COMPLAINT = "complaint", _("第三方投诉通知（2.10）")
    CONTACT_CHANGE = "contact_change", _("联系人变更确认（2.3）")


LETTER_CLAUSE = {
    LetterKind.NON_RENEWAL: "11.1",
    LetterKind.TERMINATION_11_2: "11.2",
    LetterKind.TERMINATION_5_3: "5.3",
    LetterKind.TERMINATION_8_1_1: "8.1.1",
    LetterKind.VIOLATION: "3.6",
    LetterKind.COMPLAINT: "2.10",
    LetterKind.CONTACT_CHANGE: "2.3",
}


class ChannelKind(models.TextChoices):
    """How a notice reaches people (4.5: web announcement, email, SMS, WeChat, in-site)."""

    WEB = "web", _("网站公告")
    INBOX = "inbox", _("站内信")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


# Channels that address a person; the others address a group or the public.
PERSON_CHANNELS = (ChannelKind.INBOX, ChannelKind.EMAIL, ChannelKind.SMS)
GROUP_CHANNELS = (ChannelKind.WECOM, ChannelKind.DINGTALK)
# Channels configured in the admin (with an endpoint and perhaps secrets).
CONFIGURED_CHANNELS = (
    ChannelKind.EMAIL,
    ChannelKind.SMS,
    ChannelKind.WECOM,
    ChannelKind.DINGTALK,
)


class SmsGateway(models.TextChoices):
    HTTP = "http", _("通用 HTTP 短信网关")
    ALIYUN = "aliyun", _("阿里云短信服务")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")

    @property
    def colour(self) -> str:
        return {"pending": "", "sending": "warn", "sent": "ok", "failed": "bad"}[self.value]


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("成功")
    RETRY = "retry", _("失败，将重试")
    FAILED = "failed", _("失败，不再重试")
