"""The circuits API (read-only: probes are configured by the provider in the portal)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.circuits.schemas import AvailabilityOut, CircuitOut, OutageOut
from yiyun.circuits.selectors import (
    availability,
    availability_months,
    circuits_visible,
    outages_of,
    parse_month,
)

PREFIX = "/circuits"
router = Router(tags=["circuits"])


@router.get("", response=list[CircuitOut])
def circuit_list(request, contract: int | None = None):
    rows = circuits_visible(request.user)
    return rows.filter(contract=contract) if contract else rows


@router.get("/{circuit_id}", response=CircuitOut)
def circuit_get(request, circuit_id: int):
    return get_object_or_404(circuits_visible(request.user), pk=circuit_id)


@router.get("/{circuit_id}/availability", response=list[AvailabilityOut])
def availability_list(request, circuit_id: int, month: str | None = None):
    """Monthly availability (Asia/Shanghai calendar months): one month with
    `month=YYYY-MM`, else every month of the service period so far, newest first."""
    circuit = get_object_or_404(circuits_visible(request.user), pk=circuit_id)
    if month:
        year, number = parse_month(month)
        return [availability(circuit, year=year, month=number)]
    return availability_months(circuit)


@router.get("/{circuit_id}/outages", response=list[OutageOut])
def outage_list(request, circuit_id: int):
    circuit = get_object_or_404(circuits_visible(request.user), pk=circuit_id)
    return list(outages_of(circuit)[:500])
