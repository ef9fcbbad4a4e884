"""Real peers for tests: an SMTP server and a browser. Started by the test, on loopback."""

import os
import shutil

import pytest


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a random port; `.messages` are received mails.

    Django's email settings point at it for the duration of the test.
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from django.test import override_settings

    class Collect(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.server.sockets[0].getsockname()[1],
            EMAIL_USE_TLS=False,
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
