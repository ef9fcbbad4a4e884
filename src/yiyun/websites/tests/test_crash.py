"""Durability: the ingest process killed with SIGKILL mid-stream loses no acknowledged
line and duplicates none."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime

import pytest

from yiyun.core.clock import SHANGHAI
from yiyun.websites import archive
from yiyun.websites.selectors import LogFilter, accesslog_page
from yiyun.websites.spool import SpoolWriter, _committed_length, segments_seal
from yiyun.websites.tests.factories import combined, sites_for

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
BATCH = 400


@pytest.fixture
def site(world, settings, tmp_path):
    return sites_for(world, settings, tmp_path)


def _start(root, tmp_path):
    env = {
        **os.environ,
        "YIYUN_ACCESSLOG_DIR": str(root),
        "YIYUN_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "yiyun.cli", "logs", "listen", "--host", "127.0.0.1", "--http", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in process.stdout:
        if line.startswith("{"):
            return process, json.loads(line)["listening"]["http"]
    raise AssertionError("the listener did not start")


def _sender(port, token, name, acked, sent, stop):
    number = 0
    while not stop.is_set():
        lines = [combined("203.0.113.7", DAY, path=f"/{name}/{number}/{i}") for i in range(BATCH)]
        number += 1
        sent.update(f"/{name}/{number - 1}/{i}" for i in range(BATCH))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/ingest",
            ("\n".join(lines) + "\n").encode(),
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if response.status == 200:
                    acked.update(f"/{name}/{number - 1}/{i}" for i in range(BATCH))
        except (urllib.error.URLError, ConnectionError, OSError):
            return  # the server is gone: this batch was never acknowledged


def _stream(port, token, name, *, until_acked: int, kill=None):
    acked, sent, stop = set(), set(), threading.Event()
    threads = [
        threading.Thread(target=_sender, args=(port, token, f"{name}{n}", acked, sent, stop))
        for n in range(3)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acked) < until_acked and time.monotonic() < deadline:
        time.sleep(0.01)
    if kill is not None:
        kill()  # mid-stream: three senders are busy
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    return acked, sent


@pytest.mark.django_db(transaction=True)
def test_clause_2_4_sigkill_mid_stream_loses_no_acknowledged_line(site, tmp_path):
    process, port = _start(site.root, tmp_path)
    try:
        acked_before, sent_before = _stream(
            port,
            site.token,
            "a",
            until_acked=20 * BATCH,
            kill=lambda: process.send_signal(signal.SIGKILL),
        )
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    process, port = _start(site.root, tmp_path)
    try:
        acked_after, sent_after = _stream(port, site.token, "b", until_acked=5 * BATCH)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    segments_seal(root=site.root)
    archive.compact(idle_seconds=None)

    paths = Counter()
    cursor = ""
    while True:
        page = accesslog_page(
            websites=[site.website], log_filter=LogFilter(), cursor=cursor, limit=1000
        )
        paths.update(row["path"] for row in page.rows if not row["parse_error"])
        assert not any(row["parse_error"] for row in page.rows), "a torn line was archived"
        cursor = page.next_cursor
        if not cursor:
            break
    acked = acked_before | acked_after
    assert acked, "nothing was acknowledged"
    assert not acked - set(paths), "acknowledged lines were lost"
    assert max(paths.values()) == 1, "lines were archived twice"
    assert set(paths) <= sent_before | sent_after


def test_a_torn_batch_is_cut_at_the_last_marker(tmp_path):
    writer = SpoolWriter(tmp_path)
    writer.append(1, ["one", "two"], received_us=1)
    writer.append(1, ["three"], received_us=2)
    path = writer._path
    writer.close()
    whole = path.read_bytes()
    # A writer killed in the middle of a batch: records without their marker, a torn line.
    path.write_bytes(whole + b"1\x1f3\x1ffour\n1\x1f3\x1ffi")
    with open(path, "rb") as handle:
        assert _committed_length(handle.fileno()) == len(whole)
    [sealed] = segments_seal(root=tmp_path)
    assert sealed.read_bytes() == whole
