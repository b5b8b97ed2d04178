"""A live training that outlives the script run that started it.

`app_training.run` trains inside a page's script run: when the reader moves a control, the run stops
and so does the training. The Playground instead keeps a `Background` in the reader's session: a
thread of the server that waits for its turn in the CPU line (turns.TurnQueue), drives the job in the
training process (worker.Worker) and collects its records, while page runs come and go and read its
progress. The thread holds no Streamlit object; the page polls it.

A `Background` takes its ticket when it is made, so a refusal (the owner already has a training in
line, or the line is full: turns.LineRefused) reaches the page at once. Its owner may also hand it
`owner_alive`, a function telling whether the reader is still connected: once it has said no for
`gone_seconds` (the reader closed the tab), the training leaves the line, or stops if it was already
training, with the status ABANDONED. As a backstop, one still waiting whose owner has not looked at it
for `abandon_seconds` (a reader on other pages that long) leaves the line too.
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
                 on_event: Callable[[str], None] | None = None, owner: object = None,
                 owner_alive: Callable[[], bool] | None = None, gone_seconds: float = 5.0, **kwargs):
        self.seconds = seconds
        self.status = WAITING
        self.ahead = 0  # trainings before this one while it waits
        self.seconds_ahead = 0.0  # the most they may take
        self.records: list = []  # every TrainRecord so far
        self.result: Any = None
        self.error: str | None = None
        self.started_at: float | None = None  # time.time() when its turn came
        self._line, self._worker, self._job, self._args, self._kwargs = line, worker, job, args, kwargs
        self._stop = threading.Event()
        self._seen = time.monotonic()
        self._abandon, self._poll = abandon_seconds, poll_seconds
        self._on_event = on_event or (lambda _msg: None)
        self._alive, self._gone_seconds, self._gone_since = owner_alive, gone_seconds, None
        self._ticket = line.join(owner, seconds)  # raises turns.LineRefused before any thread starts
        try:
            self._thread = threading.Thread(target=self._run, name="background-training", daemon=True)
            self._thread.start()
        except BaseException:  # no thread (say, too many threads): the ticket must not hold the line for ever
            self._ticket.leave()
            raise

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
                self.error = self.error or "the training thread ended early"
                self.status = FAILED

    def _owner_gone(self) -> bool:
        """True once `owner_alive` has said no for `gone_seconds` in a row."""
        if self._alive is None or self._alive():
            self._gone_since = None
            return False
        now = time.monotonic()
        self._gone_since = self._gone_since or now
        return now - self._gone_since >= self._gone_seconds

    def _train(self) -> None:
        ticket = self._ticket
        try:
            self._wait_and_train(ticket)
        finally:
            ticket.leave()

    def _wait_and_train(self, ticket) -> None:
        while not ticket.wait(self._poll):
            self.ahead = max(1, ticket.ahead())
            self.seconds_ahead = ticket.seconds_ahead()
            if self._stop.is_set():
                self.status = STOPPED
                return
            if time.monotonic() - self._seen > self._abandon or self._owner_gone():
                self.status = ABANDONED
                return
        self.ahead, self.seconds_ahead = 0, 0.0
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
                if self._owner_gone():
                    self.status = ABANDONED
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
