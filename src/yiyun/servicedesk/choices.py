from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    """What a request is; each kind's contract clock is in `KIND_RULE`."""

    FAULT = "fault", _("故障")
    SUPPORT = "support", _("咨询支持")
    COMPLEX = "complex", _("复杂问题")
    SPECIAL = "special", _("特殊问题")
    RECTIFICATION = "rectification", _("整改要求")


# Kind → the obligations registry key whose clock it carries ("" = no contract clock).
KIND_RULE = {
    TicketKind.FAULT: "2.2",  # 2.2: handled within 24 h, 24×7
    TicketKind.SUPPORT: "",  # 4.2: the hotline itself; no limit until complex/special
    TicketKind.COMPLEX: "4.2.complex",  # 4.2: resolved within 48 h
    TicketKind.SPECIAL: "4.2.special",  # 4.2: a solution submitted within 48 h
    TicketKind.RECTIFICATION: "2.1",  # 2.1: by the deadline the customer sets
}


class TicketStatus(models.TextChoices):
    NEW = "new", _("新建")
    IN_PROGRESS = "in_progress", _("处理中")
    WAITING = "waiting", _("等待客户")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")

    @property
    def colour(self) -> str:
        return {
            "new": "warn",
            "in_progress": "warn",
            "waiting": "",
            "resolved": "ok",
            "closed": "",
        }[self.value]


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING)


class TicketPriority(models.TextChoices):
    URGENT = "urgent", _("紧急")
    HIGH = "high", _("高")
    NORMAL = "normal", _("普通")
    LOW = "low", _("低")

    @property
    def colour(self) -> str:
        return {"urgent": "bad", "high": "warn", "normal": "", "low": ""}[self.value]


class Channel(models.TextChoices):
    """How a request came in."""

    PORTAL = "portal", _("门户")
    API = "api", _("API")
    PHONE = "phone", _("服务电话")  # 4.2: the 24-hour hotline, entered by the desk
    EMAIL = "email", _("电子邮件")


class EventKind(models.TextChoices):
    """An entry of a ticket's timeline."""

    CREATED = "created", _("创建")
    COMMENT = "comment", _("留言")
    NOTE = "note", _("内部备注")
    ATTACHMENT = "attachment", _("附件")
    STATUS = "status", _("状态变更")
    KIND = "kind", _("类型变更")
    ASSIGNED = "assigned", _("指派")
    CHANGED = "changed", _("信息变更")
    PAUSED = "paused", _("暂停计时")
    RESUMED = "resumed", _("恢复计时")
    CLOCK = "clock", _("合同期限")
    ESCALATED = "escalated", _("提醒/升级")


class ContactAction(models.TextChoices):
    """2.3: what a change of the customer's contact list does."""

    ADD = "add", _("新增联系人")
    UPDATE = "update", _("变更联系人信息")
    REMOVE = "remove", _("移除联系人")


class ContactChangeStatus(models.TextChoices):
    PENDING = "pending", _("待乙方确认")
    CONFIRMED = "confirmed", _("已确认并更新")
    WITHDRAWN = "withdrawn", _("甲方已撤回")

    @property
    def colour(self) -> str:
        return {"pending": "warn", "confirmed": "ok", "withdrawn": ""}[self.value]


class ComplaintStatus(models.TextChoices):
    """2.10: a third party's complaint about the customer's content."""

    AWAITING_ANSWER = "awaiting_answer", _("待甲方说明")
    ANSWERED = "answered", _("甲方已说明")
    ANSWER_REJECTED = "answer_rejected", _("说明未被采纳")
    CLOSED = "closed", _("已结案")

    @property
    def colour(self) -> str:
        return {
            "awaiting_answer": "warn",
            "answered": "ok",
            "answer_rejected": "bad",
            "closed": "",
        }[self.value]


class ViolationStatus(models.TextChoices):
    """3.6: a written notice that the customer breached clause 2, and its 30-day period."""

    RECTIFYING = "rectifying", _("整改期内")
    REPORTED = "reported", _("甲方已报整改")
    RECTIFIED = "rectified", _("整改已确认")
    REJECTED = "rejected", _("整改未通过")
    CLOSED = "closed", _("已结案")

    @property
    def colour(self) -> str:
        return {
            "rectifying": "warn",
            "reported": "warn",
            "rectified": "ok",
            "rejected": "bad",
            "closed": "",
        }[self.value]


class MeasureKind(models.TextChoices):
    """Measures the provider may take: 3.3 (1)–(5), and those 2.10 names."""

    REQUIRE_DELETION = "require_deletion", _("要求甲方删除、修改相关内容（3.3(1)）")
    DELETE_CONTENT = "delete_content", _("删除相关内容（3.3(2)）")
    BLOCK = "block", _("屏蔽相关内容或断开链接（3.3(2)）")
    RESTRICT = "restrict", _("限制服务（3.3(3)）")
    SUSPEND = "suspend", _("暂停服务（3.3(3)）")
    TERMINATE = "terminate", _("终止服务、终止协议（3.3(4)）")
    OTHER_LIABILITY = "other_liability", _("依法追究其他责任（3.3(5)）")


# 3.3: the sub-item each measure rests on.
MEASURE_ITEM = {
    MeasureKind.REQUIRE_DELETION: "3.3(1)",
    MeasureKind.DELETE_CONTENT: "3.3(2)",
    MeasureKind.BLOCK: "3.3(2)",
    MeasureKind.RESTRICT: "3.3(3)",
    MeasureKind.SUSPEND: "3.3(3)",
    MeasureKind.TERMINATE: "3.3(4)",
    MeasureKind.OTHER_LIABILITY: "3.3(5)",
}
# 2.10: "立即删除相应被质疑/被投诉信息、暂停或终止服务等".
COMPLAINT_MEASURES = (
    MeasureKind.DELETE_CONTENT,
    MeasureKind.BLOCK,
    MeasureKind.SUSPEND,
    MeasureKind.TERMINATE,
)


class DutyRole(models.TextChoices):
    DESK = "desk", _("7×24服务台（始终在岗）")
    LEAD = "lead", _("值班负责人")
    ENGINEER = "engineer", _("值班工程师")
