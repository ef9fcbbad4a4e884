"""Knobs of the cloud app. Each is a Django setting when defined, else an environment
variable, else the default here.

| setting / environment variable | default | what |
|---|---|---|
| `CLOUD_SAMPLE_SECONDS` / `YIYUN_CLOUD_SAMPLE_SECONDS` | 300 | expected seconds between usage samples (the worker job's interval) |
| `CLOUD_SAMPLE_MAX_GAP` / `YIYUN_CLOUD_SAMPLE_MAX_GAP` | 2 × sample seconds | a longer gap between two samples breaks a "sustained" run (2.7.4): without samples nothing is proven |
| `CLOUD_SAMPLE_KEEP_DAYS` / `YIYUN_CLOUD_SAMPLE_KEEP_DAYS` | 400 | usage samples older than this are deleted |
"""

import os

from django.conf import settings


def _int(setting: str, variable: str, default: int) -> int:
    value = getattr(settings, setting, None) or os.environ.get(variable)
    return int(value) if value else default


def sample_seconds() -> int:
    return _int("CLOUD_SAMPLE_SECONDS", "YIYUN_CLOUD_SAMPLE_SECONDS", 300)


def sample_max_gap() -> int:
    return _int("CLOUD_SAMPLE_MAX_GAP", "YIYUN_CLOUD_SAMPLE_MAX_GAP", 2 * sample_seconds())


def sample_keep_days() -> int:
    return _int("CLOUD_SAMPLE_KEEP_DAYS", "YIYUN_CLOUD_SAMPLE_KEEP_DAYS", 400)
