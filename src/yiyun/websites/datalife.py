"""The websites app's part of the end-of-service export and purge (6.5, see datalife.hooks).

The customer gets back its websites register and every access-log file as it is in the
archive (Parquet: the lines, their parse flags and raw text). The purge then deletes the
access logs, their coverage counts and the platform's copies of lawful exports, except
the days a legal hold still covers: those are kept, and the deletion record says so.
The manifest chain and the export records stay, as evidence of what was done.
"""

import json
import shutil
from datetime import date
from pathlib import Path

from django.utils.translation import gettext as _

from yiyun.websites import archive
from yiyun.websites.choices import RemoveReason
from yiyun.websites.conf import archive_dir
from yiyun.websites.models import ArchiveFile, DailyCoverage, LogExport, Website


def export_for(organisation) -> list[tuple[str, bytes | Path]]:
    """websites.json (the register and its filings) and every live access-log file."""
    websites = list(Website.objects.filter(organisation=organisation).prefetch_related("filings"))
    register = [
        {
            "domain": website.domain,
            "name": website.name,
            "status": website.status,
            "retention_days": website.retention_days,
            "log_format": website.log_format,
            "filings": [
                {
                    "kind": filing.kind,
                    "number": filing.number,
                    "authority": filing.authority,
                    "issued_on": filing.issued_on,
                    "valid_until": filing.valid_until,
                }
                for filing in website.filings.all()
            ],
        }
        for website in websites
    ]
    members: list[tuple[str, bytes | Path]] = [
        ("websites.json", json.dumps(register, ensure_ascii=False, indent=2, default=str).encode())
    ]
    base = archive.archive_root()
    for f in ArchiveFile.objects.filter(
        website__in=websites, removed_at__isnull=True
    ).select_related("website"):
        # "<website id>/<YYYY-MM>/<name>" under the website's domain, which the customer knows.
        members.append((f"accesslogs/{f.website.domain}/{f.path.split('/', 1)[1]}", base / f.path))
    return members


def purge_for(organisation) -> list[dict]:
    """Delete the organisation's access logs (but days under a legal hold), their
    coverage counts and the stored copies of lawful exports. Idempotent."""
    # Lines still in the spool would land in the archive after the purge: archive them now.
    archive.compact(idle_seconds=None)
    websites = list(Website.objects.filter(organisation=organisation))
    rows = held_days = 0
    for website in websites:
        holds = list(website.holds.filter(released_at__isnull=True))
        days = archive.live_days(website=website, last=date.max)
        kept = [day for day in days if any(hold.covers(day) for hold in holds)]
        held_days += len(kept)
        purge = sorted(set(days) - set(kept))
        if purge:
            deleted = archive.expire_days(website=website, days=purge, reason=RemoveReason.PURGED)
            rows += sum(deleted.values())
    coverage, _detail = DailyCoverage.objects.filter(website__in=websites).delete()
    copies = 0
    for export in LogExport.objects.filter(website__in=websites):
        for directory in {archive_dir() / "exports" / f["dir"] for f in export.files}:
            if directory.exists():
                shutil.rmtree(directory)
                copies += 1
    left = ArchiveFile.objects.filter(website__in=websites, removed_at__isnull=True).count()
    items = [
        {
            "what": _("网站访问日志 %(rows)d 行") % {"rows": rows},
            "where": str(archive.archive_root()),
            "count": rows,
            "verified": _("仍在归档中的文件 %(count)d 个（均为法律保全的日期）") % {"count": left}
            if held_days
            else _("归档中已无该单位的文件"),
        },
        {
            "what": _("访问日志按日统计 %(count)d 条") % {"count": coverage},
            "where": "websites_dailycoverage",
            "count": coverage,
            "verified": _("按单位查询结果为 0 条"),
        },
        {
            "what": _("依法调取导出文件的平台副本 %(count)d 份") % {"count": copies},
            "where": str(archive_dir() / "exports"),
            "count": copies,
            "verified": _("导出目录已不存在；导出记录与哈希保留为证据"),
        },
    ]
    if held_days:
        items.append(
            {
                "what": _("因法律保全未删除：%(days)d 天的访问日志") % {"days": held_days},
                "where": str(archive.archive_root()),
                "count": held_days,
                "verified": _("保全解除后由保存期限到期删除"),
            }
        )
    return items
