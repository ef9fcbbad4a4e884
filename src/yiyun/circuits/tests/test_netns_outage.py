"""A real circuit going down and up: two network namespaces joined by a veth pair, a TCP
listener at the far end, the probe runner probing from the near end.

Traffic stays between the two namespaces this test creates (10.213.0.0/30): nothing
leaves them. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2; without them the
test is skipped, except on CI (CI=true), where that is a failure.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

import pytest
import time_machine

from yiyun.circuits.choices import CircuitState
from yiyun.circuits.models import Outage
from yiyun.circuits.probes import probe
from yiyun.circuits.services import circuit_configure, probe_run
from yiyun.circuits.tests.factories import circuits_for
from yiyun.core.clock import SHANGHAI
from yiyun.obligations.choices import ObligationState
from yiyun.servicedesk.models import Ticket

NEAR_ADDRESS, FAR_ADDRESS, PREFIX = "10.213.0.1", "10.213.0.2", 30
PORT = 8080
T0 = datetime(2026, 10, 21, 14, 0, tzinfo=SHANGHAI)


def _capable() -> str:
    """Why the namespaces cannot be built here, or "" when they can."""
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    return ""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def _until(condition, what: str, seconds: float = 15.0) -> None:
    """Wait for the kernel or a process to get ready (not for a deadline)."""
    limit = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > limit:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Pair:
    """Two namespaces joined by a veth pair, names unique to this run."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.near, self.far = f"yy-near-{tag}", f"yy-far-{tag}"
        self.near_if, self.far_if = f"yyn{tag}", f"yyf{tag}"  # ≤ 15 characters
        self.listener: subprocess.Popen | None = None

    def build(self) -> None:
        _ip("netns", "add", self.near)
        _ip("netns", "add", self.far)
        _ip(
            "link", "add", self.near_if, "netns", self.near,
            "type", "veth", "peer", "name", self.far_if, "netns", self.far,
        )  # fmt: skip
        _ip("-n", self.near, "addr", "add", f"{NEAR_ADDRESS}/{PREFIX}", "dev", self.near_if)
        _ip("-n", self.far, "addr", "add", f"{FAR_ADDRESS}/{PREFIX}", "dev", self.far_if)
        for namespace, interface in ((self.near, self.near_if), (self.far, self.far_if)):
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "link", "set", interface, "up")
        self.listener = subprocess.Popen(  # noqa: S603 — our own interpreter, fixed arguments
            [
                "ip", "netns", "exec", self.far,
                sys.executable, "-m", "http.server", "--bind", FAR_ADDRESS, str(PORT),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def far_link(self, state: str) -> None:
        _ip("-n", self.far, "link", "set", self.far_if, state)

    def reachable(self) -> bool:
        return probe(method="tcp", address=FAR_ADDRESS, port=PORT, timeout=0.3, netns=self.near).ok

    def tear_down(self) -> None:
        if self.listener is not None:
            self.listener.terminate()
            try:
                self.listener.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.listener.kill()
        for namespace in (self.near, self.far):
            # Deleting a namespace deletes the veth end inside it, and so the pair.
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=20)


@pytest.fixture
def pair():
    reason = _capable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the namespace outage test, but: {reason}")
        pytest.skip(
            f"network namespaces need root and iproute2 ({reason}); run as root or with CI=true"
        )
    built = Pair()
    try:
        built.build()
        _until(built.reachable, "the far-end listener")
        yield built
    finally:
        built.tear_down()
        leftover = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert built.near not in leftover and built.far not in leftover


def test_clause_2_2_namespace_link_down_opens_an_outage_from_the_first_failed_probe(
    world, pair, settings
):
    settings.CIRCUITS_PROBE_TIMEOUT = 0.5
    circuit = circuits_for(world)[0]
    circuit = circuit_configure(
        circuit=circuit,
        far_address=FAR_ADDRESS,
        probe_port=PORT,
        probe_netns=pair.near,
        probe_interval=60,
        failures_to_open=3,
        by=world.provider_admin,
    )

    def round_at(moment):
        with time_machine.travel(moment, tick=False):
            return {result.circuit_id: result for result in probe_run(now=moment)}

    assert round_at(T0)[circuit.pk].ok
    circuit.refresh_from_db()
    assert circuit.state == CircuitState.UP

    pair.far_link("down")
    _until(lambda: not pair.reachable(), "the link to go down")
    for minute in (1, 2, 3):
        result = round_at(T0 + timedelta(minutes=minute))[circuit.pk]
        assert not result.ok and result.error == "timeout"
    outage = Outage.objects.get(circuit=circuit)
    assert outage.started_at == T0 + timedelta(minutes=1)  # the first failed probe
    assert outage.detected_at == T0 + timedelta(minutes=3)
    assert outage.ended_at is None
    ticket = Ticket.objects.get(pk=outage.ticket_id)
    assert ticket.kind == "fault" and ticket.reported_at == T0 + timedelta(minutes=1)
    assert outage.obligation.clause == "2.2"
    assert outage.obligation.due_at == T0 + timedelta(minutes=1, hours=24)

    pair.far_link("up")
    _until(pair.reachable, "the link to come back")
    assert round_at(T0 + timedelta(minutes=4))[circuit.pk].ok
    outage.refresh_from_db()
    assert outage.ended_at == T0 + timedelta(minutes=4)  # the first successful probe
    assert outage.duration_seconds == 180
    outage.obligation.refresh_from_db()
    assert outage.obligation.state == ObligationState.MET
    circuit.refresh_from_db()
    assert circuit.state == CircuitState.UP
