"""API shapes of the circuits app."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema


class CircuitOut(Schema):
    id: int
    contract: str = Field(alias="contract.number")
    circuit_id: str
    a_end: str = Field(alias="a_end.name")
    z_end: str = Field(alias="z_end.name")
    bandwidth_mbps: int
    monthly_fee: Decimal
    state: str
    far_address: str | None
    probe_method: str
    probe_port: int | None
    probe_enabled: bool
    last_probe_at: datetime | None
    last_ok_at: datetime | None
    consecutive_failures: int


class AvailabilityOut(Schema):
    month: str = Field(alias="label")
    start: datetime
    end: datetime
    period_seconds: int = Field(description="time in service counted in the month")
    down_seconds: int
    outages: int
    complete: bool = Field(description="false for the current month or a partly served one")
    availability_percent: Decimal | None = Field(alias="percent")


class OutageOut(Schema):
    id: int
    started_at: datetime = Field(description="the first failed probe")
    detected_at: datetime
    ended_at: datetime | None = Field(description="the first successful probe after it")
    duration_seconds: int | None
    failures: int
    ticket: int | None = Field(None, alias="ticket_id")
    obligation: int | None = Field(None, alias="obligation_id")
    obligation_due_at: datetime | None = Field(None, alias="obligation.due_at")
    obligation_state: str | None = Field(None, alias="obligation.state")
