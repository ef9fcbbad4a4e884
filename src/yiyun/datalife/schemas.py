from datetime import datetime

from ninja import Schema
from pydantic import Field


class DisclosedFile(Schema):
    name: str
    sha256: str
    size: int


class AnnotationOut(Schema):
    id: int
    text: str
    by: str
    at: datetime


class DisclosureOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    basis: str
    authority: str
    document_number: str
    legal_basis: str
    scope: dict
    approved_by: str
    handed_over_at: datetime
    files: list[DisclosedFile]
    source: str
    recorded_at: datetime
    recorded_by: str
    content_hash: str
    annotations: list[AnnotationOut]

    @staticmethod
    def resolve_annotations(obj):
        return list(obj.annotations.all())


class AnnotationIn(Schema):
    text: str = Field(min_length=1, max_length=5000)


class DataSetOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    name: str
    kind: str
    path: str
    purged_at: datetime | None


class PolicyOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    name: str
    origin: str
    data_sets: list[int]
    interval_hours: int
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    enabled: bool
    next_run_at: datetime | None

    @staticmethod
    def resolve_data_sets(obj):
        return [data_set.pk for data_set in obj.data_sets.all()]


class PolicyPatch(Schema):
    interval_hours: int | None = Field(default=None, ge=1, le=744)
    keep_daily: int | None = Field(default=None, ge=0, le=1000)
    keep_weekly: int | None = Field(default=None, ge=0, le=1000)
    keep_monthly: int | None = Field(default=None, ge=0, le=1000)
    enabled: bool | None = None


class RunOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    data_set: int = Field(alias="data_set_id")
    policy: int | None = Field(alias="policy_id")
    started_at: datetime
    finished_at: datetime | None
    result: str
    snapshot_id: str
    files: int
    size: int
    data_added: int
    duration: float
    error: str
    forgotten_at: datetime | None


class DrillOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    run: int = Field(alias="run_id")
    requested_at: datetime
    requested_by: str
    finished_at: datetime | None
    state: str
    files_compared: int
    mismatches: list[dict]
    error: str


class ServiceEndOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    contract: int = Field(alias="contract_id")
    reason: str
    state: str
    started_at: datetime
    buffer_days: int = Field(alias="buffer_n")
    buffer_ends_at: datetime
    purged_at: datetime | None
    deletion_record: int | None = None

    @staticmethod
    def resolve_deletion_record(obj):
        record = getattr(obj, "deletion_record", None)
        return record.pk if record is not None else None


class ExportOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    service_end: int | None = Field(alias="service_end_id")
    requested_at: datetime
    requested_by: str
    state: str
    ready_at: datetime | None
    file_name: str
    size: int
    sha256: str
    manifest: list[DisclosedFile]
    download: str | None = None

    @staticmethod
    def resolve_download(obj):
        if obj.state != "ready":
            return None
        from django.urls import reverse

        return reverse("datalife:export_download", args=[obj.pk])


class ExportIn(Schema):
    organisation: int


class DeletionItemOut(Schema):
    app: str
    what: str
    where: str
    when: str
    by: str
    verified: str
    count: int | None = None


class DeletionRecordOut(Schema):
    id: int
    organisation: int = Field(alias="organisation_id")
    service_end: int = Field(alias="service_end_id")
    issued_at: datetime
    issued_by: str
    items: list[DeletionItemOut]
    content_hash: str
