"""How the app is served: `streamlit run app.py` serves app_router.py as an st.App whose lifespan starts, before the
server answers any request, what every run of the router would start (app_start.start), waits for Home's default view and opens
Home once itself (app_start.rehearse); and, once every default view is computed, opens every other page once.

The servers here are real (`streamlit run` on a free loopback port, tools/browser.server) and read at the protocol
level (tools/wire.py): no browser is needed.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.web.server.app_discovery import discover_asgi_app

import app_start
from tools import browser, procs, wire

ROOT = Path(__file__).resolve().parents[1]
HOME_COMPUTED = "default view of home computed"  # app_cache.warm_all's line once Home's default view is cached
REHEARSED = "pages rehearsed: "  # app_start.rehearse's line, then "/<address> <seconds> s" for each page


def test_streamlit_serves_app_py_as_an_st_app_of_the_router():
    served = discover_asgi_app(ROOT / "app.py")
    assert served.is_asgi_app and served.import_string == "app:app"
    assert not discover_asgi_app(ROOT / "app_router.py").is_asgi_app  # the router is a script, served as one too


HOME_METRICS = ["Energy distance to the dino", "Mean distance to nearest dino point"]


async def _first_run(url: str) -> tuple[set[str], int, int, list[str]]:
    """A reader's first run of Home: the addresses of the pages in its menu, the exceptions and charts drawn, and
    the labels of its metrics."""
    session = wire.WireSession(url)
    await session.open()
    metrics = [e.metric.label for e in session.elements if e.WhichOneof("type") == "metric"]
    await session.close()
    return set(session.pages), session.exceptions, session.charts(), metrics


def test_the_server_computes_home_and_gives_its_html_the_pages_before_it_answers():
    """Before any reader has connected, the server has computed Home's default view and opened Home itself (its log
    says so by the time it answers its health check), and serves the pages' addresses in its HTML
    (app_hosting.connect_at_once, which app_start.start runs after the hardening): the very addresses Streamlit gives
    the router's pages. Once every default view is computed, it opens every other page once, with no exception."""
    with browser.server() as srv:
        log = srv.output()
        assert HOME_COMPUTED in log and f"{REHEARSED}/ " in log
        with urllib.request.urlopen(srv.url + "/guidance") as answer:
            html = answer.read().decode()
        names = re.search(r"const pages = (\[.*?\]);", html)
        pages, exceptions, charts, metrics = asyncio.run(_first_run(srv.url))
        assert names and set(json.loads(names.group(1))) == pages - {""}  # the HTML's names are Streamlit's
        assert pages == set(app_start.url_paths()) and len(pages) == len(app_start.MENU)
        assert (exceptions, charts, metrics) == (0, 1, HOME_METRICS)
        deadline = time.time() + 240  # the other pages' default views take about 20 s, then their rehearsal
        while time.time() < deadline and srv.output().count(REHEARSED) < 2:
            time.sleep(1)
        log = srv.output()
        rehearsals = re.findall(rf"{REHEARSED}(.*)", log)
        assert len(rehearsals) == 2, log[-3000:]
        assert re.findall(r"/(\w+) [\d.]+ s", rehearsals[1]) == app_start.url_paths()[1:]
        assert log.count(HOME_COMPUTED) == 1 and "rehearsing the page" not in log and "Traceback" not in log, log


def test_with_the_warm_up_off_the_first_reader_computes_home():
    with browser.server(env={"GD_WARM": "0"}) as srv:
        pages, exceptions, charts, metrics = asyncio.run(_first_run(srv.url))
        assert (exceptions, charts, metrics) == (0, 1, HOME_METRICS) and pages == set(app_start.url_paths())
        assert HOME_COMPUTED not in srv.output() and REHEARSED not in srv.output()


def test_the_router_served_alone_starts_the_warm_up_at_its_first_visit():
    """`streamlit run app_router.py` (for a host that cannot serve an st.App) still works: the first run starts what
    app.py would have started with the server."""
    with browser.server(script="app_router.py") as srv:
        assert HOME_COMPUTED not in srv.output()
        pages, exceptions, charts, metrics = asyncio.run(_first_run(srv.url))
        assert (exceptions, charts, metrics) == (0, 1, HOME_METRICS) and pages == set(app_start.url_paths())
        with urllib.request.urlopen(srv.url + "/guidance") as answer:
            assert "BACKEND_BASE_URL" in answer.read().decode()


class _Runtime:
    """What app_start.rehearse asks of Streamlit's Runtime: a page at an address in `hangs` never finishes, and one in
    `fails` shows an exception."""

    def __init__(self, hangs=(), fails=()):
        self.hangs, self.fails, self.asked, self.closed = set(hangs), set(fails), [], []

    def connect_session(self, client, user_info):
        self.client = client
        return "rehearsal"

    def handle_backmsg(self, session_id, msg: BackMsg):
        path = msg.rerun_script.page_name
        self.asked.append((session_id, path))
        loop = asyncio.get_running_loop()
        if self.asked[1:]:  # Streamlit ends the run before with this (ignored: it is no page's end)
            loop.call_soon(self.client.write_forward_msg, self._finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN))
        if path in self.fails:
            shown = ForwardMsg()
            shown.delta.new_element.exception.message = "boom"
            loop.call_soon(self.client.write_forward_msg, shown)
        if path not in self.hangs:
            loop.call_later(0.01, self.client.write_forward_msg, self._finished(ForwardMsg.FINISHED_SUCCESSFULLY))

    @staticmethod
    def _finished(status) -> ForwardMsg:
        done = ForwardMsg()
        done.script_finished = status
        return done

    def close_session(self, session_id):
        self.closed.append(session_id)


class _Log:
    def __init__(self):
        self.lines = []

    def warning(self, text, *args):
        self.lines.append(("warning", text % args))

    def info(self, text, *args):
        self.lines.append(("info", text % args))


def test_a_rehearsal_opens_each_page_in_turn_past_one_that_fails_and_stops_at_one_that_hangs(monkeypatch):
    """Each page waits for its own end (not the end Streamlit sends for the run the next page cuts short); a page
    that shows an exception is logged and the next one opened; one that hangs is logged and ends the rehearsal; the
    session is closed either way."""
    monkeypatch.setattr(app_start, "LOG", log := _Log())
    runtime = _Runtime(hangs={"guidance"}, fails={"flow_matching"})
    paths = ["", "flow_matching", "score_fields", "guidance", "playground"]
    took = asyncio.run(app_start.rehearse(runtime, paths, timeout=0.2))
    assert runtime.asked == [("rehearsal", p) for p in paths[:4]]
    assert list(took) == ["", "flow_matching", "score_fields"] and runtime.closed == ["rehearsal"]
    assert all(seconds >= 0.01 for seconds in took.values())  # each page's own end, not the run before's
    assert [text for level, text in log.lines if level == "warning"] == [
        "rehearsing the page at /flow_matching showed an exception",
        "rehearsing the page at /guidance took over 0 s: the rehearsal stops there"]


def test_a_failure_in_the_lifespan_is_logged_and_the_server_starts_all_the_same():
    """If what starts with the server fails (here app.py's _start raises), the lifespan logs it and lets the server
    start: the router runs app_start.start again at every run, and its page says what is wrong. (A process of its
    own: importing app.py makes an st.App, which sets Streamlit's process-wide script path.)"""
    script = ("import asyncio, app\n"
              "def fail():\n"
              "    raise RuntimeError('a shipped file is broken')\n"
              "app._start = fail\n"
              "async def serve():\n"
              "    async with app._lifespan(app.app):\n"
              "        print('serving')\n"
              "asyncio.run(serve())\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0 and out.stdout.split() == ["serving"], out.stderr[-2000:]
    assert "starting the app with the server failed" in out.stderr and "a shipped file is broken" in out.stderr


def test_a_stopped_server_leaves_no_process_behind():
    """The training process (started by a page with a training button) and the resource tracker its start launched
    are stopped and waited for when the server is stopped (SIGTERM): uvicorn ends the process by raising the signal
    again, which runs no exit handler, so without app_cache.stop_processes they were left as zombies."""
    with browser.server(env={"GD_WARM": "0"}) as srv:
        async def visit() -> int:
            session = wire.WireSession(srv.url)
            await session.open()
            await session.run("diffusion_process")
            await session.close()
            return session.exceptions

        assert asyncio.run(visit()) == 0
        children = procs.tree_pids(srv.process.pid)[1:]
        assert len(children) == 2, children  # the training process and multiprocessing's resource tracker
    left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert not left, [(pid, Path(f"/proc/{pid}/status").read_text().splitlines()[:3]) for pid in left]
