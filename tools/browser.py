"""Drive the app in a real browser: start a server, launch Chromium, wait for idle pages, watch for errors.

Shared by the browser tests (tests/test_browser.py) and the load test (tools/loadtest.py); touching every
control of a page is `tools/exercise.py`. It needs Playwright for Python and Debian's Chromium
(`apt-get install chromium`).
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 # many pages at once (the load test): keep pages that are not in front at full speed
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]

# Every page: (url path, heading it shows, its title in st.navigation). The browser tests and the
# load test visit these.
PAGES = [
    ("/", "Grokking Diffusion", "Home"),
    ("/diffusion_process", "The diffusion process", "The diffusion process"),
    ("/means_and_modes", "Means and modes", "Means and modes"),
    ("/regurgitation", "Regurgitation", "Regurgitation"),
    ("/score_fields", "Score fields", "Score fields"),
    ("/where_the_loss_comes_from", "Where the loss comes from", "Where the loss comes from"),
    ("/spectral_bands", "Spectral bands", "Spectral bands"),
    ("/sampling_optimization", "Sampling as optimization", "Sampling as optimization"),
    ("/flow_matching", "Flow matching: the same model on a straight path", "Flow matching"),
    ("/guidance", "Guidance: a dial from means to modes", "Guidance"),
    ("/playground", "Playground", "Playground"),
]

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running app server: its address, its process, and what it has written so far."""

    url: str
    process: subprocess.Popen
    log: object  # a binary temporary file

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextlib.contextmanager
def server(env: dict[str, str] | None = None, timeout: float = 60, script: str = "app.py",
           cwd: Path = ROOT) -> Iterator[Server]:
    """`streamlit run SCRIPT` (the app by default) in `cwd` (this project by default) headless on a free loopback
    port, yielded once healthy."""
    port = free_port()
    with tempfile.TemporaryFile() as log:  # closed on every way out, a server that never came up too
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=cwd, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})), stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                log.seek(0)
                raise RuntimeError(f"streamlit did not become healthy within {timeout:.0f} s: "
                                   + log.read().decode(errors="replace")[-2000:])
            time.sleep(0.3)
        try:
            yield Server(url, proc, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def launch(playwright):
    """Debian's Chromium, headless, with the flags a container needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has run and finished (not merely until the app shell is there)."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=timeout_ms)
    page.wait_for_timeout(200)


RUNNING = "[data-testid='stApp']:not([data-test-script-state='notRunning'])"


def wait_rerun(page, timeout_ms: int = 60_000) -> None:
    """After an input: give the rerun (of the page or a fragment) a moment to start, then wait for idle."""
    with contextlib.suppress(Exception):  # a fast rerun may start and finish between two polls
        page.wait_for_selector(RUNNING, timeout=3_000)
    wait_idle(page, timeout_ms)


def _is_base_path_probe(url: str) -> bool:
    """Loaded at /page, Streamlit's frontend first looks for its server under /page/_stcore/..."""
    return url.rsplit("/", 1)[-1] in ("health", "host-config") and "/_stcore/" in url


def watch_errors(page) -> list[str]:
    """Collect console errors, uncaught page errors, errors the browser reports on the window without an exception
    (a ResizeObserver loop, say) and failed requests (bar base-path probes), from the page's next address on."""
    errors: list[str] = []
    page.add_init_script("addEventListener('error', e => {"
                         " if (!e.error) console.error('window error: ' + e.message); });")
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not _is_base_path_probe(r.url) else None)
    return errors


def sidebar_links(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()]
