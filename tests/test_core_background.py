"""Background trainings: they wait their turn in the shared line, train in the worker, and can be stopped
or abandoned without holding up the readers behind them."""

import time

import pytest

from diffusion_core import background
from diffusion_core.turns import TurnQueue
from diffusion_core.worker import Worker


def ticking_job(n: int, pause: float, *, seconds: float):
    for k in range(n):
        time.sleep(pause)
        yield k
    return f"{n} ticks within {seconds} s"


def failing_job(*, seconds: float):
    yield 0
    raise ValueError("no spread in the data")


@pytest.fixture(scope="module")
def worker():
    w = Worker(poll_seconds=0.05)
    w.start()
    yield w
    w.close()


def wait_for(predicate, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_a_background_training_runs_to_its_end_and_keeps_every_record(worker):
    bg = background.Background(TurnQueue(), worker, ticking_job, 5, 0.01, seconds=3.0)
    assert bg.join(30)
    assert bg.status == background.DONE and not bg.active
    assert bg.records == [0, 1, 2, 3, 4] and bg.last == 4
    assert bg.result == "5 ticks within 3.0 s" and bg.error is None


def test_a_second_training_waits_in_line_and_says_how_many_are_ahead(worker):
    line = TurnQueue(slots=1)
    first = background.Background(line, worker, ticking_job, 40, 0.02, seconds=5.0)
    wait_for(lambda: first.status == background.TRAINING)
    second = background.Background(line, worker, ticking_job, 3, 0.01, seconds=5.0)
    wait_for(lambda: second.ahead == 1)
    assert second.status == background.WAITING and second.records == []
    assert first.status == background.TRAINING, "the first training finished before the second was seen waiting"
    assert first.join(30) and second.join(30)
    assert (first.status, second.status) == (background.DONE, background.DONE)
    assert second.started_at >= first.started_at and len(line) == 0


def test_stopping_a_training_frees_the_worker_and_the_line(worker):
    line = TurnQueue()
    bg = background.Background(line, worker, ticking_job, 10_000, 0.01, seconds=60.0)
    wait_for(lambda: len(bg.records) >= 3)
    bg.stop()
    assert bg.join(15)
    assert bg.status == background.STOPPED and len(line) == 0
    assert list(worker.run(ticking_job, 2, 0.0, seconds=1.0)) == [0, 1], "the worker is free for the next job"


def test_a_waiting_training_can_be_stopped_before_its_turn(worker):
    line = TurnQueue()
    first = background.Background(line, worker, ticking_job, 50, 0.02, seconds=5.0)
    second = background.Background(line, worker, ticking_job, 3, 0.01, seconds=5.0)
    wait_for(lambda: second.ahead == 1)
    second.stop()
    assert second.join(10) and second.status == background.STOPPED and second.records == []
    assert first.join(30) and first.status == background.DONE


def test_a_waiting_training_nobody_looks_at_leaves_the_line(worker):
    line = TurnQueue()
    first = background.Background(line, worker, ticking_job, 60, 0.02, seconds=5.0)
    second = background.Background(line, worker, ticking_job, 3, 0.01, seconds=5.0, abandon_seconds=0.3)
    assert second.join(10), "an abandoned training kept its place"
    assert second.status == background.ABANDONED and first.active
    assert first.join(30)


def test_a_failing_job_is_reported_not_raised(worker):
    bg = background.Background(TurnQueue(), worker, failing_job, seconds=1.0)
    assert bg.join(30)
    assert bg.status == background.FAILED and "no spread in the data" in bg.error


def test_an_unforeseen_error_ends_the_training_as_failed_not_active(worker):
    def broken_event(message):
        raise KeyError("a logging handler that breaks")

    bg = background.Background(TurnQueue(), worker, ticking_job, 3, 0.0, seconds=1.0, on_event=broken_event)
    assert bg.join(30)
    assert bg.status == background.FAILED and "KeyError" in bg.error and not bg.active


def test_a_waiting_training_whose_reader_has_gone_leaves_the_line_within_the_grace(worker):
    line = TurnQueue()
    holder = line.join()  # someone else trains
    gone_at = []

    def alive():
        return not gone_at

    bg = background.Background(line, worker, ticking_job, 3, 0.01, seconds=5.0, owner="reader",
                               owner_alive=alive, gone_seconds=0.3, poll_seconds=0.02)
    wait_for(lambda: bg.ahead == 1)
    start = time.monotonic()
    gone_at.append(start)  # the reader closes the tab
    assert bg.join(10)
    assert bg.status == background.ABANDONED and 0.3 <= time.monotonic() - start < 3
    assert len(line) == 1, "the gone reader's ticket stayed in the line"
    holder.leave()


def test_a_training_whose_reader_has_gone_stops_and_frees_the_worker(worker):
    line, gone = TurnQueue(), []
    bg = background.Background(line, worker, ticking_job, 10_000, 0.01, seconds=60.0, owner="reader",
                               owner_alive=lambda: not gone, gone_seconds=0.2, poll_seconds=0.02)
    wait_for(lambda: len(bg.records) > 3)
    gone.append(True)
    assert bg.join(15), "a training whose reader left ran on"
    assert bg.status == background.ABANDONED and len(bg.records) < 10_000 and len(line) == 0
    assert list(worker.run(ticking_job, 2, 0.0, seconds=1.0)) == [0, 1], "the worker is not free for the next job"


def test_a_reader_with_a_ticket_cannot_start_a_second_training(worker):
    from diffusion_core.turns import LineRefused

    line = TurnQueue(max_length=4)
    first = background.Background(line, worker, ticking_job, 50, 0.01, seconds=5.0, owner="reader")
    with pytest.raises(LineRefused):
        background.Background(line, worker, ticking_job, 3, 0.01, seconds=5.0, owner="reader")
    first.stop()
    assert first.join(10) and len(line) == 0


def test_a_training_whose_thread_cannot_start_leaves_the_line(worker, monkeypatch):
    import threading

    line = TurnQueue()

    def no_thread(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises(RuntimeError, match="new thread"):
        background.Background(line, worker, ticking_job, 3, 0.01, seconds=1.0, owner="reader")
    assert len(line) == 0, "a training that never started kept its ticket"
