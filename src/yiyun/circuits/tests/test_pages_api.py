"""Circuit pages and API: availability per month, outages, the provider's settings."""

from datetime import datetime, timedelta

import time_machine

from yiyun.circuits.services import probe_record
from yiyun.circuits.tests.factories import circuits_for
from yiyun.core.clock import SHANGHAI


def _three_hour_outage(circuit):
    start = datetime(2026, 10, 14, 2, 0, tzinfo=SHANGHAI)
    for n in range(3):
        at = start + timedelta(minutes=n)
        with time_machine.travel(at, tick=False):
            probe_record(circuit=circuit, at=at, ok=False)
    end = start + timedelta(hours=3)
    with time_machine.travel(end, tick=False):
        probe_record(circuit=circuit, at=end, ok=True)


@time_machine.travel(datetime(2026, 11, 3, 12, 0, tzinfo=SHANGHAI), tick=False)
def test_monthly_availability_on_the_page_and_in_the_api(world, login):
    circuit = circuits_for(world)[0]
    _three_hour_outage(circuit)
    client = login(world.admin_a)
    listing = client.get("/circuits/?month=2026-10").content.decode()
    assert "99.597 %" in listing and circuit.z_end.name in listing
    detail = client.get(f"/circuits/{circuit.pk}/").content.decode()
    assert "99.597 %" in detail and "180 分钟" in detail
    api = client.get(f"/api/circuits/{circuit.pk}/availability?month=2026-10").json()
    assert api == [
        {
            "month": "2026-10",
            "start": "2026-10-01T00:00:00+08:00",
            "end": "2026-11-01T00:00:00+08:00",
            "period_seconds": 744 * 3600,
            "down_seconds": 3 * 3600,
            "outages": 1,
            "complete": True,
            "availability_percent": "99.597",
        }
    ]
    months = client.get(f"/api/circuits/{circuit.pk}/availability").json()
    assert months[0]["month"] == "2026-11" and not months[0]["complete"]
    outages = client.get(f"/api/circuits/{circuit.pk}/outages").json()
    assert outages[0]["duration_seconds"] == 3 * 3600 and outages[0]["obligation_state"] == "met"
    assert client.get(f"/api/circuits/{circuit.pk}/availability?month=2026-13").status_code == 400


def test_only_the_provider_configures_probes(world, login):
    circuit = circuits_for(world)[0]
    data = {
        "circuit_id": "AKS-P2P-0001",
        "far_address": "192.0.2.7",
        "probe_method": "tcp",
        "probe_port": "22",
        "probe_enabled": "on",
    }
    customer = login(world.admin_a).post(f"/circuits/{circuit.pk}/configure/", data, follow=True)
    assert "只有服务方" in customer.content.decode()
    circuit.refresh_from_db()
    assert circuit.far_address is None
    login(world.engineer).post(f"/circuits/{circuit.pk}/configure/", data)
    circuit.refresh_from_db()
    assert (circuit.circuit_id, circuit.far_address, circuit.probe_port) == (
        "AKS-P2P-0001",
        "192.0.2.7",
        22,
    )
    assert (
        login(world.auditor_a).post(f"/circuits/{circuit.pk}/configure/", data).status_code == 403
    )
    assert "电路" in login(world.admin_a).get("/").content.decode()
