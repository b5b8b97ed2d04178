"""Live training from a page, stopped half way (the reader moved a control or left)."""

import time

import pytest
import streamlit as st

import app_cache
import app_training
from diffusion_core import pretrained


class Stopped(BaseException):
    """Stands in for Streamlit's StopException, which reaches the script at its next st.* call."""


class StoppingBar:
    def __init__(self, after: int):
        self.calls, self.after = 0, after

    def progress(self, *args, **kwargs):
        self.calls += 1
        if self.calls > self.after:
            raise Stopped

    def empty(self):
        pass


def test_a_training_stopped_half_way_leaves_the_line_and_frees_the_worker(monkeypatch):
    bar = StoppingBar(after=3)
    monkeypatch.setattr(st, "progress", lambda *a, **k: bar)
    line, worker = app_cache.training_line(), app_cache.training_worker()
    worker.start()
    pid = worker.pid
    start = time.perf_counter()
    with pytest.raises(Stopped):
        app_training.run(pretrained.train_job, "ladder_none", seconds=60.0)
    assert time.perf_counter() - start < 30, "the 60 s job was not stopped"
    assert bar.calls == 4
    assert len(line) == 0, "the stopped training kept its place in the line"
    assert worker.pid == pid, "stopping a job should not cost the training process"
    records = list(worker.run(pretrained.train_job, "ladder_none", steps=50))  # free for the next job
    assert records[-1].step == 50
