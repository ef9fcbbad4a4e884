"""A real nginx (Debian's) sends its access log to the yiyun listener over syslog."""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from yiyun.websites import archive
from yiyun.websites.listener import Listener
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.spool import segments_seal
from yiyun.websites.tests.factories import sites_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def nginx_binary():
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed; `make test` installs it (Debian package)")
        pytest.skip("nginx is not installed (make test installs it)")
    return NGINX


def _get(url: str, host: str) -> int:
    request = urllib.request.Request(  # noqa: S310 — loopback http only
        url, headers={"Host": host, "User-Agent": "yiyun-test/1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 — loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db
def test_clause_2_4_nginx_syslog_lines_reach_the_archive(site, nginx_binary, tmp_path):
    listener = Listener(host="127.0.0.1", udp=0, root=site.root)
    port = _free_port()
    v6 = _ipv6_loopback()
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    listen_v6 = f"listen [::1]:{port};" if v6 else ""
    (prefix / "nginx.conf").write_text(
        f"""
worker_processes 1;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    log_format yiyun '$remote_addr - $remote_user [$time_local] "$request" '
                     '$status $body_bytes_sent "$http_referer" "$http_user_agent" "$host"';
    access_log syslog:server=127.0.0.1:{listener.ports["udp"]},tag={site.token},severity=info yiyun;
    server {{
        listen 127.0.0.1:{port};
        {listen_v6}
        server_name www.kpxyy.cn;
        location / {{ return 200 "ok\\n"; }}
        location /missing {{ return 404; }}
    }}
}}
"""
    )
    process = subprocess.Popen(
        [
            nginx_binary,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-g",
            f"daemon off; pid {prefix}/nginx.pid;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode()) from None
                time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/index.html?x=1", "www.kpxyy.cn") == 200
        assert _get(f"{base}/news/2026/notice-7.html", "www.kpxyy.cn") == 200
        assert _get(f"{base}/missing/page", "m.kpxyy.cn") == 404
        expected = 3
        if v6:
            assert _get(f"http://[::1]:{port}/v6", "www.kpxyy.cn") == 200
            expected += 1
        deadline = time.monotonic() + 10
        while listener.batcher.accepted < expected and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        listener.stop()
    assert listener.batcher.rejected == 0
    segments_seal(root=site.root)
    archive.compact(idle_seconds=None)

    page = accesslog_page(websites=[site.website], log_filter=LogFilter(ip="127.0.0.1"))
    got = {(r["ip"], r["host"], r["method"], r["path"], r["status"]) for r in page.rows}
    assert got == {
        ("127.0.0.1", "www.kpxyy.cn", "GET", "/index.html?x=1", 200),
        ("127.0.0.1", "www.kpxyy.cn", "GET", "/news/2026/notice-7.html", 200),
        ("127.0.0.1", "m.kpxyy.cn", "GET", "/missing/page", 404),
    }
    assert all(r["user_agent"] == "yiyun-test/1" and not r["parse_error"] for r in page.rows)
    missing = accesslog_page(
        websites=[site.website], log_filter=LogFilter(ip="127.0.0.1", status=404)
    )
    assert [r["path"] for r in missing.rows] == ["/missing/page"]
    if v6:
        [row] = accesslog_page(websites=[site.website], log_filter=LogFilter(ip="::1")).rows
        assert (row["ip"], row["path"]) == ("::1", "/v6")
