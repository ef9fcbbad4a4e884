"""Point-to-point circuits (1.2), their probes, outages and availability."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiyun.circuits.choices import CircuitState, ProbeMethod

__all__ = ["Circuit", "Outage", "ProbeHour", "ProbeResult"]


class Circuit(models.Model):
    """A leased point-to-point circuit of a contract, from the A end (the county hospital)
    to the Z end (a township health centre), probed at its far-end address."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        related_name="circuit_set",
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("合同中的序号"))
    circuit_id = models.CharField(verbose_name=_("电路编号"), max_length=60, unique=True)
    a_end = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("A 端"),
        on_delete=models.PROTECT,
        related_name="circuits_a",
    )
    z_end = models.ForeignKey(
        "tenancy.Site",
        verbose_name=_("Z 端"),
        on_delete=models.PROTECT,
        related_name="circuits_z",
    )
    bandwidth_mbps = models.PositiveIntegerField(verbose_name=_("带宽（Mbit/s）"))
    monthly_fee = models.DecimalField(verbose_name=_("月租（元）"), max_digits=12, decimal_places=2)
    price_component = models.ForeignKey(
        "contracts.PriceComponent",
        verbose_name=_("合同价款项"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    far_address = models.GenericIPAddressField(
        verbose_name=_("远端探测地址"), null=True, blank=True
    )
    probe_method = models.CharField(
        verbose_name=_("探测方式"),
        max_length=10,
        choices=ProbeMethod.choices,
        default=ProbeMethod.TCP,
    )
    probe_port = models.PositiveIntegerField(verbose_name=_("TCP 端口"), null=True, blank=True)
    # A network namespace on the worker's host to probe from (a VRF per circuit); empty:
    # the worker's own.
    probe_netns = models.CharField(
        verbose_name=_("探测所用网络命名空间"), max_length=60, blank=True
    )
    probe_interval = models.PositiveIntegerField(
        verbose_name=_("探测间隔（秒）"), null=True, blank=True
    )
    failures_to_open = models.PositiveSmallIntegerField(
        verbose_name=_("连续失败几次判定中断"), null=True, blank=True
    )
    probe_enabled = models.BooleanField(verbose_name=_("启用探测"), default=True)
    state = models.CharField(
        verbose_name=_("状态"),
        max_length=10,
        choices=CircuitState.choices,
        default=CircuitState.UNKNOWN,
    )
    last_probe_at = models.DateTimeField(verbose_name=_("最近探测"), null=True, blank=True)
    last_ok_at = models.DateTimeField(verbose_name=_("最近成功"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(verbose_name=_("连续失败次数"), default=0)
    first_failure_at = models.DateTimeField(verbose_name=_("本轮首次失败"), null=True, blank=True)

    class Meta:
        ordering = ["contract", "position"]
        verbose_name = _("电路")
        verbose_name_plural = _("电路")
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="circuit_unique_position")
        ]
        indexes = [models.Index(fields=["probe_enabled", "last_probe_at"])]

    def __str__(self) -> str:
        return f"{self.circuit_id} {self.a_end} — {self.z_end}"

    @property
    def state_colour(self) -> str:
        return CircuitState(self.state).colour


class ProbeResult(models.Model):
    """One probe, kept raw for `CIRCUITS_RAW_KEEP_DAYS`: a timestamp, a flag and the
    round-trip time in microseconds (about 30 bytes of data a row)."""

    circuit = models.ForeignKey(
        "circuits.Circuit",
        verbose_name=_("电路"),
        on_delete=models.CASCADE,
        related_name="probes",
    )
    at = models.DateTimeField(verbose_name=_("时间"))
    ok = models.BooleanField(verbose_name=_("成功"))
    rtt_us = models.PositiveIntegerField(verbose_name=_("往返时间（微秒）"), null=True, blank=True)
    error = models.CharField(verbose_name=_("错误"), max_length=40, blank=True)

    class Meta:
        ordering = ["circuit", "at"]
        verbose_name = _("探测结果")
        verbose_name_plural = _("探测结果")
        indexes = [models.Index(fields=["circuit", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else self.error or 'fail'}"


class ProbeHour(models.Model):
    """An hour of probes rolled up, kept for the service period."""

    circuit = models.ForeignKey(
        "circuits.Circuit",
        verbose_name=_("电路"),
        on_delete=models.CASCADE,
        related_name="hours",
    )
    hour = models.DateTimeField(verbose_name=_("小时（起）"))
    probes = models.PositiveIntegerField(verbose_name=_("探测次数"))
    failures = models.PositiveIntegerField(verbose_name=_("失败次数"))
    rtt_avg_us = models.PositiveIntegerField(
        verbose_name=_("平均往返（微秒）"), null=True, blank=True
    )
    rtt_max_us = models.PositiveIntegerField(
        verbose_name=_("最大往返（微秒）"), null=True, blank=True
    )

    class Meta:
        ordering = ["circuit", "hour"]
        verbose_name = _("探测小时汇总")
        verbose_name_plural = _("探测小时汇总")
        constraints = [
            models.UniqueConstraint(fields=["circuit", "hour"], name="probe_hour_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 {self.failures}/{self.probes}"


class Outage(models.Model):
    """A circuit down: from the first failed probe of the run that reached the threshold
    until the first successful probe after it. It carries the 2.2 clock (24 h to handle
    the fault) through a service-desk fault ticket."""

    circuit = models.ForeignKey(
        "circuits.Circuit",
        verbose_name=_("电路"),
        on_delete=models.PROTECT,
        related_name="outages",
    )
    started_at = models.DateTimeField(verbose_name=_("中断开始（首次探测失败）"))
    detected_at = models.DateTimeField(verbose_name=_("判定时间"))
    ended_at = models.DateTimeField(
        verbose_name=_("恢复时间（首次探测成功）"), null=True, blank=True
    )
    duration_seconds = models.PositiveIntegerField(
        verbose_name=_("时长（秒）"), null=True, blank=True
    )
    failures = models.PositiveIntegerField(verbose_name=_("判定时连续失败次数"))
    obligation = models.ForeignKey(
        "obligations.Obligation",
        verbose_name=_("2.2 处理期限"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The service desk's fault ticket (kept as an id: the desk owns its tickets).
    ticket_id = models.PositiveBigIntegerField(verbose_name=_("故障工单"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("电路中断")
        verbose_name_plural = _("电路中断")
        indexes = [models.Index(fields=["circuit", "started_at"])]
        constraints = [
            # At most one open outage per circuit.
            models.UniqueConstraint(
                fields=["circuit"],
                condition=models.Q(ended_at__isnull=True),
                name="outage_one_open_per_circuit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.circuit.circuit_id} {self.started_at:%Y-%m-%d %H:%M}"
