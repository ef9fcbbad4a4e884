"""How the data lifecycle runs by itself (worker jobs, checks, metrics) and shows itself."""

import pytest
from django.apps import apps
from django.urls import reverse

from yiyun.contracts.choices import NoticeKind
from yiyun.contracts.models import OpenParameter
from yiyun.contracts.services import notice_record, open_parameter_set
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import Conflict, DomainError
from yiyun.datalife import checks, jobs
from yiyun.datalife.backups import backup_policy_create, data_set_create, data_set_directory
from yiyun.datalife.checks import backup_disk_space, restic_installed
from yiyun.datalife.choices import ServiceEndReason, ServiceEndState
from yiyun.datalife.endofservice import service_end_start
from yiyun.datalife.models import DeletionRecord, ServiceEnd
from yiyun.datalife.selectors import metrics
from yiyun.datalife.tests.fixtures import datalife_dirs  # noqa: F401
from yiyun.notices.models import InboxMessage
from yiyun.obligations.selectors import obligations_for
from yiyun.obligations.tests.helpers import at, bj

pytestmark = pytest.mark.usefixtures("datalife_dirs")

purge_calls = []


def flaky_purge(organisation):
    """A purge hook that fails the first time (a database or disk hiccup)."""
    purge_calls.append(organisation.pk)
    if len(purge_calls) == 1:
        raise RuntimeError("disk busy")
    return [{"what": "工单 0 条", "where": "servicedesk_ticket", "verified": "0 条"}]


@pytest.fixture
def contract(world):
    with at(2026, 3, 2, 9):
        return seed_contract(world)


def _terminate_for_cause(contract, world):
    with at(2026, 3, 16, 9):
        notice_record(
            contract=contract,
            kind=NoticeKind.TERMINATION_5_3,
            from_party="customer",
            sender="甲方",
            recipient="乙方",
            delivered_at=bj(2026, 3, 16, 9),
            by=world.admin_a,
            reason="乙方多次未按4.2时限解决问题",
        )


def test_clause_6_5_an_ended_contract_enters_its_buffer_once_the_length_is_agreed(contract, world):
    _terminate_for_cause(contract, world)
    with at(2026, 3, 16, 10):
        jobs.run_end_of_service()
    # The parties have not set the buffer yet: nothing starts, both sides are told.
    assert not ServiceEnd.objects.exists()
    told = InboxMessage.objects.filter(source=f"datalife:buffer_missing:{contract.pk}")
    assert told.filter(recipient=world.provider_admin.person).exists()
    assert told.filter(recipient=world.admin_a.person).exists()
    with at(2026, 3, 17, 10):
        open_parameter_set(
            parameter=OpenParameter.objects.get(contract=contract, key="buffer_period_days"),
            value="15",
            by=world.provider_admin,
        )
        jobs.run_end_of_service()
        jobs.run_end_of_service()  # idempotent
    (service_end,) = ServiceEnd.objects.all()
    assert service_end.reason == ServiceEndReason.EARLY_TERMINATION
    # The buffer runs from the termination itself, not from when the worker noticed.
    assert service_end.started_at == bj(2026, 3, 16, 9)
    assert service_end.buffer_ends_at == bj(2026, 4, 1, 0, 0)  # 15 days: 03-17 .. 03-31
    with pytest.raises(Conflict):
        service_end_start(contract=contract, reason="arrears", by="test", buffer_days=5)


def test_clause_6_5_the_buffer_length_must_be_known(contract, world):
    with pytest.raises(DomainError) as refused:
        service_end_start(contract=contract, reason="arrears", by=world.provider_admin)
    assert refused.value.code == "buffer_not_set"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        service_end_start(contract=contract, reason="arrears", by=world.admin_a, buffer_days=10)


def test_clause_6_5_a_failed_purge_is_retried_and_the_duty_stays_open(contract, world, monkeypatch):
    purge_calls.clear()
    monkeypatch.setattr(
        apps.get_app_config("datalife"),
        "purge_hooks",
        ["yiyun.datalife.tests.test_jobs_and_pages.flaky_purge"],
    )
    with at(2026, 3, 17, 9):
        service_end = service_end_start(
            contract=contract, reason="arrears", by=world.provider_admin, buffer_days=1
        )
    assert service_end.buffer_ends_at == bj(2026, 3, 19, 0, 0)  # Wednesday 03-18, 24:00
    with at(2026, 3, 19, 1):
        jobs.run_end_of_service()
    service_end.refresh_from_db()
    assert service_end.state == ServiceEndState.BUFFER
    assert "disk busy" in service_end.purge_error
    assert not DeletionRecord.objects.exists()
    purge = obligations_for(service_end).get(rule="6.5")
    assert purge.state == "open"
    assert InboxMessage.objects.filter(
        recipient=world.provider_admin.person,
        source__startswith=f"datalife:purge_failed:{service_end.pk}",
    ).exists()
    with at(2026, 3, 19, 1, 1):
        jobs.run_end_of_service()
    service_end.refresh_from_db()
    assert service_end.state == ServiceEndState.PURGED and service_end.purge_error == ""
    record = DeletionRecord.objects.get()
    assert any(item["what"] == "工单 0 条" for item in record.items)
    assert purge_calls == [world.customer_a.pk, world.customer_a.pk]
    purge.refresh_from_db()
    assert purge.state == "met"


def test_backup_pages_show_the_last_good_backup_per_data_set(world, login):
    with at(2026, 3, 2, 10):
        data_set = data_set_create(
            organisation=world.customer_a, name="HIS", path="his", by=world.admin_a
        )
        (data_set_directory(data_set) / "a.csv").write_text("1\n")
        backup_policy_create(
            organisation=world.customer_a, name="每日", data_sets=[data_set], by=world.admin_a
        )
        (run,) = jobs.backups.backups_run_due()
    page = login(world.admin_a).get(reverse("datalife:backups")).content.decode()
    assert run.short_id in page and "HIS" in page
    assert (
        run.short_id not in login(world.admin_b).get(reverse("datalife:backups")).content.decode()
    )
    dashboard = login(world.admin_a).get(reverse("portal:dashboard")).content.decode()
    assert reverse("datalife:data_set", args=[data_set.pk]) in dashboard
    detail = login(world.admin_a).get(reverse("datalife:data_set", args=[data_set.pk]))
    assert "a.csv" in detail.content.decode()
    gauges = {g[0]: g for g in metrics()}
    with at(2026, 3, 2, 12):
        age = {g[0]: g for g in metrics()}["yiyun_backup_last_success_age_seconds"]
    assert age[3] == {"data_set": str(data_set.pk), "organisation": str(world.customer_a.pk)}
    assert 2 * 3600 - 60 < age[2] <= 2 * 3600
    assert gauges["yiyun_backup_failed_runs_24h"][2] == 0


def test_a_customer_admin_sets_retention_through_the_api(world, login):
    policy = backup_policy_create(
        organisation=world.customer_a, name="默认", data_sets=[], by="test"
    )
    response = login(world.admin_a).patch(
        f"/api/datalife/backup-policies/{policy.pk}",
        data={"keep_daily": 30, "keep_monthly": 12},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["origin"] == "customer"
    assert (response.json()["keep_daily"], response.json()["keep_monthly"]) == (30, 12)
    refused = login(world.admin_a).patch(
        f"/api/datalife/backup-policies/{policy.pk}",
        data={"keep_daily": 0, "keep_weekly": 0, "keep_monthly": 0},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "keeps_nothing"
    member = login(world.member_a).patch(
        f"/api/datalife/backup-policies/{policy.pk}",
        data={"keep_daily": 1},
        content_type="application/json",
    )
    assert member.status_code == 403


def test_checks_find_restic_and_watch_the_backup_disk(settings, tmp_path):
    assert restic_installed() == []
    assert backup_disk_space() == []  # this machine has room
    settings.DATALIFE_RESTIC_BINARY = str(tmp_path / "no-restic")
    assert [m.id for m in restic_installed()] == ["yiyun.datalife.E001"]
    checks.MIN_FREE_BYTES, before = 1024**6, checks.MIN_FREE_BYTES
    try:
        assert [m.id for m in backup_disk_space()] == ["yiyun.datalife.W001"]
    finally:
        checks.MIN_FREE_BYTES = before
