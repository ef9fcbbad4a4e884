from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from yiyun.notices.choices import ChannelKind, LetterKind, NoticeKind


class WindowIn(Schema):
    starts_at: datetime
    ends_at: datetime
    affected_systems: list[str] = []
    affected_circuits: list[str] = []
    affected_sites: list[int] = []
    impact: str = ""
    emergency_reason: str = ""


class NoticeIn(Schema):
    kind: NoticeKind
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1)
    channels: list[ChannelKind] = Field(min_length=1)
    organisation: int | None = None
    audience_organisations: list[int] = []
    audience_sites: list[int] = []
    audience_roles: list[str] = []
    audience_contacts: bool = False
    contract: int | None = None
    letter_kind: LetterKind | None = None
    reason: str = ""
    force_majeure_since: date | None = None
    window: WindowIn | None = None
    # Send at once (else a draft); a late routine maintenance notice needs acknowledge_late.
    send: bool = False
    acknowledge_late: bool = False


class SendIn(Schema):
    acknowledge_late: bool = False


class WindowOut(Schema):
    starts_at: datetime
    ends_at: datetime
    affected_systems: list[str]
    affected_circuits: list[str]
    affected_sites: list[int]
    impact: str
    emergency_reason: str


class NoticeOut(Schema):
    id: int
    kind: str
    letter_kind: str
    organisation: int
    organisation_name: str
    contract: int | None
    subject: str
    body: str
    channels: list[str]
    created_at: datetime
    latest_send_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    published_at: datetime | None
    window: WindowOut | None


class DeliveryOut(Schema):
    id: int
    kind: str
    organisation: int
    recipient: str
    address: str
    state: str
    attempts: int
    sent_at: datetime | None
    response_status: str
    response_id: str
    sha256: str
    idempotency_key: str
    last_error: str


class NoticeDetailOut(NoticeOut):
    deliveries: list[DeliveryOut]
    letter_reference: str
    letter_sha256: str


class MaintenanceOut(Schema):
    notice: int
    kind: str
    subject: str
    organisation_name: str
    starts_at: datetime
    ends_at: datetime
    running: bool
    affected_systems: list[str]
    affected_circuits: list[str]
    affected_sites: list[int]
    impact: str


class InboxOut(Schema):
    id: int
    subject: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None
