"""A hostile reader of a public instance, at the app's level (issue 15): the line and the training process
cannot be reset by a client, a reader holds one ticket and the line has a maximum length, heavy samplings
wait in the line or are refused, shared links with nonsense in them fall back to defaults, reader text is
never markup, unexpected errors are one sentence, uploads are bounded.

Checkpoints and images are attacked in tests/test_attack_checkpoints.py and tests/test_attack_images.py;
tools/hostile.py drives a real server with all the attacks at once.
"""

from __future__ import annotations

import dataclasses
import io
import os
import time
import tomllib
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_pages import APP, PLAYGROUND, PROCESS, TIMEOUT, charts, figures, shown

import app_cache
import app_common
from diffusion_core import inputs, models
from diffusion_core.topics.playground import core as playground

ROOT = Path(__file__).resolve().parents[1]


def playground_page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(PLAYGROUND)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def assert_drawn(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [h.value for h in at.header] == ["1. Data", "2. Model and training", "3. Sample"]


# ---------------------------------------------------------------- the line and the training process

def test_clearing_the_caches_keeps_the_one_line_and_the_one_training_process():
    """Any client can send Streamlit's clear_cache message; it used to replace both (six trainings at once)."""
    line, worker = app_cache.training_line(), app_cache.training_worker()
    pid = worker.pid
    st.cache_data.clear()
    st.cache_resource.clear()
    assert app_cache.training_line() is line and app_cache.training_worker() is worker
    assert worker.pid == pid


def test_a_clients_clear_cache_message_clears_only_its_own_session():
    """Streamlit clears every cache of the server for every reader on this message, which any client can send."""
    from streamlit.runtime.app_session import AppSession

    import app_hosting

    app_hosting.harden()
    calls = []

    @st.cache_data(max_entries=1)
    def view(x):
        calls.append(x)
        return x

    class Session:
        cleared = False

        class _session_state:  # stands in for the session's state
            @staticmethod
            def clear():
                Session.cleared = True

    view(1)
    AppSession._handle_clear_cache_request(Session())
    view(1)
    assert calls == [1], "the server's caches were cleared by a client"
    assert Session.cleared, "the sender's own session state was not cleared"


def test_the_training_process_leaves_no_zombie_when_it_dies():
    from diffusion_core import pretrained
    from diffusion_core.worker import Worker

    w = Worker(poll_seconds=0.05)
    w.start()
    pid = w.pid
    records = w.run(pretrained.train_job, "ladder_none", seconds=30.0)
    next(records)
    os.kill(pid, 9)
    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        for _ in records:
            pass
    assert not Path(f"/proc/{pid}").exists(), "the dead training process was left as a zombie"
    assert list(w.run(pretrained.train_job, "ladder_none", steps=5))[-1].step == 5, "no fresh process after"
    w.close()


@pytest.fixture
def full_line():
    """The line at its maximum length, held by other readers."""
    line = app_cache.training_line()
    tickets = [line.join(f"other-{k}", seconds=60) for k in range(app_cache.MAX_LINE - len(line))]
    yield line
    for t in tickets:
        t.leave()


def test_a_full_line_refuses_a_retraining_with_a_sentence_and_keeps_the_shipped_panel(full_line):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(PROCESS).run()
    before = charts(at)
    at.button(key="retrain_ladder_linear").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        (f"The server is busy: {app_cache.MAX_LINE} jobs are already in the CPU line. Try again in about "
         f"{60 * app_cache.MAX_LINE} s.")]
    assert charts(at) == before, "a refused training changed the page"
    assert len(full_line) == app_cache.MAX_LINE


def test_a_full_line_refuses_the_playground_training_and_keeps_the_model(full_line):
    at = playground_page()
    at.button(key="pg_train").click().run()
    assert_drawn(at)
    assert "pg_training" not in at.session_state
    assert any("The server is busy" in w.value and "The previous model is kept." in w.value for w in at.warning)
    assert any("shipped dino model" in c.value for c in at.caption)


def test_a_reader_with_a_training_in_line_cannot_queue_another():
    """One ticket per session: the Playground's training waits, so Retrain live elsewhere is refused."""
    line = app_cache.training_line()
    holder = line.join("someone-else", seconds=60)  # keeps this reader's training waiting
    try:
        at = playground_page()
        at.button(key="pg_train").click().run()
        training = at.session_state["pg_training"]
        assert training.status == "waiting"
        at.switch_page(PROCESS).run()
        at.button(key="retrain_ladder_linear").click().run()
        assert not at.exception
        assert any(w.value.startswith("You already have a job in the CPU line") for w in at.warning)
        training.stop()
        assert training.join(10)
    finally:
        holder.leave()


# ---------------------------------------------------------------- sampling under a budget

def large_checkpoint(hidden: int = 256, depth: int = 6) -> bytes:
    net = models.EpsMLP(playground.Settings(hidden=hidden, depth=depth).model_config())
    return playground.checkpoint_bytes(net, playground.Frame(), {"data": "a big model"})


def test_a_sampling_beyond_the_budget_is_refused_with_a_sentence():
    at = playground_page()
    at.get("file_uploader")[-1].set_value(("big.pt", large_checkpoint(), "application/octet-stream")).run()
    assert any("Loaded big" in shown(s.value) for s in at.success)
    at.radio(key="sampler").set_value("heun")
    at.select_slider(key="steps").set_value(1000)
    at.selectbox(key="n").set_value(5000).run()
    assert_drawn(at)
    estimate = playground.sampling_seconds(at.session_state["pg_model"]["net"].config, 5000, "heun", 1000)
    assert estimate > playground.MAX_SAMPLING_SECONDS
    assert [w.value for w in at.warning] == [
        (f"Heun with 1,000 steps and 5,000 samples of this network would take about {estimate:.0f} s of the "
         f"server's CPU; the limit is {playground.MAX_SAMPLING_SECONDS:.0f} s. Choose fewer samples or steps.")]
    assert not any(t.startswith("Heun") for t in charts(at)), "a refused sampling was drawn"


def test_a_large_sampling_runs_in_the_training_process_through_the_line(monkeypatch):
    """Over LIGHT_SECONDS a sampling takes a ticket and runs in the worker (so it stops when its reader leaves)."""
    worker = app_cache.training_worker()
    jobs = []
    original = worker.run
    monkeypatch.setattr(worker, "run", lambda fn, *a, **k: jobs.append(fn.__name__) or original(fn, *a, **k))
    at = playground_page()
    at.radio(key="sampler").set_value("ddpm")
    at.select_slider(key="steps").set_value(1000)
    at.selectbox(key="n").set_value(2000).run()
    assert_drawn(at)
    assert playground.sampling_seconds(models.EpsMLP(playground.Settings().model_config()).config, 2000, "ddpm",
                                       1000) > playground.LIGHT_SECONDS
    assert jobs == ["sample_job"]
    assert "DDPM, 1000 steps, from noise to samples" in charts(at)
    assert len(app_cache.training_line()) == 0
    at.selectbox(key="n").set_value(1000).run()  # still over LIGHT_SECONDS at 1,000 steps: a second job
    assert jobs == ["sample_job"] * 2
    at.selectbox(key="n").set_value(2000).run()
    assert jobs == ["sample_job"] * 2, "the session's last large run was computed again"


def test_the_sampling_cost_model_is_near_the_time_taken():
    """The estimate the budget rests on, against a timed run (the bound is loose: machines differ)."""
    net = models.EpsMLP(playground.Settings(hidden=128, depth=4).model_config()).eval()
    start = time.perf_counter()
    playground.sample_run(net, 2000, "ddim", 100)
    took = time.perf_counter() - start
    estimate = playground.sampling_seconds(net.config, 2000, "ddim", 100)
    assert estimate / 4 < took < estimate * 4, (took, estimate)


# ---------------------------------------------------------------- shared links

@pytest.mark.parametrize("key,value", [("seed", "inf"), ("sample_seed", "1e999"), ("seed", "-inf"),
                                       ("seed", "nan"), ("sample_seed", "-3"), ("seed", "12.5"),
                                       ("seed", "99999999999999999999999")])
def test_a_link_with_a_value_that_is_not_a_whole_number_in_range_falls_back_to_the_default(key, value):
    at = playground_page(**{key: value})
    assert_drawn(at)
    assert at.number_input(key=key).value == (12 if value == "12.5" else 0)  # Streamlit reads 12.5 as 12


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_client_that_sends_a_number_box_a_value_that_is_not_finite_gets_the_default(value):
    """A forged widget message (no browser sends one): Streamlit's int(value) used to stop the page before any of
    its code ran."""
    at = playground_page()
    at.number_input(key="seed").set_value(value).run()
    assert_drawn(at)
    assert at.number_input(key="seed").value == 0


def test_a_link_with_a_good_seed_keeps_it():
    at = playground_page(seed="42")
    assert_drawn(at)
    assert at.number_input(key="seed").value == 42


# ---------------------------------------------------------------- reader text is text

MARKUP = "![x](http://127.0.0.1:1/x.png) *b* $x$ <b>y</b> [l](http://e.x) :red[r] a\u202eb"


def test_text_helpers_leave_no_markup_and_no_control_characters():
    plain = app_common.plain(MARKUP)
    assert "\u202e" not in plain and plain.endswith("ab")
    md = app_common.md(MARKUP)
    assert all(f"\\{c}" in md for c in "![]()*$<>:")
    assert not any(md[i] in "![]()*$<>:_`~|#" and (i == 0 or md[i - 1] != "\\") for i in range(len(md)))
    assert app_common.for_plot("<b>y</b> & z") == "&lt;b&gt;y&lt;/b&gt; &amp; z"
    assert len(app_common.plain("x" * 500, 60)) == 60


@pytest.mark.parametrize("key, options", [("set", ["dino", "ring 8"]), ("set", ["a{display:none}", "b"]),
                                          ('set"]', ["a", "b"]), ("set", ["a", "b<style>"])])
def test_a_switched_view_refuses_a_name_a_style_rule_cannot_hold(key, options):
    """app_common.switched writes its key and options into a style rule (class names): anything else is refused
    before a rule is written."""
    with pytest.raises(ValueError, match="style class"):
        app_common.switched("Set", options, key=key, default=options[0], help="")


def test_a_typed_word_with_markup_is_shown_as_text_in_captions_notices_and_titles():
    word = "*b* $x$ <b>y</b>"
    at = playground_page()
    at.radio(key="data").set_value("word").run()
    at.text_input(key="word").set_value(word).run()
    assert_drawn(at)
    title = next(t for t in charts(at) if t.startswith("Training data:"))
    assert "&lt;b&gt;y&lt;/b&gt;" in title and "<b>" not in title
    at.button(key="pg_train").click().run()
    assert any(app_common.md(f"the word '{word}'") in c.value for c in at.caption), [c.value for c in at.caption]
    at.session_state["pg_training"].stop()
    at.session_state["pg_training"].join(10)


def test_a_csv_file_name_with_markup_and_bidi_characters_is_plain_text():
    name = "<img src=x onerror=alert(1)>\u202e[a](http://e.x).csv"
    at = playground_page()
    at.radio(key="data").set_value("csv").run()
    at.get("file_uploader")[0].set_value((name, b"x,y\n0,0\n1,1\n2,0\n", "text/csv")).run()
    assert_drawn(at)
    title = next(t for t in charts(at) if t.startswith("Training data:"))
    assert "<img" not in title and "&lt;img src=x onerror=alert(1)&gt;[a](http://e.x).csv" in title
    assert "\u202e" not in title


def test_a_checkpoints_recorded_data_name_is_text():
    net = models.EpsMLP(playground.Settings().model_config())
    blob = playground.checkpoint_bytes(net, playground.Frame(), {"data": "<b>bold</b> $x$ ![i](http://e.x/i.png)"})
    at = playground_page()
    at.get("file_uploader")[-1].set_value(("m<b>.pt", blob, "application/octet-stream")).run()
    assert_drawn(at)
    assert any(s.value.startswith("Loaded m\\<b\\>\\.pt") for s in at.success)
    assert any("Model trained on \\<b\\>bold\\<\\/b\\> \\$x\\$ \\!\\[i\\]" in c.value for c in at.caption)


# ---------------------------------------------------------------- errors nobody foresaw

def test_an_unexpected_error_reading_an_upload_is_one_sentence_logged_and_the_data_stays(monkeypatch):
    def broken(data, **kwargs):
        raise MemoryError("a path /secret/server/file.py in the message")

    logged = []
    monkeypatch.setattr(app_common.LOG, "error", lambda *a, **k: logged.append((a, k)))
    at = playground_page()
    before = next(t for t in charts(at) if t.startswith("Training data:"))
    monkeypatch.setattr(inputs, "read_points_csv", broken)
    at.radio(key="data").set_value("csv").run()
    at.get("file_uploader")[0].set_value(("unforeseen.csv", b"x,y\n0,0\n1,1\n9,9\n", "text/csv")).run()
    assert_drawn(at)
    assert [shown(w.value) for w in at.warning] == ["That input could not be read. The data below has not changed."]
    assert not any("secret" in w.value for w in at.warning)
    assert next(t for t in charts(at) if t.startswith("Training data:")) == before
    assert len(logged) == 1 and isinstance(logged[0][1]["exc_info"], MemoryError), "the error was not logged"


def test_the_server_shows_readers_no_traceback_and_caps_uploads_at_the_largest_accepted_file():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    largest = max(inputs.MAX_CSV_BYTES, inputs.MAX_IMAGE_BYTES, inputs.MAX_CHECKPOINT_BYTES)
    assert config["server"]["maxUploadSize"] * 2**20 == largest
    assert config["server"]["maxMessageSize"] <= 25, "a client could make the server read 200 MB per connection"
    assert config["server"]["fileWatcherType"] == "none"


# ---------------------------------------------------------------- uploads held by the server

def test_uploads_are_bounded_per_session_and_over_the_server(monkeypatch):
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    import app_hosting

    app_hosting.bound_uploads()
    manager = MemoryUploadedFileManager("/upload")
    blob = bytes(2**20)
    for k in range(10):  # made-up file ids, one session
        manager.add_file("s1", UploadedFileRec(f"id{k}", f"f{k}", "text/csv", blob))
    kept = manager.get_files("s1", [f"id{k}" for k in range(10)])
    assert [f.file_id for f in kept] == ["id6", "id7", "id8", "id9"], "more than the newest four kept"
    assert manager._total_bytes == 4 * len(blob) and manager._file_count == 4
    manager.add_file("s1", UploadedFileRec("id9", "f9", "text/csv", bytes(10)))  # the same id again replaces it
    assert manager._total_bytes == 3 * len(blob) + 10 and manager._file_count == 4
    big = bytes(10 * 2**20)
    for k in range(3):  # three 10 MB files: over the session's 24 MB, so the oldest go
        manager.add_file("s2", UploadedFileRec(f"b{k}", "b", "text/csv", big))
    assert [f.file_id for f in manager.get_files("s2", ["b0", "b1", "b2"])] == ["b1", "b2"]
    monkeypatch.setattr(app_hosting, "MAX_UPLOAD_BYTES", manager._total_bytes + len(blob))
    manager.add_file("s3", UploadedFileRec("a", "a", "text/csv", blob))
    with pytest.raises(app_hosting.UploadRefused) as refused:
        manager.add_file("s3", UploadedFileRec("c", "c", "text/csv", blob))
    assert refused.value.status_code == 413
    manager.remove_session_files("s1")
    manager.remove_session_files("s2")
    manager.remove_session_files("s3")
    assert manager._total_bytes == 0 and manager._file_count == 0, "the manager's own accounting drifted"
    from starlette import formparsers
    assert formparsers.MultiPartParser.spool_max_size > 10 * 2**20, "an upload body could be spooled to disk"


def test_a_bad_checkpoint_through_the_page_never_reaches_the_reader_as_a_traceback():
    """A file torch cannot even open as a zip, and a zip of nonsense: one sentence each, the model stays."""
    import zipfile

    at = playground_page()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x05nonsense")
    for name, blob in (("a.pt", b"\x00" * 100), ("b.pt", buf.getvalue())):
        at.get("file_uploader")[-1].set_value((name, blob, "application/octet-stream")).run()
        assert_drawn(at)
        assert len(at.warning) == 1 and shown(at.warning[0].value).endswith("The model has not changed.")
        assert any("shipped dino model" in c.value for c in at.caption)


def test_every_figure_title_on_the_playground_is_escaped_text():
    at = playground_page()
    at.radio(key="data").set_value("word").run()
    at.text_input(key="word").set_value("<i>x</i>").run()
    assert all("<i>" not in fig["layout"]["title"]["text"] for fig in figures(at))


def test_a_sampling_job_far_past_its_estimate_stops_itself(monkeypatch):
    """On a server much slower than the estimate's, a job stops after twice its estimate plus 10 s."""
    clock = iter(range(0, 10_000, 7))  # every reading of the clock 7 s later
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    net = models.EpsMLP(playground.Settings().model_config())
    weights = {k: v.numpy() for k, v in net.state_dict().items()}
    job = playground.sample_job(dataclasses.asdict(net.config), weights, 100, "ddim", 50, 0, seconds=2.0)
    with pytest.raises(RuntimeError, match="more than twice its estimate of 2 s"):
        for _ in job:
            pass
