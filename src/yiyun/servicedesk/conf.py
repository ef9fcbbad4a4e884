"""The service desk's settings, each with a default (a Django setting overrides it).

| setting | default | what |
|---|---|---|
| `SERVICEDESK_ATTACHMENT_MAX_BYTES` | 10 MiB | largest file one upload may be |
| `SERVICEDESK_ATTACHMENT_TYPES` | pdf png jpg jpeg docx xlsx txt zip | file name extensions accepted; the content must match the extension |
| `SERVICEDESK_ESCALATION_RESCAN` | 500 | obligation events looked at again on each escalation run, so one committed late is not missed |

Attachments are stored under `settings.MEDIA_ROOT/servicedesk/` and served only through
the scoped download view, never by a static file server.
"""

from django.conf import settings

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TYPES = ("pdf", "png", "jpg", "jpeg", "docx", "xlsx", "txt", "zip")

# Extension → (content type, the bytes the file must start with; None: checked as text).
CONTENT_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "zip": ("application/zip", (b"PK\x03\x04", b"PK\x05\x06")),
    "txt": ("text/plain; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", None),
}


def attachment_max_bytes() -> int:
    return int(getattr(settings, "SERVICEDESK_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def attachment_types() -> tuple[str, ...]:
    types = getattr(settings, "SERVICEDESK_ATTACHMENT_TYPES", DEFAULT_TYPES)
    return tuple(kind.lower().lstrip(".") for kind in types)


def escalation_rescan() -> int:
    return int(getattr(settings, "SERVICEDESK_ESCALATION_RESCAN", 500))
