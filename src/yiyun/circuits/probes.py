"""Probing a circuit's far end: TCP connect, or ICMP through the `ping` binary.

ICMP needs a raw socket, which an unprivileged process does not get; Debian's `ping`
(iputils-ping) has the capability, so ICMP probes run it when it is installed. Otherwise
probes connect over TCP. A TCP refusal (RST) means the far device answered: the path is
up. Timeouts and "network unreachable" are failures.

A probe may run inside a network namespace of the worker's host (`netns`, a name under
/run/netns/, as `ip netns` makes them): the probe enters it in a thread of its own that
ends after the probe, so no other code ever runs in that namespace.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass

from yiyun.circuits.choices import ProbeMethod

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_RTT = re.compile(r"time[=<]([\d.]+)\s*ms")


@dataclass(frozen=True)
class ProbeOutcome:
    ok: bool
    rtt_us: int | None = None
    error: str = ""


def tcp_probe(address: str, port: int, timeout: float) -> ProbeOutcome:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.monotonic()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except ConnectionRefusedError:
            # The far end answered with a reset: reachable.
            return ProbeOutcome(True, _elapsed_us(started), "refused")
        except TimeoutError:
            return ProbeOutcome(False, None, "timeout")
        except OSError as exc:
            return ProbeOutcome(False, None, errno.errorcode.get(exc.errno, "oserror").lower())
    return ProbeOutcome(True, _elapsed_us(started))


def icmp_available() -> bool:
    return shutil.which("ping") is not None


def icmp_probe(address: str, timeout: float) -> ProbeOutcome:
    ping = shutil.which("ping")
    if ping is None:
        return ProbeOutcome(False, None, "no_ping")
    wait = max(1, round(timeout))
    result = subprocess.run(  # noqa: S603 — fixed binary, an address checked by the model
        [ping, "-n", "-c", "1", "-W", str(wait), address],
        capture_output=True,
        text=True,
        timeout=wait + 2,
        check=False,
    )
    if result.returncode != 0:
        return ProbeOutcome(False, None, "no_reply")
    match = _RTT.search(result.stdout)
    return ProbeOutcome(True, round(float(match.group(1)) * 1000) if match else None)


def _elapsed_us(started: float) -> int:
    return round((time.monotonic() - started) * 1_000_000)


def _enter_netns(name: str) -> None:
    """Move the calling thread into network namespace `name` (needs CAP_SYS_ADMIN)."""
    if not _NAME.match(name):
        raise OSError(errno.EINVAL, f"bad namespace name {name!r}")
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
    finally:
        os.close(fd)


def probe(
    *, method: str, address: str, port: int | None, timeout: float, netns: str = ""
) -> ProbeOutcome:
    """Probe `address` once with `method` (from namespace `netns` when given)."""

    def run() -> ProbeOutcome:
        # ICMP where allowed (a `ping` binary is there), TCP connect otherwise.
        if method == ProbeMethod.ICMP and (icmp_available() or not port):
            return icmp_probe(address, timeout)
        if not port:
            return ProbeOutcome(False, None, "no_port")
        return tcp_probe(address, port, timeout)

    if not netns:
        return run()
    box: dict[str, ProbeOutcome] = {}

    def in_namespace() -> None:
        # A fresh thread, never a pooled one: it stays in the namespace until it ends.
        try:
            _enter_netns(netns)
        except OSError as exc:
            box["outcome"] = ProbeOutcome(
                False, None, f"netns_{errno.errorcode.get(exc.errno, 'error').lower()}"
            )
            return
        box["outcome"] = run()

    thread = threading.Thread(target=in_namespace, name=f"probe-{netns}", daemon=True)
    thread.start()
    thread.join(timeout + 10)
    return box.get("outcome", ProbeOutcome(False, None, "stuck"))
