"""Memory and CPU of a process tree, read from /proc (Linux): what the load tests report."""

from __future__ import annotations

import os
from pathlib import Path


def tree_pids(pid: int) -> list[int]:
    """A process and all its live descendants, from /proc."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return pids


def tree_rss_kb(pid: int) -> int:
    """Resident set size of a process and its children (kB)."""
    total = 0
    for p in tree_pids(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
        except (OSError, StopIteration, ValueError):
            continue
    return total


def treecpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children, waited-for children included."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / tick  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
    return total


def cpu_seconds(pattern: str) -> float:
    """User + system CPU seconds of every process whose command line contains `pattern`."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if pattern not in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total
