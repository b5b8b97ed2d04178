"""Hostile load: the attacks of issue 15 all at once against one app server, while ordinary readers browse.

    python tools/hostile.py [--sessions 10] [--rounds 2] [--no-browser] [--json out.json] [--log server.log]

Starts `streamlit run app.py` on a free port (tools/browser.server, as the load test does; XSRF protection stays
on: uploads send the cookie and header a browser sends) and connects `--sessions` ordinary readers at the protocol
level (tools/wire.py, as `tools/loadtest.py --client wire`). Each reader opens Home and visits every page once
(the cold round, not measured), then visits every page `--rounds` times: the baseline. Then, the same readers
still visiting every page until the attacks are over, the attacks run, each an asyncio task with sessions of its
own. Attack 3 starts first and the others join it as soon as its reader has pressed Train a second time (at most
60 s later), so that its first training still holds the line then:

 1. checkpoints of the Playground's model with one weight a stride-0 tensor of 10^9, then 10^12, elements (~60 KB
    files) into its weights uploader: a warning sentence, the model kept, no exception;
 2. a checkpoint of the largest config the app once took (hidden 1024, depth 8, 1024 Fourier features, T 10000),
    every weight stride-0: a refusal sentence;
 3. a reader presses Train (a 60 s training, set by the link), then sends Streamlit's `clear_cache` message (it
    clears every cache and the session's state) three times and presses Train again, three times over: the line is
    not reset ("You already have a job in the CPU line" while the first training runs), the server's log never shows
    two trainings at once, and its process tree never holds two training processes; then it leaves;
 4. uploads over the 10 MB limit (with a Content-Length and chunked without one: HTTP 413), then a small CSV and 15
    uploads of 9 MB from one session under made-up file ids, by HTTP PUT: the server keeps the newest 4 (a run that
    asks for the CSV or the fifth-newest finds it gone, the fourth-newest is there), so its memory stays bounded;
 5. a 4096 x 4096 RGBA PNG (flat, ~75 KB) into Spectral bands from four sessions at once: the page draws (a
    sentence or the image's spectrum);
 6. 20 readers open the Playground, press Train together and close their connections: beyond the line's maximum
    (app_cache.MAX_LINE) they read "The server is busy"; their trainings leave the line within seconds, so a reader
    who presses Train after them (and after attack 3's reader has left) waits about one training at most, not 20;
 7. shared links to the Playground with ?seed=inf, ?sample_seed=1e999, ?seed=-inf (and NaN): its three sections draw;
 8. markup (an image link to 127.0.0.1:1, *emphasis*, $maths$, <b>HTML</b>, U+202E) as a typed word and as a CSV's
    file name: no exception, and no such markup unescaped in any markdown, alert or plot title the server sends;
    8b, with a headless Chromium (unless --no-browser; it runs at the lowest CPU priority): the same through shared
    links and a real upload, judged on the page: no <img> to that address, no <b>/<em>, KaTeX or U+202E from it;
 9. widget states no browser sends (a seed of inf or NaN, an unknown sampler), and every answer of every attack and
    reader: no traceback text in any message a client receives.

It reports the readers' page time (rerun request to script finished, on the wire) p50/p95 in the baseline and
under attack, and their ratio; the peak memory (resident set) of the server's process tree in each phase, polled
every 0.2 s, and when the peak came; the slowest answer to the server's health check, polled every 0.5 s (its
event loop answers it: a blocked loop delays every reader); the CPU the server, its training process and the
clients used; the trainings in the server's log; the processes left behind once the attacks are over (zombies
among the server's children, more than one training process, a training still running) and once the server has
stopped; and a table of the attacks, passed or not, with the answer each got. Exit status 1 if any part of the
bar is missed: peak memory under 1.5 GB, nothing left behind, p95 under attack at most twice the baseline's, every
attack answered as expected. `--env NAME=VALUE` passes a setting to the server (for example
STREAMLIT_SERVER_FILE_WATCHER_TYPE=none) to try it without editing .streamlit/config.toml.

Not part of the quick test run: it takes about five minutes and wants the machine to itself. Run it on a tree
nobody is editing: Streamlit reloads the app's modules when their files change, and a reloaded app_cache starts a
second training line and training process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamlit.logger import set_log_level
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import StringArray, UploadedFileInfo

set_log_level("error")  # app_cache's caches, made outside a server, would say so
from app_cache import MAX_LINE
from app_training import GONE_SECONDS
from tools import browser, loadtest, procs
from tools.wire import WireSession, put_file

MEMORY_LIMIT_MB = 1536
P95_RATIO_LIMIT = 2.0
TRAINERS = 20  # attack 6
LATE_WAIT_LIMIT_S = 20.0  # attack 6: a reader after them waits at most about one 10 s training (and 5 s of grace)
ATTACK_TIMEOUT_S = 240.0
VISIT_TIMEOUT_S = 120.0
PLAYGROUND = "playground"
SPECTRAL = "spectral_bands"
SECTIONS = ("1. Data", "2. Model and training", "3. Sample")
MARKUP_URL = "127.0.0.1:1"
MARKUP = f"![x](http://{MARKUP_URL}/x.png) *b* $x$ <b>y</b> \u202e"
MARKUP_SHORT = "<b>y</b>*b*$x$\u202e"  # within the word box's 24 characters (a browser cuts a longer one)
IMAGE_WORD = f"![x](http://{MARKUP_URL})"  # 24 characters
MARKUP_FILE = f"![x](http:{MARKUP_URL} x.png) *b* $x$ <b>y</b>\u202e.csv"  # no slash: browsers keep the name
POINTS_CSV = b"x,y\n" + b"".join(f"{i % 17},{(i * 7) % 13}\n".encode() for i in range(300))
TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")
LOG_TIME = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)"


# ---------------------------------------------------------------- what is recorded

@dataclass
class Visit:
    reader: int
    phase: str  # "baseline" or "attack"
    page: str
    seconds: float
    ended_at: float = field(default_factory=time.time)  # epoch seconds, to compare with the attacks' windows


@dataclass
class Attack:
    number: str
    name: str
    expected: str
    passed: bool | None = None  # None: it never finished
    answer: str = ""  # what the server answered, in short
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)  # time.time() at its start and end


@dataclass
class Phase:
    peak_rss_mb: float = 0.0
    max_training_processes: int = 0
    health_checks: int = 0
    slowest_health_s: float = 0.0  # the server's /_stcore/health answer: its event loop is not blocked
    failed_health: int = 0


@dataclass
class Run:
    visits: list[Visit] = field(default_factory=list)
    attacks: list[Attack] = field(default_factory=list)
    phases: dict[str, Phase] = field(default_factory=dict)
    leaks: list[str] = field(default_factory=list)  # traceback text a client received
    reader_exceptions: int = 0
    reader_failures: list[str] = field(default_factory=list)
    left_after_attacks: dict = field(default_factory=dict)
    left_after_stop: list[str] = field(default_factory=list)
    server_log: dict = field(default_factory=dict)
    phase: str = "start"
    phase_started: dict[str, float] = field(default_factory=dict)  # time.time() when each phase began
    phase_cpu: dict[str, tuple[float, float]] = field(default_factory=dict)  # then: CPU s of the server, of its tree
    attack_window: tuple[float, float] = (0.0, 0.0)  # time.time() at the start and end of the attacks
    memory: list[tuple[float, float]] = field(default_factory=list)  # (time.time(), MB of the tree), every 0.2 s
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds from the warm round on: server, clients


# ---------------------------------------------------------------- the server's processes

def _proc_info(pid: int) -> tuple[str, str]:
    """(state letter, kind) of a process: kind is "worker" (the training process), "tracker" (multiprocessing's
    resource tracker), "server" or "other"."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError):
        return "gone", ""
    kind = ("worker" if "spawn_main" in cmd else "tracker" if "resource_tracker" in cmd
            else "server" if "streamlit" in cmd else "other")
    return state, kind


def tree(pid: int) -> list[tuple[int, str, str]]:
    """(pid, state, kind) of the server's process and its descendants."""
    return [(p, *_proc_info(p)) for p in procs.tree_pids(pid)]


def watch(pid: int, run: Run, stop: threading.Event) -> None:
    """Every 0.2 s: the process tree's resident memory and its number of training processes, per phase."""
    while not stop.is_set():
        rss = procs.tree_rss_kb(pid) / 1024
        run.memory.append((time.time(), rss))
        members = tree(pid)
        phase = run.phases.setdefault(run.phase, Phase())
        phase.peak_rss_mb = max(phase.peak_rss_mb, rss)
        phase.max_training_processes = max(phase.max_training_processes,
                                           sum(kind == "worker" and state != "Z" for _, state, kind in members))
        stop.wait(0.2)


def probe_health(url: str, run: Run, stop: threading.Event) -> None:
    """Every 0.5 s: how long the server takes to answer its health check (its event loop answers it)."""
    while not stop.is_set():
        start = time.perf_counter()
        ok = False
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as r:
                ok = r.status == 200
        except OSError:
            pass
        phase = run.phases.setdefault(run.phase, Phase())
        phase.health_checks += 1
        phase.slowest_health_s = round(max(phase.slowest_health_s, time.perf_counter() - start), 2)
        phase.failed_health += not ok
        stop.wait(0.5)


# ---------------------------------------------------------------- the server's log

def trainings_in_log(log: str) -> dict:
    """Trainings the log tells of (background ones from the Playground, live ones from the other pages): how many
    started and ended, how they ended, and the most that ran at once."""
    events = []
    for m in re.finditer(LOG_TIME + r" background training (started|ended)(?: \((\w+)\))?", log):
        events.append((m[1], m[2], m[3] or ""))
    for m in re.finditer(LOG_TIME + r" live training \d+ (started|ended) at", log):
        events.append((m[1], m[2], "live"))
    events.sort()
    running = most = 0
    for _, what, _ in events:
        running += 1 if what == "started" else -1
        most = max(most, running)
    ended = [status for _, what, status in events if what == "ended"]
    return {"started": sum(what == "started" for _, what, _ in events), "ended": len(ended),
            "ended_as": {s: ended.count(s) for s in sorted(set(ended))}, "most_at_once": most,
            "unexpected_errors": len(re.findall(r"a reader's input raised an unexpected error", log)),
            "uncaught_exceptions": len(re.findall(r"Uncaught app execution|Uncaught app exception", log)),
            "uploads_rejected_while_streaming": len(re.findall(r"Upload rejected", log))}


def log_times(log: str, pattern: str) -> list[float]:
    """Epoch seconds of the log lines matching `pattern` (after the timestamp)."""
    return [time.mktime(time.strptime(m[1][:19], "%Y-%m-%d %H:%M:%S")) + float("0" + m[1][19:])
            for m in re.finditer(LOG_TIME + " " + pattern, log)]


# ---------------------------------------------------------------- sessions

def plain(text: str) -> str:
    """Markdown text as read: the backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


def answer(w: WireSession) -> str:
    return " | ".join(plain(t) for t in w.texts) or "(no sentence)"


class Sessions:
    """Makes WireSessions that report any traceback text they receive to `run.leaks`."""

    def __init__(self, url: str, run: Run):
        self.url, self.run = url, run

    def new(self, label: str) -> WireSession:
        w = WireSession(self.url)

        def look(fwd, raw: bytes) -> None:
            if TRACEBACK.search(raw):
                self.run.leaks.append(f"{label}: {TRACEBACK.search(raw)[0].decode(errors='replace')}")
            if fwd.WhichOneof("type") == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                if el.WhichOneof("type") == "exception" and el.exception.stack_trace:
                    self.run.leaks.append(f"{label}: an exception element with a stack trace")

        w.on_message = look
        return w

    async def close(self, w: WireSession) -> None:
        with contextlib.suppress(Exception):  # a connection the server already dropped has nothing left to close
            await w.close()


def headings(w: WireSession) -> list[str]:
    return [e.heading.body for e in w.elements if e.WhichOneof("type") == "heading"]


def kinds(w: WireSession) -> list[str]:
    return [e.WhichOneof("type") for e in w.elements]


def strings_of(w: WireSession) -> list[tuple[str, str]]:
    """Every text the last run sent, with where: "md" (markdown, alerts, captions, headings: rendered as markdown)
    or "plot" (the strings of the plot specs, Plotly's and the canvas charts': titles and legends, which read a few
    HTML tags)."""
    out = []
    for e in w.elements:
        kind = e.WhichOneof("type")
        if kind in ("markdown", "alert", "heading"):
            out.append(("md", getattr(e, kind).body))
        elif kind in ("plotly_chart", "bidi_component"):  # a canvas chart (a bidi component) carries its figure
            stack = [json.loads(e.plotly_chart.spec or "{}") if kind == "plotly_chart" else
                     json.loads(e.bidi_component.bytes or b"{}") if e.bidi_component.component_name == "gd_chart" else
                     {}]
            while stack:
                x = stack.pop()
                if isinstance(x, dict):
                    stack.extend(x.values())
                elif isinstance(x, list):
                    stack.extend(v for v in x if isinstance(v, (dict, list, str)))
                elif isinstance(x, str):
                    out.append(("plot", x))
    return out


def raw_markup(w: WireSession) -> list[str]:
    """Markup from MARKUP that reached the page where it would be rendered: unescaped in markdown (an image, emphasis,
    maths, HTML), as a tag in a plot's text, or U+202E anywhere."""
    found = set()
    for where, text in strings_of(w):
        for bad in ("![x](", "<b>y", "*b*", "$x$", "\u202e") if where == "md" else ("<b>y", "\u202e"):
            if bad in text:
                found.add(f"{bad} in {'markdown' if where == 'md' else 'a plot'}")
    return sorted(found)


async def open_page(w: WireSession, page: str, query: str = "") -> float:
    await w.connect()
    return await w.rerun(page, query=query)


# ---------------------------------------------------------------- test files

def stride0_checkpoint(elements: int) -> bytes:
    """A valid Playground checkpoint with one weight replaced by a stride-0 tensor of `elements` elements."""
    import torch

    from diffusion_core import models
    from diffusion_core.topics.playground import core as playground

    net = models.EpsMLP(playground.Settings().model_config())
    blob = torch.load(io.BytesIO(playground.checkpoint_bytes(net, playground.Frame())), weights_only=True)
    blob["state_dict"]["net.1.weight"] = torch.zeros(1).expand(elements)
    buf = io.BytesIO()
    torch.save(blob, buf)
    return buf.getvalue()


def old_largest_checkpoint() -> bytes:
    """A checkpoint of the largest config the app once allowed, every weight stride-0 (a few KB)."""
    from dataclasses import asdict as as_dict

    import torch

    from diffusion_core import models

    config = models.ModelConfig(hidden=1024, depth=8, fourier_features=1024, T=10000)
    state = {k: torch.zeros(1).expand(v.shape) for k, v in models.EpsMLP(config).state_dict().items()}
    buf = io.BytesIO()
    torch.save({"format": models.CHECKPOINT_FORMAT, "config": as_dict(config), "state_dict": state, "meta": {}}, buf)
    return buf.getvalue()


def big_png() -> bytes:
    """4096 x 4096 RGBA, flat but for a few stripes: tens of KB on the wire, 64 MB as pixels."""
    from PIL import Image

    img = Image.new("RGBA", (4096, 4096), (120, 80, 40, 255))
    for i in range(0, 4096, 64):
        img.paste((i % 256, 30, 200, 255), (i, 0, i + 8, 4096))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


# ---------------------------------------------------------------- the attacks

async def attack_checkpoints(s: Sessions, a1: Attack, a2: Attack, files: dict) -> None:
    """1 and 2: crafted checkpoints into the Playground's weights uploader, one after another in one session."""
    w = s.new("attack 1-2")
    try:
        await open_page(w, PLAYGROUND)
        for attack, name in ((a1, "stride0_1e9.pt"), (a1, "stride0_1e12.pt"), (a2, "old_largest.pt")):
            blob = files[name]
            await w.rerun(PLAYGROUND)
            before = w.exceptions
            info = await w.upload(name, blob)
            seconds = await w.rerun(PLAYGROUND, widgets=[w.files_state("pg_weights", [info])])
            warned = [e.alert.body for e in w.elements if e.WhichOneof("type") == "alert" and e.alert.format == 2]
            kept = any("The model has not changed" in t for t in warned)
            ok = kept and w.exceptions == before and all(h in headings(w) for h in SECTIONS)
            attack.passed = ok if attack.passed is None else attack.passed and ok
            attack.answer += (" / " if attack.answer else "") + f"{name} ({len(blob) // 1024} KB, {seconds:.1f} s): " \
                + answer(w)
            if w.exceptions > before:
                attack.notes.append(f"{name}: an exception element")
            if any("could not be read" in t for t in warned):
                attack.notes.append(f"{name}: the generic sentence (the server logged an unexpected error)")
    finally:
        await s.close(w)


async def attack_clear_cache(s: Sessions, a: Attack, has_ticket: asyncio.Event, done: asyncio.Event, srv) -> None:
    """3: press Train (a 60 s training), then clear_cache, Train, clear_cache...: the session's ticket, and the
    line, stay. Then the connection closes, and the training with it.

    clear_cache empties the session's state, so the page forgets its training and offers Train again (after one
    run: the cleared state has lost the button's callback too); the line must still hold the session's ticket. A
    Train accepted again before the first training has ended (the first "ended" line of the server's log after
    the first "started" one: trainings run one at a time) would be a reset."""
    w = s.new("attack 3")
    clear = BackMsg()
    clear.clear_cache = True
    answers, accepted_at = [], []
    try:
        await open_page(w, PLAYGROUND, "budget=60")  # a shared link sets the longest training
        helps = [e.button.help for e in w.elements if e.WhichOneof("type") == "button" and e.button.id.endswith("pg_train")]
        if not any("60 s" in h for h in helps):  # (the Train button says how long it trains)
            await w.rerun(PLAYGROUND, widgets=[w.state("budget", string_array_value=StringArray(data=["60"]))])
        clicked = time.time()
        await w.click(PLAYGROUND, "pg_train")
        accepted_first = "pg_stop" in w.widgets
        answers.append(f"Train (60 s): {'accepted' if accepted_first else answer(w)}")
        for _ in range(3):
            for _ in range(3):
                await w.send(clear)
            await asyncio.sleep(0.2)
            await w.run(PLAYGROUND)
            if "pg_train" not in w.widgets:
                answers.append("no Train button after clear_cache")
                continue
            at = time.time()
            await w.click(PLAYGROUND, "pg_train")
            if "pg_stop" in w.widgets:  # this session holds a new ticket
                accepted_at.append(at)
                answers.append("Train again: accepted")
            else:
                answers.append("Train again: " + answer(w))
            has_ticket.set()  # attack 6 may start: the first Train again came while the server was less busy
        log = srv.output()
        started = [t for t in log_times(log, r"background training started") if t >= clicked - 1]
        ended = [t for t in log_times(log, r"background training ended") if started and t >= started[0]]
        first_end = ended[0] if ended else float("inf")
        resets = [t for t in accepted_at if t < first_end]
        refused = sum("You already have a job" in x for x in answers)
        a.passed = accepted_first and not resets and refused >= 1
        if not accepted_first:
            a.notes.append("the first Train was not accepted, so a reset of the line could not be seen")
        if accepted_at and not resets:
            a.notes.append("a Train accepted after the first training had ended (allowed)")
        if accepted_first and not resets and not refused:
            a.notes.append("inconclusive: every Train again came after the first training had ended (slow runs)")
        if resets:
            a.notes.append(f"{len(resets)} Train accepted while the first training was still in the line: a reset")
    finally:
        a.answer = "; ".join(f"{x} x {answers.count(x)}" if answers.count(x) > 1 else x for x in dict.fromkeys(answers))
        has_ticket.set()
        await s.close(w)  # the 60 s training leaves with its reader (within GONE_SECONDS)
        done.set()


async def attack_uploads(s: Sessions, a: Attack) -> None:
    """4: uploads over the limit, then a small CSV and 15 x 9 MB under made-up file ids from one session."""
    w = s.new("attack 4")
    try:
        await open_page(w, PLAYGROUND)
        base, sid = w.http_url, w.session_id

        def path(file_id: str) -> str:
            return f"/_stcore/upload_file/{sid}/{file_id}"

        big = b"1,2\n" * (11 * 2**20 // 4)
        over = [await asyncio.to_thread(put_file, base, path(uuid.uuid4().hex), "big.csv", big),
                await asyncio.to_thread(put_file, base, path(uuid.uuid4().hex), "big.csv", big, "text/csv", True)]
        del big
        first = uuid.uuid4().hex
        first_status = await asyncio.to_thread(put_file, base, path(first), "first.csv", POINTS_CSV, "text/csv")
        junk = b"\xff" * (9 * 2**20)
        ids, statuses = [uuid.uuid4().hex for _ in range(15)], []
        for file_id in ids:
            statuses.append(await asyncio.to_thread(put_file, base, path(file_id), "junk.csv", junk))
        del junk

        def info(file_id: str, name: str, size: int) -> UploadedFileInfo:
            return UploadedFileInfo(file_id=file_id, name=name, size=size)

        await w.rerun(PLAYGROUND, widgets=[w.state("data", string_value="Upload a CSV")])
        seen = {}
        for label, file_id, name, size in (("the CSV", first, "first.csv", len(POINTS_CSV)),
                                          ("the 3rd newest", ids[-3], "junk.csv", 9 * 2**20),
                                          ("the 2nd newest", ids[-2], "junk.csv", 9 * 2**20)):
            await w.rerun(PLAYGROUND, widgets=[w.files_state("pg_csv", [info(file_id, name, size)])])
            seen[label] = "gone" if any("Choose a file" in t for t in w.texts) else "kept: " + answer(w)
        a.answer = (f"over 10 MB: HTTP {over[0]} (with Content-Length), {over[1]} (chunked); small CSV: "
                    f"{first_status}; 15 x 9 MB: " + ", ".join(f"{n} x {c}" for c, n in
                                                              sorted({c: statuses.count(c) for c in statuses}.items()))
                    + "; then " + ", ".join(f"{k} {v}" for k, v in seen.items()))
        a.passed = (over == [413, 413] and first_status == 204 and all(c == 204 for c in statuses)
                    # app_hosting keeps a session's newest files up to 4 and 24 MB: two of 9 MB
                    and seen["the CSV"] == "gone" and seen["the 3rd newest"] == "gone"
                    and seen["the 2nd newest"].startswith("kept") and w.exceptions == 0)
    finally:
        await s.close(w)


async def attack_png(s: Sessions, a: Attack, png: bytes) -> None:
    """5: a 4096 x 4096 PNG into Spectral bands from four sessions at once."""
    async def one(i: int) -> str:
        w = s.new(f"attack 5.{i}")
        try:
            await open_page(w, SPECTRAL)
            own = w.state("spec_source", string_array_value={"data": ["Your own image (upload)"]})  # pills
            await w.rerun(SPECTRAL, widgets=[own])
            file = await w.upload("big.png", png, "image/png")
            seconds = await w.rerun(SPECTRAL, widgets=[w.files_state("spec_upload", [file])])
            # the image and its noised version as images, the spectra as the tide section's chart
            drew = "spec_spectra" in w.widgets and kinds(w).count("imgs") >= 2
            said = [plain(t) for t in w.texts if "Choose a file" not in t]
            ok = w.exceptions == 0 and (drew or bool(said))
            what = ("the image's spectrum" if drew and not said else "; ".join(said) or "nothing drawn")
            return f"{'ok' if ok else 'FAILED'} in {seconds:.1f} s: {what}"
        finally:
            await s.close(w)

    results = await asyncio.gather(*(one(i) for i in range(4)), return_exceptions=True)
    texts = [f"{type(r).__name__}: {r}" if isinstance(r, BaseException) else r for r in results]
    a.passed = all(t.startswith("ok") for t in texts)
    a.answer = f"PNG of {len(png) // 1024} KB: " + " | ".join(texts)


async def attack_trainers(s: Sessions, a: Attack, has_ticket: asyncio.Event, others_gone: asyncio.Event,
                          srv) -> None:
    """6: 20 readers open the Playground, press Train together and leave together; then one more presses Train
    (once attack 3's reader has left too) and times its wait."""
    t_start = time.time()
    try:
        await asyncio.wait_for(has_ticket.wait(), 150)
    except TimeoutError:
        a.notes.append("attack 3 had not pressed Train again after 150 s")
    opened, clicked = asyncio.Barrier(TRAINERS), asyncio.Barrier(TRAINERS)

    async def one(i: int) -> str:
        w = s.new(f"attack 6.{i}")
        try:
            try:
                await open_page(w, PLAYGROUND)
            finally:
                await opened.wait()
            try:
                await w.click(PLAYGROUND, "pg_train")
            finally:
                await clicked.wait()
            return "accepted" if "pg_stop" in w.widgets else answer(w)
        finally:
            await s.close(w)

    began = time.time()
    results = await asyncio.gather(*(one(i) for i in range(TRAINERS)), return_exceptions=True)
    closed = time.time()
    a.notes.append(f"the {TRAINERS} were connected from {began - t_start:.0f} s to {closed - t_start:.0f} s into this "
                   "attack")
    texts = [f"{type(r).__name__}: {r}" if isinstance(r, BaseException) else r for r in results]
    with_ticket = texts.count("accepted")
    busy = sum("The server is busy" in t for t in texts)
    await asyncio.sleep(GONE_SECONDS + 3)  # their sessions have been closed for longer than the README's grace
    try:
        await asyncio.wait_for(others_gone.wait(), 90)
        await asyncio.sleep(6)
    except TimeoutError:
        a.notes.append("attack 3's reader had not left")
    late = s.new("attack 6, the reader after them")
    waited = None
    try:
        await open_page(late, PLAYGROUND)
        pressed = time.time()
        await late.click(PLAYGROUND, "pg_train")
        late_answer = "accepted" if "pg_stop" in late.widgets else answer(late)
        while late_answer == "accepted" and time.time() - pressed < 90:
            waiting = any("Waiting for the CPU" in t for t in late.texts)
            if not waiting and ("pg_stop" in late.widgets or any("Trained for" in t for t in late.texts)):
                waited = time.time() - pressed
                break
            await asyncio.sleep(1.0)
            await late.run(PLAYGROUND)
        if "pg_stop" in late.widgets:
            await late.click(PLAYGROUND, "pg_stop")
    finally:
        await s.close(late)
    log = srv.output()
    started = [t for t in log_times(log, r"background training started") if t >= closed - 15]
    gone = [t for t in log_times(log, r"background training ended \(abandoned\)") if t >= closed]
    a.answer = (f"{TRAINERS} pressed Train at once: {with_ticket} accepted, {busy} 'The server is busy', "
                f"{TRAINERS - with_ticket - busy} other"
                + (f" ({'; '.join(sorted(set(texts) - {'accepted'}))[:300]})" if with_ticket + busy < TRAINERS else "")
                + "; after they closed, the next reader "
                + (f"waited {waited:.1f} s for its training" if waited is not None else f"did not train ({late_answer})")
                + f"; the log shows {len(started)} trainings started from 15 s before they closed, "
                  f"{len(gone)} ended as abandoned")
    a.passed = (with_ticket <= MAX_LINE and busy >= 1 and with_ticket + busy == TRAINERS
                and waited is not None and waited <= LATE_WAIT_LIMIT_S)
    if gone:
        a.notes.append("abandoned trainings ended " + ", ".join(f"{t - closed:.1f}" for t in gone)
                       + f" s after the {TRAINERS} closed")


async def attack_links(s: Sessions, a: Attack) -> None:
    """7: shared links with seeds that are not numbers."""
    results = []
    for query in ("seed=inf", "sample_seed=1e999", "seed=-inf", "seed=nan&sample_seed=-1e999"):
        w = s.new(f"attack 7 ?{query}")
        try:
            seconds = await open_page(w, PLAYGROUND, query)
            ok = all(h in headings(w) for h in SECTIONS) and w.exceptions == 0 and "pg_animation" in w.widgets
            results.append((ok, f"?{query}: {'three sections drawn' if ok else 'FAILED'} in {seconds:.1f} s"
                                + (f", {w.exceptions} exception" if w.exceptions else "")
                                + (f" ({answer(w)})" if w.texts else "")))
        finally:
            await s.close(w)
    a.passed = all(ok for ok, _ in results)
    a.answer = "; ".join(t for _, t in results)


async def attack_markup_wire(s: Sessions, a: Attack) -> None:
    """8 (wire): markup as a typed word and as a CSV's file name."""
    w = s.new("attack 8")
    results = []
    try:
        await open_page(w, PLAYGROUND)
        await w.rerun(PLAYGROUND, widgets=[w.state("data", string_value="Type a word")])
        for word in (MARKUP, MARKUP_SHORT, IMAGE_WORD):
            before = w.exceptions
            await w.rerun(PLAYGROUND, widgets=[w.state("word", string_value=word)])
            bad = raw_markup(w)
            said = answer(w)[:160] if w.texts else "drawn"
            results.append((w.exceptions == before and not bad,
                            f"word {word[:12]!r}...: {said}" + (f", UNESCAPED {bad}" if bad else ", nothing unescaped")))
        await w.rerun(PLAYGROUND, widgets=[w.state("data", string_value="Upload a CSV")])
        before = w.exceptions
        file = await w.upload(MARKUP_FILE, POINTS_CSV, "text/csv")
        await w.rerun(PLAYGROUND, widgets=[w.files_state("pg_csv", [file])])
        bad = raw_markup(w)
        shown = any("x.png" in t for _, t in strings_of(w))
        results.append((w.exceptions == before and not bad,
                        f"CSV file name: {'loaded, name shown escaped' if shown and not bad else answer(w)[:160]}"
                        + (f" UNESCAPED {bad}" if bad else "")))
    finally:
        await s.close(w)
    a.passed = all(ok for ok, _ in results)
    a.answer = "; ".join(t for _, t in results)


async def attack_markup_browser(url: str, a: Attack, run: Run) -> None:
    """8 (browser): a shared link carrying the markup as the word, and a CSV uploaded under a markup name."""
    from playwright.async_api import async_playwright

    checks = """() => {
        const t = (el) => (el.textContent || '').trim();
        const zone = '[data-testid=stCaptionContainer] .katex, [data-testid=stAlert] .katex, '
                   + '[data-testid=stMarkdownContainer] .katex, .gd-prose .katex';  // app_components.prose too
        return {
          img: document.querySelectorAll('img[src*="127.0.0.1"]').length,
          b: [...document.querySelectorAll('b, strong')].filter(e => t(e) === 'y').length,
          em: [...document.querySelectorAll('em, i')].filter(e => t(e) === 'b').length,
          bold_svg: [...document.querySelectorAll('.js-plotly-plot text, .js-plotly-plot tspan')]  // canvas: b above
               .filter(e => /bold/.test(e.getAttribute('style') || '') && t(e) === 'y').length,
          katex: [...document.querySelectorAll(zone)].filter(e => t(e).startsWith('x')).length,
          rlo: (() => {  // where U+202E is on the page: the nearest test id, and whether it is the uploader's list
            const found = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) {
              if (!walk.currentNode.data.includes('\\u202e')) continue;
              const el = walk.currentNode.parentElement, id = el.closest('[data-testid]');
              found.push((el.closest('[data-testid=stFileUploader]') ? 'uploader:' : '')
                         + (id ? id.getAttribute('data-testid') : el.tagName));
            }
            return found;
          })(),
          traceback: /Traceback \\(most recent call last\\)|File "[^"]+", line \\d+/.test(document.body.innerText),
          exceptions: document.querySelectorAll('[data-testid=stException]').length,
        };
    }"""
    results = []
    async with async_playwright() as p:
        chromium = await browser.launch(p)
        for pid in procs.tree_pids(os.getpid())[1:]:  # Playwright's driver and Chromium: behind the wire clients
            try:
                os.setpriority(os.PRIO_PROCESS, pid, 19)
            except OSError:
                pass
        try:
            page = await (await chromium.new_context(viewport={"width": 1400, "height": 1000})).new_page()
            page.set_default_timeout(VISIT_TIMEOUT_S * 1000)
            title_has = ("(x) => [...document.querySelectorAll('.js-plotly-plot .gtitle, .gd-title-text')]"
                         ".some(e => e.textContent.includes(x))")  # Plotly's title, or a canvas chart's as text
            for word, shown in ((IMAGE_WORD, MARKUP_URL), (MARKUP_SHORT, "y")):
                query = urllib.parse.urlencode({"data": "Type a word", "word": word})
                await page.goto(f"{url}/{PLAYGROUND}?{query}", wait_until="commit")
                await page.get_by_role("heading", name="3. Sample").first.wait_for()
                await page.wait_for_function(title_has, arg=shown)  # the word is the data now
                await page.wait_for_selector(browser.IDLE)
                results.append((f"a shared link with the word {word!r}", await page.evaluate(checks)))
            await page.goto(f"{url}/{PLAYGROUND}?data=Upload+a+CSV", wait_until="commit")
            await page.locator(".st-key-pg_csv input[type=file]").set_input_files(
                {"name": MARKUP_FILE, "mimeType": "text/csv", "buffer": POINTS_CSV})
            await page.wait_for_function(title_has, arg="x.png")  # the file's points, its name in the plot's title
            await page.wait_for_selector(browser.IDLE)
            results.append(("a CSV uploaded under the name " + repr(MARKUP_FILE), await page.evaluate(checks)))
        finally:
            run.cpu_s["chromium"] = round(procs.treecpu_seconds(os.getpid()) - _own_cpu(), 1)  # and Playwright
            await chromium.close()
    texts, ok = [], True
    for what, found in results:
        own = [x for x in found["rlo"] if x.startswith("uploader:")]  # Streamlit's list of the reader's own files
        if own:
            a.notes.append(f"{what}: U+202E in Streamlit's own list of uploaded files ({', '.join(own)}), "
                           "which shows the name as the reader's browser gave it")
            found["rlo"] = [x for x in found["rlo"] if x not in own]
        bad = {k: v for k, v in found.items() if v}
        ok &= not bad
        texts.append(f"{what}: " + ("no image, bold, emphasis, KaTeX or U+202E from it" if not bad else f"FOUND {bad}"))
        if found["traceback"]:
            run.leaks.append(f"browser, {what}: traceback text on the page")
    a.passed, a.answer = ok, "; ".join(texts)


async def attack_wrong_states(s: Sessions, a: Attack, run: Run) -> None:
    """9: widget states no browser would send; then: did any client anywhere receive traceback text?"""
    probes = [("seed", {"double_value": float("inf")}), ("seed", {"double_value": float("nan")}),
              ("sample_seed", {"double_value": 1e300}), ("sampler", {"string_value": "<b>nope</b>"}),
              ("data", {"int_value": 7})]
    seen = []
    for key, value in probes:
        w = s.new(f"attack 9 {key}")
        try:
            await open_page(w, PLAYGROUND)
            await w.rerun(PLAYGROUND, widgets=[w.state(key, **value)])
            drew = all(h in headings(w) for h in SECTIONS)
            seen.append(f"{key}={next(iter(value.values()))}: " + ("drawn" if drew else "page stopped")
                        + (f", {w.exceptions} exception element (no details)" if w.exceptions else "")
                        + (f", '{answer(w)[:80]}'" if w.texts else ""))
        finally:
            await s.close(w)
    a.answer = "; ".join(seen)
    a.notes.append("passes when no client of any attack or reader received traceback text (judged at the end)")


# ---------------------------------------------------------------- the ordinary readers

async def reader(i: int, s: Sessions, args, run: Run, warm: asyncio.Barrier, based: asyncio.Barrier,
                 done: asyncio.Event) -> None:
    w = s.new(f"reader {i}")
    pages = [loadtest.PATHS[title] for title, _ in loadtest.PAGES]
    try:
        await w.connect()
        await asyncio.wait_for(w.run(""), VISIT_TIMEOUT_S)  # Home, as WireSession.open, with connect's settings
        for path in pages[1:] + pages[:1]:  # the cold round
            await asyncio.wait_for(w.run(path), VISIT_TIMEOUT_S)
        await warm.wait()
        for _ in range(args.rounds):
            for path in pages:
                run.visits.append(Visit(i, "baseline", path or "home",
                                        await asyncio.wait_for(w.run(path), VISIT_TIMEOUT_S)))
        await based.wait()
        k = 0
        while not done.is_set():
            path = pages[k % len(pages)]
            k += 1
            seconds = await asyncio.wait_for(w.run(path), VISIT_TIMEOUT_S)
            run.visits.append(Visit(i, "attack", path or "home", seconds))
    except BaseException as e:
        run.reader_failures.append(f"reader {i}: {type(e).__name__}: {str(e)[:200]}")
        await warm.abort()
        await based.abort()
        raise
    finally:
        run.reader_exceptions += w.exceptions
        await s.close(w)


# ---------------------------------------------------------------- the run

async def _timed(attack: Attack, coro) -> None:
    start, t0 = time.perf_counter(), time.time()
    try:
        await asyncio.wait_for(coro, ATTACK_TIMEOUT_S)
    except Exception as e:  # noqa: BLE001 - an attack that breaks is a failed attack, the others go on
        attack.passed = False
        if isinstance(e, TimeoutError) and time.perf_counter() - start >= ATTACK_TIMEOUT_S - 0.5:
            attack.notes.append(f"no answer within {ATTACK_TIMEOUT_S:.0f} s")
        else:
            attack.notes.append(f"{type(e).__name__}: {str(e)[:300] or 'timed out (a connection or a run)'}")
    finally:
        attack.seconds = round(time.perf_counter() - start, 1)
        attack.window = (t0, time.time())


def make_attacks(with_browser: bool) -> dict[str, Attack]:
    a = {
        "1": Attack("1", "stride-0 checkpoints (10^9 and 10^12 elements) into the Playground",
                    "a warning sentence, the model kept, no exception"),
        "2": Attack("2", "largest old config (1024 x 8, 1024 features, T 10000), stride-0 weights",
                    "a refusal sentence"),
        "3": Attack("3", "clear_cache again and again while trainings run",
                    "the line is not reset: Train again is refused; one training at a time; one training process"),
        "4": Attack("4", "uploads over 10 MB; 15 x 9 MB under made-up file ids from one session",
                    "HTTP 413; at most 4 files and 24 MB kept per session"),
        "5": Attack("5", "4096 x 4096 RGBA PNG into Spectral bands, four sessions at once",
                    "the page draws (a sentence or the spectrum)"),
        "6": Attack("6", f"{TRAINERS} readers press Train and close", "'The server is busy' beyond the line's maximum; "
                    f"the next reader waits <= {LATE_WAIT_LIMIT_S:.0f} s"),
        "7": Attack("7", "shared links ?seed=inf, ?sample_seed=1e999, ?seed=-inf", "the three sections draw"),
        "8": Attack("8", "markup in a typed word and a CSV's file name (wire)", "no exception; nothing unescaped"),
        "9": Attack("9", "wrong widget states; traceback text anywhere", "no traceback text in any message"),
    }
    if with_browser:
        a["8b"] = Attack("8b", "markup in a shared link's word and an uploaded CSV's name (Chromium)",
                         "no <img>, <b>, <em>, KaTeX or U+202E from it in the DOM")
    return a


async def run_attacks(url: str, s: Sessions, run: Run, srv, files: dict, args) -> None:
    """Attack 3 first (its reader must press Train again while its first training still holds the line, which takes
    two page runs: under the full attack they may take longer than the training), then all the others at once as
    soon as it has (or after 60 s)."""
    attacks = make_attacks(not args.no_browser)
    run.attacks = list(attacks.values())
    three_ready, three_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_timed(attacks["3"], attack_clear_cache(s, attacks["3"], three_ready, three_done, srv)))
    try:
        await asyncio.wait_for(three_ready.wait(), 60)
    except TimeoutError:
        pass
    tasks = [_timed(attacks["6"], attack_trainers(s, attacks["6"], three_ready, three_done, srv)),
             _timed(attacks["1"], attack_checkpoints(s, attacks["1"], attacks["2"], files)),
             _timed(attacks["4"], attack_uploads(s, attacks["4"])),
             _timed(attacks["5"], attack_png(s, attacks["5"], files["png"])),
             _timed(attacks["7"], attack_links(s, attacks["7"])),
             _timed(attacks["8"], attack_markup_wire(s, attacks["8"])),
             _timed(attacks["9"], attack_wrong_states(s, attacks["9"], run))]
    if "8b" in attacks:
        tasks.append(_timed(attacks["8b"], attack_markup_browser(url, attacks["8b"], run)))
    await asyncio.gather(first, *tasks)
    if attacks["2"].passed is None:  # attack 1's task ran attack 2 too; if it broke before, say so
        attacks["2"].passed = False
        attacks["2"].notes.extend(attacks["1"].notes)


def make_files() -> dict:
    """The attacks' files, made before the server starts (torch and the PNG's compression take the client a few s)."""
    return {"stride0_1e9.pt": stride0_checkpoint(10**9), "stride0_1e12.pt": stride0_checkpoint(10**12),
            "old_largest.pt": old_largest_checkpoint(), "png": big_png()}


async def settle(srv, timeout: float = 40) -> dict:
    """Wait until every training the log tells of has ended, then look at the server's children."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        counts = trainings_in_log(srv.output())
        if counts["started"] == counts["ended"]:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(2)
    counts = trainings_in_log(srv.output())
    members = tree(srv.process.pid)
    return {"trainings_still_running": counts["started"] - counts["ended"],
            "zombies": [pid for pid, state, _ in members if state == "Z"],
            "training_processes": sum(kind == "worker" and state != "Z" for _, state, kind in members),
            "processes": [f"{pid} {kind} ({state})" for pid, state, kind in members]}


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), without its children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _own_cpu() -> float:
    """CPU seconds of this process (the wire clients, the attacks' own work), without its children."""
    t = os.times()
    return t.user + t.system


async def main_async(args) -> Run:
    run = Run()
    files = make_files()
    env = dict(item.split("=", 1) for item in args.env)
    with browser.server(env=env) as srv:
        stop = threading.Event()
        watchers = [threading.Thread(target=watch, args=(srv.process.pid, run, stop), daemon=True),
                    threading.Thread(target=probe_health, args=(srv.url, run, stop), daemon=True)]
        for t in watchers:
            t.start()
        os.nice(args.nice)  # the clients yield to the server (Chromium more: attack_markup_browser)
        cpu = {"server": procs.treecpu_seconds(srv.process.pid), "client": _own_cpu()}
        s = Sessions(srv.url, run)
        warm, based = asyncio.Barrier(args.sessions + 1), asyncio.Barrier(args.sessions + 1)
        done = asyncio.Event()
        def enter(phase: str) -> None:
            run.phase, run.phase_started[phase] = phase, time.time()
            run.phase_cpu[phase] = (_process_cpu(srv.process.pid), procs.treecpu_seconds(srv.process.pid))

        enter("warm")
        readers = [asyncio.create_task(reader(i, s, args, run, warm, based, done)) for i in range(args.sessions)]
        try:
            await warm.wait()
            enter("baseline")
            await based.wait()
            enter("attack")
            t0 = time.time()
            await run_attacks(srv.url, s, run, srv, files, args)
            run.attack_window = (t0, time.time())
        except asyncio.BrokenBarrierError:
            pass
        finally:
            done.set()
            await asyncio.gather(*readers, return_exceptions=True)
            enter("after")
            run.left_after_attacks = await settle(srv)
            stop.set()
            for t in watchers:
                t.join()
            run.cpu_s |= {"server": round(procs.treecpu_seconds(srv.process.pid) - cpu["server"], 1),
                          "wire_clients": round(_own_cpu() - cpu["client"], 1)}
            run.server_log = trainings_in_log(srv.output())
            if args.log:
                args.log.write_text(srv.output())
            pids = [pid for pid, _, _ in tree(srv.process.pid)]
            enter("stopped")
    await asyncio.sleep(2)  # the server has been stopped: do any of its processes remain?
    for pid in pids:
        state, kind = _proc_info(pid)
        if state != "gone":
            run.left_after_stop.append(f"{pid} {kind} ({state})")
    return run


# ---------------------------------------------------------------- the report

def summarise(run: Run, args) -> tuple[dict, list[str]]:
    base = [v.seconds for v in run.visits if v.phase == "baseline"]
    hit = [v.seconds for v in run.visits if v.phase == "attack"]
    b95, a95 = loadtest._pct(base, 95), loadtest._pct(hit, 95)
    ratio = round(a95 / b95, 2) if b95 and a95 else None
    peak = max((p.peak_rss_mb for p in run.phases.values()), default=0.0)
    nine = next((a for a in run.attacks if a.number == "9"), None)
    if nine is not None:
        nine.passed = not run.leaks
        if run.leaks:
            nine.notes.append(f"{len(run.leaks)} messages with traceback text, e.g. {run.leaks[0]}")
    left = run.left_after_attacks
    t_peak, _ = max(run.memory, key=lambda m: m[1], default=(0.0, 0.0))
    during = [f"{a.number}" for a in run.attacks if a.window[0] <= t_peak <= a.window[1]]
    summary = {
        "sessions": args.sessions, "server_env": args.env,
        "page_s": {"baseline": loadtest._spread(base), "under_attack": loadtest._spread(hit), "p95_ratio": ratio},
        "peak_rss_mb": {k: round(p.peak_rss_mb) for k, p in run.phases.items()},
        "peak_at": (f"{t_peak - run.attack_window[0]:+.1f} s from the attacks' start, attacks running: "
                    + (", ".join(during) or "none")) if run.attack_window[0] else "",
        "training_processes_at_most": {k: p.max_training_processes for k, p in run.phases.items()},
        "health_check_slowest_s": {k: p.slowest_health_s for k, p in run.phases.items()},
        "health_check_failed": {k: p.failed_health for k, p in run.phases.items() if p.failed_health},
        "cpu_s": run.cpu_s,
        "phase_seconds": {a: round(run.phase_started[b] - run.phase_started[a], 1)
                          for a, b in zip(run.phase_started, list(run.phase_started)[1:])},
        # cores busy on average in each phase: the server's own process (its Python threads share one GIL), and
        # its training process
        "cores_used": {a: {"server": round((run.phase_cpu[b][0] - run.phase_cpu[a][0])
                                           / (run.phase_started[b] - run.phase_started[a]), 2),
                           "training": round((run.phase_cpu[b][1] - run.phase_cpu[b][0] - run.phase_cpu[a][1]
                                              + run.phase_cpu[a][0]) / (run.phase_started[b] - run.phase_started[a]), 2)}
                       for a, b in zip(run.phase_cpu, list(run.phase_cpu)[1:]) if b != "stopped"},
        "trainings_in_log": run.server_log,
        "left_after_attacks": left,
        "left_after_server_stopped": run.left_after_stop,
        "reader_exceptions": run.reader_exceptions,
        "reader_failures": run.reader_failures,
        "traceback_leaks": run.leaks[:20],
        "attacks": [asdict(a) for a in run.attacks],
    }
    missed = []
    if peak >= MEMORY_LIMIT_MB:
        missed.append(f"peak memory {peak:.0f} MB >= {MEMORY_LIMIT_MB} MB")
    if ratio is None or ratio > P95_RATIO_LIMIT:
        missed.append(f"p95 under attack {a95} s is {ratio} x the baseline's {b95} s (limit {P95_RATIO_LIMIT:g} x)")
    if left.get("zombies") or left.get("training_processes", 0) > 1 or left.get("trainings_still_running"):
        missed.append(f"left behind after the attacks: {left}")
    if run.left_after_stop:
        missed.append(f"left behind after the server stopped: {run.left_after_stop}")
    if run.server_log.get("most_at_once", 0) > 1:
        missed.append(f"{run.server_log['most_at_once']} trainings at once in the server's log")
    if any(p.max_training_processes > 1 for p in run.phases.values()):
        missed.append("more than one training process at a time")
    if run.reader_exceptions or run.reader_failures:
        missed.append(f"ordinary readers: {run.reader_exceptions} exceptions, {len(run.reader_failures)} failures")
    failed = [a for a in run.attacks if not a.passed]
    if failed:
        missed.append("attacks not answered as expected: " + ", ".join(f"{a.number} ({a.name})" for a in failed))
    return summary, missed


def table(run: Run) -> str:
    rows = ["| # | attack | expected | result | answer seen |", "| --- | --- | --- | --- | --- |"]
    for a in run.attacks:
        result = {True: "pass", False: "FAIL", None: "no answer"}[a.passed]
        seen = a.answer + ("" if not a.notes else " [" + "; ".join(a.notes) + "]")
        rows.append(f"| {a.number} | {a.name} | {a.expected} | {result} ({a.seconds:.0f} s) | "
                    f"{seen.replace('|', '/')} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=10, help="ordinary readers")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of every page per reader in the baseline")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium variant of attack 8")
    ap.add_argument("--nice", type=int, default=15, help="CPU niceness of the clients (0: same as the server)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the server, for example STREAMLIT_SERVER_FILE_WATCHER_TYPE=none "
                         "to try a setting without editing .streamlit/config.toml (repeatable)")
    ap.add_argument("--json", type=Path, help="also write the summary and every visit here")
    ap.add_argument("--log", type=Path, help="also write the server's log here")
    args = ap.parse_args(argv)
    run = asyncio.run(main_async(args))
    summary, missed = summarise(run, args)
    print(json.dumps({k: v for k, v in summary.items() if k != "attacks"}, indent=2))
    print()
    print(table(run))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "visits": [asdict(v) for v in run.visits],
                                         "memory_mb": [(round(t - run.memory[0][0], 1), round(m))
                                                       for t, m in run.memory]}, indent=2))
    print("\nall targets met" if not missed else "\nMISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
