"""Websites, filings, holds, the access-log query and lawful export — all through `scoped`."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from yiyun.core import clock
from yiyun.tenancy.models import Site
from yiyun.tenancy.selectors import is_read_only, scoped, visible_organisations
from yiyun.websites import services
from yiyun.websites.schemas import (
    CoverageOut,
    ExportIn,
    ExportOut,
    FilingIn,
    FilingOut,
    HoldIn,
    HoldOut,
    LogPageOut,
    TokenOut,
    WebsiteIn,
    WebsiteOut,
    WebsitePatch,
)
from yiyun.websites.selectors import (
    LogFilter,
    accesslog_page,
    coverage_days,
    exports_visible,
    filings_visible,
    holds_visible,
    websites_visible,
)

PREFIX = "/websites"
router = Router(tags=["websites"])


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


def _website(request, website_id: int):
    return get_object_or_404(websites_visible(request.user), pk=website_id)


@router.get("", response=list[WebsiteOut])
def website_list(request):
    return websites_visible(request.user)


@router.post("", response={201: WebsiteOut})
def website_add(request, payload: WebsiteIn):
    _refuse_read_only(request.user)
    organisation = get_object_or_404(visible_organisations(request.user), pk=payload.organisation)
    data = payload.dict(exclude={"organisation", "site"})
    site = (
        get_object_or_404(scoped(Site.objects.all(), request.user), pk=payload.site)
        if payload.site
        else None
    )
    return 201, services.website_create(
        organisation=organisation, site=site, by=request.user, **data
    )


@router.get("/{website_id}", response=WebsiteOut)
def website_get(request, website_id: int):
    return _website(request, website_id)


@router.patch("/{website_id}", response=WebsiteOut)
def website_change(request, website_id: int, payload: WebsitePatch):
    website = _website(request, website_id)
    _refuse_read_only(request.user)
    changes = payload.dict(exclude_unset=True)
    return services.website_update(website=website, by=request.user, **changes)


@router.post("/{website_id}/token", response={201: TokenOut})
def website_token(request, website_id: int):
    """A new ingest token (nginx `tag=` / `Authorization: Bearer`); the old one stops."""
    website = _website(request, website_id)
    _refuse_read_only(request.user)
    token = services.website_token_rotate(website=website, by=request.user)
    return 201, {"token": token, "prefix": website.ingest_token_prefix}


@router.get("/{website_id}/filings", response=list[FilingOut])
def filing_list(request, website_id: int):
    return filings_visible(request.user).filter(website=_website(request, website_id))


@router.post("/{website_id}/filings", response={201: FilingOut})
def filing_add(request, website_id: int, payload: FilingIn):
    website = _website(request, website_id)
    _refuse_read_only(request.user)
    return 201, services.filing_add(website=website, by=request.user, **payload.dict())


@router.get("/{website_id}/holds", response=list[HoldOut])
def hold_list(request, website_id: int):
    return holds_visible(request.user).filter(website=_website(request, website_id))


@router.post("/{website_id}/holds", response={201: HoldOut})
def hold_add(request, website_id: int, payload: HoldIn):
    website = _website(request, website_id)
    _refuse_read_only(request.user)
    return 201, services.legal_hold_place(website=website, by=request.user, **payload.dict())


@router.post("/holds/{hold_id}/release", response=HoldOut)
def hold_release(request, hold_id: int):
    hold = get_object_or_404(holds_visible(request.user), pk=hold_id)
    _refuse_read_only(request.user)
    return services.legal_hold_release(hold=hold, by=request.user)


class LogQueryIn(Schema):
    ip: str = ""
    since: datetime | None = None
    until: datetime | None = None
    domain: str = ""
    path: str = ""
    status: int | None = None
    errors_only: bool = False
    cursor: str = ""
    limit: int = 100


def _filter(data) -> LogFilter:
    return LogFilter(
        ip=data.ip,
        since=data.since,
        until=data.until,
        domain=data.domain,
        path=data.path,
        status=data.status,
        errors_only=data.errors_only,
    )


@router.get("/{website_id}/logs", response=LogPageOut)
def log_query(request, website_id: int, query: Query[LogQueryIn]):
    """Access-log lines, newest first; pass `next_cursor` back as `cursor` for the next page."""
    website = _website(request, website_id)
    page = accesslog_page(
        websites=[website], log_filter=_filter(query), cursor=query.cursor, limit=query.limit
    )
    return {"rows": page.rows, "next_cursor": page.next_cursor}


@router.get("/{website_id}/coverage", response=list[CoverageOut])
def coverage(request, website_id: int, first: date | None = None, last: date | None = None):
    """Per day: lines received, parse errors, hours without a line while the site was up."""
    website = _website(request, website_id)
    today = clock.local(clock.now()).date()
    last = last or today
    first = first or date.fromordinal(last.toordinal() - 30)
    return coverage_days(website=website, first=first, last=last)


@router.get("/{website_id}/exports", response=list[ExportOut])
def export_list(request, website_id: int):
    return exports_visible(request.user).filter(website=_website(request, website_id))


@router.post("/{website_id}/exports", response={201: ExportOut})
def export_create(request, website_id: int, payload: ExportIn):
    """A lawful export (6.3): the query's lines as CSV and Parquet, recorded as a disclosure."""
    website = _website(request, website_id)
    _refuse_read_only(request.user)
    export = services.accesslog_export(
        website=website,
        log_filter=_filter(payload),
        basis=payload.basis,
        authority=payload.authority,
        document_number=payload.document_number,
        legal_basis=payload.legal_basis,
        approved_by=payload.approved_by,
        scope_note=payload.scope_note,
        by=request.user,
    )
    return 201, export
