"""Test data for the websites tests: an archive in the test's own directory, websites."""

from datetime import datetime, timedelta
from types import SimpleNamespace

from yiyun.core.clock import SHANGHAI
from yiyun.websites.services import website_create, website_token_rotate


def archive_in(settings, tmp_path):
    """Point the archive at the test's own temporary directory (pytest-django `settings`)."""
    root = tmp_path / "accesslogs"
    settings.ACCESSLOG_DIR = str(root)
    return root


def sites_for(world, settings, tmp_path) -> SimpleNamespace:
    """Customer A's website with its ingest token (and customer B's, for isolation)."""
    accesslogs = archive_in(settings, tmp_path)
    website = website_create(
        organisation=world.customer_a,
        domain="www.kpxyy.cn",
        name="柯坪县人民医院门户",
        by=world.admin_a,
        online_since=datetime(2026, 1, 1, tzinfo=SHANGHAI),
    )
    token = website_token_rotate(website=website, by=world.admin_a)
    other = website_create(
        organisation=world.customer_b,
        domain="www.wsxyy.cn",
        name="乌什县人民医院门户",
        by=world.admin_b,
        online_since=datetime(2026, 1, 1, tzinfo=SHANGHAI),
    )
    other_token = website_token_rotate(website=other, by=world.admin_b)
    return SimpleNamespace(
        website=website, token=token, other=other, other_token=other_token, root=accesslogs
    )


def combined(
    ip: str,
    when: datetime,
    path: str = "/",
    status: int = 200,
    host: str | None = "www.kpxyy.cn",
    size: int = 512,
    agent: str = "Mozilla/5.0",
) -> str:
    """One nginx `combined` line, with ` "$host"` appended unless host is None."""
    stamp = when.astimezone(SHANGHAI).strftime("%d/%b/%Y:%H:%M:%S %z")
    line = f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "-" "{agent}"'
    return line if host is None else f'{line} "{host}"'


def lines_over(start: datetime, count: int, *, step: timedelta, ips: list[str]) -> list[str]:
    return [combined(ips[i % len(ips)], start + step * i, path=f"/page/{i}") for i in range(count)]
