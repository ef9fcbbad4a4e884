"""The probe runner inside `yiyun worker`, and the command-line entries."""

import json
import socket
from datetime import datetime, timedelta

import time_machine
from django.core.management import call_command
from django.utils.module_loading import import_string

from yiyun.circuits.models import ProbeHour, ProbeResult
from yiyun.circuits.services import circuit_configure, probe_due
from yiyun.circuits.tests.factories import circuits_for
from yiyun.core.apps_registry import periodic_jobs
from yiyun.core.clock import SHANGHAI

T0 = datetime(2026, 10, 22, 8, 0, tzinfo=SHANGHAI)


def test_the_worker_runs_the_probes_at_their_interval(world, capsys):
    jobs = dict(periodic_jobs())
    for path in (
        "yiyun.circuits.services.probe_due",
        "yiyun.circuits.services.probes_rollup",
        "yiyun.circuits.services.circuits_sync_all",
        "yiyun.cloud.services.usage_collect_all",
    ):
        assert path in jobs and callable(import_string(path))
    circuit = circuits_for(world)[0]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        circuit_configure(
            circuit=circuit,
            far_address="127.0.0.1",
            probe_port=listener.getsockname()[1],
            probe_interval=60,
            by=world.provider_admin,
        )
        with time_machine.travel(T0, tick=False):
            assert probe_due() == 1
            assert probe_due() == 0  # not due again before its interval
        with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
            assert probe_due() == 0
        with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
            call_command("circuits", "probe")
    assert f"{circuit.circuit_id}\tok" in capsys.readouterr().out
    assert ProbeResult.objects.filter(circuit=circuit, ok=True).count() == 2

    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        call_command("circuits", "rollup")
    assert ProbeHour.objects.get(circuit=circuit).probes == 2
    capsys.readouterr()
    call_command("circuits", "availability", "--month", "2026-10")
    rows = json.loads(capsys.readouterr().out)
    assert {row["circuit"] for row in rows} >= {circuit.circuit_id}
