"""The CPU line: order, slots, waiting with a timeout, and leaving on an exception."""

import threading
import time

import pytest

from diffusion_core.turns import TurnQueue


def test_one_slot_serves_tickets_in_arrival_order_one_at_a_time():
    q = TurnQueue(slots=1)
    running, most, order, lock = [0], [0], [], threading.Lock()
    tickets = [q.join() for _ in range(5)]  # joined in order 0..4 before any thread starts

    def work(i, ticket):
        ticket.wait()
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            order.append(i)
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        ticket.leave()

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in reversed(list(enumerate(tickets)))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert most[0] == 1
    assert len(q) == 0


def test_two_slots_let_two_run_and_the_third_wait():
    q = TurnQueue(slots=2)
    a, b, c = q.join(), q.join(), q.join()
    assert a.wait(0) and b.wait(0)
    assert not c.wait(0.05)
    assert [a.ahead(), b.ahead(), c.ahead()] == [0, 0, 2]
    b.leave()
    assert c.wait(1) and c.ahead() == 0


def test_ahead_counts_down_as_the_line_moves():
    q = TurnQueue()
    tickets = [q.join() for _ in range(4)]
    assert [t.ahead() for t in tickets] == [0, 1, 2, 3]
    tickets[1].leave()  # a reader in the middle gives up
    assert [t.ahead() for t in (tickets[0], tickets[2], tickets[3])] == [0, 1, 2]
    tickets[0].leave()
    assert tickets[2].wait(0) and tickets[3].ahead() == 1


def test_the_context_manager_leaves_the_line_on_an_exception():
    q = TurnQueue()
    with pytest.raises(KeyboardInterrupt), q.ticket() as t:
        assert t.wait(0)
        raise KeyboardInterrupt  # as a stopped Streamlit script would
    nxt = q.join()
    assert nxt.wait(0) and len(q) == 1


def test_leave_is_idempotent_and_a_left_ticket_cannot_wait():
    q = TurnQueue()
    t = q.join()
    t.leave()
    t.leave()
    assert len(q) == 0 and t.ahead() == 0
    with pytest.raises(RuntimeError):
        t.wait(0)
    with pytest.raises(ValueError):
        TurnQueue(slots=0)


def test_an_owner_holds_one_ticket_and_the_line_has_a_maximum_length():
    from diffusion_core.turns import LineRefused

    q = TurnQueue(slots=1, max_length=3)
    first = q.join("reader-a", seconds=60)
    with pytest.raises(LineRefused) as refused:
        q.join("reader-a", seconds=10)
    assert refused.value.reason == "owner" and refused.value.seconds == 60
    q.join("reader-b", seconds=10)
    third = q.join(None, seconds=20)  # no owner (a test, a tool): only the length counts
    assert third.seconds_ahead() == 70 and first.seconds_ahead() == 0
    with pytest.raises(LineRefused) as full:
        q.join("reader-c", seconds=10)
    assert full.value.reason == "full" and full.value.seconds == 90 and len(q) == 3
    first.leave()
    again = q.join("reader-a", seconds=5)  # its first ticket left, so the owner may join again
    assert again.ahead() == 2 and len(q) == 3


def test_the_line_refuses_a_maximum_below_its_slots():
    with pytest.raises(ValueError):
        TurnQueue(slots=2, max_length=1)
