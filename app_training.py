"""Live training from a page: wait for a turn on the CPU, then train with a progress bar.

Every live training in the app goes through `run`, so trainings from all readers of a server
queue in `app_cache.training_line()` rather than fight over the cores, and run in the training
worker process (`app_cache.training_worker()`), not in the server's own. A reader whose training
waits sees how many are ahead. If the script stops (the reader leaves or moves a control), the
ticket leaves the line and the worker stops the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any

import streamlit as st
from streamlit.logger import get_logger

import app_cache
from diffusion_core import background, pretrained
from diffusion_core.denoisers import NetDenoiser
from diffusion_core.training import TrainRecord

POLL_SECONDS = 0.5  # how often a waiting reader's message is refreshed
LOG = get_logger(__name__)  # one line when a training starts and when it ends (the load test reads them)


def run(job: Callable[..., Generator[TrainRecord, None, Any]], *args, seconds: float,
        **kwargs) -> tuple[TrainRecord | None, Any]:
    """Wait for the CPU, then run `job(*args, seconds=seconds, **kwargs)` in the training worker.

    `job` is a module-level generator function of the core that yields `TrainRecord`s and returns
    its result (for example `pretrained.train_job`); `seconds` is its time budget.
    The job starts when it is this reader's turn, so its budget counts from then, not from the
    click. Returns the last record (None if there was none) and the job's result.
    """
    status = st.empty()
    clicked = time.time()
    with app_cache.training_line().ticket() as ticket:
        while not ticket.wait(POLL_SECONDS):
            ahead = max(1, ticket.ahead())  # 0 only in the instant its turn comes
            status.info(f"Waiting for the CPU: {ahead} live training{'s' * (ahead != 1)} "
                        f"ahead of yours (about {ahead * seconds:.0f} s). Trainings run one at a "
                        "time so each gets a full core.", icon=":material/hourglass_top:")
        status.empty()
        started = time.time()
        LOG.info("live training %d started at %.3f after waiting %.1f s", ticket.number, started, started - clicked)
        bar = st.progress(0.0, text="starting...")
        records = app_cache.training_worker().run(job, *args, seconds=seconds, **kwargs)
        record = None
        try:
            while True:
                try:
                    record = next(records)
                except StopIteration as done:
                    result = done.value
                    break
                bar.progress(min(record.fraction, 1.0), text=f"step {record.step:,}, {record.elapsed:.1f} of "
                                                             f"{seconds:.0f} s, loss {record.loss:.3f}")
        finally:
            records.close()  # stops the job in the worker if this script was stopped mid-training
            LOG.info("live training %d ended at %.3f after %d steps", ticket.number, time.time(),
                     record.step if record else 0)
        bar.empty()
    return record, result


def retrain(name: str, key: str, result_of: Callable[[NetDenoiser], dict]) -> None:
    """Train the shipped recipe `name` from scratch for app_cache.RETRAIN_SECONDS (after waiting for the CPU) and
    keep `result_of(its denoiser)`, with the training's steps and seconds, in st.session_state[key]."""
    record, state = run(pretrained.train_job, name, seconds=app_cache.RETRAIN_SECONDS)
    if record is None:
        raise RuntimeError("the training made no step")
    result = result_of(NetDenoiser(pretrained.net_from_job(name, state)))
    st.session_state[key] = {**result, "steps": record.step, "seconds": record.elapsed}


def live_or_shipped(state_key: str, train: Callable[[], None], *, label: str, help: str, button_key: str,
                    reset_key: str):
    """A "train live" button and, once a live result exists, a "Back to shipped weights" button.

    `train` runs the training (through `run`) and stores its result in st.session_state[state_key];
    a failure is shown as a warning and the shipped weights stay. Returns the live result or None.
    """
    if st.button(label, key=button_key, icon=":material/model_training:", help=help):
        try:
            train()
        except (ValueError, RuntimeError) as err:
            st.warning(f"Training failed ({err}); the shipped weights are shown instead.")
    live = st.session_state.get(state_key)
    if live is not None and st.button("Back to shipped weights", key=reset_key):
        del st.session_state[state_key]
        live = None
    return live


def start_background(job: Callable[..., Generator[TrainRecord, None, Any]], *args, seconds: float,
                     **kwargs) -> background.Background:
    """Start `job` as a training that outlives this script run (diffusion_core.background): it waits in
    the same line as every `run`, then trains in the same worker. Keep the result in the session."""
    return background.Background(app_cache.training_line(), app_cache.training_worker(), job, *args,
                                 seconds=seconds, on_event=LOG.info, **kwargs)
