"""Knobs of the circuit probes. Each is a Django setting when defined, else an
environment variable, else the default here.

| setting / environment variable | default | what |
|---|---|---|
| `CIRCUITS_PROBE_INTERVAL` / `YIYUN_PROBE_INTERVAL` | 60 | seconds between two probes of a circuit (a circuit may set its own) |
| `CIRCUITS_PROBE_TIMEOUT` / `YIYUN_PROBE_TIMEOUT` | 2 | seconds a probe waits for an answer |
| `CIRCUITS_FAILURES_TO_OPEN` / `YIYUN_PROBE_FAILURES` | 3 | consecutive failed probes that open an outage (a circuit may set its own) |
| `CIRCUITS_RAW_KEEP_DAYS` / `YIYUN_PROBE_KEEP_DAYS` | 14 | days raw probe results are kept; hourly roll-ups are kept for the service period |
| `CIRCUITS_PROBE_THREADS` / `YIYUN_PROBE_THREADS` | 8 | probes run at the same time |
"""

import os

from django.conf import settings


def _number(setting: str, variable: str, default: float) -> float:
    value = getattr(settings, setting, None) or os.environ.get(variable)
    return float(value) if value else default


def probe_interval() -> int:
    return int(_number("CIRCUITS_PROBE_INTERVAL", "YIYUN_PROBE_INTERVAL", 60))


def probe_timeout() -> float:
    return _number("CIRCUITS_PROBE_TIMEOUT", "YIYUN_PROBE_TIMEOUT", 2.0)


def failures_to_open() -> int:
    return int(_number("CIRCUITS_FAILURES_TO_OPEN", "YIYUN_PROBE_FAILURES", 3))


def raw_keep_days() -> int:
    return int(_number("CIRCUITS_RAW_KEEP_DAYS", "YIYUN_PROBE_KEEP_DAYS", 14))


def probe_threads() -> int:
    return int(_number("CIRCUITS_PROBE_THREADS", "YIYUN_PROBE_THREADS", 8))
