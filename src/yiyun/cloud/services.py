"""Writes of the cloud app.

Other apps and the pages call:
- servers: `server_create`, `server_resize`, `server_power`, `server_delete`,
  `servers_import` — every allocation is checked against the entitlement (1.2);
- changes: `change_request_create` (1.3 by the customer, priced from the catalogue;
  3.7 by the provider, with a planned time), `change_request_approve` (the other side
  agrees: the provider approves a 1.3 request, the customer consents to a 3.7 change),
  `change_request_reject`, `change_request_withdraw`, `change_request_apply`;
- use and overuse (2.7.4): `usage_collect` / `usage_collect_all` (the worker job),
  `sample_record`, `overuse_evaluate`, `finding_respond`, `finding_measure_record`,
  `finding_close`;
- set-up: `host_add`, `business_system_ensure`, `price_catalogue_ensure`,
  `price_entry_add`, `overuse_thresholds_set`.

Writes that change allocation lock the contract row first (`_lock_contract`), so two
requests cannot both pass the entitlement check with the last free cores. The driver is
called after every check has passed and before the row is written; when the write then
fails, the driver's work is undone where it can be (a created machine is deleted).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.cloud import conf
from yiyun.cloud.choices import (
    ALLOCATED_STATES,
    ChangeKind,
    ChangeState,
    FindingState,
    Resource,
    ServerState,
)
from yiyun.cloud.drivers import DomainNotFound, DomainSpec, DriverError, driver_for
from yiyun.cloud.models import (
    BusinessSystem,
    ChangeItem,
    ChangeRequest,
    EntitlementAdjustment,
    Host,
    OveruseFinding,
    PriceCatalogue,
    PriceEntry,
    Server,
    UsageSample,
)
from yiyun.cloud.rules import OVERUSE_RESPONSE
from yiyun.cloud.selectors import (
    catalogue_for,
    entitlement_of,
    live_servers,
    price_on,
    thresholds_for,
)
from yiyun.cloud.thresholds import PARAMETER_KEY, Thresholds, format_thresholds
from yiyun.contracts.choices import ContractStatus, PricePeriod
from yiyun.contracts.models import Contract, PriceComponent
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import Conflict, DomainError
from yiyun.core.money import cny
from yiyun.core.periods import deadline
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.services import (
    obligation_meet,
    obligation_open,
    obligation_retrigger,
    obligation_waive,
)
from yiyun.tenancy.choices import ADMIN_ROLES, PROVIDER_ROLES, OrganisationKind, Role
from yiyun.tenancy.models import Organisation, Person
from yiyun.tenancy.selectors import is_read_only, person_of

log = logging.getLogger("yiyun.cloud")

PROVIDER, CUSTOMER, SYSTEM = "provider", "customer", "system"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
MAX_DATA_DISKS = 16
PERMILLE = 1000


# -- who acts ------------------------------------------------------------------------------


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def actor_side(by, contract) -> str:
    """Which side of `contract` `by` acts for: PROVIDER (its staff), CUSTOMER (its
    administrators), SYSTEM (the worker, a command, the operator). PermissionDenied for
    read-only accounts, customer members and anybody else."""
    if by is None or isinstance(by, str):
        return SYSTEM
    if by.is_authenticated and by.is_superuser:
        return SYSTEM
    if is_read_only(by):
        raise PermissionDenied(_("只读账号不能修改"))
    person = person_of(by)
    if person is not None:
        if person.organisation_id == contract.provider_id and person.role in PROVIDER_ROLES:
            return PROVIDER
        if person.organisation_id == contract.customer_id and person.role == Role.CUSTOMER_ADMIN:
            return CUSTOMER
    raise PermissionDenied(_("您的角色不能执行此操作"))


def _require(by, contract, *sides: str) -> str:
    side = actor_side(by, contract)
    if side != SYSTEM and side not in sides:
        raise PermissionDenied(
            _("此操作只能由%(side)s执行")
            % {"side": _("服务方（乙方）") if sides == (PROVIDER,) else _("采购方（甲方）")}
        )
    return side


def _people(organisation_id: int) -> list[Person]:
    """Who hears of it: the organisation's administrators, or everyone when it has none."""
    admins = list(Person.objects.filter(organisation_id=organisation_id, role__in=ADMIN_ROLES))
    return admins or list(Person.objects.filter(organisation_id=organisation_id))


def _lock_contract(contract) -> Contract:
    # Lock order: the contract row first, always, before any server row (no deadlocks).
    return Contract.objects.select_for_update().get(pk=contract.pk)


def _require_active(contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            _("合同已%(status)s，不能再分配资源") % {"status": contract.get_status_display()},
            code="contract_ended",
        )


def _amount(value) -> str:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


# -- the entitlement (1.2) ---------------------------------------------------------------


def entitlement_check(contract, *, add: dict[str, Decimal], without: Server | None = None) -> None:
    """Refuse (DomainError "over_entitlement") when adding `add` to what the contract's
    live servers hold (less `without`, a server being resized) exceeds the entitlement as
    signed plus what applied change requests raised. Only resources that grow are
    checked: giving back is always allowed."""
    lines = entitlement_of(contract)
    held = {resource: Decimal(0) for resource in lines}
    for server in live_servers(contract).exclude(pk=getattr(without, "pk", None)):
        for resource, quantity in server.allocation().items():
            held[resource] += quantity
    problems = []
    for resource, quantity in add.items():
        quantity = Decimal(quantity)
        line = lines[resource]
        current = held[resource] + (without.allocation()[resource] if without else 0)
        total = held[resource] + quantity
        if total > line.entitled and total > current:
            problems.append(
                _(
                    "%(label)s：已分配 %(held)s %(unit)s，本次需要 %(asked)s %(unit)s，合计 %(total)s %(unit)s，超出配额 %(entitled)s %(unit)s"
                )
                % {
                    "label": line.label,
                    "held": _amount(held[resource]),
                    "asked": _amount(quantity),
                    "total": _amount(total),
                    "entitled": _amount(line.entitled),
                    "unit": line.unit,
                }
            )
    if problems:
        raise DomainError(
            "；".join(problems) + _("。请先通过变更申请（1.3）增加资源。"),
            code="over_entitlement",
        )


# -- set-up --------------------------------------------------------------------------------


@transaction.atomic
def host_add(*, provider: Organisation, name: str, uri: str, storage_pool: str = "", by) -> Host:
    """Register a compute host of `provider` (a libvirt URI)."""
    if provider.kind != OrganisationKind.PROVIDER:
        raise DomainError(_("宿主机只能属于服务单位"), field="provider")
    if by is not None and not isinstance(by, str) and not by.is_superuser:
        person = person_of(by)
        if (
            is_read_only(by)
            or person is None
            or person.organisation_id != provider.pk
            or person.role != Role.PROVIDER_ADMIN
        ):
            raise PermissionDenied(_("只有服务方管理员可以登记宿主机"))
    name, uri = name.strip(), uri.strip()
    if not name or not uri:
        raise DomainError(_("请填写名称和连接地址"), field="name")
    if Host.objects.filter(name=name).exists():
        raise Conflict(_("宿主机 %(name)s 已存在") % {"name": name}, field="name")
    host = Host.objects.create(
        provider=provider, name=name, uri=uri, storage_pool=storage_pool.strip()
    )
    audit_record(
        actor=by,
        action="cloud.host_added",
        obj=host,
        organisation=provider,
        data={"name": name, "uri": uri, "storage_pool": host.storage_pool},
    )
    return host


@transaction.atomic
def business_system_ensure(
    *, organisation: Organisation, name: str, kind: str = "other", by=None
) -> BusinessSystem:
    """The customer's business system of that name, created when missing."""
    name = name.strip()
    if not name:
        raise DomainError(_("请填写业务系统名称"), field="name")
    system, created = BusinessSystem.objects.get_or_create(
        organisation=organisation, name=name, defaults={"kind": kind}
    )
    if created:
        audit_record(
            actor=by,
            action="cloud.business_system_added",
            obj=system,
            organisation=organisation,
            data={"name": name, "kind": kind},
        )
    return system


@transaction.atomic
def price_catalogue_ensure(
    *, provider: Organisation, name: str, source: str = "", by=None
) -> PriceCatalogue:
    catalogue, created = PriceCatalogue.objects.get_or_create(
        provider=provider, name=name.strip(), defaults={"source": source}
    )
    if created:
        audit_record(
            actor=by,
            action="cloud.catalogue_added",
            obj=catalogue,
            organisation=provider,
            data={"name": catalogue.name, "source": source},
        )
    return catalogue


def _require_provider_admin(by, provider_id: int) -> None:
    if by is None or isinstance(by, str) or by.is_superuser:
        return
    person = person_of(by)
    if (
        is_read_only(by)
        or person is None
        or person.organisation_id != provider_id
        or person.role != Role.PROVIDER_ADMIN
    ):
        raise PermissionDenied(_("只有服务方管理员可以维护价格目录"))


@transaction.atomic
def price_entry_add(
    *,
    catalogue: PriceCatalogue,
    resource: str,
    unit_price,
    period: str = PricePeriod.MONTH,
    valid_from,
    valid_until=None,
    code: str = "",
    description: str = "",
    by,
) -> PriceEntry:
    """Add a price valid from `valid_from` to `valid_until` (inclusive, open when None).

    Entries of one resource in one catalogue may not overlap: a new price for a resource
    whose current entry is open-ended closes that one the day before (a price list
    revision); any other overlap is refused.
    """
    _require_provider_admin(by, catalogue.provider_id)
    if resource not in Resource.values:
        raise DomainError(_("未知资源"), field="resource")
    if period not in PricePeriod.values:
        raise DomainError(_("未知计费周期"), field="period")
    price = Decimal(str(unit_price))
    if price < 0:
        raise DomainError(_("单价不能为负"), field="unit_price")
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("失效日期早于生效日期"), field="valid_until")
    existing = PriceEntry.objects.select_for_update().filter(catalogue=catalogue, resource=resource)
    for entry in existing:
        if entry.valid_from < valid_from and entry.valid_until is None:
            entry.valid_until = valid_from - timedelta(days=1)
            entry.save(update_fields=["valid_until"])
            continue
        ends = entry.valid_until or datetime.max.date()
        new_ends = valid_until or datetime.max.date()
        if entry.valid_from <= new_ends and valid_from <= ends:
            raise Conflict(
                _("与现有价格（%(start)s 起）的有效期重叠") % {"start": entry.valid_from},
                field="valid_from",
            )
    entry = PriceEntry.objects.create(
        catalogue=catalogue,
        resource=resource,
        unit_price=price,
        period=period,
        valid_from=valid_from,
        valid_until=valid_until,
        code=code.strip(),
        description=description.strip(),
    )
    audit_record(
        actor=by,
        action="cloud.price_added",
        obj=entry,
        organisation=catalogue.provider_id,
        data={
            "catalogue": catalogue.name,
            "resource": resource,
            "unit_price": str(price),
            "period": period,
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    )
    return entry


def overuse_thresholds_set(*, contract, thresholds: Thresholds, by):
    """Record the thresholds the parties agreed (2.7.4) in the contract's open parameter,
    through the contract register's own service."""
    from yiyun.contracts.services import open_parameter_set

    parameter = contract.open_parameters.filter(key=PARAMETER_KEY).first()
    if parameter is None:
        raise DomainError(_("该合同没有“超量占用阈值”（2.7.4）待约定事项"), code="no_parameter")
    _require(by, contract, PROVIDER, CUSTOMER)
    return open_parameter_set(parameter=parameter, value=format_thresholds(thresholds), by=by)


# -- servers -------------------------------------------------------------------------------


def _check_sizes(*, vcpu, memory_gib, system_disk_gib=None, data_disks_gib=None) -> None:
    for value, name in ((vcpu, "vcpu"), (memory_gib, "memory_gib")):
        if not isinstance(value, int) or value <= 0:
            raise DomainError(_("必须是正整数"), field=name)
    if system_disk_gib is not None and (
        not isinstance(system_disk_gib, int) or system_disk_gib <= 0
    ):
        raise DomainError(_("必须是正整数"), field="system_disk_gib")
    if data_disks_gib is not None:
        if len(data_disks_gib) > MAX_DATA_DISKS:
            raise DomainError(
                _("数据盘最多 %(n)d 块") % {"n": MAX_DATA_DISKS}, field="data_disks_gib"
            )
        if any(not isinstance(size, int) or size <= 0 for size in data_disks_gib):
            raise DomainError(_("数据盘大小必须是正整数（GiB）"), field="data_disks_gib")


@transaction.atomic
def server_create(
    *,
    contract,
    host: Host | None = None,
    name: str,
    vcpu: int,
    memory_gib: int,
    system_disk_gib: int,
    data_disks_gib=(),
    business_system: BusinessSystem | None = None,
    site=None,
    by,
) -> Server:
    """Create and start a virtual machine for `contract`'s customer on `host` (default:
    the provider's first enabled host), within the entitlement (1.2)."""
    _require(by, contract, PROVIDER, CUSTOMER)
    contract = _lock_contract(contract)
    _require_active(contract)
    if host is None:
        host = (
            Host.objects.filter(provider=contract.provider_id, enabled=True)
            .order_by("name")
            .first()
        )
        if host is None:
            raise DomainError(_("服务单位尚未登记可用的宿主机"), code="no_host", field="host")
    name = (name or "").strip()
    if not NAME.match(name):
        raise DomainError(
            _("名称只能包含字母、数字、点、下划线和连字符（最多 63 个字符）"), field="name"
        )
    data_disks = list(data_disks_gib)
    _check_sizes(
        vcpu=vcpu, memory_gib=memory_gib, system_disk_gib=system_disk_gib, data_disks_gib=data_disks
    )
    if host.provider_id != contract.provider_id or not host.enabled:
        raise DomainError(_("该宿主机不属于本合同的服务单位或已停用"), field="host")
    if site is not None and site.organisation_id != contract.customer_id:
        raise DomainError(_("站点不属于本合同的采购单位"), field="site")
    if business_system is not None and business_system.organisation_id != contract.customer_id:
        raise DomainError(_("业务系统不属于本合同的采购单位"), field="business_system")
    if Server.objects.filter(host=host, name=name).exclude(state=ServerState.DELETED).exists():
        raise Conflict(_("宿主机上已有同名云服务器 %(name)s") % {"name": name}, field="name")
    entitlement_check(
        contract,
        add={
            Resource.VCPU: Decimal(vcpu),
            Resource.MEMORY: Decimal(memory_gib),
            Resource.SYSTEM_DISK: Decimal(system_disk_gib),
            Resource.STORAGE: Decimal(sum(data_disks)),
        },
    )
    driver = driver_for(host)
    info = driver.create(
        DomainSpec(
            name=name,
            vcpu=vcpu,
            memory_mib=memory_gib * 1024,
            system_disk_gib=system_disk_gib,
            data_disks_gib=tuple(data_disks),
        )
    )
    moment = clock.now()
    try:
        with transaction.atomic():
            server = Server.objects.create(
                contract=contract,
                host=host,
                name=name,
                domain_uuid=info.uuid,
                vcpu=vcpu,
                memory_gib=memory_gib,
                system_disk_gib=system_disk_gib,
                data_disks_gib=list(data_disks),
                business_system=business_system,
                site=site,
                state=info.state,
                created_at=moment,
                updated_at=moment,
            )
    except IntegrityError:
        driver.delete(info.uuid)
        raise
    audit_record(
        actor=by,
        action="cloud.server_created",
        obj=server,
        organisation=contract.customer_id,
        data={
            "contract": contract.number,
            "host": host.name,
            "name": name,
            "uuid": info.uuid,
            "vcpu": vcpu,
            "memory_gib": memory_gib,
            "system_disk_gib": system_disk_gib,
            "data_disks_gib": list(data_disks),
        },
    )
    return server


def _locked_server(server: Server) -> tuple[Contract, Server]:
    contract = _lock_contract(server.contract)
    server = Server.objects.select_for_update().select_related("host").get(pk=server.pk)
    if server.state == ServerState.DELETED:
        raise DomainError(_("云服务器已删除"), code="deleted")
    return contract, server


@transaction.atomic
def server_resize(*, server: Server, vcpu: int, memory_gib: int, by) -> Server:
    """Change a server's vCPU and memory through its driver, within the entitlement. A
    running machine grows only within the maxima it was started with; beyond them it must
    be stopped first (DriverError "stop_first")."""
    _require(by, server.contract, PROVIDER, CUSTOMER)
    contract, server = _locked_server(server)
    _require_active(contract)
    _check_sizes(vcpu=vcpu, memory_gib=memory_gib)
    before = {"vcpu": server.vcpu, "memory_gib": server.memory_gib}
    entitlement_check(
        contract,
        add={Resource.VCPU: Decimal(vcpu), Resource.MEMORY: Decimal(memory_gib)},
        without=server,
    )
    info = driver_for(server.host).resize(
        server.domain_uuid, vcpu=vcpu, memory_mib=memory_gib * 1024
    )
    server.vcpu, server.memory_gib = vcpu, memory_gib
    server.state = info.state
    server.updated_at = clock.now()
    server.save(update_fields=["vcpu", "memory_gib", "state", "updated_at"])
    audit_record(
        actor=by,
        action="cloud.server_resized",
        obj=server,
        organisation=contract.customer_id,
        data={"before": before, "after": {"vcpu": vcpu, "memory_gib": memory_gib}},
    )
    return server


POWER_ACTIONS = ("start", "stop", "force_stop")


@transaction.atomic
def server_power(*, server: Server, action: str, by) -> Server:
    """Start a server, ask it to shut down ("stop"), or pull the plug ("force_stop")."""
    if action not in POWER_ACTIONS:
        raise DomainError(_("未知操作"), field="action")
    _require(by, server.contract, PROVIDER, CUSTOMER)
    contract, server = _locked_server(server)
    driver = driver_for(server.host)
    if action == "start":
        info = driver.start(server.domain_uuid)
    else:
        info = driver.stop(server.domain_uuid, force=action == "force_stop")
    before = server.state
    server.state = info.state
    server.updated_at = clock.now()
    server.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=by,
        action=f"cloud.server_{action}",
        obj=server,
        organisation=contract.customer_id,
        data={"before": before, "after": server.state},
    )
    return server


@transaction.atomic
def server_delete(*, server: Server, by) -> Server:
    """Delete the machine (and the disks this platform created for it) and free what it
    held. A machine already gone from its host is only marked deleted."""
    _require(by, server.contract, PROVIDER, CUSTOMER)
    contract, server = _locked_server(server)
    gone = False
    try:
        driver_for(server.host).delete(server.domain_uuid)
    except DomainNotFound:
        gone = True
    moment = clock.now()
    server.state = ServerState.DELETED
    server.deleted_at = moment
    server.updated_at = moment
    server.save(update_fields=["state", "deleted_at", "updated_at"])
    audit_record(
        actor=by,
        action="cloud.server_deleted",
        obj=server,
        organisation=contract.customer_id,
        data={"name": server.name, "uuid": server.domain_uuid, "already_gone": gone},
    )
    return server


@dataclass
class ImportResult:
    imported: list[Server] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    # Resources the contract now holds beyond its entitlement (the machines existed
    # already: they are recorded, and the excess is shown, never hidden).
    over: list[str] = field(default_factory=list)


@transaction.atomic
def servers_import(*, contract, host: Host, names: list[str] | None = None, by) -> ImportResult:
    """Record machines already defined on `host` as `contract`'s servers (all unknown
    ones, or those named). Nothing is refused for the entitlement: the machines exist;
    the result lists any resource now over it."""
    _require(by, contract, PROVIDER)
    contract = _lock_contract(contract)
    if host.provider_id != contract.provider_id:
        raise DomainError(_("该宿主机不属于本合同的服务单位"), field="host")
    wanted = {name.strip() for name in names} if names else None
    result = ImportResult()
    moment = clock.now()
    for info in driver_for(host).list_domains():
        if wanted is not None and info.name not in wanted:
            continue
        known = (
            Server.objects.filter(host=host)
            .exclude(state=ServerState.DELETED)
            .filter(domain_uuid=info.uuid)
            .exists()
        )
        if known:
            result.known.append(info.name)
            continue
        server = Server.objects.create(
            contract=contract,
            host=host,
            name=info.name,
            domain_uuid=info.uuid,
            vcpu=info.vcpu,
            memory_gib=-(-info.memory_mib // 1024),
            system_disk_gib=info.system_disk_gib,
            data_disks_gib=list(info.data_disks_gib),
            state=info.state,
            created_at=moment,
            updated_at=moment,
        )
        result.imported.append(server)
    lines = entitlement_of(contract)
    for line in lines.values():
        line.allocated = sum(
            (server.allocation()[line.resource] for server in live_servers(contract)), Decimal(0)
        )
        if line.over:
            result.over.append(
                f"{line.label} {_amount(line.allocated)}/{_amount(line.entitled)} {line.unit}"
            )
    audit_record(
        actor=by,
        action="cloud.servers_imported",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "host": host.name,
            "imported": [server.name for server in result.imported],
            "known": result.known,
            "over_entitlement": result.over,
        },
    )
    return result


# -- use (2.7.4) ---------------------------------------------------------------------------


def _permille(part, whole) -> int | None:
    if not whole:
        return None
    value = (Decimal(part) * PERMILLE / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP)
    return max(0, min(PERMILLE, int(value)))


@transaction.atomic
def usage_collect(*, contract, now: datetime | None = None) -> UsageSample | None:
    """Read every live server's use from its host, keep the reading on the server and one
    tenant-wide sample (CPU, memory, storage in ‰ of what the servers hold), then judge
    overuse (2.7.4). A server its host no longer has is marked MISSING. Returns the
    sample, or None when the contract has no server that answered."""
    now = now or clock.now()
    servers = list(live_servers(contract).select_related("host"))
    by_host: dict[int, list[Server]] = {}
    for server in servers:
        by_host.setdefault(server.host_id, []).append(server)
    cpu_used = cpu_held = memory_used = memory_held = disk_used = disk_held = Decimal(0)
    answered = 0
    for group in by_host.values():
        host = group[0].host
        readings = driver_for(host).usage([server.domain_uuid for server in group])
        for server in group:
            reading = readings.get(server.domain_uuid)
            if reading is None:
                if server.state != ServerState.MISSING:
                    server.state = ServerState.MISSING
                    server.save(update_fields=["state"])
                    audit_record(
                        actor="system",
                        action="cloud.server_missing",
                        obj=server,
                        organisation=contract.customer_id,
                        data={"host": host.name, "uuid": server.domain_uuid},
                    )
                continue
            answered += 1
            cpu = None
            if (
                server.usage_cpu_time_ns is not None
                and server.usage_read_ns is not None
                and reading.read_ns > server.usage_read_ns
                and reading.cpu_time_ns >= server.usage_cpu_time_ns
            ):
                cpu = _permille(
                    reading.cpu_time_ns - server.usage_cpu_time_ns,
                    (reading.read_ns - server.usage_read_ns) * max(reading.vcpu, 1),
                )
            disks = reading.disks
            gib = Decimal(1024**3)
            server.state = reading.state
            server.usage_at = now
            server.usage_cpu_permille = cpu
            server.usage_memory_mib = reading.memory_used_mib
            server.usage_system_disk_gib = (
                (Decimal(disks[0].allocation_bytes) / gib).quantize(Decimal("0.001"))
                if disks
                else None
            )
            server.usage_storage_gib = (
                (Decimal(sum(d.allocation_bytes for d in disks[1:])) / gib).quantize(
                    Decimal("0.001")
                )
                if len(disks) > 1
                else None
            )
            server.usage_cpu_time_ns = reading.cpu_time_ns
            server.usage_read_ns = reading.read_ns
            server.save()
            if cpu is not None:
                cpu_used += Decimal(cpu) * reading.vcpu
                cpu_held += PERMILLE * reading.vcpu
            if reading.memory_used_mib is not None:
                memory_used += reading.memory_used_mib
                memory_held += reading.memory_mib
            if len(disks) > 1:
                disk_used += sum(d.allocation_bytes for d in disks[1:])
                disk_held += sum(d.capacity_bytes for d in disks[1:])
    if not answered:
        return None
    return sample_record(
        contract=contract,
        at=now,
        cpu=_permille(cpu_used, cpu_held),
        memory=_permille(memory_used, memory_held),
        storage=_permille(disk_used, disk_held),
        servers=answered,
    )


def usage_collect_all() -> int:
    """The worker job: collect every active contract that has live servers. A host that
    does not answer is logged and skipped (its contracts get no sample this round: a
    gap, which breaks a "sustained" run rather than inventing one)."""
    done = 0
    contracts = Contract.objects.filter(
        status=ContractStatus.ACTIVE, servers__state__in=ALLOCATED_STATES
    ).distinct()
    for contract in contracts:
        try:
            if usage_collect(contract=contract) is not None:
                done += 1
        except DriverError as exc:
            log.warning("usage collection failed for %s: %s", contract.number, exc.message)
    cutoff = clock.now() - timedelta(days=conf.sample_keep_days())
    UsageSample.objects.filter(at__lt=cutoff).delete()
    return done


@transaction.atomic
def sample_record(
    *,
    contract,
    at: datetime,
    cpu: int | None = None,
    memory: int | None = None,
    storage: int | None = None,
    servers: int = 0,
) -> UsageSample:
    """Store one tenant-wide sample (values in ‰) and judge overuse at its time."""
    for value, name in ((cpu, "cpu"), (memory, "memory"), (storage, "storage")):
        if value is not None and not 0 <= value <= PERMILLE:
            raise DomainError(_("采样值须在 0–1000‰ 之间"), field=name)
    sample, _created = UsageSample.objects.update_or_create(
        contract=contract,
        at=at,
        defaults={"cpu": cpu, "memory": memory, "storage": storage, "servers": servers},
    )
    overuse_evaluate(contract=contract, at=at)
    return sample


# -- overuse findings (2.7.4) --------------------------------------------------------------


def _run_above(contract, metric: str, limit: int, window: timedelta, at: datetime):
    """The samples of the run of above-`limit` values that ends at `at` and reaches back
    at least `window`, newest first; None when there is no such run (a value at or below
    the limit, a missing value or a gap longer than the maximum breaks it)."""
    gap = timedelta(seconds=conf.sample_max_gap())
    since = at - window - gap
    samples = list(
        UsageSample.objects.filter(contract=contract, at__gte=since, at__lte=at)
        .order_by("-at")
        .values_list("at", metric)
    )
    if not samples or samples[0][0] != at:
        return None
    run = []
    previous = None
    for moment, value in samples:
        if value is None or value <= limit:
            return None
        if previous is not None and previous - moment > gap:
            return None
        run.append((moment, value))
        previous = moment
        if moment <= at - window:
            return run
    return None


@transaction.atomic
def overuse_evaluate(*, contract, at: datetime) -> list[OveruseFinding]:
    """Open a finding for every metric the tenant has kept above its threshold in every
    sample for the whole window ending at `at` (a short spike does not count), unless
    the same run already has one. Each new finding notifies both sides and opens the
    customer's obligation to respond (2.7.4) before any measure may be recorded. A
    finding's run ends at the first sample at or below its threshold.

    Only a sample above a threshold costs a look back over the window; the usual sample
    costs three small queries (thresholds, the sample, the open findings).
    """
    thresholds = thresholds_for(contract)
    current = (
        UsageSample.objects.filter(contract=contract, at=at)
        .values("cpu", "memory", "storage")
        .first()
    ) or {}
    ongoing = {
        finding.metric: finding
        for finding in OveruseFinding.objects.filter(contract=contract, ended_at__isnull=True)
    }
    found = []
    for metric, threshold in thresholds.metrics.items():
        value = current.get(metric)
        finding = ongoing.get(metric)
        if value is None or value <= threshold.permille:
            if finding is not None and value is not None and finding.started_at <= at:
                finding.ended_at = at
                finding.save(update_fields=["ended_at"])
            continue
        window = timedelta(minutes=threshold.window_minutes)
        run = _run_above(contract, metric, threshold.permille, window, at)
        if run is None:
            continue
        peak = max(sample_value for _moment, sample_value in run)
        if finding is not None:
            if peak > finding.peak:
                finding.peak = peak
                finding.save(update_fields=["peak"])
            continue
        found.append(
            _finding_open(contract, metric, threshold, thresholds, run[-1][0], at, peak, len(run))
        )
    return found


def _finding_open(contract, metric, threshold, thresholds, started_at, at, peak, samples):
    finding = OveruseFinding.objects.create(
        contract=contract,
        metric=metric,
        threshold=threshold.permille,
        window_minutes=threshold.window_minutes,
        started_at=started_at,
        detected_at=at,
        peak=peak,
        samples=samples,
    )
    # 2.7.4: the customer may explain before any measure; the period is the parties'
    # (response=N wd), counted in Chinese working days by the one period function.
    due = deadline(at, clock="workdays", n=thresholds.response_workdays)
    finding.obligation = obligation_open(
        contract=contract,
        clause=OVERUSE_RESPONSE,
        subject=finding,
        trigger_at=at,
        due_at=due.due_at,
        note=_("%(metric)s 持续高于 %(percent)s%%")
        % {
            "metric": finding.get_metric_display(),
            "percent": f"{threshold.percent:g}",
        },
        by="system",
    )
    finding.save(update_fields=["obligation"])
    local_start = clock.local(started_at)
    subject = _("资源超量占用提示（2.7.4）：%(metric)s 自 %(start)s 起持续高于 %(percent)s%%") % {
        "metric": finding.get_metric_display(),
        "start": f"{local_start:%Y-%m-%d %H:%M}",
        "percent": f"{threshold.percent:g}",
    }
    body = _(
        "合同 %(number)s：%(metric)s 使用率自 %(start)s（北京时间）起在 %(minutes)d 分钟内的每次采样均高于"
        " %(percent)s%%，峰值 %(peak)s%%。请甲方在 %(due)s 前作出说明；说明前乙方不会记录任何处置措施。"
    ) % {
        "number": contract.number,
        "metric": finding.get_metric_display(),
        "start": f"{local_start:%Y-%m-%d %H:%M}",
        "minutes": threshold.window_minutes,
        "percent": f"{threshold.percent:g}",
        "peak": f"{peak / 10:g}",
        "due": f"{clock.local(due.due_at):%Y-%m-%d %H:%M}",
    }
    inbox_send(
        recipients=_people(contract.customer_id) + _people(contract.provider_id),
        subject=subject,
        body=body,
        link=reverse("cloud:finding", kwargs={"pk": finding.pk}),
        source=f"cloud:finding:{finding.pk}",
    )
    audit_record(
        actor="system",
        action="cloud.overuse_found",
        obj=finding,
        organisation=contract.customer_id,
        data={
            "contract": contract.number,
            "metric": metric,
            "threshold_permille": threshold.permille,
            "window_minutes": threshold.window_minutes,
            "started_at": started_at,
            "detected_at": at,
            "peak_permille": peak,
            "samples": samples,
            "response_due_at": due.due_at,
        },
    )
    return finding


def _locked_finding(finding: OveruseFinding) -> OveruseFinding:
    return (
        OveruseFinding.objects.select_for_update(of=("self",))
        .select_related("contract", "obligation")
        .get(pk=finding.pk)
    )


@transaction.atomic
def finding_respond(*, finding: OveruseFinding, response: str, by) -> OveruseFinding:
    """The customer's explanation of a finding (2.7.4): meets its obligation."""
    _require(by, finding.contract, CUSTOMER)
    finding = _locked_finding(finding)
    response = (response or "").strip()
    if not response:
        raise DomainError(_("请填写说明"), field="response")
    if finding.responded_at is not None:
        raise Conflict(_("甲方已作出说明"), code="already_responded")
    if finding.state == FindingState.CLOSED:
        raise Conflict(_("该发现已关闭"), code="closed")
    finding.response = response
    finding.responded_at = clock.now()
    finding.responded_by = _actor_label(by)
    if finding.state in (FindingState.AWAITING_RESPONSE, FindingState.RESPONSE_OVERDUE):
        finding.state = FindingState.RESPONDED
    finding.save()
    if finding.obligation is not None and finding.obligation.state in (
        ObligationState.OPEN,
        ObligationState.BREACHED,
    ):
        obligation_meet(obligation=finding.obligation, by=by, evidence=response)
    inbox_send(
        recipients=_people(finding.contract.provider_id),
        subject=_("甲方已就资源超量占用作出说明（2.7.4）"),
        body=response,
        link=reverse("cloud:finding", kwargs={"pk": finding.pk}),
        source=f"cloud:finding:{finding.pk}:response",
    )
    audit_record(
        actor=by,
        action="cloud.overuse_responded",
        obj=finding,
        organisation=finding.contract.customer_id,
        data={"response": response},
    )
    return finding


@transaction.atomic
def finding_measure_record(*, finding: OveruseFinding, measure: str, by) -> OveruseFinding:
    """Record the measure the provider takes on a finding. Refused while the customer's
    time to respond is running and it has not responded (2.7.4: notice before any
    measure)."""
    _require(by, finding.contract, PROVIDER)
    finding = _locked_finding(finding)
    measure = (measure or "").strip()
    if not measure:
        raise DomainError(_("请填写处置措施"), field="measure")
    if finding.state == FindingState.CLOSED:
        raise Conflict(_("该发现已关闭"), code="closed")
    obligation = finding.obligation
    waiting = (
        obligation is not None
        and obligation.state == ObligationState.OPEN
        and (obligation.due_at is None or obligation.due_at > clock.now())
    )
    if waiting:
        raise DomainError(
            _("甲方的说明期限（至 %(due)s）尚未届满且甲方尚未说明：不能记录处置措施")
            % {"due": f"{clock.local(obligation.due_at):%Y-%m-%d %H:%M}"},
            code="awaiting_response",
        )
    finding.measure = measure
    finding.measure_at = clock.now()
    finding.measure_by = _actor_label(by)
    finding.state = FindingState.MEASURE_RECORDED
    finding.save()
    inbox_send(
        recipients=_people(finding.contract.customer_id) + _people(finding.contract.provider_id),
        subject=_("乙方记录了资源超量占用的处置措施（2.7.4）"),
        body=measure,
        link=reverse("cloud:finding", kwargs={"pk": finding.pk}),
        source=f"cloud:finding:{finding.pk}:measure",
    )
    audit_record(
        actor=by,
        action="cloud.overuse_measure",
        obj=finding,
        organisation=finding.contract.customer_id,
        data={"measure": measure},
    )
    return finding


@transaction.atomic
def finding_close(*, finding: OveruseFinding, note: str = "", by) -> OveruseFinding:
    """The provider closes a finding (the explanation accepted, or the measure done)."""
    _require(by, finding.contract, PROVIDER)
    finding = _locked_finding(finding)
    if finding.state == FindingState.CLOSED:
        return finding
    if finding.obligation is not None and finding.obligation.state == ObligationState.OPEN:
        obligation_waive(obligation=finding.obligation, by=by, reason=note or _("乙方关闭了该发现"))
    finding.state = FindingState.CLOSED
    finding.save(update_fields=["state"])
    audit_record(
        actor=by,
        action="cloud.overuse_closed",
        obj=finding,
        organisation=finding.contract.customer_id,
        data={"note": note},
    )
    return finding


def overuse_response_overdue(*, obligation, now) -> None:
    """The engine's on_breach hook for 2.7.4: the finding shows the response as overdue."""
    OveruseFinding.objects.filter(
        obligation=obligation, state=FindingState.AWAITING_RESPONSE
    ).update(state=FindingState.RESPONSE_OVERDUE)


# -- change requests (1.3, 3.7) -----------------------------------------------------------


def _items_check(contract, items) -> list[dict]:
    checked = []
    for position, item in enumerate(items):
        where = f"items[{position}]"
        resource = item.get("resource")
        if resource not in Resource.values:
            raise DomainError(_("未知资源"), field=f"{where}.resource")
        try:
            quantity = Decimal(str(item.get("quantity")))
        except ArithmeticError:
            raise DomainError(_("数量不是数字"), field=f"{where}.quantity") from None
        if not quantity.is_finite() or quantity == 0:
            raise DomainError(_("数量不能为 0"), field=f"{where}.quantity")
        server = item.get("server")
        if server is not None:
            if server.contract_id != contract.pk or server.state == ServerState.DELETED:
                raise DomainError(_("云服务器不属于本合同"), field=f"{where}.server")
            if resource not in (Resource.VCPU, Resource.MEMORY):
                raise DomainError(
                    _("只有 vCPU 和内存可以直接调整到云服务器上"), field=f"{where}.resource"
                )
            if quantity != quantity.to_integral_value():
                raise DomainError(_("调整云服务器时数量须为整数"), field=f"{where}.quantity")
            current = server.vcpu if resource == Resource.VCPU else server.memory_gib
            if current + quantity <= 0:
                raise DomainError(_("调整后数量必须大于 0"), field=f"{where}.quantity")
        checked.append({"resource": resource, "quantity": quantity, "server": server})
    return checked


def quote_build(*, contract, items: list[dict], day) -> dict:
    """Price `items` from the catalogue in force on `day` (1.3): each added core or GiB at
    the entry's unit price and period. Resources given back are not charged here (what
    the parties settle for them is their agreement). DomainError when a resource has no
    price that day."""
    catalogues = catalogue_for(contract)
    lines = []
    annual = once = Decimal(0)
    for item in items:
        quantity = item["quantity"]
        if quantity <= 0:
            lines.append(
                {"resource": item["resource"], "quantity": _amount(quantity), "amount": "0.00"}
            )
            continue
        entry = price_on(catalogues, item["resource"], day)
        if entry is None:
            raise DomainError(
                _("价格目录中没有 %(resource)s 在 %(day)s 有效的价格")
                % {"resource": Resource(item["resource"]).label, "day": day.isoformat()},
                code="no_price",
                field="items",
            )
        amount = cny(entry.unit_price * quantity)
        if entry.period == PricePeriod.MONTH:
            annual += amount * 12
        elif entry.period == PricePeriod.YEAR:
            annual += amount
        else:
            once += amount
        lines.append(
            {
                "resource": item["resource"],
                "quantity": _amount(quantity),
                "entry": entry.pk,
                "catalogue": entry.catalogue.name,
                "source": entry.catalogue.source,
                "code": entry.code,
                "unit_price": str(entry.unit_price),
                "period": entry.period,
                "valid_from": entry.valid_from.isoformat(),
                "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
                "amount": str(amount),
            }
        )
    return {
        "priced_on": day.isoformat(),
        "lines": lines,
        "annual": str(cny(annual)),
        "once": str(cny(once)),
    }


@transaction.atomic
def change_request_create(
    *,
    contract,
    kind: str,
    title: str,
    description: str = "",
    items: list[dict] | None = None,
    planned_at: datetime | None = None,
    by,
) -> ChangeRequest:
    """A change request. 1.3 (the customer, or the provider for it): upgrades or added
    resources, priced now from the catalogue in force today, the quote stored with the
    request; the provider approves it. 3.7 (the provider): a change of service content,
    functions or operation planned for `planned_at`; it opens the 3.7 obligation (consent
    due before the planned time) and waits for the customer's consent."""
    if kind not in ChangeKind.values:
        raise DomainError(_("未知变更类型"), field="kind")
    if kind == ChangeKind.PROVIDER_3_7:
        _require(by, contract, PROVIDER)
    else:
        _require(by, contract, PROVIDER, CUSTOMER)
    _require_active(contract)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写标题"), field="title")
    items = _items_check(contract, items or [])
    if kind == ChangeKind.CUSTOMER_1_3 and not items:
        raise DomainError(_("请列出要增加或升级的资源"), field="items")
    moment = clock.now()
    if kind == ChangeKind.PROVIDER_3_7:
        if planned_at is None or planned_at <= moment:
            raise DomainError(_("请给出晚于现在的计划调整时间"), field="planned_at")
    else:
        planned_at = None
    quote = (
        quote_build(contract=contract, items=items, day=clock.local(moment).date()) if items else {}
    )
    change = ChangeRequest.objects.create(
        contract=contract,
        kind=kind,
        title=title[:200],
        description=description.strip(),
        requested_by=_actor_label(by),
        requested_at=moment,
        planned_at=planned_at,
        quote=quote,
        quote_annual=Decimal(quote["annual"]) if quote else None,
        quote_once=Decimal(quote["once"]) if quote else None,
    )
    ChangeItem.objects.bulk_create(ChangeItem(change=change, **item) for item in items)
    link = reverse("cloud:change", kwargs={"pk": change.pk})
    if kind == ChangeKind.PROVIDER_3_7:
        # 3.7: the provider must have the customer's consent before it changes anything.
        change.obligation = obligation_open(
            contract=contract,
            clause="3.7",
            subject=change,
            trigger_at=moment,
            due_at=planned_at,
            note=title,
            by=by,
        )
        change.save(update_fields=["obligation"])
        inbox_send(
            recipients=_people(contract.customer_id),
            subject=_("乙方拟调整服务内容，需征得贵方同意（3.7）：%(title)s") % {"title": title},
            body=_("计划调整时间：%(at)s（北京时间）。%(description)s")
            % {"at": f"{clock.local(planned_at):%Y-%m-%d %H:%M}", "description": description},
            link=link,
            source=f"cloud:change:{change.pk}",
        )
    else:
        inbox_send(
            recipients=_people(contract.provider_id),
            subject=_("甲方提出资源变更申请（1.3）：%(title)s") % {"title": title},
            body=_("报价（年化）：%(annual)s 元") % {"annual": quote.get("annual", "0.00")},
            link=link,
            source=f"cloud:change:{change.pk}",
        )
    audit_record(
        actor=by,
        action="cloud.change_requested",
        obj=change,
        organisation=contract.customer_id,
        data={
            "contract": contract.number,
            "kind": kind,
            "title": title,
            "items": [
                {
                    "resource": item["resource"],
                    "quantity": str(item["quantity"]),
                    "server": item["server"].pk if item["server"] else None,
                }
                for item in items
            ],
            "quote": quote,
            "planned_at": planned_at,
        },
    )
    return change


def _locked_change(change: ChangeRequest) -> ChangeRequest:
    return (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("contract", "obligation")
        .get(pk=change.pk)
    )


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, by, note: str = "") -> ChangeRequest:
    """The other side agrees: the provider approves a customer's 1.3 request; the customer
    consents to the provider's 3.7 change (its recorded consent meets the 3.7
    obligation)."""
    approver = CUSTOMER if change.needs_consent else PROVIDER
    _require(by, change.contract, approver)
    change = _locked_change(change)
    if change.state != ChangeState.SUBMITTED:
        raise Conflict(
            _("变更申请当前为“%(state)s”，不能批准") % {"state": change.get_state_display()},
            code="not_submitted",
        )
    moment = clock.now()
    change.state = ChangeState.APPROVED
    change.decided_at = moment
    change.decided_by = _actor_label(by)
    change.decision_note = note.strip()
    if change.needs_consent:
        change.consent_at = moment
        change.consent_by = _actor_label(by)
        change.consent_note = note.strip()
    change.save()
    if (
        change.needs_consent
        and change.obligation
        and change.obligation.state == ObligationState.OPEN
    ):
        obligation_meet(obligation=change.obligation, by=by, evidence=note or _("甲方同意"))
    inbox_send(
        recipients=_people(
            change.contract.provider_id if change.needs_consent else change.contract.customer_id
        ),
        subject=(
            _("甲方已同意调整（3.7）：%(title)s")
            if change.needs_consent
            else _("变更申请已批准（1.3）：%(title)s")
        )
        % {"title": change.title},
        body=note,
        link=reverse("cloud:change", kwargs={"pk": change.pk}),
        source=f"cloud:change:{change.pk}:approved",
    )
    audit_record(
        actor=by,
        action="cloud.change_consented" if change.needs_consent else "cloud.change_approved",
        obj=change,
        organisation=change.contract.customer_id,
        data={"note": note, "kind": change.kind},
    )
    return change


@transaction.atomic
def change_request_reject(*, change: ChangeRequest, by, note: str = "") -> ChangeRequest:
    """The other side says no: the provider rejects a 1.3 request; the customer refuses
    its consent to a 3.7 change (the provider may then not make it; the 3.7 obligation
    ends without consequence)."""
    approver = CUSTOMER if change.needs_consent else PROVIDER
    _require(by, change.contract, approver)
    change = _locked_change(change)
    if change.state != ChangeState.SUBMITTED:
        raise Conflict(
            _("变更申请当前为“%(state)s”，不能拒绝") % {"state": change.get_state_display()},
            code="not_submitted",
        )
    change.state = ChangeState.REJECTED
    change.decided_at = clock.now()
    change.decided_by = _actor_label(by)
    change.decision_note = note.strip()
    change.save()
    if change.obligation and change.obligation.state == ObligationState.OPEN:
        obligation_waive(
            obligation=change.obligation, by=by, reason=note or _("甲方不同意调整，乙方不得调整")
        )
    audit_record(
        actor=by,
        action="cloud.change_rejected",
        obj=change,
        organisation=change.contract.customer_id,
        data={"note": note, "kind": change.kind},
    )
    return change


@transaction.atomic
def change_request_withdraw(*, change: ChangeRequest, by, reason: str = "") -> ChangeRequest:
    """The side that asked takes its request back (before it is applied)."""
    asker = PROVIDER if change.needs_consent else CUSTOMER
    _require(by, change.contract, asker, PROVIDER)
    change = _locked_change(change)
    if change.state not in (ChangeState.SUBMITTED, ChangeState.APPROVED):
        raise Conflict(_("该变更申请已结束"), code="closed")
    change.state = ChangeState.WITHDRAWN
    change.decided_at = clock.now()
    change.decided_by = _actor_label(by)
    change.decision_note = reason.strip()
    change.save()
    if change.obligation and change.obligation.state == ObligationState.OPEN:
        obligation_waive(obligation=change.obligation, by=by, reason=reason or _("乙方撤回调整"))
    audit_record(
        actor=by,
        action="cloud.change_withdrawn",
        obj=change,
        organisation=change.contract.customer_id,
        data={"reason": reason},
    )
    return change


@transaction.atomic
def change_request_replan(*, change: ChangeRequest, planned_at: datetime, by) -> ChangeRequest:
    """3.7: move the planned time of a change still waiting for consent (its deadline
    moves with it)."""
    _require(by, change.contract, PROVIDER)
    change = _locked_change(change)
    if not change.needs_consent or change.state != ChangeState.SUBMITTED:
        raise Conflict(_("只有待甲方同意的 3.7 调整可以改期"), code="not_submitted")
    if planned_at <= clock.now():
        raise DomainError(_("请给出晚于现在的计划调整时间"), field="planned_at")
    change.planned_at = planned_at
    change.save(update_fields=["planned_at"])
    if change.obligation and change.obligation.state == ObligationState.OPEN:
        obligation_retrigger(
            obligation=change.obligation, due_at=planned_at, by=by, reason=_("计划调整时间变更")
        )
    audit_record(
        actor=by,
        action="cloud.change_replanned",
        obj=change,
        organisation=change.contract.customer_id,
        data={"planned_at": planned_at},
    )
    return change


@transaction.atomic
def change_request_apply(*, change: ChangeRequest, by) -> ChangeRequest:
    """Carry out an approved change: the entitlement is raised by its items, servers named
    in it are resized through their driver, the quote becomes price components of the
    contract, and all of it is audited. A 3.7 change is refused without the customer's
    recorded consent. The customer may apply its own approved 1.3 request; a 3.7 change
    only the provider applies."""
    if change.needs_consent:
        _require(by, change.contract, PROVIDER)
    else:
        _require(by, change.contract, PROVIDER, CUSTOMER)
    contract = _lock_contract(change.contract)
    change = _locked_change(change)
    if change.needs_consent and change.consent_at is None:
        # 3.7: 乙方在调整前必须征得甲方的同意.
        raise DomainError(
            _("3.7：调整服务内容前必须征得甲方同意，甲方尚未同意"), code="consent_required"
        )
    if change.state != ChangeState.APPROVED:
        raise Conflict(
            _("变更申请当前为“%(state)s”，只有已批准的可以实施")
            % {"state": change.get_state_display()},
            code="not_approved",
        )
    _require_active(contract)
    moment = clock.now()
    items = list(change.items.select_related("server"))
    EntitlementAdjustment.objects.bulk_create(
        EntitlementAdjustment(
            contract=contract,
            resource=item.resource,
            quantity=item.quantity,
            change=change,
            at=moment,
        )
        for item in items
    )
    resized = []
    for server_id in sorted({item.server_id for item in items if item.server_id}):
        server = Server.objects.get(pk=server_id)
        vcpu = server.vcpu + int(
            sum(
                i.quantity
                for i in items
                if i.server_id == server_id and i.resource == Resource.VCPU
            )
        )
        memory = server.memory_gib + int(
            sum(
                i.quantity
                for i in items
                if i.server_id == server_id and i.resource == Resource.MEMORY
            )
        )
        server_resize(server=server, vcpu=vcpu, memory_gib=memory, by=by)
        resized.append({"server": server.name, "vcpu": vcpu, "memory_gib": memory})
    component = _price_component_add(contract, change)
    change.state = ChangeState.APPLIED
    change.applied_at = moment
    change.applied_by = _actor_label(by)
    change.price_component = component
    change.save()
    inbox_send(
        recipients=_people(contract.customer_id) + _people(contract.provider_id),
        subject=_("变更已实施：%(title)s") % {"title": change.title},
        body="",
        link=reverse("cloud:change", kwargs={"pk": change.pk}),
        source=f"cloud:change:{change.pk}:applied",
    )
    audit_record(
        actor=by,
        action="cloud.change_applied",
        obj=change,
        organisation=contract.customer_id,
        data={
            "contract": contract.number,
            "adjustments": [
                {"resource": item.resource, "quantity": str(item.quantity)} for item in items
            ],
            "resized": resized,
            "price_component": component.pk if component else None,
            "quote_annual": change.quote_annual,
            "quote_once": change.quote_once,
        },
    )
    return change


def _price_component_add(contract, change: ChangeRequest) -> PriceComponent | None:
    """二.1 follows the change: its quote becomes a price component of the contract.

    The contract register has no service for adding a component yet; this is the one
    place that writes one, so it moves there in one edit when it exists.
    """
    annual = change.quote_annual or Decimal(0)
    once = change.quote_once or Decimal(0)
    if not annual and not once:
        return None
    position = (contract.price_components.aggregate(last=Max("position"))["last"] or 0) + 1
    name = _("变更 #%(pk)d：%(title)s") % {"pk": change.pk, "title": change.title}
    component = None
    if annual:
        component = PriceComponent.objects.create(
            contract=contract,
            position=position,
            name=name[:200],
            kind="cloud_change",
            amount=annual,
            period=PricePeriod.YEAR,
            quantity=Decimal(1),
            tax_included=True,
        )
        position += 1
    if once:
        once_component = PriceComponent.objects.create(
            contract=contract,
            position=position,
            name=(name + _("（一次性）"))[:200],
            kind="cloud_change",
            amount=once,
            period=PricePeriod.ONCE,
            quantity=Decimal(1),
            tax_included=True,
        )
        component = component or once_component
    audit_record(
        actor="system",
        action="contract.price_component_added",
        obj=contract,
        organisation=contract.customer_id,
        data={"change": change.pk, "annual": annual, "once": once, "name": name},
    )
    return component


__all__ = [
    "CUSTOMER",
    "PROVIDER",
    "SYSTEM",
    "ImportResult",
    "actor_side",
    "business_system_ensure",
    "change_request_apply",
    "change_request_approve",
    "change_request_create",
    "change_request_reject",
    "change_request_replan",
    "change_request_withdraw",
    "entitlement_check",
    "finding_close",
    "finding_measure_record",
    "finding_respond",
    "host_add",
    "overuse_evaluate",
    "overuse_response_overdue",
    "overuse_thresholds_set",
    "price_catalogue_ensure",
    "price_entry_add",
    "quote_build",
    "sample_record",
    "server_create",
    "server_delete",
    "server_power",
    "server_resize",
    "servers_import",
    "usage_collect",
    "usage_collect_all",
]
