"""Real-browser checks with Playwright driving Debian's Chromium.

A fresh `streamlit run app.py` on a free loopback port; skipped with the reason when Chromium or
Playwright is missing (CI installs both, see .ci/run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

# (url path, heading the page must show, its title in st.navigation)
PAGES = [
    ("/", "Grokking Diffusion", "Home"),
    ("/diffusion_process", "The diffusion process", "The diffusion process"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server():
    """Start `streamlit run app.py` on a free loopback port and yield its URL once healthy."""
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.seek(0)
        pytest.fail("streamlit did not become healthy within 60 s: " + log.read().decode()[-2000:])
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server():
    """A fresh app server; the first page load after its start is the one legacy menus show on."""
    with _server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has run and finished (not merely until the app shell is there)."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=timeout_ms)
    page.wait_for_timeout(300)


def _is_base_path_probe(url: str) -> bool:
    """Loaded at /page, Streamlit's frontend first looks for its server under /page/_stcore/..."""
    return url.rsplit("/", 1)[-1] in ("health", "host-config") and "/_stcore/" in url


def watch_errors(page) -> list[str]:
    """Collect console errors, uncaught page errors and failed requests (bar base-path probes)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not _is_base_path_probe(r.url) else None)
    return errors


def sidebar_links(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()]


def test_first_load_shows_only_the_apps_own_navigation(server, browser):
    """Streamlit's legacy pages/ auto-discovery must never show its own menu, not even at first load."""
    page = browser.new_page()
    page.goto(server)
    seen = set()
    for _ in range(20):  # watch the sidebar while the first run settles
        seen.update(sidebar_links(page))
        page.wait_for_timeout(100)
    wait_idle(page)
    seen.update(sidebar_links(page))
    titles = {title for _, _, title in PAGES}
    assert seen <= titles, f"legacy or unexpected menu entries: {sorted(seen - titles)}"
    assert titles <= set(sidebar_links(page))
    page.close()


def test_a_deep_link_on_a_fresh_server_gets_the_apps_navigation(browser):
    """Opening a page's own address first must run it inside app.py, with the app's menu."""
    with _server() as url:
        page = browser.new_page()
        errors = watch_errors(page)
        page.goto(url + "/diffusion_process")
        wait_idle(page)
        assert set(sidebar_links(page)) == {title for _, _, title in PAGES}
        assert page.get_by_role("heading", name="The diffusion process").first.is_visible()
        assert page.locator("[data-testid='stException']").count() == 0 and not errors, errors
        page.close()


@pytest.mark.parametrize("path, heading, title", PAGES)
def test_every_page_renders_without_an_exception(server, browser, path, heading, title):
    page = browser.new_page()
    errors = watch_errors(page)
    page.goto(server + path)
    wait_idle(page)
    assert page.get_by_role("heading", name=heading).first.is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() > 0, "no plot rendered"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{title.lower().replace(' ', '_')}.png"), full_page=True)
    assert not errors, errors
    page.close()
