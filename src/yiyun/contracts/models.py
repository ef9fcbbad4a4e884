"""The contract register: what was signed, and what has happened to it since."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import (
    ContractStatus,
    NoticeKind,
    Party,
    PenaltyStatus,
    PricePeriod,
    RightCode,
)
from yiyun.core.clock import SHANGHAI
from yiyun.core.money import cny

__all__ = [
    "Contract",
    "Entitlement",
    "LineItem",
    "OpenParameter",
    "Payment",
    "PaymentScheduleItem",
    "Penalty",
    "PriceComponent",
    "Renewal",
    "Right",
    "ServicePeriodShift",
    "WrittenNotice",
]

MONEY = {"max_digits": 14, "decimal_places": 2}


class Contract(models.Model):
    """A signed service contract between a customer (甲方) and a provider (乙方).

    `end` is the current last day of the service period, after 1.3 shifts and 11.1
    renewals; `original_end` the one written in the contract.
    """

    number = models.CharField(verbose_name=_("合同编号"), max_length=60, unique=True)
    title = models.CharField(verbose_name=_("合同名称"), max_length=200)
    procurement_project = models.CharField(verbose_name=_("采购项目"), max_length=300, blank=True)
    customer = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("采购单位（甲方）"),
        on_delete=models.PROTECT,
        related_name="contracts_as_customer",
    )
    provider = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("服务单位（乙方）"),
        on_delete=models.PROTECT,
        related_name="contracts_as_provider",
    )
    signed_on = models.DateField(verbose_name=_("签订日期"), null=True, blank=True)
    currency = models.CharField(verbose_name=_("币种"), max_length=3, default="CNY")
    table_total = models.DecimalField(verbose_name=_("合同总价（表）"), **MONEY)
    table_total_capitals = models.CharField(
        verbose_name=_("合同总价（大写）"), max_length=60, blank=True
    )
    annual_total = models.DecimalField(
        verbose_name=_("一年价款总额"), null=True, blank=True, **MONEY
    )
    start = models.DateField(verbose_name=_("服务期起"))
    end = models.DateField(verbose_name=_("服务期止（当前）"))
    original_end = models.DateField(verbose_name=_("服务期止（合同原文）"))
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=ContractStatus.choices,
        default=ContractStatus.ACTIVE,
    )
    ended_at = models.DateTimeField(verbose_name=_("终止时间"), null=True, blank=True)
    end_clause = models.CharField(verbose_name=_("终止依据条款"), max_length=20, blank=True)
    # 11.1: notice at least this many months before the end, else it renews for renewal_months.
    renewal_notice_months = models.PositiveSmallIntegerField(
        verbose_name=_("不续签通知提前月数"), default=1
    )
    renewal_months = models.PositiveSmallIntegerField(verbose_name=_("顺延月数"), default=12)
    # 1.2: the circuits as written; the circuits app takes them over.
    circuits = models.JSONField(verbose_name=_("电路"), default=list, blank=True)
    # Clocks this contract writes differently from the registry's usual values:
    # {"2.2": {"clock": "hours", "n": 12}}; obligation_open uses them.
    clause_limits = models.JSONField(verbose_name=_("本合同的条款时限"), default=dict, blank=True)
    source_name = models.CharField(verbose_name=_("数据文件"), max_length=200, blank=True)
    source_digest = models.CharField(verbose_name=_("数据摘要"), max_length=64, blank=True)
    # The data as loaded (normalised), to say what differs when it is loaded again.
    source_data = models.JSONField(verbose_name=_("导入数据"), default=dict, blank=True)
    loaded_at = models.DateTimeField(verbose_name=_("导入时间"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("合同")
        verbose_name_plural = _("合同")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def expires_at(self) -> datetime:
        """24:00 of the last day of the service period (Civil Code art. 203)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=SHANGHAI)

    def party_organisation(self, party: str):
        return self.customer if party == Party.CUSTOMER else self.provider


class LineItem(models.Model):
    """一、a row of the price table."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="line_items",
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("序号"))
    item = models.CharField(verbose_name=_("商品名称"), max_length=200)
    brand = models.CharField(verbose_name=_("品牌"), max_length=100, blank=True)
    model = models.CharField(verbose_name=_("型号"), max_length=100, blank=True)
    configuration = models.CharField(verbose_name=_("配置要求"), max_length=300, blank=True)
    quantity = models.DecimalField(verbose_name=_("采购数量"), max_digits=12, decimal_places=3)
    unit = models.CharField(verbose_name=_("计数单位"), max_length=20)
    unit_price = models.DecimalField(verbose_name=_("成交单价"), **MONEY)
    subtotal = models.DecimalField(verbose_name=_("小计"), **MONEY)

    class Meta:
        ordering = ["contract", "position"]
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")

    def __str__(self) -> str:
        return self.item


class PriceComponent(models.Model):
    """二.1: a recurring (or one-off) price the contract states."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="price_components",
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("序号"))
    name = models.CharField(verbose_name=_("名称"), max_length=200)
    kind = models.CharField(verbose_name=_("类别"), max_length=30, blank=True)
    amount = models.DecimalField(verbose_name=_("单价"), **MONEY)
    period = models.CharField(
        verbose_name=_("计费周期"), max_length=10, choices=PricePeriod.choices
    )
    quantity = models.DecimalField(
        verbose_name=_("数量"), max_digits=12, decimal_places=3, default=Decimal(1)
    )
    tax_included = models.BooleanField(verbose_name=_("含税"), default=True)

    class Meta:
        ordering = ["contract", "position"]
        verbose_name = _("价款组成")
        verbose_name_plural = _("价款组成")

    def __str__(self) -> str:
        return self.name

    @property
    def annual_amount(self) -> Decimal | None:
        """What it costs a year; None for a one-off price."""
        if self.period == PricePeriod.YEAR:
            return cny(self.amount * self.quantity)
        if self.period == PricePeriod.MONTH:
            return cny(self.amount * self.quantity * 12)
        return None


class PaymentScheduleItem(models.Model):
    """二.2: one payment the contract schedules."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="payment_schedule",
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("序号"))
    label = models.CharField(verbose_name=_("款项"), max_length=200)
    due_on = models.DateField(verbose_name=_("应付日期"))
    amount = models.DecimalField(verbose_name=_("金额"), **MONEY)
    component = models.ForeignKey(
        "contracts.PriceComponent",
        verbose_name=_("价款组成"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["contract", "due_on", "position"]
        verbose_name = _("付款计划")
        verbose_name_plural = _("付款计划")

    def __str__(self) -> str:
        return f"{self.label} {self.due_on}"


class Payment(models.Model):
    """A payment received against a scheduled one."""

    schedule_item = models.ForeignKey(
        "contracts.PaymentScheduleItem",
        verbose_name=_("付款计划"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = models.DecimalField(verbose_name=_("金额"), **MONEY)
    paid_on = models.DateField(verbose_name=_("付款日期"))
    reference = models.CharField(verbose_name=_("凭证号"), max_length=100, blank=True)
    # 二.2: the invoice (发票) the payment settles (issue 10, billing).
    invoice_number = models.CharField(verbose_name=_("发票号码"), max_length=60, blank=True)
    recorded_by = models.CharField(verbose_name=_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = _("付款")
        verbose_name_plural = _("付款")

    def __str__(self) -> str:
        return f"{self.amount} {self.paid_on}"


class Entitlement(models.Model):
    """1.2: a resource the customer is entitled to, with the unit as we read it."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="entitlements",
    )
    resource = models.CharField(verbose_name=_("资源"), max_length=30)
    quantity = models.DecimalField(verbose_name=_("数量"), max_digits=14, decimal_places=3)
    unit = models.CharField(verbose_name=_("单位"), max_length=20)
    stated = models.CharField(verbose_name=_("合同原文"), max_length=100, blank=True)

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = _("资源配额")
        verbose_name_plural = _("资源配额")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "resource"], name="entitlement_unique_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.quantity} {self.unit}"


class ServicePeriodShift(models.Model):
    """1.3: a rectification period does not count toward the service period: the end moves."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="shifts",
    )
    clause = models.CharField(verbose_name=_("条款"), max_length=20, default="1.3")
    reason = models.CharField(verbose_name=_("原因"), max_length=300)
    days = models.IntegerField(verbose_name=_("天数"))
    previous_end = models.DateField(verbose_name=_("原服务期止"))
    new_end = models.DateField(verbose_name=_("新服务期止"))
    recorded_by = models.CharField(verbose_name=_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("服务期顺延")
        verbose_name_plural = _("服务期顺延")

    def __str__(self) -> str:
        return f"{self.previous_end} → {self.new_end}"


class Renewal(models.Model):
    """11.1: the contract renewed itself at expiry because nobody gave notice in time."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="renewals",
    )
    previous_end = models.DateField(verbose_name=_("原服务期止"))
    new_end = models.DateField(verbose_name=_("新服务期止"))
    at = models.DateTimeField(verbose_name=_("顺延时间"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("合同顺延")
        verbose_name_plural = _("合同顺延")

    def __str__(self) -> str:
        return f"{self.previous_end} → {self.new_end}"


class OpenParameter(models.Model):
    """Something the contract leaves for the parties to set (CLAUSES.md, last section)."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="open_parameters",
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("序号"), default=0)
    key = models.CharField(verbose_name=_("键"), max_length=60)
    label = models.CharField(verbose_name=_("名称"), max_length=200)
    clause = models.CharField(verbose_name=_("条款"), max_length=30)
    # When set, the value must be one of these (e.g. 5.1's base: table_total / annual_total).
    choices = models.JSONField(verbose_name=_("可选值"), default=list, blank=True)
    value = models.TextField(verbose_name=_("约定值"), blank=True, default="")
    set_by = models.CharField(verbose_name=_("约定人"), max_length=150, blank=True)
    set_at = models.DateTimeField(verbose_name=_("约定时间"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "position", "key"]
        verbose_name = _("待约定事项")
        verbose_name_plural = _("待约定事项")
        constraints = [
            models.UniqueConstraint(fields=["contract", "key"], name="open_parameter_unique_key")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_set(self) -> bool:
        return bool(self.value)


class WrittenNotice(models.Model):
    """A written contract notice: non-renewal (11.1) or termination (11.2, 5.3, 8.1.1)."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField(verbose_name=_("类型"), max_length=30, choices=NoticeKind.choices)
    from_party = models.CharField(
        verbose_name=_("发出方"), max_length=10, choices=Party.choices[:2]
    )
    sender = models.CharField(verbose_name=_("发出人"), max_length=150)
    recipient = models.CharField(verbose_name=_("接收人"), max_length=150)
    delivered_at = models.DateTimeField(verbose_name=_("送达时间"))
    document = models.FileField(
        verbose_name=_("书面文件"), upload_to="contracts/notices/%Y/", blank=True
    )
    reason = models.TextField(verbose_name=_("理由"), blank=True)
    # 8.1.1: since when force majeure has prevented performance.
    force_majeure_since = models.DateField(
        verbose_name=_("不可抗力开始日期"), null=True, blank=True
    )
    # 11.2: the other side's written consent.
    consent_at = models.DateTimeField(verbose_name=_("对方书面同意时间"), null=True, blank=True)
    consent_by = models.CharField(verbose_name=_("同意人"), max_length=150, blank=True)
    consent_document = models.FileField(
        verbose_name=_("同意文件"), upload_to="contracts/notices/%Y/", blank=True
    )
    # 11.1: the service-period end the notice refers to, and whether it came in time.
    term_end = models.DateField(verbose_name=_("针对的服务期止"), null=True, blank=True)
    timely = models.BooleanField(verbose_name=_("按时送达"), default=True)
    effective_at = models.DateTimeField(verbose_name=_("生效时间"), null=True, blank=True)
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("相关期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.CharField(verbose_name=_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["delivered_at", "pk"]
        verbose_name = _("书面通知")
        verbose_name_plural = _("书面通知")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delivered_at:%Y-%m-%d}"

    @property
    def to_party(self) -> str:
        return Party.PROVIDER if self.from_party == Party.CUSTOMER else Party.CUSTOMER


class Penalty(models.Model):
    """The breach ledger: a liquidated-damages amount a rule (5.1, 5.2, 3.5) makes due.

    5.1's base is ambiguous (492,000 in the table, 498,000 stated per year): until the
    parties settle it, one row per candidate base, each CANDIDATE.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="penalties",
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("违约的义务"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="penalties",
    )
    clause = models.CharField(verbose_name=_("违约条款"), max_length=30)
    rule = models.CharField(verbose_name=_("违约金条款"), max_length=10)
    liable_party = models.CharField(verbose_name=_("违约方"), max_length=10, choices=Party.choices)
    base_key = models.CharField(verbose_name=_("计算基数"), max_length=30)
    base_amount = models.DecimalField(verbose_name=_("基数金额"), **MONEY)
    rate = models.DecimalField(verbose_name=_("比例"), max_digits=6, decimal_places=4)
    amount = models.DecimalField(verbose_name=_("违约金"), **MONEY)
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=PenaltyStatus.choices,
        default=PenaltyStatus.CANDIDATE,
    )
    note = models.TextField(verbose_name=_("说明"), blank=True)
    recorded_at = models.DateTimeField(verbose_name=_("记录时间"))

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("违约金")
        verbose_name_plural = _("违约金")

    def __str__(self) -> str:
        return f"{self.rule} {self.clause} {self.amount}"

    @property
    def status_colour(self) -> str:
        return PenaltyStatus(self.status).colour


class Right(models.Model):
    """A right a missed clause granted to the other side (e.g. 2.2: customer may terminate)."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="rights",
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("产生权利的违约"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rights",
    )
    clause = models.CharField(verbose_name=_("条款"), max_length=30)
    code = models.CharField(verbose_name=_("权利"), max_length=40, choices=RightCode.choices)
    holder = models.CharField(verbose_name=_("权利人"), max_length=10, choices=Party.choices)
    granted_at = models.DateTimeField(verbose_name=_("产生时间"))
    exercised_at = models.DateTimeField(verbose_name=_("行使时间"), null=True, blank=True)

    class Meta:
        ordering = ["granted_at", "pk"]
        verbose_name = _("权利")
        verbose_name_plural = _("权利")

    def __str__(self) -> str:
        return self.get_code_display()


# -- contract import (issue 11): a contract read from its text, waiting for review --------

from django.conf import settings  # noqa: E402

from yiyun.contracts.importer.choices import DraftStatus, SourceFormat  # noqa: E402

__all__ += ["ContractDraft"]


class ContractDraft(models.Model):
    """A contract read from its text and waiting for a person's review (issue 11).

    `proposed` is what the rules extracted (kept as it was), `data` what the reviewer
    made of it (both in the loader's format), `review` the spans, confidence, flags and
    clause clocks (the import document's `import` key). Approving runs the contract
    check and loads `data` through the loader; until then nothing is live. Seen by the
    uploader's organisation (`owner`) and by the customer and provider the text names.
    """

    source_name = models.CharField(verbose_name=_("文件名"), max_length=200)
    source_format = models.CharField(
        verbose_name=_("文件格式"), max_length=10, choices=SourceFormat.choices
    )
    source_encoding = models.CharField(verbose_name=_("文本编码"), max_length=20, blank=True)
    source_sha256 = models.CharField(verbose_name=_("文件摘要"), max_length=64)
    text = models.TextField(verbose_name=_("合同原文"))
    proposed = models.JSONField(verbose_name=_("识别结果"), default=dict)
    data = models.JSONField(verbose_name=_("审核后的合同数据"), default=dict)
    review = models.JSONField(verbose_name=_("原文位置与置信度"), default=dict)
    status = models.CharField(
        verbose_name=_("状态"),
        max_length=10,
        choices=DraftStatus.choices,
        default=DraftStatus.DRAFT,
    )
    owner = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("上传单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contract_drafts_owned",
    )
    customer = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("采购单位（甲方）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contract_drafts_as_customer",
    )
    provider = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("服务单位（乙方）"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contract_drafts_as_provider",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(verbose_name=_("上传时间"))
    updated_at = models.DateTimeField(verbose_name=_("修改时间"))
    # The contract check of `data` (dry run): digest of the data it ran on, and its result.
    checked_digest = models.CharField(verbose_name=_("已检查数据摘要"), max_length=64, blank=True)
    check_result = models.JSONField(verbose_name=_("检查结果"), default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(verbose_name=_("审核时间"), null=True, blank=True)
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("生成的合同"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drafts",
    )
    note = models.TextField(verbose_name=_("审核意见"), blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("合同导入草稿")
        verbose_name_plural = _("合同导入草稿")

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"


# -- acceptance (1.3) and billing (二.1, 二.2, 5.3, 6.5): issue 10 -------------------------

from yiyun.contracts.choices import (  # noqa: E402
    AcceptanceResult,
    AcceptanceStage,
    CriterionSource,
)

__all__ += [
    "AcceptanceCriterion",
    "AcceptanceRecord",
    "AcceptanceSignature",
    "FinanceContact",
    "Statement",
]


class AcceptanceRecord(models.Model):
    """1.3: an acceptance record (验收记录单) of one round of acceptance testing.

    Round 1 is the first acceptance after go-live; a failed one is followed by a
    rectification period whose deadline the customer sets (an obligation on the
    provider) and which does not count toward the service period, then by a
    re-acceptance (round 2, …). Both sides' authorised representatives sign; the signed
    record is kept as a PDF whose SHA-256 is stored here.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="acceptance_records",
    )
    round = models.PositiveSmallIntegerField(verbose_name=_("验收轮次"))
    held_at = models.DateTimeField(verbose_name=_("验收时间"))
    place = models.CharField(verbose_name=_("验收地点"), max_length=200)
    customer_participants = models.TextField(verbose_name=_("甲方参与验收人员"))
    provider_participants = models.TextField(verbose_name=_("乙方参与验收人员"))
    # The authorised representatives who sign; when not named, that side's admins may.
    customer_representative = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("甲方授权代表"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    provider_representative = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("乙方授权代表"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    stage = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=AcceptanceStage.choices,
        default=AcceptanceStage.DRAFT,
    )
    result = models.CharField(
        verbose_name=_("验收结论"),
        max_length=20,
        choices=AcceptanceResult.choices,
        default=AcceptanceResult.PENDING,
    )
    conclusion = models.TextField(verbose_name=_("结论说明"), blank=True)
    concluded_at = models.DateTimeField(verbose_name=_("出结论时间"), null=True, blank=True)
    concluded_by = models.CharField(verbose_name=_("出结论人"), max_length=150, blank=True)
    # SHA-256 of the record's content when concluded; each signature confirms it.
    content_sha256 = models.CharField(verbose_name=_("内容摘要"), max_length=64, blank=True)
    # 1.3: after a failed first acceptance, the rectification period.
    rectification_started_at = models.DateTimeField(
        verbose_name=_("整改开始时间"), null=True, blank=True
    )
    rectification_due_at = models.DateTimeField(
        verbose_name=_("整改期限（甲方限定）"), null=True, blank=True
    )
    rectification_completed_at = models.DateTimeField(
        verbose_name=_("整改完毕时间"), null=True, blank=True
    )
    rectification_obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("整改期限义务"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    shift = models.ForeignKey(
        "contracts.ServicePeriodShift",
        verbose_name=_("服务期顺延"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    scan = models.FileField(
        verbose_name=_("纸质记录单扫描件"), upload_to="contracts/acceptance/%Y/", blank=True
    )
    scan_sha256 = models.CharField(verbose_name=_("扫描件摘要"), max_length=64, blank=True)
    pdf = models.BinaryField(verbose_name=_("验收记录单 PDF"), null=True, blank=True)
    pdf_sha256 = models.CharField(verbose_name=_("PDF 摘要（SHA-256）"), max_length=64, blank=True)
    pdf_generated_at = models.DateTimeField(verbose_name=_("PDF 生成时间"), null=True, blank=True)
    created_by = models.CharField(verbose_name=_("登记人"), max_length=150)
    created_at = models.DateTimeField(verbose_name=_("登记时间"))

    class Meta:
        ordering = ["contract", "round"]
        verbose_name = _("验收记录单")
        verbose_name_plural = _("验收记录单")
        constraints = [
            models.UniqueConstraint(fields=["contract", "round"], name="acceptance_unique_round")
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} #{self.round}"

    @property
    def result_colour(self) -> str:
        return AcceptanceResult(self.result).colour

    @property
    def is_reacceptance(self) -> bool:
        return self.round > 1


class AcceptanceCriterion(models.Model):
    """1.3: one acceptance criterion (验收标准) with what was found (验收情况) and the
    problems recorded."""

    record = models.ForeignKey(
        "contracts.AcceptanceRecord",
        verbose_name=_("验收记录单"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("序号"))
    source = models.CharField(
        verbose_name=_("来源"), max_length=20, choices=CriterionSource.choices
    )
    key = models.CharField(verbose_name=_("键"), max_length=60, blank=True)
    item = models.CharField(verbose_name=_("验收项目"), max_length=200)
    standard = models.CharField(verbose_name=_("验收标准"), max_length=300)
    # Numeric criteria (1.2): the expected quantity in the unit the platform counts in.
    expected_quantity = models.DecimalField(
        verbose_name=_("标准值"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    unit = models.CharField(verbose_name=_("单位"), max_length=20, blank=True)
    measured = models.CharField(verbose_name=_("验收情况"), max_length=300, blank=True)
    passed = models.BooleanField(verbose_name=_("是否合格"), null=True, blank=True)
    problems = models.TextField(verbose_name=_("发现的问题"), blank=True)
    checked_by = models.CharField(verbose_name=_("记录人"), max_length=150, blank=True)
    checked_at = models.DateTimeField(verbose_name=_("记录时间"), null=True, blank=True)

    class Meta:
        ordering = ["record", "position"]
        verbose_name = _("验收标准")
        verbose_name_plural = _("验收标准")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "position"], name="acceptance_criterion_unique_position"
            )
        ]

    def __str__(self) -> str:
        return self.item


class AcceptanceSignature(models.Model):
    """1.3: an authorised representative's signature: a signed-in person's confirmation of
    the record's content (its SHA-256 at that moment), with the time."""

    record = models.ForeignKey(
        "contracts.AcceptanceRecord",
        verbose_name=_("验收记录单"),
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    party = models.CharField(verbose_name=_("签字方"), max_length=10, choices=Party.choices[:2])
    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("授权代表"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(verbose_name=_("签字人"), max_length=100)
    username = models.CharField(verbose_name=_("登录账号"), max_length=150)
    signed_at = models.DateTimeField(verbose_name=_("签字时间"))
    content_sha256 = models.CharField(verbose_name=_("确认的内容摘要"), max_length=64)

    class Meta:
        ordering = ["record", "signed_at", "pk"]
        verbose_name = _("验收签字")
        verbose_name_plural = _("验收签字")
        constraints = [
            models.UniqueConstraint(fields=["record", "party"], name="acceptance_signature_party")
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()} {self.name}"


class FinanceContact(models.Model):
    """二.2: a person of the customer who receives payment reminders (财务联系人)."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="finance_contacts",
    )
    person = models.ForeignKey(
        "tenancy.Person",
        verbose_name=_("财务联系人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    designated_by = models.CharField(verbose_name=_("指定人"), max_length=150)
    designated_at = models.DateTimeField(verbose_name=_("指定时间"))

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = _("财务联系人")
        verbose_name_plural = _("财务联系人")
        constraints = [
            models.UniqueConstraint(fields=["contract", "person"], name="finance_contact_unique")
        ]

    def __str__(self) -> str:
        return str(self.person)


class Statement(models.Model):
    """二.1/二.2: a statement (对账单) issued for a period: the charges as computed then
    (`lines`, each naming its source), kept as issued."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="statements",
    )
    number = models.CharField(verbose_name=_("对账单号"), max_length=80, unique=True)
    period_start = models.DateField(verbose_name=_("计费期起"))
    period_end = models.DateField(verbose_name=_("计费期止"))
    total = models.DecimalField(verbose_name=_("应收合计"), **MONEY)
    lines = models.JSONField(verbose_name=_("明细"), default=list)
    sha256 = models.CharField(verbose_name=_("摘要（SHA-256）"), max_length=64)
    issued_by = models.CharField(verbose_name=_("出具人"), max_length=150)
    issued_at = models.DateTimeField(verbose_name=_("出具时间"))

    class Meta:
        ordering = ["contract", "period_start", "pk"]
        verbose_name = _("对账单")
        verbose_name_plural = _("对账单")

    def __str__(self) -> str:
        return self.number
