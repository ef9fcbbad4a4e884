from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("履行中")
    EXPIRED = "expired", _("期满终止")
    TERMINATED = "terminated", _("已解除")

    @property
    def colour(self) -> str:
        return {"active": "ok", "expired": "", "terminated": "bad"}[self.value]


class Party(models.TextChoices):
    """A side of the contract. EITHER: a clause that binds or benefits both (11.1, 8.1.1)."""

    CUSTOMER = "customer", _("甲方")
    PROVIDER = "provider", _("乙方")
    EITHER = "either", _("任一方")


class PricePeriod(models.TextChoices):
    YEAR = "year", _("每年")
    MONTH = "month", _("每月")
    ONCE = "once", _("一次性")


class NoticeKind(models.TextChoices):
    """Written contract notices that change the contract's course."""

    NON_RENEWAL = "non_renewal", _("不再续签通知（11.1）")
    TERMINATION_11_2 = "termination_11_2", _("无故解除通知（11.2）")
    TERMINATION_5_3 = "termination_5_3", _("甲方提前终止通知（5.3）")
    TERMINATION_8_1_1 = "termination_8_1_1", _("不可抗力解除通知（8.1.1）")


NOTICE_CLAUSE = {
    NoticeKind.NON_RENEWAL: "11.1",
    NoticeKind.TERMINATION_11_2: "11.2",
    NoticeKind.TERMINATION_5_3: "5.3",
    NoticeKind.TERMINATION_8_1_1: "8.1.1",
}


class PenaltyStatus(models.TextChoices):
    # 5.1: while the parties have not settled the base, every base is a candidate.
    CANDIDATE = "candidate", _("待定（计算基数未约定）")
    APPLICABLE = "applicable", _("适用")
    VOID = "void", _("不适用（已约定其他基数）")

    @property
    def colour(self) -> str:
        return {"candidate": "warn", "applicable": "bad", "void": ""}[self.value]


class RightCode(models.TextChoices):
    """Rights a missed clause grants the other side."""

    CUSTOMER_MAY_TERMINATE = "customer_may_terminate", _("甲方有权解除合同")
    PROVIDER_MAY_TAKE_MEASURES = "provider_may_take_measures", _("乙方可采取第3.3条所列措施")
    PROVIDER_MAY_REMOVE_CONTENT = (
        "provider_may_remove_content",
        _("乙方可删除被投诉信息、暂停或终止服务（2.10）"),
    )
    # 1.3: a failed re-acceptance (issue 10).
    CUSTOMER_MAY_CLAIM_LOSSES = (
        "customer_may_claim_losses",
        _("甲方有权要求乙方赔偿验收不合格造成的直接经济损失（1.3）"),
    )


RIGHT_HOLDER = {
    RightCode.CUSTOMER_MAY_TERMINATE: "customer",
    RightCode.PROVIDER_MAY_TAKE_MEASURES: "provider",
    RightCode.PROVIDER_MAY_REMOVE_CONTENT: "provider",
}


class Severity(models.TextChoices):
    ERROR = "error", _("错误")
    WARNING = "warning", _("警告")
    INFO = "info", _("提示")

    @property
    def colour(self) -> str:
        return {"error": "bad", "warning": "warn", "info": ""}[self.value]


class PaymentStatus(models.TextChoices):
    DUE = "due", _("待付")
    PARTLY_PAID = "partly_paid", _("部分已付")
    PAID = "paid", _("已付")
    OVERDUE = "overdue", _("逾期")

    @property
    def colour(self) -> str:
        return {"due": "", "partly_paid": "warn", "paid": "ok", "overdue": "bad"}[self.value]


# -- acceptance (1.3) and billing (二.1, 二.2, 5.3, 6.5): issue 10 -------------------------


class AcceptanceStage(models.TextChoices):
    """1.3: where an acceptance record (验收记录单) stands."""

    DRAFT = "draft", _("验收中")
    CONCLUDED = "concluded", _("已出结论，待签字")
    SIGNED = "signed", _("双方已签字")


class AcceptanceResult(models.TextChoices):
    PENDING = "pending", _("待定")
    PASSED = "passed", _("验收合格")
    FAILED = "failed", _("验收不合格")

    @property
    def colour(self) -> str:
        return {"pending": "", "passed": "ok", "failed": "bad"}[self.value]


class CriterionSource(models.TextChoices):
    """Where an acceptance criterion comes from."""

    ENTITLEMENT = "entitlement", _("资源配额（1.2）")
    CIRCUIT = "circuit", _("点对点电路（1.2）")
    ADDED = "added", _("双方增加")


class ChargeSource(models.TextChoices):
    """What a statement line is charged for."""

    COMPONENT = "component", _("价款组成（二.1）")
    CHANGE = "change", _("变更（1.3 政府定价）")


# 1.3: a failed re-acceptance lets the customer terminate and claim its direct losses.
RIGHT_HOLDER[RightCode.CUSTOMER_MAY_CLAIM_LOSSES] = "customer"
