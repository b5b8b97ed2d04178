"""What starts with the app, however it is served: the menu of pages, and `start()`, which hardens Streamlit for a
public server (app_hosting), gives the app's HTML the pages' addresses (a page's own address connects at once), has
every figure the app keeps made ready to send, and starts computing every page's default view in the background
(app_cache.warm_up).

app.py calls `start()` when the server starts, before any reader can connect; app_router.py calls it on every run
(it is idempotent), which covers a server started on the router itself and AppTest.

`rehearse` is the reader a server plays itself once the default views are computed (app.py calls it): it opens
pages in a session of its own, whose messages go nowhere, so that what a page's first run does besides computing
its views (building and keeping its figures, its first imports, starting the training process) is done before a
reader opens it. It uses what Streamlit's own websocket handler uses: Runtime.connect_session with a SessionClient,
handle_backmsg, close_session, all on the server's event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from pathlib import Path

from streamlit import source_util
from streamlit.logger import get_logger
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import Runtime

import app_cache
import app_cache.figures
import app_hosting
from app_components import chart

LOG = get_logger(__name__)

MENU = (  # each page's script in app_pages/ and its title, in menu order; Home is the default page, at the root
    ("home", "Home"),
    ("diffusion_process", "The diffusion process"),
    ("means_and_modes", "Means and modes"),
    ("regurgitation", "Regurgitation"),
    ("score_fields", "Score fields"),
    ("where_the_loss_comes_from", "Where the loss comes from"),
    ("spectral_bands", "Spectral bands"),
    ("sampling_optimization", "Sampling as optimization"),
    ("flow_matching", "Flow matching"),
    ("guidance", "Guidance"),
    ("playground", "Playground"),
)


def url_paths() -> list[str]:
    """Each page's address under the app's root, named as st.Page names it (from its script's file name); Home's is
    the root."""
    return [""] + [source_util.page_icon_and_name(Path(f"{name}.py"))[1] for name, _ in MENU[1:]]


def start() -> threading.Thread | None:
    """Everything above (idempotent); returns the warm-up's thread (None under AppTest or with GD_WARM=0)."""
    app_hosting.harden()
    app_hosting.connect_at_once(url_paths())
    app_cache.figures.on_kept = chart.prepare  # a figure kept is made ready to send (the warm-up's too)
    return app_cache.warm_up()


class _Rehearsal:
    """Streamlit's SessionClient for a session nobody reads: its messages are dropped; the end of each run (not a run
    cut short by the next one) and the exceptions it showed are noted. Called on the event loop that delivers every
    session's messages, so it never raises."""

    DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)

    def __init__(self) -> None:
        self.finished = asyncio.Event()
        self.exceptions = 0

    def write_forward_msg(self, msg: ForwardMsg) -> None:
        try:
            kind = msg.WhichOneof("type")
            if kind == "script_finished" and msg.script_finished in self.DONE:
                self.finished.set()
            elif (kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception") or (
                    kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception"):
                self.exceptions += 1
        except Exception:  # (nothing above should raise: if it did, the rehearsal would time out, and say so)
            LOG.exception("a rehearsal message could not be read")

    @property
    def client_context(self) -> None:  # no headers, cookies or address: nobody is there
        return None


async def rehearse(runtime: Runtime, paths: Iterable[str], timeout: float = 60) -> dict[str, float]:
    """Open the pages at `paths` (their addresses: "" is Home) one after another, at their defaults, in one session of
    the server's own, as one reader going from page to page would; returns the seconds each took. Runs on the
    server's event loop (Streamlit's Runtime asks it). A page that shows an exception is logged and the next one
    opened; one that takes over `timeout` seconds is logged and ends the rehearsal (closing the session stops it)."""
    client = _Rehearsal()
    session_id = runtime.connect_session(client=client, user_info={})
    took: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    try:
        for path in paths:
            client.finished.clear()
            before, start = client.exceptions, loop.time()
            msg = BackMsg()
            msg.rerun_script.page_name = path
            runtime.handle_backmsg(session_id, msg)
            try:
                await asyncio.wait_for(client.finished.wait(), timeout)
            except TimeoutError:
                LOG.warning("rehearsing the page at /%s took over %.0f s: the rehearsal stops there", path, timeout)
                break
            took[path] = round(loop.time() - start, 2)
            if client.exceptions > before:
                LOG.warning("rehearsing the page at /%s showed an exception", path)
    finally:
        runtime.close_session(session_id)
    LOG.info("pages rehearsed: %s", ", ".join(f"/{p} {s:.2f} s" for p, s in took.items()))
    return took
