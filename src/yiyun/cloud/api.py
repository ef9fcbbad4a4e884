"""The cloud API: entitlement and capacity, servers, change requests, prices, overuse."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.cloud import services
from yiyun.cloud.models import Host
from yiyun.cloud.schemas import (
    CapacityOut,
    ChangeIn,
    ChangeOut,
    FindingOut,
    NoteIn,
    PowerIn,
    PriceOut,
    ResizeIn,
    ResponseIn,
    SampleOut,
    ServerIn,
    ServerOut,
)
from yiyun.cloud.selectors import (
    capacity,
    changes_visible,
    cloud_contracts_visible,
    findings_visible,
    price_entries_visible,
    samples_between,
    servers_visible,
)
from yiyun.core import clock
from yiyun.tenancy.models import Site
from yiyun.tenancy.selectors import is_read_only

PREFIX = "/cloud"
router = Router(tags=["cloud"])


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


def _breakdown(group) -> dict:
    return {
        "label": group.label,
        "servers": group.servers,
        "allocated": dict(group.allocated),
        "used": dict(group.used),
    }


@router.get("/contracts/{contract_id}/capacity", response=CapacityOut)
def capacity_get(request, contract_id: int):
    """1.2: entitlement (as signed + raised by applied changes) vs allocated vs used, in
    cores and GiB, in total, per site and per business system."""
    contract = get_object_or_404(cloud_contracts_visible(request.user), pk=contract_id)
    report = capacity(contract)
    return {
        "contract": contract.number,
        "lines": [
            {**line.__dict__, "entitled": line.entitled, "remaining": line.remaining}
            for line in report.lines
        ],
        "by_site": [_breakdown(group) for group in report.by_site],
        "by_system": [_breakdown(group) for group in report.by_system],
    }


@router.get("/contracts/{contract_id}/samples", response=list[SampleOut])
def sample_list(
    request, contract_id: int, since: datetime | None = None, until: datetime | None = None
):
    """The tenant's usage samples (‰ of what its servers hold); default: the last 24 h."""
    contract = get_object_or_404(cloud_contracts_visible(request.user), pk=contract_id)
    until = until or clock.now()
    since = since or until - timedelta(hours=24)
    return list(samples_between(contract, since, until)[:5000])


@router.get("/servers", response=list[ServerOut])
def server_list(request, contract: int | None = None):
    rows = servers_visible(request.user).exclude(state="deleted")
    return rows.filter(contract=contract) if contract else rows


@router.get("/servers/{server_id}", response=ServerOut)
def server_get(request, server_id: int):
    return get_object_or_404(servers_visible(request.user), pk=server_id)


@router.post("/servers", response={201: ServerOut})
def server_add(request, payload: ServerIn):
    """Create and start a server within the entitlement (400 `over_entitlement` beyond it)."""
    contract = get_object_or_404(cloud_contracts_visible(request.user), pk=payload.contract)
    _refuse_read_only(request.user)
    host = (
        get_object_or_404(Host, pk=payload.host, provider=contract.provider_id)
        if payload.host
        else None
    )
    site = (
        get_object_or_404(Site, pk=payload.site, organisation=contract.customer_id)
        if payload.site
        else None
    )
    system = None
    if payload.business_system:
        system = services.business_system_ensure(
            organisation=contract.customer, name=payload.business_system, by=request.user
        )
    server = services.server_create(
        contract=contract,
        host=host,
        name=payload.name,
        vcpu=payload.vcpu,
        memory_gib=payload.memory_gib,
        system_disk_gib=payload.system_disk_gib,
        data_disks_gib=payload.data_disks_gib,
        business_system=system,
        site=site,
        by=request.user,
    )
    return 201, server


@router.post("/servers/{server_id}/resize", response=ServerOut)
def server_resize(request, server_id: int, payload: ResizeIn):
    server = get_object_or_404(servers_visible(request.user), pk=server_id)
    _refuse_read_only(request.user)
    return services.server_resize(
        server=server, vcpu=payload.vcpu, memory_gib=payload.memory_gib, by=request.user
    )


@router.post("/servers/{server_id}/power", response=ServerOut)
def server_power(request, server_id: int, payload: PowerIn):
    server = get_object_or_404(servers_visible(request.user), pk=server_id)
    _refuse_read_only(request.user)
    return services.server_power(server=server, action=payload.action, by=request.user)


@router.delete("/servers/{server_id}", response=ServerOut)
def server_delete(request, server_id: int):
    server = get_object_or_404(servers_visible(request.user), pk=server_id)
    _refuse_read_only(request.user)
    return services.server_delete(server=server, by=request.user)


@router.get("/changes", response=list[ChangeOut])
def change_list(request, contract: int | None = None, state: str | None = None):
    rows = changes_visible(request.user).prefetch_related("items")
    if contract:
        rows = rows.filter(contract=contract)
    if state:
        rows = rows.filter(state=state)
    return rows[:500]


@router.get("/changes/{change_id}", response=ChangeOut)
def change_get(request, change_id: int):
    return get_object_or_404(changes_visible(request.user), pk=change_id)


@router.post("/changes", response={201: ChangeOut})
def change_add(request, payload: ChangeIn):
    """1.3 (customer_1_3): priced now from the catalogue, the quote stored. 3.7
    (provider_3_7): needs `planned_at`; opens the 3.7 consent obligation."""
    contract = get_object_or_404(cloud_contracts_visible(request.user), pk=payload.contract)
    _refuse_read_only(request.user)
    servers = servers_visible(request.user).filter(contract=contract)
    items = [
        {
            "resource": item.resource,
            "quantity": item.quantity,
            "server": get_object_or_404(servers, pk=item.server) if item.server else None,
        }
        for item in payload.items
    ]
    change = services.change_request_create(
        contract=contract,
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        items=items,
        planned_at=payload.planned_at,
        by=request.user,
    )
    return 201, change


@router.post("/changes/{change_id}/approve", response=ChangeOut)
def change_approve(request, change_id: int, payload: NoteIn):
    """The other side agrees: the provider approves a 1.3 request; the customer records
    its consent to a 3.7 change."""
    change = get_object_or_404(changes_visible(request.user), pk=change_id)
    _refuse_read_only(request.user)
    return services.change_request_approve(change=change, by=request.user, note=payload.note)


@router.post("/changes/{change_id}/reject", response=ChangeOut)
def change_reject(request, change_id: int, payload: NoteIn):
    change = get_object_or_404(changes_visible(request.user), pk=change_id)
    _refuse_read_only(request.user)
    return services.change_request_reject(change=change, by=request.user, note=payload.note)


@router.post("/changes/{change_id}/apply", response=ChangeOut)
def change_apply(request, change_id: int):
    """Apply an approved change (3.7: 400 `consent_required` without the customer's
    recorded consent)."""
    change = get_object_or_404(changes_visible(request.user), pk=change_id)
    _refuse_read_only(request.user)
    return services.change_request_apply(change=change, by=request.user)


@router.get("/prices", response=list[PriceOut])
def price_list(request, resource: str | None = None):
    rows = price_entries_visible(request.user).order_by(
        "catalogue__name", "resource", "-valid_from"
    )
    return rows.filter(resource=resource) if resource else rows


@router.get("/overuse", response=list[FindingOut])
def finding_list(request, contract: int | None = None):
    rows = findings_visible(request.user)
    return rows.filter(contract=contract)[:500] if contract else rows[:500]


@router.get("/overuse/{finding_id}", response=FindingOut)
def finding_get(request, finding_id: int):
    return get_object_or_404(findings_visible(request.user), pk=finding_id)


@router.post("/overuse/{finding_id}/response", response=FindingOut)
def finding_respond(request, finding_id: int, payload: ResponseIn):
    """2.7.4: the customer's explanation (meets its obligation to respond)."""
    finding = get_object_or_404(findings_visible(request.user), pk=finding_id)
    _refuse_read_only(request.user)
    return services.finding_respond(finding=finding, response=payload.response, by=request.user)
