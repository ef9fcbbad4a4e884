"""Reads of the circuits app: scoped lists and monthly availability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet

from yiyun.circuits.choices import CircuitState
from yiyun.circuits.models import Circuit, Outage, ProbeHour
from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.tenancy.selectors import scoped


def circuits_visible(user) -> QuerySet[Circuit]:
    return scoped(
        Circuit.objects.select_related("contract", "contract__customer", "a_end", "z_end"),
        user,
        via="contract__customer",
    )


def outages_of(circuit: Circuit) -> QuerySet[Outage]:
    return Outage.objects.filter(circuit=circuit).select_related("obligation")


def hours_of(circuit: Circuit, *, since: datetime) -> QuerySet[ProbeHour]:
    return ProbeHour.objects.filter(circuit=circuit, hour__gte=since).order_by("hour")


@dataclass(frozen=True)
class MonthAvailability:
    """A calendar month (Asia/Shanghai) of a circuit: how long it was in service in that
    month (the whole month, or the part of it within the service period and before now)
    and how long it was down."""

    year: int
    month: int
    start: datetime
    end: datetime
    period_seconds: int
    down_seconds: int
    outages: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def ratio(self) -> Decimal | None:
        if self.period_seconds <= 0:
            return None
        return Decimal(self.period_seconds - self.down_seconds) / Decimal(self.period_seconds)

    @property
    def percent(self) -> Decimal | None:
        """Per cent with three decimals, half up: (744 − 3) / 744 h → 99.597."""
        ratio = self.ratio
        if ratio is None:
            return None
        return (ratio * 100).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)

    @property
    def complete(self) -> bool:
        return self.period_seconds == int((self.end - self.start).total_seconds())


def _month_start(year: int, month: int) -> datetime:
    if not 1 <= month <= 12 or not 2000 <= year <= 2200:
        raise DomainError("month must be YYYY-MM", field="month", code="invalid_month")
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def _next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        raise DomainError("month must be YYYY-MM", field="month", code="invalid_month") from None
    _month_start(year, month)
    return year, month


def availability(circuit: Circuit, *, year: int, month: int, now: datetime | None = None):
    """The circuit's availability in one month: (time in service − time down) / time in
    service, where time in service is the month within the contract's service period and
    not after `now`, and time down is the overlap of its outages (an open outage counts
    up to `now`)."""
    now = now or clock.now()
    start = _month_start(year, month)
    end = _next_month(start)
    contract = circuit.contract
    service_start = datetime.combine(contract.start, time(0), tzinfo=SHANGHAI)
    service_end = datetime.combine(contract.end + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    counted_from = max(start, service_start)
    counted_to = min(end, service_end, now)
    period = max(0, int((counted_to - counted_from).total_seconds()))
    down = 0
    outages = 0
    if period:
        rows = Outage.objects.filter(circuit=circuit, started_at__lt=counted_to).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=counted_from)
        )
        for outage in rows:
            overlap_from = max(outage.started_at, counted_from)
            overlap_to = min(outage.ended_at or now, counted_to)
            if overlap_to > overlap_from:
                down += int((overlap_to - overlap_from).total_seconds())
                outages += 1
    return MonthAvailability(
        year=year,
        month=month,
        start=start,
        end=end,
        period_seconds=period,
        down_seconds=min(down, period),
        outages=outages,
    )


def availability_months(
    circuit: Circuit, *, now: datetime | None = None
) -> list[MonthAvailability]:
    """Every month of the service period up to the current one, newest first."""
    now = now or clock.now()
    contract = circuit.contract
    first = date(contract.start.year, contract.start.month, 1)
    last_day = min(contract.end, clock.local(now).date())
    months = []
    cursor = first
    while cursor <= last_day:
        months.append(availability(circuit, year=cursor.year, month=cursor.month, now=now))
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return list(reversed(months))


def metrics() -> list[tuple]:
    """Prometheus gauges (core.metrics): circuits down, open outages."""
    return [
        (
            "yiyun_circuits_down",
            "circuits whose last probes failed past the threshold",
            Circuit.objects.filter(state=CircuitState.DOWN).count(),
        ),
        (
            "yiyun_circuits_open_outages",
            "outages not yet closed by a successful probe",
            Outage.objects.filter(ended_at__isnull=True).count(),
        ),
    ]
