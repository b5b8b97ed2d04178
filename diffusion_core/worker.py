"""Run trainings in a separate process, one at a time, streaming their progress back.

A training is a tight loop of small tensor operations; in the app's server process it would hold
Python's global interpreter lock for most of its time, so every reader's page would wait on it and
it would get a third of its steps once a few readers are clicking around (measured: 886 steps in
10 s instead of about 3,000). A `Worker` owns one child process (started on first use, with the
"spawn" method, so it shares no state or threads with the server) and runs one job at a time in it.

A job is a module-level generator function: the child calls it, sends back each record it yields
and finally the value it returns. The caller iterates `Worker.run(...)` like the job itself; if it
stops iterating and closes it (a reader leaves the page), the child is told to stop the job.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import types
from collections.abc import Callable, Generator
from typing import Any

_STOP = "stop"
_MAIN_SWAP = threading.Lock()  # guards the brief swap of __main__ while a child is spawned


def _serve(conn) -> None:
    """The child's loop: take a job, stream its records, return its value; stop it when asked."""
    import diffusion_core  # noqa: F401  (one torch thread, as in the server)

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg == _STOP:  # a stop that crossed the end of the job it was meant for
            continue
        fn, args, kwargs = msg
        try:
            job = fn(*args, **kwargs)
            while True:
                try:
                    record = next(job)
                except StopIteration as done:
                    conn.send(("result", done.value))
                    break
                conn.send(("record", record))
                if conn.poll() and conn.recv() == _STOP:
                    job.close()
                    conn.send(("stopped", None))
                    break
        except Exception as e:  # noqa: BLE001 - the job's error goes back to the caller as text
            conn.send(("error", f"{type(e).__name__}: {e}"))


class Worker:
    """One child process that runs generator jobs one at a time (callers from many threads queue)."""

    def __init__(self, poll_seconds: float = 0.5):
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None
        self.poll_seconds = poll_seconds

    def start(self) -> None:
        """Start the child now (it takes a few seconds to import torch), not at the first job."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), daemon=True, name="training-worker")
        # "spawn" re-runs the parent's __main__ in the child. Inside a Streamlit script that is the
        # app itself (Streamlit points __main__ at the script it runs), so the child would run the app's pages.
        # A bare __main__ while the child starts makes it import only what the job needs.
        with _MAIN_SWAP:
            main = sys.modules["__main__"]
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                self._proc.start()
            finally:
                sys.modules["__main__"] = main
        child.close()
        self._conn = parent

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def run(self, fn: Callable[..., Generator], *args, **kwargs) -> Generator[Any, None, Any]:
        """Run `fn(*args, **kwargs)` in the child; yield its records; return its return value.

        One job at a time: the generator holds the worker from its first record until it is
        exhausted or closed, so a caller that stops early must `close()` it (app_training does).
        Raises RuntimeError with the job's error, or when the child process dies.
        """
        with self._lock:
            self._start()
            finished = False
            try:
                try:
                    self._conn.send((fn, args, kwargs))
                except OSError:  # the child died since it was last seen alive
                    finished = True
                    self._kill()
                    raise RuntimeError("the training process ended unexpectedly") from None
                while True:
                    try:
                        if not self._conn.poll(self.poll_seconds):
                            if self._proc.is_alive():
                                continue
                            raise EOFError
                        kind, payload = self._conn.recv()
                    except (EOFError, OSError):
                        finished = True
                        self._kill()
                        raise RuntimeError("the training process ended unexpectedly") from None
                    if kind == "record":
                        yield payload
                        continue
                    finished = True
                    if kind == "error":
                        raise RuntimeError(payload)
                    return payload
            finally:
                if not finished:  # the caller stopped early: stop the job and wait for the child to say so
                    self._stop_job()

    def _stop_job(self) -> None:
        try:
            self._conn.send(_STOP)
            while self._conn.poll(10):
                kind, _ = self._conn.recv()
                if kind in ("stopped", "result", "error"):
                    return
        except (EOFError, OSError, BrokenPipeError):
            pass
        self._kill()  # no answer in 10 s, or a broken pipe: start afresh next time

    def close(self) -> None:
        with self._lock:
            self._kill()
