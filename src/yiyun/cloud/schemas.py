"""API shapes of the cloud app."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema


class ResourceLineOut(Schema):
    resource: str
    label: str
    unit: str = Field(description="core (vCPU) or GiB; the contract's G read as GiB, T as TiB")
    stated: str
    signed: Decimal | None = Field(description="the entitlement as signed, in `unit`")
    raised: Decimal = Field(description="added by applied change requests (1.3)")
    entitled: Decimal
    allocated: Decimal
    used: Decimal | None
    remaining: Decimal


class BreakdownOut(Schema):
    label: str
    servers: int
    allocated: dict[str, Decimal]
    used: dict[str, Decimal]


class CapacityOut(Schema):
    contract: str
    lines: list[ResourceLineOut]
    by_site: list[BreakdownOut]
    by_system: list[BreakdownOut]


class ServerOut(Schema):
    id: int
    contract: str = Field(alias="contract.number")
    name: str
    business_system: str | None = Field(None, alias="business_system.name")
    site: str | None = Field(None, alias="site.name")
    host: str = Field(alias="host.name")
    domain_uuid: str
    vcpu: int
    memory_gib: int
    system_disk_gib: int
    data_disks_gib: list[int]
    state: str
    created_at: datetime
    usage_at: datetime | None
    usage_cpu_permille: int | None
    usage_memory_mib: int | None


class ServerIn(Schema):
    contract: int
    name: str
    vcpu: int
    memory_gib: int
    system_disk_gib: int
    data_disks_gib: list[int] = []
    host: int | None = None
    site: int | None = None
    business_system: str | None = None


class ResizeIn(Schema):
    vcpu: int
    memory_gib: int


class PowerIn(Schema):
    action: str = Field(description="start, stop (ACPI shutdown) or force_stop")


class ChangeItemIn(Schema):
    resource: str
    quantity: Decimal
    server: int | None = None


class ChangeItemOut(Schema):
    resource: str
    quantity: Decimal
    server: int | None = Field(None, alias="server_id")


class ChangeIn(Schema):
    contract: int
    kind: str = Field(description="customer_1_3 or provider_3_7")
    title: str
    description: str = ""
    items: list[ChangeItemIn] = []
    planned_at: datetime | None = Field(None, description="3.7: when the change is planned")


class ChangeOut(Schema):
    id: int
    contract: str = Field(alias="contract.number")
    kind: str
    title: str
    description: str
    state: str
    requested_by: str
    requested_at: datetime
    quote: dict
    quote_annual: Decimal | None
    quote_once: Decimal | None
    planned_at: datetime | None
    consent_at: datetime | None
    consent_by: str
    decided_at: datetime | None
    decided_by: str
    applied_at: datetime | None
    obligation: int | None = Field(None, alias="obligation_id")
    items: list[ChangeItemOut]

    @staticmethod
    def resolve_items(change):
        return list(change.items.all())


class NoteIn(Schema):
    note: str = ""


class PriceOut(Schema):
    id: int
    catalogue: str = Field(alias="catalogue.name")
    provider: str = Field(alias="catalogue.provider.name")
    code: str
    resource: str
    unit_price: Decimal
    period: str
    valid_from: str
    valid_until: str | None

    @staticmethod
    def resolve_valid_from(entry):
        return entry.valid_from.isoformat()

    @staticmethod
    def resolve_valid_until(entry):
        return entry.valid_until.isoformat() if entry.valid_until else None


class FindingOut(Schema):
    id: int
    contract: str = Field(alias="contract.number")
    metric: str
    threshold_permille: int = Field(alias="threshold")
    window_minutes: int
    started_at: datetime
    detected_at: datetime
    ended_at: datetime | None
    peak_permille: int = Field(alias="peak")
    samples: int
    state: str
    response_due_at: datetime | None = Field(None, alias="obligation.due_at")
    response: str
    responded_at: datetime | None
    measure: str
    measure_at: datetime | None


class ResponseIn(Schema):
    response: str


class SampleOut(Schema):
    at: datetime
    cpu: int | None
    memory: int | None
    storage: int | None
    servers: int
