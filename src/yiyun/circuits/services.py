"""Writes of the circuits app.

- `circuits_from_contract(contract)`: the contract's circuits (1.2) as rows, idempotent;
  `circuits_sync_all()` (a worker job, and `yiyun circuits sync`) runs it for every
  contract, so a contract loaded by `yiyun contract load` gets its circuits without the
  contract register knowing about this app.
- `circuit_configure`: the far-end address and how to probe it (the provider's staff).
- `probe_run` / `probe_due` (the worker job): probe the circuits that are due, in
  parallel threads; results are recorded in the calling thread by `probe_record`.
- `probe_record`: one result. N consecutive failures open an outage whose start is the
  first failed probe, with a service-desk fault ticket carrying the 2.2 clock from that
  moment; the first success closes it with its duration and resolves the ticket.
- `probes_rollup`: hourly roll-ups (kept for the service period) and the purge of raw
  results older than `CIRCUITS_RAW_KEEP_DAYS`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Avg, Count, Max, Q
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.circuits import conf
from yiyun.circuits.choices import CircuitState, ProbeMethod
from yiyun.circuits.models import Circuit, Outage, ProbeHour, ProbeResult
from yiyun.circuits.probes import ProbeOutcome, icmp_available, probe
from yiyun.contracts.choices import ContractStatus
from yiyun.contracts.models import Contract
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import Conflict, DomainError
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.services import obligation_meet
from yiyun.servicedesk.choices import OPEN_STATUSES, Channel, TicketKind, TicketPriority
from yiyun.servicedesk.models import Ticket
from yiyun.servicedesk.services import ticket_create, ticket_resolve
from yiyun.tenancy.choices import ADMIN_ROLES, PROVIDER_ROLES
from yiyun.tenancy.models import Person, Site
from yiyun.tenancy.selectors import is_read_only, person_of

log = logging.getLogger("yiyun.circuits")

PROBE_ACTOR = "circuits:probe"
_NETNS = re.compile(r"^[A-Za-z0-9_.-]{0,60}$")


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def _people(organisation_id: int) -> list[Person]:
    admins = list(Person.objects.filter(organisation_id=organisation_id, role__in=ADMIN_ROLES))
    return admins or list(Person.objects.filter(organisation_id=organisation_id))


def _both_sides(contract) -> list[Person]:
    return _people(contract.customer_id) + _people(contract.provider_id)


# -- circuits from the contract (1.2) ------------------------------------------------------


@transaction.atomic
def circuits_from_contract(contract: Contract, *, by="system") -> list[Circuit]:
    """Create the circuits the contract data lists (Contract.circuits), one per entry, in
    order; entries already created are left as they are (their probe settings, their
    carrier circuit id). Returns the contract's circuits. DomainError when an end is not
    one of the customer's sites."""
    component = contract.price_components.filter(kind="circuit").order_by("position").first()
    sites = {site.name: site for site in Site.objects.filter(organisation=contract.customer_id)}
    existing = {circuit.position: circuit for circuit in Circuit.objects.filter(contract=contract)}
    created = []
    for position, entry in enumerate(contract.circuits or [], start=1):
        if position in existing:
            continue
        ends = []
        for key in ("a_end", "z_end"):
            site = sites.get(entry.get(key, ""))
            if site is None:
                raise DomainError(
                    _("电路 %(n)d 的端点“%(site)s”不是 %(customer)s 的站点")
                    % {"n": position, "site": entry.get(key, ""), "customer": contract.customer},
                    code="unknown_site",
                    field=f"circuits[{position - 1}].{key}",
                )
            ends.append(site)
        circuit = Circuit.objects.create(
            contract=contract,
            position=position,
            circuit_id=f"{contract.number}-P2P-{position:02d}",
            a_end=ends[0],
            z_end=ends[1],
            bandwidth_mbps=int(entry["bandwidth_mbps"]),
            monthly_fee=entry["monthly_fee"],
            price_component=component,
        )
        created.append(circuit)
    if created:
        audit_record(
            actor=by,
            action="circuits.synced",
            obj=contract,
            organisation=contract.customer_id,
            data={
                "contract": contract.number,
                "created": [
                    {"circuit_id": c.circuit_id, "a_end": c.a_end.name, "z_end": c.z_end.name}
                    for c in created
                ],
            },
        )
    return list(Circuit.objects.filter(contract=contract).order_by("position"))


def circuits_sync_all(*, by="system") -> int:
    """`circuits_from_contract` for every active contract that lists more circuits than it
    has rows; returns how many circuits were created."""
    created = 0
    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE):
        have = Circuit.objects.filter(contract=contract).count()
        if len(contract.circuits or []) > have:
            created += len(circuits_from_contract(contract, by=by)) - have
    return created


# -- configuration -------------------------------------------------------------------------


def _require_provider_staff(by, circuit: Circuit) -> None:
    if by is None or isinstance(by, str) or by.is_superuser:
        return
    if is_read_only(by):
        raise PermissionDenied(_("只读账号不能修改"))
    person = person_of(by)
    if (
        person is None
        or person.organisation_id != circuit.contract.provider_id
        or person.role not in PROVIDER_ROLES
    ):
        raise PermissionDenied(_("只有服务方（乙方）人员可以配置电路探测"))


CONFIGURABLE = (
    "circuit_id",
    "far_address",
    "probe_method",
    "probe_port",
    "probe_netns",
    "probe_interval",
    "failures_to_open",
    "probe_enabled",
)


@transaction.atomic
def circuit_configure(*, circuit: Circuit, by, **changes) -> Circuit:
    """Set how a circuit is probed (the provider's staff): far-end address, method, TCP
    port, namespace, interval, failures to open an outage, on/off; or the carrier's
    circuit id. A new address or method starts counting failures afresh."""
    _require_provider_staff(by, circuit)
    unknown = set(changes) - set(CONFIGURABLE)
    if unknown:
        raise DomainError(_("不能修改：%(f)s") % {"f": ", ".join(sorted(unknown))})
    circuit = Circuit.objects.select_for_update().select_related("contract").get(pk=circuit.pk)
    before = {key: getattr(circuit, key) for key in changes}
    for key, value in changes.items():
        setattr(circuit, key, value)
    if circuit.far_address:
        try:
            ipaddress.ip_address(circuit.far_address)
        except ValueError:
            raise DomainError(_("不是有效的 IP 地址"), field="far_address") from None
    if circuit.probe_method not in ProbeMethod.values:
        raise DomainError(_("未知探测方式"), field="probe_method")
    if circuit.probe_method == ProbeMethod.TCP and circuit.far_address and not circuit.probe_port:
        raise DomainError(_("TCP 探测须指定端口"), field="probe_port")
    if circuit.probe_method == ProbeMethod.ICMP and not icmp_available() and not circuit.probe_port:
        # Without `ping` an ICMP probe would fail every time and open false outages.
        raise DomainError(
            _("本机没有 ping（ICMP 需要原始套接字）：请指定 TCP 端口，平台将改用 TCP 探测"),
            field="probe_port",
        )
    if circuit.probe_port is not None and not 0 < circuit.probe_port < 65536:
        raise DomainError(_("端口须在 1–65535 之间"), field="probe_port")
    if not _NETNS.match(circuit.probe_netns or ""):
        raise DomainError(_("网络命名空间名称无效"), field="probe_netns")
    if circuit.probe_interval is not None and circuit.probe_interval < 5:
        raise DomainError(_("探测间隔不能少于 5 秒"), field="probe_interval")
    if circuit.failures_to_open is not None and circuit.failures_to_open < 1:
        raise DomainError(_("至少 1 次"), field="failures_to_open")
    if not (circuit.circuit_id or "").strip():
        raise DomainError(_("请填写电路编号"), field="circuit_id")
    if Circuit.objects.exclude(pk=circuit.pk).filter(circuit_id=circuit.circuit_id).exists():
        raise Conflict(_("电路编号已被使用"), field="circuit_id")
    if {"far_address", "probe_method", "probe_port", "probe_netns"} & {
        key for key in changes if before[key] != changes[key]
    } and not Outage.objects.filter(circuit=circuit, ended_at__isnull=True).exists():
        circuit.consecutive_failures = 0
        circuit.first_failure_at = None
    circuit.save()
    audit_record(
        actor=by,
        action="circuits.configured",
        obj=circuit,
        organisation=circuit.contract.customer_id,
        data={"before": before, "after": {key: getattr(circuit, key) for key in changes}},
    )
    return circuit


# -- probes --------------------------------------------------------------------------------


def _interval(circuit: Circuit) -> int:
    return circuit.probe_interval or conf.probe_interval()


def _threshold(circuit: Circuit) -> int:
    return circuit.failures_to_open or conf.failures_to_open()


def probes_due(now: datetime):
    candidates = Circuit.objects.select_related("contract").filter(
        probe_enabled=True,
        far_address__isnull=False,
        contract__status=ContractStatus.ACTIVE,
    )
    return [
        circuit
        for circuit in candidates
        if circuit.last_probe_at is None
        or circuit.last_probe_at + timedelta(seconds=_interval(circuit)) <= now
    ]


def probe_run(*, now: datetime | None = None, circuits=None) -> list[ProbeResult]:
    """Probe `circuits` (default: every circuit due at `now`) at the same time, each in a
    worker thread, and record the results — all stamped `now`, the moment the round began.
    No database access happens in the threads."""
    now = now or clock.now()
    circuits = list(circuits) if circuits is not None else probes_due(now)
    if not circuits:
        return []
    timeout = conf.probe_timeout()

    def one(circuit: Circuit) -> ProbeOutcome:
        try:
            return probe(
                method=circuit.probe_method,
                address=circuit.far_address,
                port=circuit.probe_port,
                timeout=timeout,
                netns=circuit.probe_netns,
            )
        except Exception:  # a probe that crashes is a failed probe, never a lost one
            log.exception("probe of %s failed", circuit.circuit_id)
            return ProbeOutcome(False, None, "error")

    with ThreadPoolExecutor(max_workers=max(1, min(conf.probe_threads(), len(circuits)))) as pool:
        outcomes = list(pool.map(one, circuits))
    return [
        probe_record(
            circuit=circuit, at=now, ok=outcome.ok, rtt_us=outcome.rtt_us, error=outcome.error
        )
        for circuit, outcome in zip(circuits, outcomes, strict=True)
    ]


def probe_due() -> int:
    """The worker job (every 5 s): probe what is due now."""
    return len(probe_run(now=clock.now()))


@transaction.atomic
def probe_record(
    *, circuit: Circuit, at: datetime, ok: bool, rtt_us: int | None = None, error: str = ""
) -> ProbeResult:
    """Record one probe result at `at` and move the circuit's state: the N-th failure in a
    row opens an outage from the first of them; a success closes an open outage.
    Results must come in order (DomainError "stale_probe" otherwise)."""
    circuit = (
        Circuit.objects.select_for_update()
        .select_related("contract", "z_end", "a_end")
        .get(pk=circuit.pk)
    )
    if circuit.last_probe_at is not None and at <= circuit.last_probe_at:
        raise DomainError(
            _("探测结果早于最近一次（%(last)s）") % {"last": circuit.last_probe_at.isoformat()},
            code="stale_probe",
        )
    result = ProbeResult.objects.create(
        circuit=circuit, at=at, ok=ok, rtt_us=rtt_us, error=(error or "")[:40]
    )
    circuit.last_probe_at = at
    open_outage = Outage.objects.filter(circuit=circuit, ended_at__isnull=True).first()
    if ok:
        circuit.last_ok_at = at
        circuit.consecutive_failures = 0
        circuit.first_failure_at = None
        circuit.state = CircuitState.UP
        if open_outage is not None:
            _outage_close(circuit, open_outage, at)
    else:
        circuit.consecutive_failures += 1
        circuit.first_failure_at = circuit.first_failure_at or at
        if open_outage is None and circuit.consecutive_failures >= _threshold(circuit):
            open_outage = _outage_open(circuit, detected_at=at)
        if open_outage is not None:
            circuit.state = CircuitState.DOWN
    circuit.save()
    return result


def _outage_open(circuit: Circuit, *, detected_at: datetime) -> Outage:
    contract = circuit.contract
    started_at = circuit.first_failure_at
    outage = Outage.objects.create(
        circuit=circuit,
        started_at=started_at,
        detected_at=detected_at,
        failures=circuit.consecutive_failures,
    )
    local_start = f"{clock.local(started_at):%Y-%m-%d %H:%M:%S}"
    title = _("电路中断：%(z)s（%(id)s）") % {"z": circuit.z_end.name, "id": circuit.circuit_id}
    description = _(
        "%(a)s — %(z)s 的 %(bw)d Mbit/s 点对点电路自 %(start)s（北京时间，首次探测失败）起连续 %(n)d 次探测失败（远端 %(address)s）。"
    ) % {
        "a": circuit.a_end.name,
        "z": circuit.z_end.name,
        "bw": circuit.bandwidth_mbps,
        "start": local_start,
        "n": circuit.consecutive_failures,
        "address": circuit.far_address,
    }
    ticket = _fault_ticket(circuit, title=title, description=description, started_at=started_at)
    outage.ticket_id = ticket.pk
    # 2.2: the ticket's fault clock runs 24 h from the first failed probe.
    outage.obligation = ticket.obligation
    outage.save(update_fields=["ticket_id", "obligation"])
    body = description
    if outage.obligation is not None and outage.obligation.due_at is not None:
        body += _("按合同第2.2条，乙方应在 24 小时内处理完毕（截止 %(due)s）。") % {
            "due": f"{clock.local(outage.obligation.due_at):%Y-%m-%d %H:%M}"
        }
    inbox_send(
        recipients=_both_sides(contract),
        subject=title,
        body=body,
        link=reverse("circuits:detail", kwargs={"pk": circuit.pk}),
        source=f"circuits:outage:{outage.pk}:open",
    )
    audit_record(
        actor=PROBE_ACTOR,
        action="circuits.outage_opened",
        obj=outage,
        organisation=contract.customer_id,
        data={
            "circuit": circuit.circuit_id,
            "started_at": started_at,
            "detected_at": detected_at,
            "failures": circuit.consecutive_failures,
            "ticket": ticket.pk,
            "obligation": outage.obligation_id,
        },
    )
    return outage


def _fault_ticket(circuit: Circuit, *, title: str, description: str, started_at: datetime):
    """The service desk's fault ticket for the outage; it opens the 2.2 obligation with
    the first failed probe as the moment the fault occurred."""
    return ticket_create(
        by=PROBE_ACTOR,
        organisation=circuit.contract.customer,
        contract=circuit.contract,
        title=title[:200],
        kind=TicketKind.FAULT,
        description=description,
        site=circuit.z_end,
        priority=TicketPriority.HIGH,
        affected_circuit=circuit.circuit_id,
        # Raised by the platform's own monitoring (a machine), not typed in by a person.
        channel=Channel.API,
        reported_at=started_at,
    )


def _outage_close(circuit: Circuit, outage: Outage, at: datetime) -> Outage:
    outage.ended_at = at
    outage.duration_seconds = int((at - outage.started_at).total_seconds())
    outage.save(update_fields=["ended_at", "duration_seconds"])
    minutes = outage.duration_seconds // 60
    resolution = _("探测恢复：%(at)s（北京时间）起远端可达，中断 %(h)d 小时 %(m)d 分钟。") % {
        "at": f"{clock.local(at):%Y-%m-%d %H:%M:%S}",
        "h": minutes // 60,
        "m": minutes % 60,
    }
    _fault_resolved(outage, resolution=resolution, at=at)
    inbox_send(
        recipients=_both_sides(circuit.contract),
        subject=_("电路已恢复：%(z)s（%(id)s）")
        % {"z": circuit.z_end.name, "id": circuit.circuit_id},
        body=resolution,
        link=reverse("circuits:detail", kwargs={"pk": circuit.pk}),
        source=f"circuits:outage:{outage.pk}:closed",
    )
    audit_record(
        actor=PROBE_ACTOR,
        action="circuits.outage_closed",
        obj=outage,
        organisation=circuit.contract.customer_id,
        data={
            "circuit": circuit.circuit_id,
            "started_at": outage.started_at,
            "ended_at": at,
            "duration_seconds": outage.duration_seconds,
        },
    )
    return outage


def _fault_resolved(outage: Outage, *, resolution: str, at: datetime) -> None:
    """The circuit is back: the fault ticket is resolved at that moment (meeting 2.2, or
    recording it late); a ticket the desk already resolved or closed is left alone."""
    ticket = Ticket.objects.filter(pk=outage.ticket_id).first() if outage.ticket_id else None
    if ticket is not None and ticket.status in OPEN_STATUSES:
        ticket_resolve(ticket=ticket, by=PROBE_ACTOR, resolution=resolution, at=at)
        return
    obligation = outage.obligation
    if obligation is not None and obligation.state == ObligationState.OPEN:
        obligation_meet(obligation=obligation, at=at, by=PROBE_ACTOR, evidence=resolution)


# -- roll-ups ------------------------------------------------------------------------------


@transaction.atomic
def probes_rollup(*, now: datetime | None = None) -> int:
    """Roll raw results up per circuit and hour, for every complete hour not yet rolled
    up (the last rolled hour is redone: results may have come in late), then delete raw
    results older than the keep period that are rolled up. Returns the hours written."""
    now = now or clock.now()
    current_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    written = 0
    circuit_ids = ProbeResult.objects.order_by("circuit").values_list("circuit", flat=True)
    for circuit_id in circuit_ids.distinct():
        last = ProbeHour.objects.filter(circuit=circuit_id).aggregate(last=Max("hour"))["last"]
        rows = ProbeResult.objects.filter(circuit=circuit_id, at__lt=current_hour)
        if last is not None:
            rows = rows.filter(at__gte=last)
        hours = (
            rows.annotate(hour=TruncHour("at", tzinfo=UTC))
            .values("hour")
            .annotate(
                probes=Count("id"),
                failures=Count("id", filter=Q(ok=False)),
                rtt_avg=Avg("rtt_us"),
                rtt_max=Max("rtt_us"),
            )
            .order_by("hour")
        )
        for row in hours:
            ProbeHour.objects.update_or_create(
                circuit_id=circuit_id,
                hour=row["hour"],
                defaults={
                    "probes": row["probes"],
                    "failures": row["failures"],
                    "rtt_avg_us": round(row["rtt_avg"]) if row["rtt_avg"] is not None else None,
                    "rtt_max_us": row["rtt_max"],
                },
            )
            written += 1
    cutoff = min(now - timedelta(days=conf.raw_keep_days()), current_hour)
    ProbeResult.objects.filter(at__lt=cutoff).delete()
    return written


__all__ = [
    "PROBE_ACTOR",
    "circuit_configure",
    "circuits_from_contract",
    "circuits_sync_all",
    "probe_due",
    "probe_record",
    "probe_run",
    "probes_due",
    "probes_rollup",
]
