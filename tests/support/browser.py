"""Debian's Chromium driven by Playwright: its launch options, a page that only reaches the test
server, and screenshots saved under tests/artifacts/."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.support.paths import ROOT

CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


ARTIFACTS = ROOT / "tests" / "artifacts"


def open_page(browser: Browser, server: LiveServer, **options) -> tuple[Page, list[str]]:
    """A fresh page that only reaches the test server, and a list collecting dialogs/errors."""
    context = browser.new_context(**options)
    # Stay on 127.0.0.1: lead images on other hosts are refused rather than fetched.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(server.url) else route.abort()
        ),
    )
    page = context.new_page()
    events: list[str] = []
    page.on("dialog", lambda dialog: (events.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: events.append(f"page error: {error}"))
    return page, events


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
