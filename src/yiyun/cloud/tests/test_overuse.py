"""2.7.4: sustained overuse → finding → both sides told → the customer may respond before
any measure is recorded."""

from datetime import datetime, timedelta

import pytest
import time_machine

from yiyun.cloud.choices import FindingState, OveruseMetric
from yiyun.cloud.models import OveruseFinding, UsageSample
from yiyun.cloud.services import (
    finding_measure_record,
    finding_respond,
    overuse_thresholds_set,
    sample_record,
    usage_collect,
)
from yiyun.cloud.tests.factories import (
    a_host,
    a_server,
    contract_for,
    libvirt_test_fixture,  # noqa: F401 — the `libvirt_test` fixture
)
from yiyun.cloud.thresholds import Thresholds, parse_thresholds
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.services import tick

# Monday 2026-10-12, 10:00 in Keping's time zone.
T0 = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
STEP = timedelta(minutes=5)


def _series(contract, values, *, start=T0, step=STEP, metric="cpu"):
    for index, value in enumerate(values):
        at = start + index * step
        with time_machine.travel(at, tick=False):
            sample_record(contract=contract, at=at, **{metric: value})


@pytest.fixture
def contract(world):
    return contract_for(world.customer_a, world.provider)


def test_clause_2_7_4_sustained_cpu_opens_a_finding_tells_both_sides_and_waits_for_the_customer(
    world, contract
):
    # 35 minutes, 8 samples: the default is CPU above 90 % in every sample for 30 minutes.
    _series(contract, [950] * 6)  # 10:00 … 10:25: not yet 30 minutes
    assert not OveruseFinding.objects.exists()
    _series(contract, [955, 990], start=T0 + 6 * STEP)  # 10:30, 10:35
    (finding,) = OveruseFinding.objects.all()
    assert finding.metric == OveruseMetric.CPU
    assert finding.started_at == T0
    assert finding.detected_at == T0 + 30 * timedelta(minutes=1)
    assert (finding.threshold, finding.window_minutes, finding.samples) == (900, 30, 7)
    assert finding.peak == 990  # the run goes on: its peak follows, no second finding

    # Both sides are told, in their inboxes.
    recipients = set(
        InboxMessage.objects.filter(source=f"cloud:finding:{finding.pk}").values_list(
            "recipient__user__username", flat=True
        )
    )
    assert {"a-admin", "p-admin"} <= recipients

    # The customer's obligation to respond: 3 working days (the default), from Monday
    # 10:30 → Tue, Wed, Thu → due at 24:00 of Thursday 2026-10-15.
    obligation = finding.obligation
    assert obligation.clause == "2.7.4" and obligation.bound_party == "customer"
    assert obligation.due_at == datetime(2026, 10, 16, 0, 0, tzinfo=SHANGHAI)

    # No measure before the customer has had its say.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        with pytest.raises(DomainError) as refused:
            finding_measure_record(finding=finding, measure="限制 CPU", by=world.provider_admin)
        assert refused.value.code == "awaiting_response"
        finding = finding_respond(
            finding=finding, response="月末结算批处理，已改到夜间", by=world.admin_a
        )
        assert finding.state == FindingState.RESPONDED
        finding.obligation.refresh_from_db()
        assert finding.obligation.state == ObligationState.MET
        finding = finding_measure_record(
            finding=finding, measure="与甲方约定批处理窗口", by=world.provider_admin
        )
    assert finding.state == FindingState.MEASURE_RECORDED


def test_clause_2_7_4_a_short_spike_or_a_gap_does_not_count(contract):
    # 20 minutes above, one sample at 50 %, 25 minutes above: never 30 minutes in a row.
    _series(contract, [960] * 5 + [500] + [960] * 6)
    # A run of 45 minutes with a 20-minute hole in the samples proves nothing either
    # (the default maximum gap is twice the 5-minute sample interval).
    later = T0 + timedelta(hours=3)
    _series(contract, [960] * 3, start=later)
    _series(contract, [960] * 4, start=later + timedelta(minutes=30))
    assert not OveruseFinding.objects.exists()
    assert UsageSample.objects.filter(contract=contract).count() == 19
    # …while the same values without the spike do.
    _series(contract, [960] * 7, start=T0 + timedelta(hours=6))
    assert OveruseFinding.objects.count() == 1


def test_clause_2_7_4_thresholds_are_what_the_parties_set(world, contract):
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        overuse_thresholds_set(
            contract=contract,
            thresholds=parse_thresholds("cpu=off; storage>80%/15min; response=1wd"),
            by=world.admin_a,
        )
    _series(contract, [999] * 10)  # CPU no longer watched
    _series(contract, [850] * 4, start=T0 + timedelta(hours=2), metric="storage")
    (finding,) = OveruseFinding.objects.all()
    assert finding.metric == "storage" and finding.window_minutes == 15
    # One working day: Monday 12:15 → due at 24:00 on Tuesday.
    assert finding.obligation.due_at == datetime(2026, 10, 14, 0, 0, tzinfo=SHANGHAI)


def test_clause_2_7_4_measure_allowed_once_the_response_period_ran_out(world, contract):
    _series(contract, [970] * 7)
    finding = OveruseFinding.objects.get()
    after = datetime(2026, 10, 16, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(after, tick=False):
        tick(now=after)
        finding.refresh_from_db()
        assert finding.state == FindingState.RESPONSE_OVERDUE
        finding = finding_measure_record(
            finding=finding, measure="限制 CPU 至 80%", by=world.engineer
        )
    assert finding.state == FindingState.MEASURE_RECORDED


def test_only_the_customer_responds_and_only_the_provider_records_measures(world, contract):
    from django.core.exceptions import PermissionDenied

    _series(contract, [970] * 7)
    finding = OveruseFinding.objects.get()
    with pytest.raises(PermissionDenied):
        finding_respond(finding=finding, response="x", by=world.provider_admin)
    with pytest.raises(PermissionDenied):
        finding_respond(finding=finding, response="x", by=world.auditor_a)
    with pytest.raises(PermissionDenied):
        finding_measure_record(finding=finding, measure="x", by=world.admin_a)


def test_thresholds_text_is_checked():
    assert parse_thresholds(None) == Thresholds()
    parsed = parse_thresholds("CPU>85%/20min\nmemory=off")
    assert parsed.metrics["cpu"].permille == 850 and "memory" not in parsed.metrics
    assert parsed.describe() == "cpu>85%/20min; memory=off; storage>95%/30min; response=3wd"
    with pytest.raises(DomainError) as refused:
        parse_thresholds("cpu>190%/20min; disk>5%/5min; whatever")
    assert refused.value.message.count("；") == 2


def test_usage_is_read_from_the_libvirt_test_driver(world, contract, libvirt_test):
    host = a_host(world.provider)
    server = a_server(contract, host, vcpu=2, memory_gib=2, system_disk_gib=10, data=(20,))
    first = usage_collect(contract=contract, now=T0)
    # One reading gives no CPU share yet (it needs two); the disks are read already.
    assert first.cpu is None and first.servers == 1
    second = usage_collect(contract=contract, now=T0 + STEP)
    server.refresh_from_db()
    # The test driver reports a guest's CPU time as the host's wall clock: one core busy.
    assert 400 <= second.cpu <= 600
    assert server.usage_cpu_permille == second.cpu
    assert server.usage_system_disk_gib is not None and server.usage_storage_gib is not None
    assert second.storage is not None
    # A machine gone from its host is marked missing, not silently dropped.
    libvirt_test.lookupByUUIDString(server.domain_uuid).destroy()
    libvirt_test.lookupByUUIDString(server.domain_uuid).undefine()
    assert usage_collect(contract=contract, now=T0 + 2 * STEP) is None
    server.refresh_from_db()
    assert server.state == "missing"
