"""A first-come, first-served line for the CPU: at most `slots` trainings run at a time.

Every live training in the app takes a ticket from one process-wide `TurnQueue` and trains only
when its ticket's turn comes, so ten readers pressing "train" at once get ten trainings one after
another, at full speed each, rather than ten trainings thrashing two cores. While it waits, a
ticket can say how many tickets are ahead of it, so the page can tell the reader.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Ticket:
    """A place in a `TurnQueue`. Wait for the turn with `wait`; always `leave` (or use the context manager)."""

    def __init__(self, queue: TurnQueue, number: int):
        self._queue, self.number = queue, number

    def ahead(self) -> int:
        """How many tickets run or wait before this one (0 once it is this ticket's turn)."""
        return self._queue._ahead(self.number)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until this ticket's turn or until `timeout` seconds pass; True when it is its turn."""
        return self._queue._wait(self.number, timeout)

    def leave(self) -> None:
        """Give up the place or the turn (idempotent): the next ticket in line moves up."""
        self._queue._leave(self.number)


class TurnQueue:
    """At most `slots` ticket holders have their turn at once; the others wait in arrival order."""

    def __init__(self, slots: int = 1):
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.slots = slots
        self._cond = threading.Condition()
        self._line: list[int] = []  # ticket numbers in arrival order; the first `slots` have their turn
        self._numbers = itertools.count()

    def join(self) -> Ticket:
        """Take a ticket at the end of the line."""
        with self._cond:
            number = next(self._numbers)
            self._line.append(number)
            return Ticket(self, number)

    @contextmanager
    def ticket(self) -> Iterator[Ticket]:
        """A ticket that leaves the line however the block ends (an exception, a stopped script)."""
        t = self.join()
        try:
            yield t
        finally:
            t.leave()

    def __len__(self) -> int:
        """Tickets in line, running or waiting."""
        with self._cond:
            return len(self._line)

    def _ahead(self, number: int) -> int:
        with self._cond:
            if number not in self._line:
                return 0
            i = self._line.index(number)
            return 0 if i < self.slots else i

    def _wait(self, number: int, timeout: float | None) -> bool:
        with self._cond:
            if number not in self._line:
                raise RuntimeError("this ticket has left the line")
            return self._cond.wait_for(lambda: self._line.index(number) < self.slots, timeout)

    def _leave(self, number: int) -> None:
        with self._cond:
            if number in self._line:
                self._line.remove(number)
                self._cond.notify_all()
