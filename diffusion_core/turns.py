"""A first-come, first-served line for the CPU: at most `slots` trainings run at a time.

Every live training in the app takes a ticket from one process-wide `TurnQueue` and trains only
when its ticket's turn comes, so ten readers pressing "train" at once get ten trainings one after
another, at full speed each, rather than ten trainings thrashing two cores. While it waits, a
ticket can say how many tickets are ahead of it, so the page can tell the reader.

A public server needs two more rules, so that no reader can hold the line for others: an owner (a
reader's session) holds at most one ticket at a time, and the line has a maximum length. A ticket
records the seconds its job may take, so a refused reader can be told how long the line will last.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class LineRefused(Exception):
    """A ticket was refused: `reason` is "owner" (this owner already holds one) or "full"; `seconds` is
    how long the tickets already in line may take, at most."""

    def __init__(self, reason: str, seconds: float):
        super().__init__(f"{reason}: the line may take {seconds:.0f} s")
        self.reason, self.seconds = reason, seconds


class Ticket:
    """A place in a `TurnQueue`. Wait for the turn with `wait`; always `leave` (or use the context manager)."""

    def __init__(self, queue: TurnQueue, number: int):
        self._queue, self.number = queue, number

    def ahead(self) -> int:
        """How many tickets run or wait before this one (0 once it is this ticket's turn)."""
        return self._queue._ahead(self.number)

    def seconds_ahead(self) -> float:
        """The most the tickets before this one may take (0 once it is this ticket's turn)."""
        return self._queue._seconds_ahead(self.number)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until this ticket's turn or until `timeout` seconds pass; True when it is its turn."""
        return self._queue._wait(self.number, timeout)

    def leave(self) -> None:
        """Give up the place or the turn (idempotent): the next ticket in line moves up."""
        self._queue._leave(self.number)


class TurnQueue:
    """At most `slots` ticket holders have their turn at once; the others wait in arrival order."""

    def __init__(self, slots: int = 1, max_length: int | None = None):
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        if max_length is not None and max_length < slots:
            raise ValueError(f"max_length must be at least slots ({slots}), got {max_length}")
        self.slots, self.max_length = slots, max_length
        self._cond = threading.Condition()
        self._line: list[int] = []  # ticket numbers in arrival order; the first `slots` have their turn
        self._owner: dict[int, object] = {}  # ticket number -> owner, for tickets that have one
        self._seconds: dict[int, float] = {}  # ticket number -> the most its job may take
        self._numbers = itertools.count()

    def join(self, owner: object = None, seconds: float = 0.0) -> Ticket:
        """Take a ticket at the end of the line for a job of at most `seconds`.

        Raises LineRefused when `owner` (if given) already holds a ticket, or the line is at its maximum length.
        """
        with self._cond:
            if owner is not None and owner in self._owner.values():
                raise LineRefused("owner", self._total_seconds())
            if self.max_length is not None and len(self._line) >= self.max_length:
                raise LineRefused("full", self._total_seconds())
            number = next(self._numbers)
            self._line.append(number)
            self._seconds[number] = float(seconds)
            if owner is not None:
                self._owner[number] = owner
            return Ticket(self, number)

    def _total_seconds(self) -> float:
        """The most the tickets in line may take, one slot after another (call with the lock held)."""
        return sum(self._seconds.values()) / self.slots

    def seconds(self) -> float:
        """How long the tickets now in line may take, at most."""
        with self._cond:
            return self._total_seconds()

    @contextmanager
    def ticket(self, owner: object = None, seconds: float = 0.0) -> Iterator[Ticket]:
        """A ticket that leaves the line however the block ends (an exception, a stopped script)."""
        t = self.join(owner, seconds)
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

    def _seconds_ahead(self, number: int) -> float:
        with self._cond:
            if number not in self._line or self._line.index(number) < self.slots:
                return 0.0
            before = self._line[:self._line.index(number)]
            return sum(self._seconds[n] for n in before) / self.slots

    def _wait(self, number: int, timeout: float | None) -> bool:
        with self._cond:
            if number not in self._line:
                raise RuntimeError("this ticket has left the line")
            return self._cond.wait_for(lambda: self._line.index(number) < self.slots, timeout)

    def _leave(self, number: int) -> None:
        with self._cond:
            if number in self._line:
                self._line.remove(number)
                self._owner.pop(number, None)
                self._seconds.pop(number, None)
                self._cond.notify_all()
