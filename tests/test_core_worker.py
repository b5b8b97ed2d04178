"""The training worker: records and results cross the process boundary; errors, stops and deaths."""

import os

import pytest
import torch

from diffusion_core import pretrained
from diffusion_core.worker import Worker


def counting_job(n: int):
    for k in range(n):
        yield (k, os.getpid())
    return "done"


def failing_job():
    yield 1
    raise ValueError("bad data")


def endless_job():
    k = 0
    while True:
        yield k
        k += 1


def main_module_job():
    import sys

    main = sys.modules.get("__mp_main__")
    yield 0
    if main is None:
        return ["__mp_main__ absent"]
    return ["__mp_main__ without a file"] if getattr(main, "__file__", None) is None else [main.__file__]


def dying_job():
    yield 1
    os._exit(3)


@pytest.fixture(scope="module")
def worker():
    w = Worker(poll_seconds=0.2)
    yield w
    w.close()


def _drain(gen):
    records = []
    while True:
        try:
            records.append(next(gen))
        except StopIteration as stop:
            return records, stop.value


def test_records_and_the_result_come_back_from_another_process(worker):
    records, result = _drain(worker.run(counting_job, 5))
    assert [k for k, _ in records] == [0, 1, 2, 3, 4]
    assert result == "done"
    pids = {pid for _, pid in records}
    assert len(pids) == 1 and os.getpid() not in pids and pids == {worker.pid}


def test_a_jobs_error_is_raised_with_its_message_and_the_worker_goes_on(worker):
    with pytest.raises(RuntimeError, match="ValueError: bad data"):
        _drain(worker.run(failing_job))
    assert _drain(worker.run(counting_job, 2))[1] == "done"


def test_a_caller_that_stops_early_stops_the_job(worker):
    gen = worker.run(endless_job)
    assert [next(gen) for _ in range(3)] == [0, 1, 2]
    pid = worker.pid
    gen.close()  # as when a reader leaves the page mid-training
    records, result = _drain(worker.run(counting_job, 3))  # the child is free for the next job at once
    assert result == "done" and worker.pid == pid and len(records) == 3


def test_a_stop_that_arrives_after_its_job_ended_does_not_touch_the_next_job(worker):
    assert _drain(worker.run(counting_job, 2))[1] == "done"
    worker._conn.send("stop")  # as when a reader leaves just as the job finishes
    records, result = _drain(worker.run(counting_job, 4))
    assert result == "done" and len(records) == 4


def test_the_child_does_not_run_the_parents_main_module(worker):
    """Inside a Streamlit script __main__ is the app's script; spawn must not re-run it in the child."""
    _records, names = _drain(worker.run(main_module_job))
    assert names == ["__mp_main__ absent"] or names == ["__mp_main__ without a file"]


def test_a_dead_child_is_reported_and_replaced(worker):
    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        _drain(worker.run(dying_job))
    records, result = _drain(worker.run(counting_job, 1))
    assert result == "done" and worker.pid == records[0][1]


def test_a_ladder_training_in_the_worker_matches_the_same_training_here(worker):
    """Same recipe, seed and step count: the worker's weights equal an in-process run's, bit for bit."""
    records, state = _drain(worker.run(pretrained.train_job, "ladder_linear", steps=60))
    net, run = pretrained.trainer("ladder_linear", steps=60)
    local = list(run)
    assert [r.step for r in records] == [r.step for r in local]
    assert [r.loss for r in records] == [r.loss for r in local]
    for key, value in net.state_dict().items():
        assert torch.equal(torch.from_numpy(state[key]), value), key
