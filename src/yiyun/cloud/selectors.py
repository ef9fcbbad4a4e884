"""Reads of the cloud app: scoped lists, the entitlement against allocation and use, the
price in force on a date, the overuse thresholds the parties set."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiyun.cloud.choices import (
    ALLOCATED_STATES,
    ChangeState,
    FindingState,
    Resource,
    ServerState,
)
from yiyun.cloud.models import (
    ChangeRequest,
    EntitlementAdjustment,
    Host,
    OveruseFinding,
    PriceCatalogue,
    PriceEntry,
    Server,
    UsageSample,
)
from yiyun.cloud.thresholds import PARAMETER_KEY, Thresholds, parse_thresholds
from yiyun.cloud.units import to_base
from yiyun.contracts.models import Contract
from yiyun.core.errors import DomainError
from yiyun.tenancy.selectors import scoped, visible_organisations

ZERO = Decimal(0)
RESOURCES = list(Resource)


# -- scoped lists ------------------------------------------------------------------------


def cloud_contracts_visible(user) -> QuerySet[Contract]:
    return scoped(Contract.objects.select_related("customer", "provider"), user, via="customer")


def servers_visible(user) -> QuerySet[Server]:
    return scoped(
        Server.objects.select_related(
            "contract", "contract__customer", "host", "business_system", "site"
        ),
        user,
        via="contract__customer",
    )


def changes_visible(user) -> QuerySet[ChangeRequest]:
    return scoped(
        ChangeRequest.objects.select_related("contract", "contract__customer", "obligation"),
        user,
        via="contract__customer",
    )


def findings_visible(user) -> QuerySet[OveruseFinding]:
    return scoped(
        OveruseFinding.objects.select_related("contract", "contract__customer", "obligation"),
        user,
        via="contract__customer",
    )


def hosts_visible(user) -> QuerySet[Host]:
    """The provider's own hosts: its staff see them; customers see none (servers name
    their host)."""
    return scoped(Host.objects.select_related("provider"), user, via="provider")


def catalogues_visible(user) -> QuerySet[PriceCatalogue]:
    """A provider's catalogues: its staff, and the customers it serves, see them."""
    visible = visible_organisations(user).values("pk")
    return (
        PriceCatalogue.objects.select_related("provider")
        .filter(Q(provider__in=visible) | Q(provider__customers__in=visible))
        .distinct()
    )


def price_entries_visible(user) -> QuerySet[PriceEntry]:
    return PriceEntry.objects.select_related("catalogue", "catalogue__provider").filter(
        catalogue__in=catalogues_visible(user)
    )


def live_servers(contract) -> QuerySet[Server]:
    return Server.objects.filter(contract=contract, state__in=ALLOCATED_STATES)


# -- the entitlement (1.2) ---------------------------------------------------------------


@dataclass
class ResourceLine:
    """One resource of a contract: entitled (as signed + raised by applied changes),
    allocated to servers, used (latest readings), and what is left."""

    resource: str
    label: str
    unit: str
    stated: str = ""
    signed: Decimal | None = None
    signed_unit: str = ""
    signed_quantity: Decimal | None = None
    raised: Decimal = ZERO
    allocated: Decimal = ZERO
    used: Decimal | None = None

    @property
    def entitled(self) -> Decimal:
        return (self.signed or ZERO) + self.raised

    @property
    def remaining(self) -> Decimal:
        return self.entitled - self.allocated

    @property
    def over(self) -> bool:
        return self.allocated > self.entitled

    def share(self, value: Decimal | None) -> float | None:
        if value is None or not self.entitled:
            return None
        return float(value / self.entitled)

    @property
    def allocated_share(self) -> float | None:
        return self.share(self.allocated)

    @property
    def used_share(self) -> float | None:
        return self.share(self.used)


@dataclass
class Breakdown:
    """Allocation (and use) grouped by a site or a business system."""

    label: str
    servers: int = 0
    allocated: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    used: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def cells(self) -> list[tuple[Decimal, Decimal | None]]:
        return [(self.allocated[r], self.used.get(r)) for r in RESOURCES]


@dataclass
class Capacity:
    contract: Contract
    lines: list[ResourceLine]
    by_site: list[Breakdown]
    by_system: list[Breakdown]
    servers: int

    def line(self, resource: str) -> ResourceLine:
        return next(line for line in self.lines if line.resource == resource)


def entitlement_of(contract) -> dict[str, ResourceLine]:
    """Each resource's line with the signed entitlement and what applied changes added."""
    lines = {
        resource.value: ResourceLine(
            resource=resource.value, label=str(resource.label), unit=resource.base_unit
        )
        for resource in RESOURCES
    }
    for entitlement in contract.entitlements.all():
        line = lines.get(entitlement.resource)
        if line is None:
            continue  # a resource the cloud app does not count (bandwidth…)
        line.signed = to_base(entitlement.quantity, entitlement.unit)
        line.signed_quantity = entitlement.quantity
        line.signed_unit = entitlement.unit
        line.stated = entitlement.stated
    for adjustment in EntitlementAdjustment.objects.filter(contract=contract):
        lines[adjustment.resource].raised += adjustment.quantity
    return lines


def _usage_of(server: Server) -> dict[str, Decimal]:
    used = {}
    if server.usage_cpu_permille is not None:
        used[Resource.VCPU] = Decimal(server.usage_cpu_permille) * server.vcpu / 1000
    if server.usage_memory_mib is not None:
        used[Resource.MEMORY] = Decimal(server.usage_memory_mib) / 1024
    if server.usage_storage_gib is not None:
        used[Resource.STORAGE] = server.usage_storage_gib
    if server.usage_system_disk_gib is not None:
        used[Resource.SYSTEM_DISK] = server.usage_system_disk_gib
    return used


def capacity(contract) -> Capacity:
    """The contract's entitlement against allocation and use, in total, per site and per
    business system."""
    lines = entitlement_of(contract)
    sites: dict[object, Breakdown] = {}
    systems: dict[object, Breakdown] = {}
    servers = list(live_servers(contract).select_related("site", "business_system"))
    unassigned = _("未指定")
    for server in servers:
        allocation = server.allocation()
        used = _usage_of(server)
        site = sites.setdefault(
            server.site_id, Breakdown(server.site.name if server.site else unassigned)
        )
        system = systems.setdefault(
            server.business_system_id,
            Breakdown(server.business_system.name if server.business_system else unassigned),
        )
        for group in (site, system):
            group.servers += 1
        for resource, quantity in allocation.items():
            lines[resource].allocated += quantity
            site.allocated[resource] += quantity
            system.allocated[resource] += quantity
        for resource, quantity in used.items():
            line = lines[resource]
            line.used = (line.used or ZERO) + quantity
            site.used[resource] += quantity
            system.used[resource] += quantity
    return Capacity(
        contract=contract,
        lines=list(lines.values()),
        by_site=sorted(sites.values(), key=lambda group: group.label),
        by_system=sorted(systems.values(), key=lambda group: group.label),
        servers=len(servers),
    )


# -- prices (1.3) ------------------------------------------------------------------------


def catalogue_for(contract) -> list[PriceCatalogue]:
    """The catalogues a change of `contract` is priced from: the one the parties named in
    the open parameter `price_catalogue` when they did, else every catalogue of the
    contract's provider."""
    catalogues = PriceCatalogue.objects.filter(provider=contract.provider_id)
    named = contract.open_parameters.filter(key="price_catalogue").first()
    if named is not None and named.is_set:
        chosen = list(catalogues.filter(name=named.value.strip()))
        if not chosen:
            raise DomainError(
                _("合同约定的价格目录“%(name)s”不存在") % {"name": named.value},
                code="no_catalogue",
            )
        return chosen
    return list(catalogues)


def price_on(catalogues, resource: str, day: date) -> PriceEntry | None:
    """The entry in force for `resource` on `day`: the latest valid_from among those whose
    validity covers the day."""
    return (
        PriceEntry.objects.select_related("catalogue")
        .filter(catalogue__in=catalogues, resource=resource, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("-valid_from", "-pk")
        .first()
    )


# -- overuse (2.7.4) ---------------------------------------------------------------------


def thresholds_for(contract) -> Thresholds:
    """What the parties set in the open parameter `overuse_thresholds`, or the defaults."""
    parameter = contract.open_parameters.filter(key=PARAMETER_KEY).first()
    if parameter is None or not parameter.is_set:
        return Thresholds()
    return parse_thresholds(parameter.value)


def samples_between(contract, start, end) -> QuerySet[UsageSample]:
    return UsageSample.objects.filter(contract=contract, at__gte=start, at__lte=end).order_by("at")


def open_changes(contract) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(
        contract=contract, state__in=[ChangeState.SUBMITTED, ChangeState.APPROVED]
    )


def metrics() -> list[tuple]:
    """Prometheus gauges (core.metrics): findings waiting for the customer, servers."""
    waiting = OveruseFinding.objects.filter(state=FindingState.AWAITING_RESPONSE).count()
    return [
        (
            "yiyun_cloud_overuse_findings_awaiting_response",
            "2.7.4 findings awaiting response",
            waiting,
        ),
        (
            "yiyun_cloud_servers",
            "servers holding resources",
            Server.objects.filter(state__in=ALLOCATED_STATES).count(),
        ),
        (
            "yiyun_cloud_servers_missing",
            "servers not found on their host at the last reading",
            Server.objects.filter(state=ServerState.MISSING).count(),
        ),
    ]
