"""A real browser for the page tests: the app served in a thread, Debian's Chromium driven by
Playwright, and the checks every page must pass at desktop and phone widths (no sideways scroll,
every control reachable by Tab with a visible focus, no axe-core violation of impact serious or
critical, a favicon)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

WIDTHS = {"desktop": 1200, "phone": 390}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="Chromium is not installed (CI installs Debian's chromium)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """The app over the warehouse file `db`, on a free local port, for the block: its base URL."""
    import uvicorn

    from wavehouse.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@contextmanager
def browser() -> Iterator:
    """Headless Chromium (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            yield instance
        finally:
            instance.close()


# every focusable control of the page, as a description, in document order
FOCUSABLE = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
  .filter(el => el.tabIndex >= 0 && !el.disabled && el.offsetParent !== null && el.type !== 'hidden')
  .map(el => el.outerHTML.slice(0, 120))"""
FOCUSED = """() => { const el = document.activeElement, s = getComputedStyle(el);
  return [el.outerHTML.slice(0, 120), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }"""


def check_page(page, url: str) -> None:
    """The checks every page passes at the page's current viewport width (module docstring)."""
    from axe_playwright_python.sync_playwright import Axe

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{url}: scrolls sideways at {width}px"
    assert page.locator('link[rel="icon"]').count() == 1, f"{url}: no favicon"
    serious = [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{url} at {width}px: {serious}"
    controls = page.evaluate(FOCUSABLE)
    reached, unmarked = set(), []
    page.locator("body").focus()
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        element, outlined = page.evaluate(FOCUSED)
        reached.add(element)
        if not outlined and element in controls:
            unmarked.append(element)
        if set(controls) <= reached:
            break
    assert set(controls) <= reached, f"{url}: not reachable by Tab: {sorted(set(controls) - reached)[:3]}"
    assert not unmarked, f"{url}: focus not visible on {unmarked[:3]}"
    assert not errors, f"{url}: script errors {errors}"
