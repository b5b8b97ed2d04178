"""A live training that outlives the script run that started it.

`app_training.run` trains inside a page's script run: when the reader moves a control, the run stops
and so does the training. The Playground instead keeps a `Background` in the reader's session: a
thread of the server that waits for its turn in the CPU line (turns.TurnQueue), drives the job in the
training process (worker.Worker) and collects its records, while page runs come and go and read its
progress. The thread holds no Streamlit object; the page polls it.

A `Background` still waiting in line whose owner has not looked at it for `abandon_seconds` (the
reader closed the tab, or has been on other pages that long) leaves the line with the status
ABANDONED, so that it does not hold up the readers behind it. Once training, it runs to its end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from .turns import TurnQueue
from .worker import Worker

WAITING, TRAINING, DONE, FAILED, STOPPED, ABANDONED = "waiting", "training", "done", "failed", "stopped", "abandoned"
ACTIVE = (WAITING, TRAINING)


class Background:
    """One training job run in a thread: `status`, `ahead`, `records`, then `result` or `error`."""

    def __init__(self, line: TurnQueue, worker: Worker, job: Callable[..., Generator], *args,
                 seconds: float, abandon_seconds: float = 600.0, poll_seconds: float = 0.25,
                 on_event: Callable[[str], None] | None = None, **kwargs):
        self.seconds = seconds
        self.status = WAITING
        self.ahead = 0  # trainings before this one while it waits
        self.records: list = []  # every TrainRecord so far
        self.result: Any = None
        self.error: str | None = None
        self.started_at: float | None = None  # time.time() when its turn came
        self._line, self._worker, self._job, self._args, self._kwargs = line, worker, job, args, kwargs
        self._stop = threading.Event()
        self._seen = time.monotonic()
        self._abandon, self._poll = abandon_seconds, poll_seconds
        self._on_event = on_event or (lambda _msg: None)
        self._thread = threading.Thread(target=self._run, name="background-training", daemon=True)
        self._thread.start()

    # -------------------------------------------------------------- what the page calls

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def last(self):
        """The latest TrainRecord, or None."""
        return self.records[-1] if self.records else None

    def seen(self) -> None:
        """The owner looked at this training (a page run drew it): it is not abandoned."""
        self._seen = time.monotonic()

    def stop(self) -> None:
        """Leave the line, or stop the job in the worker (the weights so far are discarded)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -------------------------------------------------------------- the thread

    def _run(self) -> None:
        try:
            self._train()
        except Exception as e:  # noqa: BLE001 - anything unforeseen ends the training, never leaves it "active"
            self.error = f"{type(e).__name__}: {e}"
            self.status = FAILED
        finally:
            if self.status in ACTIVE:
                self.status = FAILED
                self.error = self.error or "the training thread ended early"

    def _train(self) -> None:
        with self._line.ticket() as ticket:
            while not ticket.wait(self._poll):
                self.ahead = max(1, ticket.ahead())
                if self._stop.is_set():
                    self.status = STOPPED
                    return
                if time.monotonic() - self._seen > self._abandon:
                    self.status = ABANDONED
                    return
            self.ahead = 0
            if self._stop.is_set():
                self.status = STOPPED
                return
            self.started_at = time.time()
            self.status = TRAINING
            self._on_event(f"background training started (ticket {ticket.number})")
            records = self._worker.run(self._job, *self._args, seconds=self.seconds, **self._kwargs)
            try:
                while True:
                    if self._stop.is_set():
                        self.status = STOPPED
                        return
                    try:
                        self.records.append(next(records))
                    except StopIteration as done:
                        self.result = done.value
                        self.status = DONE
                        return
            except RuntimeError as e:  # the job raised, or the training process died
                self.error = str(e)
                self.status = FAILED
            finally:
                records.close()  # stops the job in the worker when this thread stops early
                self._on_event(f"background training ended ({self.status}) after "
                               f"{getattr(self.last, 'step', len(self.records))} steps")
