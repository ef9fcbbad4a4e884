"""Where the data lifecycle keeps things, and the secret restic needs.

Each value is a Django setting when one is defined, else an environment variable, else
a default under `settings.VAR_DIR`:

| setting / environment variable | default | what |
|---|---|---|
| `DATALIFE_RESTIC_REPOSITORY` / `YIYUN_BACKUP_REPOSITORY` | `VAR_DIR/backups` | base of the restic repositories; each organisation has its own `<base>/org-<id>`. An S3-compatible base (`s3:https://minio.example:9000/yiyun`) works with restic's own variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`) in the environment. |
| `DATALIFE_DATA_ROOT` / `YIYUN_CUSTOMER_DATA` | `VAR_DIR/customer-data` | the customers' online data sets: `<root>/org-<id>/<data set path>` |
| `DATALIFE_WORK_DIR` / `YIYUN_DATALIFE_DIR` | `VAR_DIR/datalife` | restic caches, staging copies, restore scratch space, manifests, export archives |
| `RESTIC_PASSWORD` (environment only) | a random password generated once into `<work dir>/restic-password` (mode 0600) | the repositories' key. Never committed, never logged; losing it loses the backups, so an operator copies it somewhere safe (docs). |
| `DATALIFE_RESTIC_BINARY` / `YIYUN_RESTIC` | `restic` (Debian package) | the binary |
"""

import os
import secrets
from pathlib import Path

from django.conf import settings


def _value(setting: str, variable: str, default) -> str:
    return str(getattr(settings, setting, None) or os.environ.get(variable) or default)


def repository_base() -> str:
    return _value(
        "DATALIFE_RESTIC_REPOSITORY", "YIYUN_BACKUP_REPOSITORY", settings.VAR_DIR / "backups"
    )


def repository_for(organisation_id: int) -> str:
    return f"{repository_base().rstrip('/')}/org-{organisation_id}"


def data_root() -> Path:
    return Path(
        _value("DATALIFE_DATA_ROOT", "YIYUN_CUSTOMER_DATA", settings.VAR_DIR / "customer-data")
    )


def organisation_data_dir(organisation_id: int) -> Path:
    return data_root() / f"org-{organisation_id}"


def work_dir() -> Path:
    return Path(_value("DATALIFE_WORK_DIR", "YIYUN_DATALIFE_DIR", settings.VAR_DIR / "datalife"))


def restic_binary() -> str:
    return _value("DATALIFE_RESTIC_BINARY", "YIYUN_RESTIC", "restic")


def restic_password_env() -> dict[str, str]:
    """The variable restic reads its password from: RESTIC_PASSWORD when the operator set
    one, else RESTIC_PASSWORD_FILE naming the generated file."""
    if os.environ.get("RESTIC_PASSWORD"):
        return {"RESTIC_PASSWORD": os.environ["RESTIC_PASSWORD"]}
    path = work_dir() / "restic-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with 0600 from the start: the secret is never readable by others.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it a moment ago
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return {"RESTIC_PASSWORD_FILE": str(path)}
