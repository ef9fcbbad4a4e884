"""The worker killed mid-batch (SIGKILL, a real `yiyun worker` process) and restarted:
nothing is sent twice, nothing is lost.

The test's SMS gateway holds its answer to the 5th message until the worker has been
killed: the hardest moment, where the message reached the gateway but the worker never
learned it. The restarted worker takes over the dead worker's claims at once (same host,
dead pid), sends the rest, and repeats the 5th with the same idempotency key, which the
gateway recognises. The gateway sees each message exactly once.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from yiyun.notices.tests.peers import http_peer

COUNT = 12
HOLD_AT = 5
TIMEOUT = 60


class Gateway:
    """An SMS gateway that honours Idempotency-Key, as a well-behaved one does."""

    def __init__(self):
        self.accepted: dict[str, str] = {}
        self.raw_keys: list[str] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, request):
        key = request.headers["idempotency-key"]
        with self.lock:
            self.raw_keys.append(key)
            repeat = key in self.accepted
            if not repeat:
                self.accepted[key] = f"gw-{len(self.accepted) + 1}"
            hold = not repeat and len(self.accepted) == HOLD_AT
        if hold:
            self.holding.set()
            self.release.wait(TIMEOUT)
        return 200, {"id": self.accepted[key]}


@pytest.fixture
def scenario_env(transactional_db, tmp_path):
    """Environment for the subprocesses: a database of their own, copied from the migrated
    test database (an SQLite file; on PostgreSQL a database made from it as template),
    so nobody waits for the migrations twice."""
    settings = connection.settings_dict
    env = {
        **os.environ,
        "YIYUN_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "crash-test-secret-key-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if connection.vendor == "sqlite":
        path = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        yield {**env, "DATABASE_URL": f"sqlite:///{path}"}
        return
    import psycopg

    template, name = settings["NAME"], f"{settings['NAME']}_outbox"
    dsn = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
    }
    connection.close()  # a template database must have no one connected
    with psycopg.connect(**dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # Earlier tests' threads (live servers, peers) may still hold idle connections
        # to the test database, and a template must have nobody connected.
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [template],
        )
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    try:
        yield {
            **env,
            "DATABASE_URL": f"postgres://{settings['USER']}{password}@{dsn['host']}:{dsn['port']}/{name}",
        }
    finally:
        with psycopg.connect(**dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _yiyun() -> str:
    return str(Path(sys.executable).with_name("yiyun"))


def _run(env, *args) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_worker_killed_mid_batch_sends_nothing_twice_and_loses_nothing(scenario_env):
    env = scenario_env
    gateway = Gateway()
    with http_peer(gateway) as peer:
        seeded = json.loads(
            _run(
                env,
                sys.executable,
                "-m",
                "yiyun.notices.tests.outbox_scenario",
                "seed",
                f"{peer.url}/sms",
                str(COUNT),
            )
            .strip()
            .splitlines()[-1]
        )
        keys = seeded["keys"]
        assert len(keys) == COUNT

        worker = subprocess.Popen(
            [_yiyun(), "worker", "--poll", "0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            for _tick in range(TIMEOUT * 10):
                if gateway.holding.wait(0.1) or worker.poll() is not None:
                    break
            assert gateway.holding.is_set(), "the worker never reached the 5th message: " + (
                worker.stderr.read().decode()[-3000:] if worker.poll() is not None else ""
            )
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(TIMEOUT) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            gateway.release.set()

        before_restart = list(gateway.raw_keys)
        assert len(before_restart) == HOLD_AT  # killed mid-batch: 7 messages still to go
        rows = json.loads(
            _run(env, sys.executable, "-m", "yiyun.notices.tests.outbox_scenario", "report")
        )
        assert [r["state"] for r in rows].count("sent") == HOLD_AT - 1
        assert [r["state"] for r in rows].count("sending") == COUNT - (HOLD_AT - 1)

        _run(env, _yiyun(), "worker", "--once")

    rows = json.loads(
        _run(env, sys.executable, "-m", "yiyun.notices.tests.outbox_scenario", "report")
    )
    # Nothing lost: every message sent, and the gateway has each one.
    assert {r["state"] for r in rows} == {"sent"}
    assert set(gateway.accepted) == set(keys)
    # Nothing twice: the gateway saw each message exactly once. The only repeat on the
    # wire is the message in flight when the worker died, with the same key.
    assert len(gateway.accepted) == COUNT
    held = before_restart[-1]
    repeats = {key: gateway.raw_keys.count(key) for key in keys if gateway.raw_keys.count(key) > 1}
    assert repeats == {held: 2}
    attempts = {r["key"]: r["attempts"] for r in rows}
    assert attempts.pop(held) == 2
    assert set(attempts.values()) == {1}
    assert all(r["attempts"] == r["logged_attempts"] for r in rows)
    # The proof names the gateway's message id for each, the held one included.
    assert {r["key"]: r["response_id"] for r in rows} == gateway.accepted
