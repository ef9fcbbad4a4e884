"""Ingest: HTTP bulk (per-website token), syslog parsing and the listener."""

import gzip
import json
import socket
import time
import urllib.request
from datetime import datetime

import pytest
from django.test import Client

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive
from yiyun.websites.listener import Listener, syslog_parse
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.spool import segments_seal
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _post(body: bytes, token: str | None, **headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    content_type = extra.pop("HTTP_CONTENT_TYPE", "text/plain")
    return Client().post("/websites/ingest/", body, content_type=content_type, **extra)


def _rows(website, **filters):
    archive.compact(idle_seconds=None)
    return accesslog_page(websites=[website], log_filter=LogFilter(**filters), limit=1000).rows


@pytest.mark.django_db
def test_clause_2_4_http_ingest_with_a_wrong_token_is_refused(site):
    body = (combined("203.0.113.7", DAY) + "\n").encode()
    assert _post(body, None).status_code == 401
    assert _post(body, "w1_notthetoken0000000000").status_code == 401
    # Another website's valid token does not write into this one.
    assert _post(body, site.other_token).status_code == 200
    assert _rows(site.website) == []
    assert len(_rows(site.other)) == 1


@pytest.mark.django_db
def test_clause_2_4_http_ingest_raw_gzip_and_ndjson(site):
    raw = "\n".join(combined("203.0.113.7", DAY, path=f"/r{i}") for i in range(3)) + "\n"
    response = _post(raw.encode(), site.token)
    assert response.status_code == 200 and response.json()["accepted"] == 3
    response = _post(
        gzip.compress(raw.replace("/r", "/g").encode()), site.token, content_encoding="gzip"
    )
    assert response.json()["accepted"] == 3
    records = [{"message": combined("2001:db8::9", DAY, path="/j")}, {"unknown": 1}]
    ndjson = "\n".join(json.dumps(r) for r in records).encode()
    response = _post(ndjson, site.token, content_type="application/x-ndjson")
    assert response.json()["accepted"] == 2
    rows = _rows(site.website)
    assert sorted(r["path"] for r in rows if not r["parse_error"]) == sorted(
        ["/r0", "/r1", "/r2", "/g0", "/g1", "/g2", "/j"]
    )
    # The record without a line field is kept, verbatim, as a parse error.
    assert [r["raw"] for r in rows if r["parse_error"]] == ['{"unknown": 1}']


@pytest.mark.django_db
def test_token_rotation_stops_the_old_token(site):
    from yiyun.websites.services import website_token_rotate

    body = (combined("203.0.113.7", DAY) + "\n").encode()
    new = website_token_rotate(website=site.website, by=None)
    assert _post(body, site.token).status_code == 401
    assert _post(body, new).status_code == 200


def test_syslog_formats():
    line = combined("203.0.113.7", DAY)
    assert syslog_parse(f"<190>Mar  2 08:00:00 web01 w1_abc: {line}") == ("w1_abc", line)
    assert syslog_parse(f"<190>Mar 12 08:00:00 w1_abc: {line}") == ("w1_abc", line)
    assert syslog_parse(f"<190>w1_abc[123]: {line}") == ("w1_abc", line)
    rfc5424 = f"<165>1 2026-03-02T08:00:00.000+08:00 web01 w1_abc - - - \ufeff{line}"
    assert syslog_parse(rfc5424) == ("w1_abc", line)
    sd = f'<165>1 2026-03-02T08:00:00Z web01 w1_abc 99 ID7 [x@1 a="b\\]"] {line}'
    assert syslog_parse(sd) == ("w1_abc", line)
    assert syslog_parse("not syslog") is None


@pytest.mark.django_db
def test_clause_2_4_listener_udp_and_tcp_rfc3164_and_5424(site):
    listener = Listener(host="127.0.0.1", udp=0, tcp=0, root=site.root)
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(5):
            message = f"<190>Mar  2 08:00:00 web01 {site.token}: {combined('203.0.113.7', DAY, path=f'/u{i}')}"
            udp.sendto(message.encode(), ("127.0.0.1", listener.ports["udp"]))
        udp.sendto(
            f"<190>Mar  2 08:00:00 web01 w9_bad: {combined('203.0.113.7', DAY)}".encode(),
            ("127.0.0.1", listener.ports["udp"]),
        )
        with socket.create_connection(("127.0.0.1", listener.ports["tcp"])) as tcp:
            frames = []
            for i in range(3):
                msg = f"<165>1 2026-03-02T08:00:00+08:00 web01 {site.token} - - - {combined('2001:db8::5', DAY, path=f'/t{i}')}"
                data = msg.encode()
                frames.append(f"{len(data)} ".encode() + data)  # octet counting (RFC 6587)
            frames.append(
                f"<190>Mar  2 08:00:00 web01 {site.token}: {combined('2001:db8::5', DAY, path='/nl')}\n".encode()
            )
            tcp.sendall(b"".join(frames))
        deadline = time.monotonic() + 10
        while (
            listener.batcher.accepted + len(listener.batcher._records) < 9
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    finally:
        listener.stop()
    assert listener.batcher.rejected == 1
    segments_seal(root=site.root)
    paths = sorted(r["path"] for r in _rows(site.website))
    assert paths == sorted([f"/u{i}" for i in range(5)] + [f"/t{i}" for i in range(3)] + ["/nl"])


@pytest.mark.django_db
def test_listener_http_endpoint(site):
    listener = Listener(host="127.0.0.1", http=0, root=site.root)
    try:
        url = f"http://127.0.0.1:{listener.ports['http']}/ingest"
        body = (combined("203.0.113.7", DAY) + "\n").encode()
        request = urllib.request.Request(
            url, body, headers={"Authorization": f"Bearer {site.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 — loopback
            assert json.loads(response.read()) == {"accepted": 1}
        bad = urllib.request.Request(url, body, headers={"Authorization": "Bearer nope"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=5)  # noqa: S310
        assert refused.value.code == 401
    finally:
        listener.stop()
    assert len(_rows(site.website)) == 1


NOHOSTNAME_LINE = (
    '2001:db8::1 - - [28/Nov/2026:09:53:00 +0800] "GET / HTTP/1.1" 200 3 "-" "curl/8" "h.cn"'
)


def test_nohostname_framing_of_an_ipv6_clients_line():
    # The token must not be taken for a host name "w1_token:" with the tag "2001".
    # nginx: access_log syslog:server=...,tag=<token>,nohostname
    assert syslog_parse(f"<190>Nov 28 01:53:00 w1_token: {NOHOSTNAME_LINE}") == (
        "w1_token",
        NOHOSTNAME_LINE,
    )
