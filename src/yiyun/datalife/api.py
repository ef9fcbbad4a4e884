"""The data lifecycle API: the disclosure register (6.3), backups, end of service."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.datalife import backups, endofservice
from yiyun.datalife.schemas import (
    AnnotationIn,
    AnnotationOut,
    DataSetOut,
    DeletionRecordOut,
    DisclosureOut,
    DrillOut,
    ExportIn,
    ExportOut,
    PolicyOut,
    PolicyPatch,
    RunOut,
    ServiceEndOut,
)
from yiyun.datalife.selectors import (
    data_sets_visible,
    deletion_records_visible,
    disclosures_visible,
    drills_visible,
    exports_visible,
    policies_visible,
    runs_visible,
    service_ends_visible,
)
from yiyun.datalife.services import disclosure_annotate
from yiyun.tenancy.selectors import is_read_only, visible_organisations

PREFIX = "/datalife"
router = Router(tags=["datalife"])


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


@router.get("/disclosures", response=list[DisclosureOut])
def disclosure_list(request, organisation: int | None = None):
    rows = disclosures_visible(request.user)
    return rows.filter(organisation=organisation) if organisation else rows


@router.get("/disclosures/{disclosure_id}", response=DisclosureOut)
def disclosure_get(request, disclosure_id: int):
    return get_object_or_404(disclosures_visible(request.user), pk=disclosure_id)


@router.post("/disclosures/{disclosure_id}/annotations", response={201: AnnotationOut})
def disclosure_annotation_add(request, disclosure_id: int, payload: AnnotationIn):
    disclosure = get_object_or_404(disclosures_visible(request.user), pk=disclosure_id)
    _refuse_read_only(request.user)
    return 201, disclosure_annotate(disclosure=disclosure, text=payload.text, by=request.user)


# -- backups (2.11, 6.4) ----------------------------------------------------------------


@router.get("/data-sets", response=list[DataSetOut])
def data_set_list(request, organisation: int | None = None):
    rows = data_sets_visible(request.user)
    return rows.filter(organisation=organisation) if organisation else rows


@router.get("/data-sets/{data_set_id}", response=DataSetOut)
def data_set_get(request, data_set_id: int):
    return get_object_or_404(data_sets_visible(request.user), pk=data_set_id)


@router.get("/backup-policies", response=list[PolicyOut])
def policy_list(request, organisation: int | None = None):
    rows = policies_visible(request.user)
    return rows.filter(organisation=organisation) if organisation else rows


@router.get("/backup-policies/{policy_id}", response=PolicyOut)
def policy_get(request, policy_id: int):
    return get_object_or_404(policies_visible(request.user), pk=policy_id)


@router.patch("/backup-policies/{policy_id}", response=PolicyOut)
def policy_change(request, policy_id: int, payload: PolicyPatch):
    policy = get_object_or_404(policies_visible(request.user), pk=policy_id)
    _refuse_read_only(request.user)
    return backups.backup_policy_update(
        policy=policy, by=request.user, **payload.dict(exclude_unset=True)
    )


@router.get("/backup-runs", response=list[RunOut])
def run_list(request, data_set: int | None = None, limit: int = 200):
    rows = runs_visible(request.user)
    if data_set:
        rows = rows.filter(data_set=data_set)
    return rows[: max(1, min(limit, 1000))]


@router.post("/backup-runs/{run_id}/drills", response={201: DrillOut})
def drill_add(request, run_id: int):
    run = get_object_or_404(runs_visible(request.user), pk=run_id)
    _refuse_read_only(request.user)
    return 201, backups.restore_drill_request(run=run, by=request.user)


@router.get("/restore-drills", response=list[DrillOut])
def drill_list(request):
    return drills_visible(request.user)[:500]


# -- end of service (6.5), exports, deletion records (6.6) -------------------------------


@router.get("/service-ends", response=list[ServiceEndOut])
def service_end_list(request):
    return service_ends_visible(request.user).select_related("deletion_record")


@router.get("/service-ends/{service_end_id}", response=ServiceEndOut)
def service_end_get(request, service_end_id: int):
    return get_object_or_404(service_ends_visible(request.user), pk=service_end_id)


@router.get("/exports", response=list[ExportOut])
def export_list(request):
    return exports_visible(request.user)[:500]


@router.post("/exports", response={201: ExportOut})
def export_add(request, payload: ExportIn):
    _refuse_read_only(request.user)
    organisation = get_object_or_404(visible_organisations(request.user), pk=payload.organisation)
    return 201, endofservice.export_request(organisation=organisation, by=request.user)


@router.get("/deletion-records/{record_id}", response=DeletionRecordOut)
def deletion_record_get(request, record_id: int):
    return get_object_or_404(deletion_records_visible(request.user), pk=record_id)
