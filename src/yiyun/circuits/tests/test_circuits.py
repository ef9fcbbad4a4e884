"""The four circuits from the contract; probes, outages with the 2.2 clock; availability."""

import socket
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from yiyun.circuits.choices import CircuitState
from yiyun.circuits.models import Circuit, Outage, ProbeHour, ProbeResult
from yiyun.circuits.probes import tcp_probe
from yiyun.circuits.selectors import availability, availability_months
from yiyun.circuits.services import (
    circuit_configure,
    circuits_from_contract,
    probe_record,
    probes_rollup,
)
from yiyun.circuits.tests.factories import circuits_for
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.notices.models import InboxMessage
from yiyun.obligations.choices import ObligationState
from yiyun.servicedesk.models import Ticket

T0 = datetime(2026, 10, 20, 9, 0, tzinfo=SHANGHAI)
MINUTE = timedelta(minutes=1)


def _record(circuit, at, ok):
    with time_machine.travel(at, tick=False):
        return probe_record(circuit=circuit, at=at, ok=ok)


def test_clause_1_2_the_four_circuits_come_from_the_contract(world):
    circuits = circuits_for(world)
    assert [(c.a_end.name, c.z_end.name) for c in circuits] == [
        ("柯坪县人民医院", "盖孜力克镇卫生院"),
        ("柯坪县人民医院", "阿恰勒镇卫生院"),
        ("柯坪县人民医院", "玉尔其乡卫生院"),
        ("柯坪县人民医院", "启浪乡卫生院"),
    ]
    assert {(c.bandwidth_mbps, c.monthly_fee) for c in circuits} == {(100, Decimal("125.00"))}
    assert {c.price_component.name for c in circuits} == {"点对点电路（100M）"}
    assert circuits[0].circuit_id == "YY-CIRCUITS-TEST-P2P-01"
    # Again: nothing new, and what the provider changed stays.
    circuit_configure(circuit=circuits[0], circuit_id="AKS-KP-0001", by=world.provider_admin)
    again = circuits_from_contract(circuits[0].contract)
    assert [c.pk for c in again] == [c.pk for c in circuits]
    assert again[0].circuit_id == "AKS-KP-0001"


def test_circuits_sync_command(world, capsys):
    circuits_for(world)
    contract = Circuit.objects.first().contract
    Circuit.objects.all().delete()
    call_command("circuits", "sync", "--contract", contract.number)
    assert Circuit.objects.filter(contract=contract).count() == 4
    assert "启浪乡卫生院" in capsys.readouterr().out
    Circuit.objects.all().delete()
    call_command("circuits", "sync", "--all")
    assert Circuit.objects.filter(contract=contract).count() == 4


def test_clause_2_2_consecutive_failures_open_an_outage_from_the_first_failed_probe(world):
    circuit = circuits_for(world)[1]
    circuit_configure(circuit=circuit, far_address="192.0.2.2", probe_port=22, by=world.engineer)
    _record(circuit, T0, True)
    # One lost probe is not an outage.
    _record(circuit, T0 + MINUTE, False)
    _record(circuit, T0 + 2 * MINUTE, True)
    assert not Outage.objects.exists()
    # Three in a row are: the outage starts at the first of them.
    for n in (3, 4, 5):
        _record(circuit, T0 + n * MINUTE, False)
    outage = Outage.objects.get()
    assert outage.started_at == T0 + 3 * MINUTE
    assert outage.detected_at == T0 + 5 * MINUTE
    circuit.refresh_from_db()
    assert circuit.state == CircuitState.DOWN

    # A fault ticket of the service desk carries the 2.2 clock from the first failure.
    ticket = Ticket.objects.get(pk=outage.ticket_id)
    assert ticket.kind == "fault" and ticket.affected_circuit == circuit.circuit_id
    assert ticket.reported_at == outage.started_at
    assert outage.obligation.clause == "2.2"
    assert outage.obligation.trigger_at == T0 + 3 * MINUTE
    assert outage.obligation.due_at == T0 + 3 * MINUTE + timedelta(hours=24)
    told = InboxMessage.objects.filter(source=f"circuits:outage:{outage.pk}:open")
    assert {"a-admin", "p-admin"} <= set(told.values_list("recipient__user__username", flat=True))

    # Still down: nothing new opens.
    _record(circuit, T0 + 6 * MINUTE, False)
    assert Outage.objects.count() == 1
    # The first success closes it, with its duration; 2.2 is met at that moment.
    _record(circuit, T0 + 7 * MINUTE, True)
    outage.refresh_from_db()
    assert outage.ended_at == T0 + 7 * MINUTE
    assert outage.duration_seconds == 4 * 60
    outage.obligation.refresh_from_db()
    assert outage.obligation.state == ObligationState.MET
    assert outage.obligation.met_at == T0 + 7 * MINUTE
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolved_at == T0 + 7 * MINUTE

    with pytest.raises(DomainError) as stale:
        _record(circuit, T0 + 6 * MINUTE, True)
    assert stale.value.code == "stale_probe"


def test_an_outage_past_24_hours_breaches_2_2(world):
    circuit = circuits_for(world)[2]
    for n in range(3):
        _record(circuit, T0 + n * MINUTE, False)
    _record(circuit, T0 + timedelta(hours=30), True)
    outage = Outage.objects.get()
    outage.obligation.refresh_from_db()
    assert outage.obligation.state == ObligationState.BREACHED
    assert outage.obligation.met_at == T0 + timedelta(hours=30)


def test_availability_of_a_month_with_one_three_hour_outage(world, settings):
    circuit = circuits_for(world)[0]
    start = datetime(2026, 10, 14, 2, 0, tzinfo=SHANGHAI)
    for n in range(3):
        _record(circuit, start + n * MINUTE, False)
    _record(circuit, start + timedelta(hours=3), True)
    with time_machine.travel(datetime(2026, 11, 5, tzinfo=SHANGHAI), tick=False):
        october = availability(circuit, year=2026, month=10)
        # 31 days = 744 h; (744 − 3) / 744 = 99.597 %.
        assert october.period_seconds == 744 * 3600
        assert october.down_seconds == 3 * 3600
        assert october.percent == Decimal("99.597")
        assert october.complete
        september = availability(circuit, year=2026, month=9)
        assert september.percent == Decimal("100.000")
        # November so far: four days, no outage.
        november = availability(circuit, year=2026, month=11)
        assert november.period_seconds == 4 * 24 * 3600 and not november.complete
        months = availability_months(circuit)
        assert months[0].label == "2026-11" and months[-1].label == "2024-01"
        assert len(months) == 35


def test_an_outage_across_midnight_of_the_month_counts_in_each_month(world):
    circuit = circuits_for(world)[3]
    start = datetime(2026, 9, 30, 23, 0, tzinfo=SHANGHAI)
    for n in range(3):
        _record(circuit, start + n * MINUTE, False)
    _record(circuit, start + timedelta(hours=2), True)
    with time_machine.travel(datetime(2026, 11, 1, tzinfo=SHANGHAI), tick=False):
        assert availability(circuit, year=2026, month=9).down_seconds == 3600
        assert availability(circuit, year=2026, month=10).down_seconds == 3600


def test_hourly_rollups_and_raw_purge(world, settings):
    settings.CIRCUITS_RAW_KEEP_DAYS = 2
    circuit = circuits_for(world)[0]
    for n in range(120):  # two hours at one probe a minute, every tenth lost
        _record(circuit, T0 + n * MINUTE, n % 10 != 0)
    with time_machine.travel(T0 + timedelta(hours=2, minutes=30), tick=False):
        assert probes_rollup() == 2
    hours = list(ProbeHour.objects.filter(circuit=circuit))
    assert [(h.probes, h.failures) for h in hours] == [(60, 6), (60, 6)]
    assert hours[0].hour == T0
    later = T0 + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        probes_rollup()
    assert not ProbeResult.objects.filter(circuit=circuit).exists()
    assert ProbeHour.objects.filter(circuit=circuit).count() == 2


def test_tcp_probe_counts_a_refusal_as_reachable():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        # Bound but not listening: the kernel answers with a reset.
        outcome = tcp_probe("127.0.0.1", port, timeout=1)
    assert outcome.ok and outcome.error == "refused"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert tcp_probe("127.0.0.1", server.getsockname()[1], timeout=1).ok


def test_configuration_is_the_providers(world):
    from django.core.exceptions import PermissionDenied

    circuit = circuits_for(world)[0]
    for user in (world.admin_a, world.auditor_a, world.other_provider_admin):
        with pytest.raises(PermissionDenied):
            circuit_configure(circuit=circuit, far_address="192.0.2.1", by=user)
    with pytest.raises(DomainError):
        circuit_configure(
            circuit=circuit, far_address="192.0.2.1", probe_port=None, by=world.engineer
        )


def test_icmp_where_ping_is_installed_tcp_otherwise(world):
    from yiyun.circuits.probes import icmp_available, probe

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        outcome = probe(method="icmp", address="127.0.0.1", port=port, timeout=1)
    assert outcome.ok
    circuit = circuits_for(world)[0]
    if icmp_available():
        circuit_configure(
            circuit=circuit, far_address="192.0.2.9", probe_method="icmp", by=world.engineer
        )
        assert probe(method="icmp", address="127.0.0.1", port=None, timeout=1).ok
    else:
        with pytest.raises(DomainError) as refused:
            circuit_configure(
                circuit=circuit, far_address="192.0.2.9", probe_method="icmp", by=world.engineer
            )
        assert refused.value.field == "probe_port"
