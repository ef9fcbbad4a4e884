"""Real peers for tests: an SMTP server and a browser. Started by the test, on loopback."""

import os
import shutil
import socket

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django's email settings point at it.

    `.messages` are the parsed mails, `.raw` the bytes exactly as received (to hash what
    arrived), `.port` its port. aiosmtpd 1.4 cannot start on port 0 (its start-up probe
    connects to the configured port), so a free port is chosen first.
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from django.test import override_settings

    class Collect(Message):
        def __init__(self):
            super().__init__()
            self.messages = []
            self.raw = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's name
            self.raw.append(envelope.original_content)
            return await super().handle_DATA(server, session, envelope)

        def handle_message(self, message):
            self.messages.append(message)

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ):
            yield handler
    finally:
        controller.stop()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's), driven by Playwright; skipped if not installed."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; `make test` installs it (Debian package)")
        pytest.skip("chromium is not installed (make test installs it)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM in the
    # same thread must be allowed to run beside it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
