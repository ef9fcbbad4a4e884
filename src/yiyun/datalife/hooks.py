"""How other apps put their customer data into the end-of-service export and purge (6.5).

An app lists dotted paths on its AppConfig:

    class ServicedeskConfig(AppConfig):
        export_hooks = ["yiyun.servicedesk.datalife.export_for"]
        purge_hooks = ["yiyun.servicedesk.datalife.purge_for"]

`export_hooks`: `f(organisation) -> list[tuple[str, bytes | Path]]` — files (name
relative to the app's folder in the archive, content or a file to copy) that carry the
organisation's data the app holds. They go into the archive under `records/<app label>/`
and into its manifest.

`purge_hooks`: `f(organisation) -> dict | list[dict]` — delete everything of the
organisation's business data the app holds (rows, files, caches) and say what went, one
dict per kind of thing:

    {"what": "工单 12 条、附件 30 个",           # required: what was deleted
     "where": "数据库表 servicedesk_ticket；var/attachments/org-3",
     "count": 42,
     "verified": "按单位查询结果为 0 条"}         # how the app checked nothing is left

A purge hook must be idempotent (a purge that failed half-way is run again on the next
worker pass, hooks included) and raise to fail the purge; the deletion record (6.6) lists
each dict it returned, with the app's label. Records kept as evidence of the contract's
performance (the disclosure register, the deletion record itself) are not business data
and are not purged; the audit log is kept too, but the purge deletes the data of the
customer's entries itself (`core.audit.audit_redact`), so hooks need not.
"""

from django.utils.module_loading import import_string

from yiyun.core.apps_registry import yiyun_apps


def _hooks(attribute: str) -> list[tuple[str, object]]:
    return [
        (config.label, import_string(path))
        for config in yiyun_apps()
        for path in getattr(config, attribute, [])
    ]


def export_hooks() -> list[tuple[str, object]]:
    """[(app label, callable)] of every app's `export_hooks`."""
    return _hooks("export_hooks")


def purge_hooks() -> list[tuple[str, object]]:
    """[(app label, callable)] of every app's `purge_hooks`."""
    return _hooks("purge_hooks")


def purge_descriptions(label: str, result) -> list[dict]:
    """A hook's return value as a list of item dicts, each naming the app."""
    items = result if isinstance(result, list) else [result] if result else []
    clean = []
    for item in items:
        if not isinstance(item, dict) or not item.get("what"):
            raise ValueError(f"purge hook of {label} returned {item!r}: a dict with 'what'")
        clean.append({"app": label, **{k: item[k] for k in item if k != "app"}})
    return clean
