"""Live training from a page: wait for a turn on the CPU, then train with a progress bar.

Every live training in the app goes through `run`, so trainings from all readers of a server
queue in `app_cache.training_line()` rather than fight over the cores, and run in the training
worker process (`app_cache.training_worker()`), not in the server's own. A reader whose training
waits sees how many are ahead. If the script stops (the reader leaves or moves a control), the
ticket leaves the line and the worker stops the job.

A public server: each reader's session holds at most one ticket at a time, and the line has a maximum
length (app_cache.MAX_LINE); a refused reader gets `Busy`, whose message says why and when to try again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit import runtime
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner import get_script_run_ctx

import app_cache
from diffusion_core import background, pretrained, turns
from diffusion_core.denoisers import Denoiser
from diffusion_core.training import TrainRecord

POLL_SECONDS = 0.5  # how often a waiting reader's message is refreshed
GONE_SECONDS = 15.0  # a background training whose reader's session has been closed this long leaves or stops
# (long enough for a phone that switches apps, or a short network drop, to reconnect)
ABANDON_SECONDS = 600.0  # one still waiting whose reader has not drawn its page this long leaves the line
LOG = get_logger(__name__)  # one line when a training starts and when it ends (the load test reads them)


class Busy(RuntimeError):
    """The line refused this reader's job; the message is one sentence for the page."""


def session_id() -> str | None:
    """The reader's session, which owns at most one ticket in the line (None outside a Streamlit run)."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def session_alive(sid: str | None) -> Callable[[], bool]:
    """A function telling whether session `sid` is still connected (always True where there is no server to
    ask, as under AppTest)."""
    def alive() -> bool:
        return sid is None or not runtime.exists() or runtime.get_instance().is_active_session(sid)
    return alive


def busy_message(refused: turns.LineRefused) -> str:
    """The sentence a refused reader reads."""
    if refused.reason == "owner":
        return ("You already have a job in the CPU line (a training or a large sampling, maybe on another page); "
                "try again when it is done.")
    wait = max(10, 10 * math.ceil(refused.seconds / 10))
    return (f"The server is busy: {app_cache.MAX_LINE} jobs are already in the CPU line. Try again in about "
            f"{wait:.0f} s.")


@contextmanager
def join_line(seconds: float) -> Iterator[turns.Ticket]:
    """This reader's ticket for a job of at most `seconds`, left however the block ends; raises Busy if the
    line refuses it."""
    try:
        ticket = app_cache.training_line().join(session_id(), seconds)
    except turns.LineRefused as refused:
        raise Busy(busy_message(refused)) from None
    try:
        yield ticket
    finally:
        ticket.leave()


def _training_text(record: TrainRecord, seconds: float) -> str:
    return f"step {record.step:,}, {record.elapsed:.1f} of {seconds:.0f} s, loss {record.loss:.3f}"


def run(job: Callable[..., Generator[TrainRecord, None, Any]], *args, seconds: float,
        progress_text: Callable[[Any, float], str] = _training_text, what: str = "live training",
        **kwargs) -> tuple[TrainRecord | None, Any]:
    """Wait for the CPU, then run `job(*args, seconds=seconds, **kwargs)` in the training worker.

    `job` is a module-level generator function of the core that yields `TrainRecord`s (or any records with
    a `fraction`, which `progress_text(record, seconds)` describes) and returns its result (for example
    `pretrained.train_job`); `seconds` is its time budget; `what` names it in the waiting message.
    The job starts when it is this reader's turn, so its budget counts from then, not from the
    click. Returns the last record (None if there was none) and the job's result. Raises Busy when the
    line refuses the job.
    """
    status = st.empty()
    clicked = time.time()
    with join_line(seconds) as ticket:
        while not ticket.wait(POLL_SECONDS):
            ahead = max(1, ticket.ahead())  # 0 only in the instant its turn comes
            status.info(f"Waiting for the CPU: {ahead} job{'s' * (ahead != 1)} ahead of your {what} (about "
                        f"{ticket.seconds_ahead():.0f} s at most). Trainings and large samplings "
                        "run one at a time so each gets a full core.", icon=":material/hourglass_top:")
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
                bar.progress(min(record.fraction, 1.0), text=progress_text(record, seconds))
        finally:
            records.close()  # stops the job in the worker if this script was stopped mid-training
            LOG.info("live training %d ended at %.3f after %d steps", ticket.number, time.time(),
                     getattr(record, "step", 0))
        bar.empty()
    return record, result


def kept_job(store: str, key, job: Callable[..., Generator], *args, seconds: float, keep: int = 2, **kwargs):
    """The result of `run(job, *args, seconds=seconds, **kwargs)`, kept under `key` in the session's dict
    st.session_state[store] (its last `keep` results); None, with a sentence on the page, when the line refuses
    the job or it fails."""
    kept: dict = st.session_state.setdefault(store, {})
    if key in kept:
        return kept[key]
    try:
        _, result = run(job, *args, seconds=seconds, **kwargs)
    except Busy as busy:
        st.warning(f"{busy} Until then, a smaller job runs at once.", icon=":material/hourglass_top:")
        return None
    except RuntimeError as err:
        st.warning(f"The job failed ({err}).", icon=":material/error:")
        return None
    kept[key] = result
    while len(kept) > keep:
        kept.pop(next(iter(kept)))
    return result


def retrain(name: str, key: str, result_of: Callable[[Denoiser], dict]) -> None:
    """Train the shipped recipe `name` again for app_cache.RETRAIN_SECONDS (after waiting for the CPU): from scratch,
    or for a reflow recipe from its flow model's weights on fresh pairs; keep `result_of(its denoiser)`, with the
    training's steps and seconds, in st.session_state[key]."""
    record, state = run(pretrained.train_job, name, seconds=app_cache.RETRAIN_SECONDS)
    if record is None:
        raise RuntimeError("the training made no step")
    result = result_of(pretrained.denoiser_of(name, pretrained.net_from_job(name, state)))
    st.session_state[key] = {**result, "steps": record.step, "seconds": record.elapsed}


def live_or_shipped(state_key: str, train: Callable[[], None], *, label: str, help: str, button_key: str,
                    reset_key: str):
    """A "train live" button and, once a live result exists, a "Back to shipped weights" button.

    `train` runs the training (through `run`) and stores its result in st.session_state[state_key];
    a failure is shown as a warning and the shipped weights stay. Returns the live result or None.
    """
    with st.container():  # its buttons and warnings come and go inside it: the charts after it keep their places
        if st.button(label, key=button_key, icon=":material/model_training:", help=help):
            try:
                train()
            except Busy as err:
                st.warning(str(err), icon=":material/hourglass_top:")
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
    the same line as every `run`, then trains in the same worker, and leaves the line (or stops) a few seconds
    after its reader's session closes. Keep the result in the session. Raises Busy when the line refuses it."""
    sid = session_id()
    try:
        return background.Background(app_cache.training_line(), app_cache.training_worker(), job, *args,
                                     seconds=seconds, on_event=LOG.info, owner=sid, owner_alive=session_alive(sid),
                                     abandon_seconds=ABANDON_SECONDS, gone_seconds=GONE_SECONDS, **kwargs)
    except turns.LineRefused as refused:
        raise Busy(busy_message(refused)) from None
