"""`yiyun logs import | compact | query | expire` and the portal pages around them."""

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive
from yiyun.websites.models import DailyCoverage
from yiyun.websites.selectors import LogFilter, accesslog_page, coverage_days
from yiyun.websites.services import website_update
from yiyun.websites.spool import SpoolWriter
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI)


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _lines(n, host=None):
    return [
        combined(f"203.0.113.{i % 5}", DAY + timedelta(minutes=7 * i), path=f"/f{i}", host=host)
        for i in range(n)
    ]


@pytest.mark.django_db
def test_clause_2_4_import_plain_and_gzip_files_once(site, tmp_path, capsys):
    plain = tmp_path / "access.log"
    plain.write_text("\n".join(_lines(100)) + "\nnot a log line\n")
    call_command("logs", "import", str(plain), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("101 lines, 1 parse errors")
    with pytest.raises(CommandError, match="已导入"):
        call_command("logs", "import", str(plain), "--website", "www.kpxyy.cn")
    packed = tmp_path / "access.log.1.gz"
    packed.write_bytes(
        gzip.compress(("\r\n".join(_lines(10, host="m.kpxyy.cn")) + "\r\n").encode())
    )
    call_command("logs", "import", str(packed), "--website", "www.kpxyy.cn")
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=1000).rows
    assert len(rows) == 111
    assert sum(1 for r in rows if r["host"] == "m.kpxyy.cn") == 10
    assert [r["raw"] for r in rows if r["parse_error"]] == ["not a log line"]


@pytest.mark.django_db
def test_a_plain_file_with_control_characters_is_spooled_and_escaped(site, tmp_path, capsys):
    # Read in place first; the check beside finds the separator and the tab, and the file
    # goes through the spool instead, which escapes them as nginx would.
    dirty = tmp_path / "dirty.log"
    lines = [*_lines(3), "odd\x1fseparator", "tab\there"]
    dirty.write_bytes(("\n".join(lines) + "\n").encode())
    call_command("logs", "import", str(dirty), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("5 lines, 2 parse errors")
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=100).rows
    assert sorted(r["raw"] for r in rows if r["parse_error"]) == [
        "odd\\x1Fseparator",
        "tab\\x09here",
    ]
    with pytest.raises(CommandError, match="已导入"):
        call_command("logs", "import", str(dirty), "--website", "www.kpxyy.cn")
    # Broken UTF-8 alone: the C parser reads the file, the check beside sends it to the spool.
    broken = _lines(1)[0].replace("GET", "G\udcffET").encode("utf-8", "surrogateescape")
    dirty.write_bytes(broken + b"\n")
    call_command("logs", "import", str(dirty), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("1 lines, 0 parse errors")
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=100).rows
    assert [r["method"] for r in rows].count("G\\xffET") == 1  # escaped as nginx would


@pytest.mark.django_db
def test_times_in_any_zone_land_on_the_same_instant(site, tmp_path):
    moment = DAY + timedelta(hours=3)
    lines = [
        combined("203.0.113.1", moment, path="/cst"),
        combined("203.0.113.1", moment, path="/utc").replace(
            moment.strftime("%d/%b/%Y:%H:%M:%S +0800"),
            moment.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        ),
    ]
    log = tmp_path / "zones.log"
    log.write_text("\n".join(lines) + "\n")
    call_command("logs", "import", str(log), "--website", "www.kpxyy.cn")
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=10).rows
    assert {r["path"]: r["ts"] for r in rows} == {"/cst": moment, "/utc": moment}


@pytest.mark.django_db
def test_query_command(site, capsys):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, _lines(20))
    writer.close()
    call_command("logs", "compact")
    capsys.readouterr()
    call_command(
        "logs",
        "query",
        "--website",
        "www.kpxyy.cn",
        "--ip",
        "203.0.113.2",
        "--format",
        "json",
        "--limit",
        "0",
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 4 and {r["ip"] for r in rows} == {"203.0.113.2"}
    assert rows[0]["ts"].endswith("+08:00")
    call_command(
        "logs",
        "query",
        "--website",
        "www.kpxyy.cn",
        "--since",
        "2026-03-02T01:00",
        "--until",
        "2026-03-02T01:30",
    )
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all("2026-03-02T01:" in line for line in out)
    with pytest.raises(CommandError):
        call_command("logs", "query", "--website", "www.kpxyy.cn", "--ip", "not-an-ip")


@pytest.mark.django_db
def test_custom_log_format(site, world):
    website_update(
        website=site.website,
        by=world.admin_a,
        log_format='$remote_addr [$time_iso8601] "$request" $status $request_time "$host"',
    )
    line = '2001:db8::7 [2026-03-02T08:00:00+08:00] "POST /api/x HTTP/2.0" 201 0.012 "api.kpxyy.cn"'
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, [line, "garbage"])
    writer.close()
    call_command("logs", "compact")
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=10).rows
    good = next(r for r in rows if not r["parse_error"])
    assert (good["ip"], good["method"], good["path"], good["status"], good["host"]) == (
        "2001:db8::7",
        "POST",
        "/api/x",
        201,
        "api.kpxyy.cn",
    )
    assert json.loads(good["extra"]) == {"request_time": "0.012"}
    assert good["ts"] == DAY.replace(hour=8, minute=0)
    assert [r["raw"] for r in rows if r["parse_error"]] == ["garbage"]


@pytest.mark.django_db
def test_a_line_without_a_client_address_is_a_parse_error_not_a_lost_batch(site, world):
    website_update(
        website=site.website, by=world.admin_a, log_format="$remote_addr [$time_iso8601] $status"
    )
    lines = ["203.0.113.9 [2026-03-02T08:00:00+08:00] 200", "- [2026-03-02T08:00:01+08:00] 200"]
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, lines)
    writer.close()
    call_command("logs", "compact")
    assert not (site.root / "spool" / "failed").exists()
    rows = accesslog_page(websites=[site.website], log_filter=LogFilter(), limit=10).rows
    assert [r["ip"] for r in rows if not r["parse_error"]] == ["203.0.113.9"]
    assert [r["raw"] for r in rows if r["parse_error"]] == [lines[1]]


@pytest.mark.django_db
def test_an_empty_file_does_not_stop_later_imports(site, tmp_path, capsys):
    empty = tmp_path / "empty.log"
    empty.write_text("")
    call_command("logs", "import", str(empty), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("0 lines")
    blank = tmp_path / "blank.log"
    blank.write_text("\n\n")  # two empty lines: lines all the same, kept and flagged
    call_command("logs", "import", str(blank), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("2 lines, 2 parse errors")
    plain = tmp_path / "access.log"
    plain.write_text("\n".join(_lines(5)) + "\n")
    call_command("logs", "import", str(plain), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("5 lines")
    assert len(accesslog_page(websites=[site.website], log_filter=LogFilter()).rows) == 7


@pytest.mark.django_db
def test_clause_2_4_coverage_counts_gaps_while_the_site_was_up(site, world, login):
    writer = SpoolWriter(site.root)
    # 2 March: lines in hours 0..21 only; 3 March: nothing at all.
    writer.append(
        site.website.pk,
        [combined("203.0.113.1", DAY + timedelta(hours=h)) for h in range(22)] + ["broken"],
    )
    writer.close()
    call_command("logs", "compact")
    first, second = coverage_days(
        website=site.website, first=DAY.date(), last=DAY.date() + timedelta(days=1)
    )
    assert (first.lines, first.gaps, first.level) == (22, 2, "partial")
    assert (second.lines, second.gaps, second.level) == (0, 24, "poor")
    assert DailyCoverage.objects.get(website=site.website, day=DAY.date()).hours[21] == 1
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI), tick=False):
        page = login(world.admin_a).get(f"/websites/{site.website.pk}/").content.decode()
    assert 'data-day="2026-03-02" data-level="partial"' in page
    assert 'data-day="2026-03-03" data-level="poor"' in page
    # Before the site went online (1 January) nothing was expected.
    assert 'data-day="2025-12-31" data-level="none"' in page


@pytest.mark.django_db
def test_pages_query_and_token(site, world, login):
    writer = SpoolWriter(site.root)
    writer.append(site.website.pk, _lines(30))
    writer.close()
    call_command("logs", "compact")
    client = login(world.admin_a)
    page = client.get(f"/websites/{site.website.pk}/logs/", {"ip": "203.0.113.3"}).content.decode()
    assert page.count("203.0.113.3") >= 6 and "203.0.113.4" not in page
    bad = client.get(f"/websites/{site.website.pk}/logs/", {"ip": "999.1.1.1"}).content.decode()
    assert "999.1.1.1" in bad
    rotated = client.post(f"/websites/{site.website.pk}/token/").content.decode()
    assert "syslog:server=" in rotated and f"tag=w{site.website.pk}_" in rotated
    assert login(world.auditor_a).post(f"/websites/{site.website.pk}/token/").status_code == 403


def test_a_character_across_the_check_chunks_is_still_clean(tmp_path):
    # The check reads 8 MiB at a time: put a three-byte character across the boundary.
    path = tmp_path / "big.log"
    path.write_bytes(b"a" * ((8 << 20) - 1) + "内\n".encode())
    assert archive._plain_and_clean(path)[0]
    path.write_bytes(b"a" * ((8 << 20) - 1) + "内".encode()[:2] + b"\n")
    assert not archive._plain_and_clean(path)[0]


@pytest.mark.django_db
def test_a_file_name_with_wildcards_is_read_as_a_name(site, tmp_path, capsys):
    (tmp_path / "access1.log").write_text("\n".join(_lines(2)) + "\n")
    odd = tmp_path / "access[1].log"
    odd.write_text("\n".join(_lines(3)) + "\n")
    call_command("logs", "import", str(odd), "--website", "www.kpxyy.cn")
    assert capsys.readouterr().out.startswith("3 lines")
