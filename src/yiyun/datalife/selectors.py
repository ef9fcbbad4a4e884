"""Reads for the data lifecycle; every list a user sees goes through `scoped`."""

from datetime import datetime, timedelta

from django.db.models import Max, QuerySet

from yiyun.core import clock
from yiyun.datalife.choices import DrillState, RunResult, ServiceEndState
from yiyun.datalife.models import (
    BackupPolicy,
    BackupRun,
    DataSet,
    DeletionRecord,
    Disclosure,
    ExportArchive,
    RepositoryCheck,
    RestoreDrill,
    ServiceEnd,
)
from yiyun.tenancy.selectors import scoped


def disclosures_visible(user) -> QuerySet[Disclosure]:
    """The register entries of the organisations `user` may see, newest first."""
    return scoped(Disclosure.objects.select_related("organisation"), user).prefetch_related(
        "annotations"
    )


def data_sets_visible(user) -> QuerySet[DataSet]:
    return scoped(DataSet.objects.select_related("organisation"), user)


def policies_visible(user) -> QuerySet[BackupPolicy]:
    return scoped(BackupPolicy.objects.select_related("organisation"), user).prefetch_related(
        "data_sets"
    )


def runs_visible(user) -> QuerySet[BackupRun]:
    return scoped(BackupRun.objects.select_related("organisation", "data_set", "policy"), user)


def drills_visible(user) -> QuerySet[RestoreDrill]:
    return scoped(RestoreDrill.objects.select_related("organisation", "run", "run__data_set"), user)


def checks_visible(user) -> QuerySet[RepositoryCheck]:
    return scoped(RepositoryCheck.objects.select_related("organisation"), user)


def last_good_runs(data_sets) -> dict[int, BackupRun]:
    """{data set id: its latest successful run whose snapshot is still kept}."""
    ids = [data_set.pk for data_set in data_sets]
    latest: dict[int, BackupRun] = {}
    good = BackupRun.objects.filter(
        data_set_id__in=ids, result=RunResult.OK, forgotten_at__isnull=True
    ).order_by("data_set_id", "-started_at")
    for run in good:
        latest.setdefault(run.data_set_id, run)
    return latest


def purges_finished(organisation_ids) -> dict[int, datetime]:
    """{organisation id: when its last end-of-service purge finished} (6.5), for those
    of `organisation_ids` purged at all: `purged_at` is set only once every step of the
    purge succeeded."""
    return dict(
        ServiceEnd.objects.filter(organisation_id__in=organisation_ids, purged_at__isnull=False)
        .order_by()
        .values("organisation_id")
        .annotate(last=Max("purged_at"))
        .values_list("organisation_id", "last")
    )


def service_over(contract_ids, *, now: datetime | None = None) -> set[int]:
    """Which of `contract_ids` no longer serve their customer (6.5): an end of service
    (not cancelled) whose buffer period is over, so its data is being or has been purged.
    Per contract: the same customer may be served under another contract still."""
    now = now or clock.now()
    return set(
        ServiceEnd.objects.filter(contract_id__in=contract_ids, buffer_ends_at__lte=now)
        .exclude(state=ServiceEndState.CANCELLED)
        .values_list("contract_id", flat=True)
    )


def service_ends_visible(user) -> QuerySet[ServiceEnd]:
    return scoped(ServiceEnd.objects.select_related("organisation", "contract"), user)


def exports_visible(user) -> QuerySet[ExportArchive]:
    return scoped(ExportArchive.objects.select_related("organisation"), user)


def deletion_records_visible(user) -> QuerySet[DeletionRecord]:
    return scoped(
        DeletionRecord.objects.select_related(
            "organisation", "service_end", "service_end__contract"
        ),
        user,
    )


def metrics() -> list[tuple]:
    """Prometheus gauges (core.metrics): age of each data set's last good backup, failed
    backups and drills of the last 24 h, customers in their buffer period."""
    now = clock.now()
    gauges = []
    data_sets = list(DataSet.objects.filter(purged_at__isnull=True).select_related("organisation"))
    for data_set_id, run in last_good_runs(data_sets).items():
        gauges.append(
            (
                "yiyun_backup_last_success_age_seconds",
                "seconds since the data set's last successful backup",
                (now - (run.finished_at or run.started_at)).total_seconds(),
                {"data_set": str(data_set_id), "organisation": str(run.organisation_id)},
            )
        )
    day_ago = now - timedelta(hours=24)
    gauges += [
        (
            "yiyun_backup_failed_runs_24h",
            "backup runs that failed in the last 24 hours",
            BackupRun.objects.filter(result=RunResult.FAILED, started_at__gte=day_ago).count(),
        ),
        (
            "yiyun_backup_data_sets_without_backup",
            "data sets with no successful backup still kept",
            len(data_sets) - len(last_good_runs(data_sets)),
        ),
        (
            "yiyun_restore_drills_failed_24h",
            "restore drills that failed or found mismatches in the last 24 hours",
            RestoreDrill.objects.filter(
                state__in=[DrillState.FAILED, DrillState.MISMATCH], requested_at__gte=day_ago
            ).count(),
        ),
        (
            "yiyun_service_ends_in_buffer",
            "customers in their end-of-service buffer period (6.5)",
            ServiceEnd.objects.filter(state=ServiceEndState.BUFFER).count(),
        ),
    ]
    return gauges
