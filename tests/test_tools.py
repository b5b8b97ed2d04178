"""The measuring tools' own arithmetic (tools/): what they print is only as good as how they add up."""

from __future__ import annotations

from tools import browserbench


def test_rounds_of_a_page_keep_every_time():
    """--rounds measures a page several times per version: the rounds' times are all kept (medians are taken over
    them), the megabytes a load receives averaged, and a control seen in one round only keeps its times."""
    results: dict = {}
    browserbench.merge(results, "Flow matching", {"loads": [1.0, 1.2], "megabytes": 2.0, "charts": 7, "images": 0,
                                                   "controls": {"select: Data set": [0.5, 0.6]}})
    browserbench.merge(results, "Flow matching", {"loads": [1.4], "megabytes": 3.0, "charts": 7, "images": 0,
                                                   "controls": {"select: Data set": [0.7],
                                                                "slider: Steps": [0.2]}})
    page = results["Flow matching"]
    assert page["loads"] == [1.0, 1.2, 1.4]
    assert page["megabytes"] == 2.5 and page["rounds"] == 2
    assert page["controls"] == {"select: Data set": [0.5, 0.6, 0.7], "slider: Steps": [0.2]}
    assert (page["charts"], page["images"]) == (7, 0)



def test_a_server_s_cpu_counts_its_children_and_idle_waits_for_them():
    """The bench waits for a server and its children (the training process) to be idle before it measures: the CPU
    time it reads includes a busy grandchild's, and the wait lasts while that one is busy and ends once it stops."""
    import subprocess
    import sys
    import time

    busy = "import time; t = time.process_time(); exec('while time.process_time() - t < 2: pass')"
    parent = subprocess.Popen([sys.executable, "-c", (f"import subprocess, sys; subprocess.run([sys.executable, "
                                                      f"'-c', {busy!r}]); import time; time.sleep(60)")])
    try:
        time.sleep(1.0)
        assert browserbench.cpu_seconds(parent.pid) >= 0.5, "the busy grandchild's time is counted"
        waited = browserbench.idle(parent.pid, timeout=30)
        assert 2.0 <= waited < 25, waited  # busy for at least another second: seen busy once, then idle
        assert browserbench.idle(parent.pid, timeout=5) < 1.5, "a sleeping tree is idle at the first look"
    finally:
        parent.kill()
