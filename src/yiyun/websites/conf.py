"""Where the access-log archive lives, and the knobs of ingest and compaction.

Every value is a Django setting with a default here, so tests override them with
`override_settings` and an operator with environment variables.
"""

import os
from pathlib import Path

from django.conf import settings

# 网络安全法 art. 21: network logs kept at least six months.
DEFAULT_RETENTION_DAYS = 180
# 互联网信息服务管理办法 art. 14: records kept 60 days; never configurable below.
MIN_RETENTION_DAYS = 60


def archive_dir() -> Path:
    """The root of spool, archive and exports (`ACCESSLOG_DIR`, env YIYUN_ACCESSLOG_DIR)."""
    configured = getattr(settings, "ACCESSLOG_DIR", None) or os.environ.get("YIYUN_ACCESSLOG_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "accesslogs"


def setting(name: str, default):
    return getattr(settings, name, default)


def segment_max_bytes() -> int:
    """A writer starts a new spool segment past this size."""
    return int(setting("ACCESSLOG_SEGMENT_BYTES", 64 << 20))


def seal_after_seconds() -> float:
    """The compactor takes over an open segment untouched for this long."""
    return float(setting("ACCESSLOG_SEAL_AFTER", 30))


def listen_config() -> dict:
    """Ports for `yiyun worker` to start the listener on; empty: the worker does not.

    `ACCESSLOG_LISTEN = {"host": "0.0.0.0", "udp": 5514, "tcp": 5514, "http": 8514}` or
    env YIYUN_ACCESSLOG_LISTEN="udp=5514,tcp=5514,http=8514,host=0.0.0.0".
    """
    configured = setting("ACCESSLOG_LISTEN", None)
    if configured is not None:
        return dict(configured)
    raw = os.environ.get("YIYUN_ACCESSLOG_LISTEN", "")
    config: dict = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        key, _sep, value = part.partition("=")
        config[key] = value if key == "host" else int(value)
    return config
