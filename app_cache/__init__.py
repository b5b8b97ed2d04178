"""The one place the pages cache core calls: Streamlit caching at the page/core boundary.

Each topic has a module here (`app_cache/<topic>.py`) that binds the functions of its room in the core
(`diffusion_core/topics/<topic>/views.py`) to bounded caches in one `bind` call; this module holds what
every page shares. `st.cache_data` holds arrays (copied on each hit, so a page cannot corrupt the cache);
Every cache is bounded by `max_entries`, so memory stays flat with many readers. A cache miss computes in the
one view slot (`view_slot`), so however many readers ask for views nobody has computed yet, the server computes
one at a time and keeps a core for the trainings. Nothing here draws anything (`figures.py` keeps the figures the
pages built, by a digest of their inputs; `flow.py`, `guidance.py` and `optimization.py` build the figures their
controls redraw, which their pages draw and their warm-ups build ahead).

The training line and the training process are plain module singletons, not `st.cache_resource`: any client
can ask Streamlit to clear its caches, and a cleared line would let every reader start a training at once.

`warm_up` computes every page's default view once, in the background, from the moment the server starts (app.py's
lifespan, which waits for Home's; or the first visit, when the router itself is served): the pages a reader opens
are ready. Then it computes the other values of the controls that would compute (each room's `warm_more`).
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import time
from multiprocessing import resource_tracker
from types import SimpleNamespace

import numpy as np
import streamlit as st
from streamlit.logger import get_logger

from diffusion_core import datasets, shipped, turns, worker


def data(max_entries: int):
    """st.cache_data with a bound and no spinner: the wrapper every topic's cached calls use."""
    return st.cache_data(max_entries=max_entries, show_spinner=False)


# One computation of a view at a time, server-wide. A bound function must not call another cached one: two
# threads would take Streamlit's per-key lock and this slot in opposite orders (the core never imports app_cache).
view_slot = threading.RLock()


def in_view_slot(fn):
    """`fn`, run while holding the view slot (a cache miss waits for the computation ahead of it)."""
    @functools.wraps(fn)
    def slotted(*args, **kwargs):
        with view_slot:
            return fn(*args, **kwargs)
    return slotted


def bind(module, **bounds: int) -> SimpleNamespace:
    """The functions of `module` named in `bounds`, each behind st.cache_data with that many entries, computed
    in the view slot on a miss: what a page calls as `cached.<name>(...)`."""
    return SimpleNamespace(**{name: data(n)(in_view_slot(getattr(module, name))) for name, n in bounds.items()})


def _seconds_from_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if 0 < value < 3600 else default


# Seconds of a live retraining. A module constant, so a test can shorten it without the page knowing;
# GD_RETRAIN_SECONDS overrides it for a whole server (the browser tests use 1 s; a host with a slow CPU
# may want more).
RETRAIN_SECONDS = _seconds_from_env("GD_RETRAIN_SECONDS", 10.0)
# Seconds of live training of the image denoiser ("Spectral bands"): about a minute, as the page says.
CONV_SECONDS = _seconds_from_env("GD_CONV_SECONDS", 60.0)


# The most tickets the training line holds (the one training and those waiting): with trainings of at most
# a minute, a reader who joins the line waits at most about this many minutes. One ticket per session.
MAX_LINE = 6
_SINGLETONS: dict[str, object] = {}
_SINGLETON_LOCK = threading.Lock()


def training_line() -> turns.TurnQueue:
    """The one process-wide line every live training (and every heavy sampling) waits in, first come, first
    served, at most MAX_LINE long, one ticket per reader's session.

    One slot: there is one training process (`training_worker`), so a training keeps one core to
    itself and page runs keep the other (2 cores; README, Load).
    """
    with _SINGLETON_LOCK:
        if "line" not in _SINGLETONS:
            _SINGLETONS["line"] = turns.TurnQueue(slots=1, max_length=MAX_LINE)
        return _SINGLETONS["line"]


def training_worker() -> worker.Worker:
    """The child process live trainings run in, off the server's interpreter lock (diffusion_core.worker).

    Started at once, so that a page with a training button can have it ready before the first click.
    """
    with _SINGLETON_LOCK:
        if "worker" not in _SINGLETONS:
            w = worker.Worker()
            w.start()  # (a job restarts the child if it has died since)
            _SINGLETONS["worker"] = w
        return _SINGLETONS["worker"]


def stop_processes() -> None:
    """Stop the training process and the resource tracker that starting it launched, and wait for both. app.py calls
    it as the server shuts down: uvicorn ends the server's process by raising again the signal that stopped it,
    which runs no exit handler (multiprocessing's would have waited for them), so a child not waited for here would
    be left a zombie."""
    with _SINGLETON_LOCK:
        w = _SINGLETONS.get("worker")
    if w is not None:
        w.close()
    stop = getattr(getattr(resource_tracker, "_resource_tracker", None), "_stop", None)
    if stop is not None:  # (CPython's own, private: what its test suite calls to stop the tracker)
        stop()


@data(16)
def points(dataset: str, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Points of a dataset in the canonical frame, (n, 2)."""
    return datasets.load(dataset, n, seed=seed).numpy()


info = data(24)(shipped.info)  # every shipped model: Means and modes alone shows 13


# ---------------------------------------------------------------- every page's default view, before anyone asks

# Home first (where readers land), then the pages whose first view costs most.
WARM_ORDER = ("home", "optimization", "spectra", "process", "modes", "objective", "scores", "copies", "flow", "guidance",
              "playground")
LOG = get_logger(__name__)  # a line per page warmed (the server log shows when the defaults are ready)
_WARMED = {room: threading.Event() for room in WARM_ORDER}  # set once the warm-up has tried the room's default view


def warm_up() -> threading.Thread | None:
    """Start computing every page's default view (each room's `warm()` in app_cache/<topic>.py) in a background
    thread, once per server process; returns the thread, or None under AppTest (whose tests compute what they
    render) or with GD_WARM=0. Each computation takes the view slot like any reader's, so a reader who asks for
    something else waits for at most one of them."""
    if os.environ.get("GD_WARM", "1") == "0" or st.config.get_option("global.appTest"):
        return None
    with _SINGLETON_LOCK:
        if "warm" not in _SINGLETONS:
            thread = threading.Thread(target=warm_all, name="gd-warm-up", daemon=True)
            _SINGLETONS["warm"] = thread
            thread.start()
        return _SINGLETONS["warm"]


def warmed(room: str, timeout: float) -> bool:
    """Wait up to `timeout` seconds for the warm-up to have tried `room`'s default view (computed it, or logged its
    failure); True if it has."""
    return _WARMED[room].wait(timeout)


def warm_all() -> dict[str, float]:
    """Every room's `warm()` in WARM_ORDER (its page's default view), then every room's `warm_more()` where it has
    one (the other values its controls offer), so that every default is ready before any extra; returns the seconds
    each room took in all (a room that fails is logged and skipped: its page computes its own views, as before)."""
    seconds: dict[str, float] = {}
    for phase, what in (("warm", "default view"), ("warm_more", "other settings")):
        for room in WARM_ORDER:
            if phase == "warm_more" and room not in seconds:  # its default view failed: so would the rest
                continue
            start = time.perf_counter()
            try:
                step = getattr(importlib.import_module(f"app_cache.{room}"), phase, None)
                if step is None:
                    continue
                step()
            except Exception:  # a missing or damaged shipped file: the page says so when it is opened
                LOG.exception("computing the %s of %s failed", what, room)
                continue
            finally:
                _WARMED[room].set()  # (the default view: set again after the extras, which changes nothing)
            took = time.perf_counter() - start
            seconds[room] = round(seconds.get(room, 0.0) + took, 2)
            LOG.info("%s of %s computed in %.2f s", what, room, took)
    LOG.info("warm-up done: %d of %d pages in %.1f s", len(seconds), len(WARM_ORDER), sum(seconds.values()))
    return seconds
