"""The one place the pages cache core calls: Streamlit caching at the page/core boundary.

Each topic has a module here (`app_cache/<topic>.py`) that binds the functions of its room in the core
(`diffusion_core/topics/<topic>/views.py`) to bounded caches in one `bind` call; this module holds what
every page shares. `st.cache_data` holds arrays (copied on each hit, so a page cannot corrupt the cache);
`st.cache_resource` the objects shared as they are (the training line and process). Every cache is bounded
by `max_entries`, so memory stays flat with many readers. Nothing here draws anything.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import streamlit as st

from diffusion_core import datasets, shipped, turns, worker


def data(max_entries: int):
    """st.cache_data with a bound and no spinner: the wrapper every topic's cached calls use."""
    return st.cache_data(max_entries=max_entries, show_spinner=False)


def bind(module, **bounds: int) -> SimpleNamespace:
    """The functions of `module` named in `bounds`, each behind st.cache_data with that many entries: what a
    page calls as `cached.<name>(...)`."""
    return SimpleNamespace(**{name: data(n)(getattr(module, name)) for name, n in bounds.items()})


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


@st.cache_resource(max_entries=1, show_spinner=False)
def training_line() -> turns.TurnQueue:
    """The one process-wide line every live training waits in (first come, first served).

    One slot: there is one training process (`training_worker`), so a training keeps one core to
    itself and page runs keep the other (2 cores; README, Load).
    """
    return turns.TurnQueue(slots=1)


@st.cache_resource(max_entries=1, show_spinner=False)
def training_worker() -> worker.Worker:
    """The child process live trainings run in, off the server's interpreter lock (diffusion_core.worker).

    Started at once, so that a page with a training button can have it ready before the first click.
    """
    w = worker.Worker()
    w.start()
    return w


@data(16)
def points(dataset: str, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Points of a dataset in the canonical frame, (n, 2)."""
    return datasets.load(dataset, n, seed=seed).numpy()


info = data(24)(shipped.info)  # every shipped model: Means and modes alone shows 13
