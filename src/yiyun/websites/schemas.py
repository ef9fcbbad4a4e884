from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from yiyun.datalife.choices import DisclosureBasis
from yiyun.websites.choices import FilingKind, WebsiteStatus
from yiyun.websites.conf import DEFAULT_RETENTION_DAYS


class WebsiteOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    site: int | None = Field(alias="site_id")
    domain: str
    name: str
    business_system: str
    server: str
    status: str
    online_since: datetime
    retention_days: int
    log_format: str
    ingest_token_prefix: str


class WebsiteIn(Schema):
    organisation: int
    site: int | None = None
    domain: str = Field(min_length=1, max_length=253)
    name: str = Field(min_length=1, max_length=200)
    business_system: str = ""
    server: str = ""
    online_since: datetime | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    log_format: str = ""


class WebsitePatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    business_system: str | None = None
    server: str | None = None
    status: WebsiteStatus | None = None
    retention_days: int | None = None
    log_format: str | None = None


class TokenOut(Schema):
    token: str
    prefix: str


class FilingOut(Schema):
    id: int
    website: int = Field(alias="website_id")
    kind: str
    number: str
    authority: str
    issued_on: date | None
    valid_until: date | None
    replaced_at: datetime | None
    obligation: int | None = Field(alias="obligation_id")


class FilingIn(Schema):
    kind: FilingKind
    number: str = Field(min_length=1, max_length=100)
    authority: str = ""
    issued_on: date | None = None
    valid_until: date | None = None


class HoldOut(Schema):
    id: int
    website: int = Field(alias="website_id")
    starts_on: date | None
    ends_on: date | None
    reason: str
    placed_at: datetime
    released_at: datetime | None


class HoldIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
    starts_on: date | None = None
    ends_on: date | None = None


class LogRow(Schema):
    ts: datetime
    ip: str | None
    host: str | None
    method: str | None
    path: str | None
    protocol: str | None
    status: int | None
    bytes: int | None
    referer: str | None
    user_agent: str | None
    remote_user: str | None
    extra: str | None
    parse_error: bool
    raw: str | None
    received_at: datetime


class LogPageOut(Schema):
    rows: list[LogRow]
    next_cursor: str


class CoverageOut(Schema):
    day: date
    lines: int
    parse_errors: int
    gaps: int
    expected_hours: int


class ExportIn(Schema):
    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None
    domain: str = ""
    path: str = ""
    status: int | None = None
    errors_only: bool = False
    basis: DisclosureBasis
    authority: str
    document_number: str = ""
    legal_basis: str
    approved_by: str
    scope_note: str = ""


class ExportOut(Schema):
    id: int
    website: int = Field(alias="website_id")
    basis: str
    authority: str
    document_number: str
    rows: int
    files: list[dict]
    created_at: datetime
    disclosure: int = Field(alias="disclosure_id")
