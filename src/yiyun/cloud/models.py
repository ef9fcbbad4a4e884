"""Cloud resources against the entitlement (1.2), changes (1.3, 3.7) and overuse (2.7.4)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiyun.cloud.choices import (
    BusinessSystemKind,
    ChangeKind,
    ChangeState,
    DriverKind,
    FindingState,
    OveruseMetric,
    Resource,
    ServerState,
)
from yiyun.contracts.choices import PricePeriod

__all__ = [
    "BusinessSystem",
    "ChangeItem",
    "ChangeRequest",
    "EntitlementAdjustment",
    "Host",
    "OveruseFinding",
    "PriceCatalogue",
    "PriceEntry",
    "Server",
    "UsageSample",
]

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}


class BusinessSystem(models.Model):
    """A business system of a customer (HIS, EMR, LIS, PACS…): servers are grouped by it."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="business_systems",
    )
    name = models.CharField(verbose_name=_("名称"), max_length=100)
    kind = models.CharField(
        verbose_name=_("类别"),
        max_length=20,
        choices=BusinessSystemKind.choices,
        default=BusinessSystemKind.OTHER,
    )

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("业务系统")
        verbose_name_plural = _("业务系统")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="business_system_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Host(models.Model):
    """A compute host the provider runs (a libvirt hypervisor), reached through its URI."""

    provider = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("服务单位"),
        on_delete=models.PROTECT,
        related_name="compute_hosts",
    )
    name = models.CharField(verbose_name=_("名称"), max_length=100, unique=True)
    driver = models.CharField(
        verbose_name=_("驱动"),
        max_length=20,
        choices=DriverKind.choices,
        default=DriverKind.LIBVIRT,
    )
    # "qemu+ssh://root@kvm1.example/system", or "test:///default" (libvirt's test driver).
    uri = models.CharField(verbose_name=_("连接地址"), max_length=300)
    # Where new disks are created; empty: disks are described but no volume is created.
    storage_pool = models.CharField(verbose_name=_("存储池"), max_length=100, blank=True)
    enabled = models.BooleanField(verbose_name=_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("宿主机")
        verbose_name_plural = _("宿主机")

    def __str__(self) -> str:
        return self.name


class Server(models.Model):
    """A virtual machine of a contract's customer, on one of the provider's hosts.

    What it is allocated counts against the contract's entitlement (1.2) while it exists
    (any state but DELETED). The `usage_*` fields hold the driver's latest reading.
    """

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="servers",
    )
    name = models.CharField(verbose_name=_("名称"), max_length=100)
    business_system = models.ForeignKey(
        "cloud.BusinessSystem",
        verbose_name=_("业务系统"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="servers",
    )
    site = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("站点"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="servers",
    )
    host = models.ForeignKey(
        "cloud.Host",
        verbose_name=_("宿主机"),
        on_delete=models.PROTECT,
        related_name="servers",
    )
    domain_uuid = models.CharField(verbose_name=_("虚拟机 UUID"), max_length=36, blank=True)
    vcpu = models.PositiveIntegerField(verbose_name=_("vCPU（核）"))
    memory_gib = models.PositiveIntegerField(verbose_name=_("内存（GiB）"))
    system_disk_gib = models.PositiveIntegerField(verbose_name=_("系统盘（GiB）"))
    data_disks_gib = models.JSONField(verbose_name=_("数据盘（GiB）"), default=list, blank=True)
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=ServerState.choices,
        default=ServerState.STOPPED,
    )
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(verbose_name=_("更新时间"))
    deleted_at = models.DateTimeField(verbose_name=_("删除时间"), null=True, blank=True)
    usage_at = models.DateTimeField(verbose_name=_("用量读取时间"), null=True, blank=True)
    usage_cpu_permille = models.PositiveSmallIntegerField(
        verbose_name=_("CPU 使用率（‰）"), null=True, blank=True
    )
    usage_memory_mib = models.PositiveIntegerField(
        verbose_name=_("内存用量（MiB）"), null=True, blank=True
    )
    usage_storage_gib = models.DecimalField(
        verbose_name=_("数据盘用量（GiB）"), null=True, blank=True, **QUANTITY
    )
    usage_system_disk_gib = models.DecimalField(
        verbose_name=_("系统盘用量（GiB）"), null=True, blank=True, **QUANTITY
    )
    # The raw counters of the latest reading: the next one turns them into a CPU share.
    usage_cpu_time_ns = models.BigIntegerField(
        verbose_name=_("CPU 时间（纳秒）"), null=True, blank=True
    )
    usage_read_ns = models.BigIntegerField(
        verbose_name=_("读取时刻（单调时钟，纳秒）"), null=True, blank=True
    )

    class Meta:
        ordering = ["contract", "name"]
        verbose_name = _("云服务器")
        verbose_name_plural = _("云服务器")
        constraints = [
            models.UniqueConstraint(
                fields=["host", "name"],
                condition=~Q(state="deleted"),
                name="server_unique_live_name",
            ),
            models.UniqueConstraint(
                fields=["host", "domain_uuid"],
                condition=~Q(domain_uuid="") & ~Q(state="deleted"),
                name="server_unique_live_domain",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def state_colour(self) -> str:
        return ServerState(self.state).colour

    @property
    def storage_gib(self) -> int:
        return sum(int(size) for size in self.data_disks_gib)

    def allocation(self) -> dict[str, Decimal]:
        """What this server holds of each resource, in cores / GiB."""
        return {
            Resource.VCPU: Decimal(self.vcpu),
            Resource.MEMORY: Decimal(self.memory_gib),
            Resource.STORAGE: Decimal(self.storage_gib),
            Resource.SYSTEM_DISK: Decimal(self.system_disk_gib),
        }


class PriceCatalogue(models.Model):
    """1.3: the price list (government pricing) the provider charges changes by."""

    provider = models.ForeignKey(
        "tenancy.Organisation",
        verbose_name=_("服务单位"),
        on_delete=models.CASCADE,
        related_name="price_catalogues",
    )
    name = models.CharField(verbose_name=_("名称"), max_length=200)
    source = models.CharField(verbose_name=_("定价依据（文件）"), max_length=300, blank=True)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = _("价格目录")
        verbose_name_plural = _("价格目录")
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="price_catalogue_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PriceEntry(models.Model):
    """One price of a catalogue, per core or GiB and period, valid between two dates."""

    catalogue = models.ForeignKey(
        "cloud.PriceCatalogue",
        verbose_name=_("价格目录"),
        on_delete=models.CASCADE,
        related_name="entries",
    )
    code = models.CharField(verbose_name=_("目录编号"), max_length=40, blank=True)
    resource = models.CharField(verbose_name=_("资源"), max_length=20, choices=Resource.choices)
    description = models.CharField(verbose_name=_("说明"), max_length=200, blank=True)
    # Per core (vCPU) or per GiB (memory, disks).
    unit_price = models.DecimalField(
        verbose_name=_("单价（元/核或元/GiB）"), max_digits=14, decimal_places=4
    )
    period = models.CharField(
        verbose_name=_("计费周期"),
        max_length=10,
        choices=PricePeriod.choices,
        default=PricePeriod.MONTH,
    )
    valid_from = models.DateField(verbose_name=_("生效日期"))
    valid_until = models.DateField(verbose_name=_("失效日期（含）"), null=True, blank=True)

    class Meta:
        ordering = ["catalogue", "resource", "valid_from"]
        verbose_name = _("价格条目")
        verbose_name_plural = _("价格条目")
        indexes = [models.Index(fields=["catalogue", "resource", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.get_resource_display()} {self.unit_price}/{self.get_period_display()}"


class ChangeRequest(models.Model):
    """A change of the service: the customer asks for upgrades or added resources (1.3,
    priced from the catalogue, the quote stored here), or the provider proposes a change of
    content, functions or operation (3.7, applied only after the customer's consent)."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="change_requests",
    )
    kind = models.CharField(verbose_name=_("类型"), max_length=20, choices=ChangeKind.choices)
    title = models.CharField(verbose_name=_("标题"), max_length=200)
    description = models.TextField(verbose_name=_("说明"), blank=True)
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=ChangeState.choices,
        default=ChangeState.SUBMITTED,
    )
    requested_by = models.CharField(verbose_name=_("提出人"), max_length=150)
    requested_at = models.DateTimeField(verbose_name=_("提出时间"))
    # 1.3: the quote as computed when the request was made: catalogue, entries, lines.
    quote = models.JSONField(verbose_name=_("报价"), default=dict, blank=True)
    quote_annual = models.DecimalField(
        verbose_name=_("报价（年化）"), null=True, blank=True, **MONEY
    )
    quote_once = models.DecimalField(
        verbose_name=_("报价（一次性）"), null=True, blank=True, **MONEY
    )
    # 3.7: when the provider plans to make the change (consent is due before it).
    planned_at = models.DateTimeField(verbose_name=_("计划调整时间"), null=True, blank=True)
    consent_at = models.DateTimeField(verbose_name=_("甲方同意时间"), null=True, blank=True)
    consent_by = models.CharField(verbose_name=_("同意人"), max_length=150, blank=True)
    consent_note = models.TextField(verbose_name=_("同意意见"), blank=True)
    decided_at = models.DateTimeField(verbose_name=_("决定时间"), null=True, blank=True)
    decided_by = models.CharField(verbose_name=_("决定人"), max_length=150, blank=True)
    decision_note = models.TextField(verbose_name=_("决定意见"), blank=True)
    applied_at = models.DateTimeField(verbose_name=_("实施时间"), null=True, blank=True)
    applied_by = models.CharField(verbose_name=_("实施人"), max_length=150, blank=True)
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("3.7 征得同意期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    price_component = models.ForeignKey(
        "contracts.PriceComponent",
        verbose_name=_("新增价款组成"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def state_colour(self) -> str:
        return ChangeState(self.state).colour

    @property
    def needs_consent(self) -> bool:
        return self.kind == ChangeKind.PROVIDER_3_7


class ChangeItem(models.Model):
    """One resource a change adds (or, negative, gives back), optionally on a server it
    resizes (vCPU, memory) when applied."""

    change = models.ForeignKey(
        "cloud.ChangeRequest",
        verbose_name=_("变更申请"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    resource = models.CharField(verbose_name=_("资源"), max_length=20, choices=Resource.choices)
    quantity = models.DecimalField(verbose_name=_("数量（核或 GiB）"), **QUANTITY)
    server = models.ForeignKey(
        "cloud.Server",
        verbose_name=_("调整的云服务器"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["change", "pk"]
        verbose_name = _("变更项")
        verbose_name_plural = _("变更项")

    def __str__(self) -> str:
        return f"{self.get_resource_display()} {self.quantity:+}"


class EntitlementAdjustment(models.Model):
    """The entitlement raised (or lowered) by an applied change: the signed entitlement in
    the contract register stays as signed; the effective one is the sum."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="entitlement_adjustments",
    )
    resource = models.CharField(verbose_name=_("资源"), max_length=20, choices=Resource.choices)
    quantity = models.DecimalField(verbose_name=_("数量（核或 GiB）"), **QUANTITY)
    change = models.ForeignKey(
        "cloud.ChangeRequest",
        verbose_name=_("变更申请"),
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    at = models.DateTimeField(verbose_name=_("生效时间"))

    class Meta:
        ordering = ["contract", "at", "pk"]
        verbose_name = _("配额调整")
        verbose_name_plural = _("配额调整")

    def __str__(self) -> str:
        return f"{self.resource} {self.quantity:+}"


class UsageSample(models.Model):
    """The tenant's use at one collection: each metric in per mille of what its servers
    hold (2.7.4). One small row per contract and collection: 3 years at 5-minute
    intervals are about 315,000 rows per contract."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.CASCADE,
        related_name="usage_samples",
    )
    at = models.DateTimeField(verbose_name=_("时间"))
    cpu = models.PositiveSmallIntegerField(verbose_name=_("CPU（‰）"), null=True, blank=True)
    memory = models.PositiveSmallIntegerField(verbose_name=_("内存（‰）"), null=True, blank=True)
    storage = models.PositiveSmallIntegerField(verbose_name=_("存储（‰）"), null=True, blank=True)
    servers = models.PositiveSmallIntegerField(verbose_name=_("服务器数"), default=0)

    class Meta:
        ordering = ["contract", "at"]
        verbose_name = _("用量采样")
        verbose_name_plural = _("用量采样")
        constraints = [
            models.UniqueConstraint(fields=["contract", "at"], name="usage_sample_unique_at")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} cpu {self.cpu}‰"


class OveruseFinding(models.Model):
    """2.7.4: sustained use above a threshold the parties set; the customer is told and may
    respond before any measure is recorded."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="overuse_findings",
    )
    metric = models.CharField(verbose_name=_("指标"), max_length=20, choices=OveruseMetric.choices)
    threshold = models.PositiveSmallIntegerField(verbose_name=_("阈值（‰）"))
    window_minutes = models.PositiveIntegerField(verbose_name=_("持续时长（分钟）"))
    started_at = models.DateTimeField(verbose_name=_("开始超过阈值"))
    detected_at = models.DateTimeField(verbose_name=_("判定时间"))
    ended_at = models.DateTimeField(verbose_name=_("回落时间"), null=True, blank=True)
    peak = models.PositiveSmallIntegerField(verbose_name=_("峰值（‰）"))
    samples = models.PositiveIntegerField(verbose_name=_("超阈值采样数"))
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=20,
        choices=FindingState.choices,
        default=FindingState.AWAITING_RESPONSE,
    )
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("甲方回应期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    response = models.TextField(verbose_name=_("甲方回应"), blank=True)
    responded_at = models.DateTimeField(verbose_name=_("回应时间"), null=True, blank=True)
    responded_by = models.CharField(verbose_name=_("回应人"), max_length=150, blank=True)
    measure = models.TextField(verbose_name=_("处置措施"), blank=True)
    measure_at = models.DateTimeField(verbose_name=_("措施记录时间"), null=True, blank=True)
    measure_by = models.CharField(verbose_name=_("措施记录人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = _("超量占用发现")
        verbose_name_plural = _("超量占用发现")
        indexes = [models.Index(fields=["contract", "metric", "detected_at"])]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} > {self.threshold / 10:g}%"

    @property
    def state_colour(self) -> str:
        return FindingState(self.state).colour
