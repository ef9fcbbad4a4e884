"""Writes: websites, filings and permits (2.6), legal holds, and the access-log archive
(2.4): import, compaction, expiry and lawful export (6.3)."""

import logging
import re
import secrets
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import OrganisationKind
from yiyun.tenancy.selectors import can_manage, is_read_only
from yiyun.websites import archive
from yiyun.websites.choices import FilingKind, WebsiteStatus
from yiyun.websites.conf import DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS, archive_dir
from yiyun.websites.logformat import LineFormat
from yiyun.websites.models import Filing, LegalHold, LogExport, Website
from yiyun.websites.selectors import LogFilter, accesslog_relation_sql
from yiyun.websites.tokens import token_digest, token_file_write, token_new

log = logging.getLogger("yiyun.websites")

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
WEBSITE_FIELDS = {
    "name",
    "site",
    "contract",
    "business_system",
    "server",
    "status",
    "retention_days",
    "log_format",
    "online_since",
}


def _require_manage(by, organisation) -> None:
    """`by` a user: must manage `organisation` (auditors and members never write)."""
    if by is None or isinstance(by, str):
        return
    if is_read_only(by) or not can_manage(by, organisation):
        raise PermissionDenied(_("您无权修改该单位的网站。"))


def _clean_domain(domain: str) -> str:
    try:
        cleaned = domain.strip().rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        cleaned = ""
    if not _DOMAIN.match(cleaned):
        raise DomainError(_("“%(domain)s”不是有效的域名。") % {"domain": domain}, field="domain")
    return cleaned


def _check_retention(days) -> int:
    # 2.4 / 互联网信息服务管理办法 art. 14: never below 60 days.
    if days is None or int(days) < MIN_RETENTION_DAYS:
        raise DomainError(
            _(
                "访问日志保存期限不得少于 %(min)s 日（《互联网信息服务管理办法》第十四条）；"
                "默认 %(default)s 日满足《网络安全法》第二十一条“不少于六个月”的要求。"
            )
            % {"min": MIN_RETENTION_DAYS, "default": DEFAULT_RETENTION_DAYS},
            code="retention_below_minimum",
            field="retention_days",
        )
    return int(days)


def ingest_tokens_publish() -> None:
    """Rewrite the token file the listener and HTTP ingest authenticate from."""
    digests = dict(
        Website.objects.exclude(ingest_token_digest="")
        .exclude(status=WebsiteStatus.RETIRED)
        .values_list("ingest_token_digest", "pk")
    )
    token_file_write(digests)


@transaction.atomic
def website_create(
    *,
    organisation,
    domain: str,
    name: str,
    by,
    site=None,
    contract=None,
    business_system: str = "",
    server: str = "",
    online_since: datetime | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    log_format: str = "",
) -> Website:
    """Register a customer's website. Its ingest token is issued by `website_token_rotate`."""
    _require_manage(by, organisation)
    if organisation.kind != OrganisationKind.CUSTOMER:
        raise DomainError(_("网站登记在采购单位（甲方）名下。"), field="organisation")
    domain = _clean_domain(domain)
    if Website.objects.filter(domain=domain).exists():
        raise DomainError(_("域名 %(domain)s 已登记。") % {"domain": domain}, field="domain")
    if site is not None and site.organisation_id != organisation.pk:
        raise DomainError(_("站点不属于该单位。"), field="site")
    if contract is not None and contract.customer_id != organisation.pk:
        raise DomainError(_("合同的甲方不是该单位。"), field="contract")
    if contract is None:
        contract = _current_contract(organisation)
    LineFormat(log_format).check()
    now = clock.now()
    website = Website.objects.create(
        organisation=organisation,
        site=site,
        contract=contract,
        domain=domain,
        name=name.strip() or domain,
        business_system=business_system,
        server=server,
        online_since=online_since or now,
        retention_days=_check_retention(retention_days),
        log_format=log_format.strip(),
        created_at=now,
    )
    audit_record(
        actor=by,
        action="website.created",
        obj=website,
        organisation=organisation,
        data={"domain": domain, "retention_days": website.retention_days},
    )
    return website


def _current_contract(organisation):
    from yiyun.contracts.choices import ContractStatus
    from yiyun.contracts.models import Contract

    return (
        Contract.objects.filter(customer=organisation, status=ContractStatus.ACTIVE)
        .order_by("-start")
        .first()
    )


@transaction.atomic
def website_update(*, website: Website, by, **changes) -> Website:
    """Change a website's details, retention (never below 60 days) or log format."""
    _require_manage(by, website.organisation)
    unknown = set(changes) - WEBSITE_FIELDS
    if unknown:
        raise DomainError(f"cannot change {', '.join(sorted(unknown))}")
    if "retention_days" in changes:
        changes["retention_days"] = _check_retention(changes["retention_days"])
    if "log_format" in changes:
        changes["log_format"] = (changes["log_format"] or "").strip()
        LineFormat(changes["log_format"]).check()
    site = changes.get("site")
    if site is not None and site.organisation_id != website.organisation_id:
        raise DomainError(_("站点不属于该单位。"), field="site")
    contract = changes.get("contract")
    if contract is not None and contract.customer_id != website.organisation_id:
        raise DomainError(_("合同的甲方不是该单位。"), field="contract")
    if "status" in changes and changes["status"] not in WebsiteStatus.values:
        raise DomainError(_("未知状态。"), field="status")
    before = {field: getattr(website, field) for field in changes}
    if changes.get("status") and changes["status"] != website.status:
        # Gaps count only while the site is up (coverage report).
        if changes["status"] == WebsiteStatus.ONLINE:
            website.offline_since = None
        elif website.offline_since is None:
            website.offline_since = clock.now()
    for field, value in changes.items():
        setattr(website, field, value)
    website.save()
    changed = {
        field: [str(before[field]), str(value)]
        for field, value in changes.items()
        if before[field] != value
    }
    if changed:
        action = "website.retention_changed" if "retention_days" in changed else "website.updated"
        audit_record(
            actor=by, action=action, obj=website, organisation=website.organisation, data=changed
        )
    if "status" in changed:
        ingest_tokens_publish()
    return website


@transaction.atomic
def website_token_rotate(*, website: Website, by) -> str:
    """Issue a new ingest token (the old one stops working); returns it, shown once."""
    _require_manage(by, website.organisation)
    token = token_new(website.pk)
    website.ingest_token_digest = token_digest(token)
    website.ingest_token_prefix = token[: token.index("_") + 4]
    website.save(update_fields=["ingest_token_digest", "ingest_token_prefix"])
    audit_record(
        actor=by,
        action="website.token_rotated",
        obj=website,
        organisation=website.organisation,
        data={"prefix": website.ingest_token_prefix},
    )
    ingest_tokens_publish()
    return token


# -- filings and permits (2.6) -------------------------------------------------------


def filing_expires_at(valid_until: date) -> datetime:
    """24:00 of the last day of validity (Civil Code art. 203)."""
    return datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def _open_renewal(filing: Filing, by) -> None:
    """2.6: renew before the filing or permit expires; reminders 30 and 7 days before."""
    website = filing.website
    if filing.valid_until is None or website.contract_id is None:
        return
    expires = filing_expires_at(filing.valid_until)
    now = clock.now()
    if expires <= now:
        return
    from yiyun.obligations.services import obligation_open

    filing.obligation = obligation_open(
        contract=website.contract,
        clause="2.6",
        subject=filing,
        trigger_at=now,
        due_at=expires,
        note=f"{website.domain} {filing.get_kind_display()} {filing.number}",
        by=by,
    )
    filing.save(update_fields=["obligation"])


@transaction.atomic
def filing_add(
    *,
    website: Website,
    kind: str,
    number: str,
    by,
    authority: str = "",
    issued_on: date | None = None,
    valid_until: date | None = None,
    note: str = "",
) -> Filing:
    """Record a filing (备案号) or permit of `website`; with an end date, the duty to renew
    it before then is opened in the obligations engine (2.6)."""
    _require_manage(by, website.organisation)
    if kind not in FilingKind.values:
        raise DomainError(_("未知的备案/许可类别。"), field="kind")
    number = number.strip()
    if not number:
        raise DomainError(_("请填写备案号或许可证号。"), field="number")
    if issued_on and valid_until and valid_until < issued_on:
        raise DomainError(_("有效期不能早于发证日期。"), field="valid_until")
    filing = Filing.objects.create(
        website=website,
        kind=kind,
        number=number,
        authority=authority.strip(),
        issued_on=issued_on,
        valid_until=valid_until,
        note=note,
        created_at=clock.now(),
    )
    _open_renewal(filing, by)
    audit_record(
        actor=by,
        action="website.filing_added",
        obj=filing,
        organisation=website.organisation,
        data={"kind": kind, "number": number, "valid_until": valid_until},
    )
    return filing


@transaction.atomic
def filing_renew(
    *,
    filing: Filing,
    number: str,
    valid_until: date | None,
    by,
    issued_on: date | None = None,
) -> Filing:
    """Record the renewed filing or permit: the old one is replaced and its renewal duty
    met (2.6); the new one gets its own."""
    _require_manage(by, filing.website.organisation)
    if filing.replaced_at is not None:
        raise DomainError(_("该备案/许可已被换发。"), field="filing")
    renewed = filing_add(
        website=filing.website,
        kind=filing.kind,
        number=number or filing.number,
        by=by,
        authority=filing.authority,
        issued_on=issued_on,
        valid_until=valid_until,
    )
    filing.replaced_at = clock.now()
    filing.save(update_fields=["replaced_at"])
    if filing.obligation is not None and filing.obligation.state == "open":
        from yiyun.obligations.services import obligation_meet

        obligation_meet(
            obligation=filing.obligation, by=by, evidence=f"{renewed.number} → {valid_until}"
        )
    return renewed


# -- legal holds ---------------------------------------------------------------------


@transaction.atomic
def legal_hold_place(
    *,
    website: Website,
    reason: str,
    by,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> LegalHold:
    """Suspend deletion of `website`'s logs for the days from..to (both empty: all)."""
    _require_manage(by, website.organisation)
    if not reason.strip():
        raise DomainError(_("请说明保全原因。"), field="reason")
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(_("截止日期不能早于起始日期。"), field="ends_on")
    hold = LegalHold.objects.create(
        website=website,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        placed_by=by if not isinstance(by, str) else None,
        placed_at=clock.now(),
    )
    audit_record(
        actor=by,
        action="website.hold_placed",
        obj=hold,
        organisation=website.organisation,
        data={"from": starts_on, "to": ends_on, "reason": hold.reason},
    )
    return hold


@transaction.atomic
def legal_hold_release(*, hold: LegalHold, by) -> LegalHold:
    """End a hold; the days it protected expire at the next run if past retention."""
    _require_manage(by, hold.website.organisation)
    if hold.released_at is None:
        hold.released_at = clock.now()
        hold.released_by = by if not isinstance(by, str) else None
        hold.save(update_fields=["released_at", "released_by"])
        audit_record(
            actor=by,
            action="website.hold_released",
            obj=hold,
            organisation=hold.website.organisation,
            data={"from": hold.starts_on, "to": hold.ends_on},
        )
    return hold


# -- the archive ---------------------------------------------------------------------


def accesslog_import(*, website: Website, path: Path, by) -> archive.CompactionResult:
    """`yiyun logs import`: a log file (plain or .gz) into the archive, exactly once."""
    _require_manage(by, website.organisation)
    result, added = archive.import_file(website=website, path=Path(path))
    if not added:
        raise DomainError(_("该文件已导入过。"), code="already_imported", field="path")
    audit_record(
        actor=by,
        action="accesslog.imported",
        obj=website,
        organisation=website.organisation,
        data={
            "file": Path(path).name,
            "lines": result.lines,
            "parse_errors": result.parse_errors,
        },
    )
    return result


def accesslog_compact(*, idle_seconds: float | None = None) -> archive.CompactionResult:
    """Move sealed spool segments into the archive (also seals segments idle that long)."""
    return archive.compact(idle_seconds=idle_seconds)


def expirable_days(*, website: Website, now: datetime | None = None) -> list[date]:
    """Days past `retention_days` and not under a legal hold."""
    today = clock.local(now or clock.now()).date()
    # Every line of a day is kept `retention_days` full days after that day ends.
    cutoff = today - timedelta(days=website.retention_days + 1)
    days = archive.live_days(website=website, last=cutoff)
    holds = list(website.holds.filter(released_at__isnull=True))
    return [day for day in days if not any(hold.covers(day) for hold in holds)]


def accesslog_expire(*, now: datetime | None = None) -> dict[str, list[date]]:
    """Delete the lines past each website's retention, except those under a hold."""
    expired: dict[str, list[date]] = {}
    for website in Website.objects.select_related("organisation"):
        days = expirable_days(website=website, now=now)
        if not days:
            continue
        deleted = archive.expire_days(website=website, days=days)
        if not deleted:
            continue
        expired[website.domain] = sorted(deleted)
        audit_record(
            actor="system",
            action="accesslog.expired",
            obj=website,
            organisation=website.organisation,
            data={
                "days": [day.isoformat() for day in sorted(deleted)],
                "rows": sum(deleted.values()),
                "retention_days": website.retention_days,
            },
        )
    return expired


_EXPORT_COLUMNS = """
  strftime(ts AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S') || '+08:00' AS time,
  ip AS client_ip, host, method, path, protocol, status, bytes, referer, user_agent,
  remote_user, parse_error, raw,
  strftime(received_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S') || '+08:00'
    AS received_at"""


def accesslog_export(
    *,
    website: Website,
    log_filter: LogFilter,
    basis: str,
    authority: str,
    document_number: str,
    legal_basis: str,
    approved_by,
    by,
    scope_note: str = "",
) -> LogExport:
    """Export a query's result (CSV and Parquet) for a named request, recorded as a
    disclosure (6.3) the customer sees. Without a valid request nothing is kept."""
    if by is None or isinstance(by, str):
        raise PermissionDenied(_("导出需由具名的管理员操作。"))
    _require_manage(by, website.organisation)
    now = clock.now()
    stamp = clock.local(now).strftime("%Y%m%d%H%M%S")
    directory = archive_dir() / "exports" / f"{stamp}-{website.pk}-{secrets.token_hex(4)}"
    directory.mkdir(parents=True)
    try:
        sql, params = accesslog_relation_sql(websites=[website], log_filter=log_filter)
        files = _export_files(directory, website, stamp, sql, params)
        with transaction.atomic():
            from yiyun.datalife.services import disclosure_record

            disclosure = disclosure_record(
                organisation=website.organisation,
                basis=basis,
                authority=authority,
                document_number=document_number,
                legal_basis=legal_basis,
                scope={
                    "data_sets": [f"access_log:{website.domain}"],
                    "query": log_filter.as_dict(),
                    "rows": files[0]["rows"],
                    "note": scope_note,
                },
                approved_by=approved_by,
                handed_over_at=now,
                files=[
                    {"name": f["name"], "sha256": f["sha256"], "size": f["size"]} for f in files
                ],
                source=f"websites:export:{directory.name}",
                by=by,
            )
            export = LogExport.objects.create(
                website=website,
                basis=basis,
                authority=disclosure.authority,
                document_number=disclosure.document_number,
                query=log_filter.as_dict(),
                rows=files[0]["rows"],
                files=[{**f, "dir": directory.name} for f in files],
                created_by=by,
                created_at=now,
                disclosure=disclosure,
            )
            audit_record(
                actor=by,
                action="accesslog.exported",
                obj=export,
                organisation=website.organisation,
                data={"disclosure": disclosure.pk, "rows": export.rows, "files": export.files},
            )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return export


def _export_files(directory: Path, website: Website, stamp: str, sql: str, params) -> list[dict]:
    connection = archive.duckdb_connect()
    try:
        connection.execute(f"CREATE TEMP TABLE result AS {sql}", params)
        rows = connection.execute("SELECT count(*) FROM result").fetchone()[0]
        base = f"accesslog-{website.domain}-{stamp}"
        outputs = [
            (f"{base}.csv", "csv", "(FORMAT csv, HEADER true)", _EXPORT_COLUMNS),
            (f"{base}.parquet", "parquet", "(FORMAT parquet, COMPRESSION zstd)", "*"),
        ]
        files = []
        for name, kind, options, columns in outputs:
            target = str(directory / name).replace("'", "''")
            connection.execute(
                f"COPY (SELECT {columns} FROM result ORDER BY ts, website_id, rid) "  # noqa: S608
                f"TO '{target}' {options}"
            )
            path = directory / name
            files.append(
                {
                    "name": name,
                    "format": kind,
                    "rows": int(rows),
                    "size": path.stat().st_size,
                    "sha256": archive.sha256_file(path),
                }
            )
        return files
    finally:
        connection.close()


def export_file_path(*, export: LogExport, name: str) -> Path:
    """The file `name` of `export` on disk (DomainError when it is not one of its files)."""
    for f in export.files:
        if f["name"] == name:
            return archive_dir() / "exports" / f["dir"] / name
    raise DomainError(_("导出文件不存在。"), field="name")
